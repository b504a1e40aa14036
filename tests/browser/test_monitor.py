"""The monitoring terminal: gauges, the advisor, the stress test (the keeper's own
planner and policy on a hypothetical outflow) and "execute recommended move", which
lands a crank on chain."""

import re
import time

from chain import managed_balance_address
from conftest import open_page, wait_until

UNIT = 1_000_000


def percent_in(text: str) -> float:
    return float(re.search(r"([\d.]+)%", text).group(1))


def test_the_stress_test_changes_health_and_the_advice(page, base_url, rpc, treasury, screenshots):
    managed = rpc.program_account(managed_balance_address(treasury, 1))
    open_page(page, base_url + "/balances/1/monitor")
    [gauge_before] = wait_until(page, "() => { const trace = document.querySelector('#health-gauge').data?.[0]; return trace && [trace.value]; }")
    # An outflow of the whole balance: health falls to 0 and the keeper would top up.
    balance = rpc.token_amount(managed["destination"])
    outflow = f"{balance // UNIT + 1}"
    field = page.get_by_label("Outflow", exact=True)
    field.fill(outflow)
    field.press("Enter")
    page.locator("#stress-result").wait_for()
    facts = page.locator("#stress-facts").text_content()
    assert "→ 0%" in facts.replace("\u202f", " "), facts
    assert "The keeper wouldTop up" in facts or "The keeper would Top up" in facts, facts
    # The gauge shows health after the outflow, against health now.
    gauge = wait_until(page, """() => {
        const [trace] = document.querySelector('#health-gauge').data;
        return trace.delta ? { value: trace.value, reference: trace.delta.reference } : null;
    }""")
    assert gauge["value"] == 0
    assert gauge["reference"] == gauge_before or gauge["reference"] > 0
    assert "after the stress test" in page.locator("#health-text").text_content()
    page.screenshot(path=str(screenshots / "monitor.png"), full_page=True)


def test_the_ratio_gauge_shows_the_drift_band(page, base_url):
    open_page(page, base_url + "/balances/2/monitor")
    gauge = wait_until(page, "() => document.querySelector('#ratio-gauge').data?.[0]")
    assert gauge["gauge"]["threshold"]["value"] == 40
    assert gauge["gauge"]["steps"][0]["range"] == [35, 45]
    assert "target of 40% ± 5%" in page.locator("#ratio-text").text_content()


def test_execute_recommended_move_lands_a_crank(page, base_url, rpc, treasury, keeper_paused):
    """With the keeper stopped, the balance drains below min; the operator runs the move
    the advisor recommends."""
    managed = rpc.program_account(managed_balance_address(treasury, 1))
    destination = managed["destination"]
    open_page(page, base_url + "/balances/1/monitor")
    wait_until(page, "() => document.querySelector('#advice-move').textContent.startsWith('Top up')", timeout=150)
    button = page.get_by_role("button", name="Execute recommended move")
    assert button.is_enabled()
    before = rpc.token_amount(destination)
    slot_before = rpc.call("getSlot", [{"commitment": "confirmed"}])
    button.click()
    notice = page.locator("#notice")
    notice.wait_for()
    wait_until(page, "() => /transaction/.test(document.querySelector('#notice').textContent)", timeout=30)
    after = rpc.token_amount(destination)
    assert after > before, "the crank moved tokens into the hot wallet"
    # The crank is on chain: the newest signature for the balance landed after we clicked.
    newest = rpc.signatures_for(managed_balance_address(treasury, 1), limit=1)[0]
    assert newest["err"] is None and newest["slot"] >= slot_before
    assert "top_up" in [name for name, _, _ in rpc.program_instructions(newest["signature"])]
    wait_until(page, "() => !document.querySelector('#advice-move').textContent.startsWith('Top up')", timeout=10)
    time.sleep(0.2)
