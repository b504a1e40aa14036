"""The monitoring terminal: gauges, the advisor, the stress test (the keeper's own
planner and policy on a hypothetical outflow, applied for real on this local cluster)
and "execute recommended move", which lands a crank on chain logged as manual."""

import re
import time

from chain import linked_sources, managed_balance_address
from conftest import assert_operation_log_fits, open_page, wait_until
from units import UNIT


def test_the_stress_test_changes_health_and_the_advice(page, base_url, rpc, treasury, screenshots, keeper_paused):
    """With the keeper stopped (so nothing moves the balance up meanwhile), an outflow of
    more than the whole balance: health falls to 0 and the advice becomes a top-up."""
    managed = rpc.program_account(managed_balance_address(treasury, 1))
    open_page(page, base_url + "/balances/1/monitor")
    # Past the cooldown of the keeper's last move, the planner's advice is a move or "healthy".
    advice_before = wait_until(
        page,
        "() => { const text = document.querySelector('#advice-move').textContent;"
        " return !text.startsWith('Wait: cooling down') && text !== '…' && text; }",
        timeout=30,
    )
    gauge_before = wait_until(page, "() => document.querySelector('#health-gauge').data?.[0]?.value ?? null")
    balance = rpc.token_amount(managed["destination"])
    assert balance > 0, "the hot wallet must hold something for an outflow to lower its health"
    field = page.get_by_label("Outflow", exact=True)
    field.fill(f"{balance // UNIT + 1}")
    field.press("Enter")
    page.locator("#stress-result").wait_for()
    facts = page.locator("#stress-facts").text_content().replace("\u202f", " ")
    before_percent, after_percent = (float(value) for value in re.search(r"Health([\d.]+)% → ([\d.]+)%", facts).groups())
    assert before_percent > 0 and after_percent == 0, facts
    advice_after = page.locator("#stress-facts dd").last.locator("strong").text_content()
    assert advice_after.startswith("Top up"), facts
    assert advice_after != advice_before, f"the advice did not change: {advice_before!r}"
    # The gauge shows health after the outflow, with health now as its reference.
    gauge = wait_until(page, """() => {
        const [trace] = document.querySelector('#health-gauge').data;
        return trace.delta ? { value: trace.value, reference: trace.delta.reference } : null;
    }""")
    assert gauge["value"] == 0 and gauge["reference"] > 0, gauge
    assert gauge_before > 0
    assert "after the stress test" in page.locator("#health-text").text_content()
    # A stress test moves nothing.
    assert rpc.token_amount(managed["destination"]) <= balance
    page.screenshot(path=str(screenshots / "monitor.png"), full_page=True)


def test_the_ratio_gauge_shows_the_drift_band(page, base_url):
    open_page(page, base_url + "/balances/2/monitor")
    gauge = wait_until(page, "() => document.querySelector('#ratio-gauge').data?.[0]")
    assert gauge["gauge"]["threshold"]["value"] == 40
    assert gauge["gauge"]["steps"][0]["range"] == [35, 45]
    assert "target of 40% ± 5%" in page.locator("#ratio-text").text_content()


def tokens_text(base_units: int) -> str:
    whole, fraction = divmod(base_units, UNIT)
    return f"{whole:,}" + (f".{fraction:06d}".rstrip("0") if fraction else "")


def test_the_operation_log_shows_the_other_side_of_a_rebalance(page, base_url, rpc, treasury, screenshots):
    """The demo's venue opens below its 40% share, so the keeper rebalances it from the
    reserve at once: its row names the reserve and its balance after, as the chain has
    it in that transaction."""
    reserve = linked_sources(rpc.program_account(managed_balance_address(treasury, 2)))[0]["token_account"]
    open_page(page, base_url + "/balances/2/monitor")
    row = page.locator("#oplog-table tbody tr", has_text="Rebalanced").first
    row.wait_for()
    cells = row.locator("td")
    signature = cells.nth(7).locator("[title]").get_attribute("title")
    after = rpc.token_balance_after(signature, reserve)
    assert cells.nth(6).text_content().strip() == f"reserve vault: {tokens_text(after)}"
    page.screenshot(path=str(screenshots / "monitor-venue.png"), full_page=True)


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
    landed_or_refused(page, "#execute-form")
    after = rpc.token_amount(destination)
    assert after > before, "the crank moved tokens into the hot wallet"
    # The crank is on chain: the newest signature for the balance landed after we clicked.
    newest = rpc.signatures_for(managed_balance_address(treasury, 1), limit=1)[0]
    assert newest["err"] is None and newest["slot"] >= slot_before
    assert "top_up" in [name for name, _, _ in rpc.program_instructions(newest["signature"])]
    wait_until(page, "() => !document.querySelector('#advice-move').textContent.startsWith('Top up')", timeout=10)
    # The operation log calls it manual: the operator moved, not the keeper.
    assert operation_row(page, newest["signature"]).locator("td").nth(1).text_content() == "manual"


def landed_or_refused(page, form: str):
    """Waits for the notice naming the landed transaction, or for the refusal shown
    beside `form`'s button instead, and fails on a refusal."""
    wait_until(
        page,
        "form => /transaction/.test(document.querySelector('#notice').textContent)"
        " || !document.querySelector(`${form} .form-error`).hidden",
        form,
        timeout=30,
    )
    refused = page.locator(f"{form} .form-error")
    assert refused.is_hidden(), f"refused: {refused.text_content()}"


def operation_row(page, signature: str):
    """The operation log's row of the transaction `signature`, once the page shows it."""
    row = page.locator("#oplog-table tbody tr", has=page.locator(f'[title="{signature}"]')).first
    row.wait_for(timeout=30_000)
    return row


def test_a_stress_test_applied_for_real_is_logged_and_met(page, base_url, rpc, treasury, screenshots):
    """On the local cluster the stress test's outflow can be withdrawn for real: the
    withdrawal lands with exactly that amount, the operation log shows it as a stress
    test, and the keeper (running) tops the balance up afterwards."""
    managed = rpc.program_account(managed_balance_address(treasury, 1))
    destination = managed["destination"]
    open_page(page, base_url + "/balances/1/monitor")
    balance = rpc.token_amount(destination)
    # Down to three quarters of min: a breach for the keeper to meet, with room for the
    # workload's payouts before the click.
    outflow = (balance - managed["min"] * 3 // 4) // UNIT
    assert outflow > 0, f"the hot wallet holds {balance}, too little to take below min"
    field = page.get_by_label("Outflow", exact=True)
    field.fill(str(outflow))
    field.press("Enter")
    apply = page.get_by_role("button", name="Apply for real")
    wait_until(page, "() => !document.querySelector('#stress-apply-button').disabled")
    assert "withdraws" in page.locator("#stress-apply-note").text_content()
    apply.click()
    landed_or_refused(page, "#stress-apply-form")
    assert apply.is_disabled(), "one click is one withdrawal"
    row = page.locator("#oplog-table tbody tr", has_text="stress test").first
    row.wait_for(timeout=30_000)
    signature = row.locator("td").nth(7).locator("[title]").get_attribute("title")
    withdrawals = [args for name, args, _ in rpc.program_instructions(signature) if name == "withdraw"]
    assert [args["amount"] for args in withdrawals] == [outflow * UNIT]
    assert rpc.token_balance_after(signature, destination) < managed["min"]
    # The keeper meets the outflow as it would a real one: a newer automatic top-up.
    met = page.locator("#oplog-table tbody tr", has_text="automatic").first
    wait_until(
        page,
        """signature => {
            const rows = [...document.querySelectorAll('#oplog-table tbody tr')];
            const applied = rows.findIndex((row) => row.querySelector(`[title="${signature}"]`));
            return rows.slice(0, Math.max(applied, 0)).some((row) => row.cells[1]?.textContent === 'automatic');
        }""",
        signature,
        timeout=90,
    )
    assert met.count() > 0
    assert_operation_log_fits(page)
    page.screenshot(path=str(screenshots / "monitor-stress-applied.png"), full_page=True)
