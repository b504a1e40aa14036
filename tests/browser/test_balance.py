"""The managed balance page: its chart holds the balance, the movements and the forecast;
changes made through its forms land on chain (read back over JSON-RPC); refused input
is shown next to the field it names and changes nothing."""

import time

from chain import after_guard, linked_sources, managed_balance_address
from conftest import open_page, top_up_from_the_page, wait_for_chain, wait_until
from units import UNIT, grouped


def chart_traces(page, selector="#balance-chart"):
    return page.evaluate(
        f"""() => (document.querySelector('{selector}').data || [])
            .map(trace => ({{ name: trace.name, points: (trace.x || []).length }}))"""
    )


def test_the_chart_holds_the_balance_movements_and_forecast(page, base_url, screenshots):
    open_page(page, base_url + "/balances/1")
    # The workload pays out and the keeper tops up: wait until both show, and a forecast.
    wait_until(
        page,
        """() => {
            const traces = document.querySelector('#balance-chart').data || [];
            const count = name => (traces.find(trace => trace.name === name)?.x || []).length;
            return count('Balance') >= 2 && count('Outflows') >= 1 && count('Top-ups') >= 1 && count('Forecast') >= 1;
        }""",
        timeout=150,
    )
    traces = {trace["name"]: trace["points"] for trace in chart_traces(page)}
    for name in ["Balance", "Outflows", "Top-ups", "Min", "Target", "Max", "Forecast", "80% interval", "95% interval"]:
        assert traces.get(name, 0) >= 1, f"the chart has no {name} series: {traces}"
    assert page.locator("#movements-table tbody tr").count() >= 1
    page.screenshot(path=str(screenshots / "balance.png"), full_page=True)


def tokens(base_units: int) -> str:
    """Base units of the demo mint as an operator writes them: `5500.5`."""
    whole, fraction = divmod(base_units, UNIT)
    return f"{whole}.{fraction:06d}".rstrip("0").rstrip(".")


def test_editing_thresholds_changes_the_chain(page, base_url, rpc, treasury):
    address = managed_balance_address(treasury, 1)
    before = rpc.program_account(address)
    wanted = (before["min"] + 500 * UNIT, before["target"] + 500_500_000, before["max"] + 1_000 * UNIT)
    open_page(page, base_url + "/balances/1")
    form = page.locator("#thresholds-form")
    for label, value in zip(["Min", "Target", "Max"], wanted):
        form.get_by_label(label, exact=True).fill(tokens(value))
    form.get_by_label("Max", exact=True).press("Enter")
    after = wait_for_chain(lambda: rpc.program_account(address), lambda managed: managed["min"] != before["min"])
    assert (after["min"], after["target"], after["max"]) == wanted
    assert after["config_version"] > before["config_version"]
    # The page shows what the chain now holds, in token units.
    shown = " / ".join(grouped(value) for value in wanted)
    wait_until(page, "text => document.querySelector('#summary').textContent.includes(text)", shown)


def test_refused_thresholds_are_shown_next_to_the_field_and_change_nothing(console, page, base_url, rpc, treasury):
    console.expect(r"status of 422")
    address = managed_balance_address(treasury, 1)
    before = rpc.program_account(address)
    open_page(page, base_url + "/balances/1")
    form = page.locator("#thresholds-form")
    form.get_by_label("Min", exact=True).fill("7000")
    form.get_by_label("Target", exact=True).fill("6000")
    form.get_by_label("Max", exact=True).fill("9000")
    form.get_by_role("button", name="Save thresholds").click()
    error = form.locator(".field-error:not([hidden])").first
    error.wait_for()
    field = form.locator("[aria-invalid=true]").first
    assert field.get_attribute("name") in {"min", "target"}
    assert error.evaluate("(slot, field) => slot.closest('.field') === field.closest('.field')", field.element_handle())
    assert error.text_content().strip()
    time.sleep(1.0)
    after = rpc.program_account(address)
    assert after["config_version"] == before["config_version"], "a refused change must not reach the chain"

    form.get_by_label("Min", exact=True).fill("12.3456789")
    form.get_by_role("button", name="Save thresholds").click()
    page.locator("#threshold-min[aria-invalid=true]").wait_for()
    assert "decimal" in page.locator("#threshold-min").evaluate("input => input.closest('.field').textContent")


def test_linking_and_removing_a_source_through_the_page_changes_the_chain(page, base_url, rpc, treasury):
    venue_balance = managed_balance_address(treasury, 2)
    hot_vault = rpc.program_account(managed_balance_address(treasury, 1))["destination"]
    before = rpc.program_account(venue_balance)
    assert hot_vault not in [source["token_account"] for source in linked_sources(before)]
    open_page(page, base_url + "/balances/2")
    form = page.locator("#source-form")
    form.get_by_label("Source type").select_option("ASSET_POOL")
    form.get_by_label("Pool vault").select_option(hot_vault)
    priority = max(source["priority"] for source in linked_sources(before)) + 1
    form.get_by_label("Priority").fill(str(priority))
    form.get_by_label("Reserve floor").fill("1500")
    form.get_by_role("button", name="Save funding source").click()
    after = wait_for_chain(lambda: rpc.program_account(venue_balance),
                           lambda managed: managed["source_count"] == before["source_count"] + 1)
    linked = {source["token_account"]: source for source in linked_sources(after)}
    assert hot_vault in linked, "the hot wallet's vault is now a funding source"
    assert (linked[hot_vault]["priority"], linked[hot_vault]["reserve_floor"]) == (priority, 1_500 * UNIT)
    row = page.locator("#sources-table tbody tr", has_text="hot wallet vault")
    row.wait_for()

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove hot wallet vault").click()
    removed = wait_for_chain(lambda: rpc.program_account(venue_balance),
                             lambda managed: managed["source_count"] == before["source_count"])
    assert hot_vault not in [source["token_account"] for source in linked_sources(removed)]
    row.wait_for(state="detached")


def test_a_manual_top_up_lands_and_the_page_shows_it_within_two_seconds(page, base_url, rpc):
    result = top_up_from_the_page(page, base_url, "0.5")
    replied = time.monotonic()
    signature = result["signature"]
    [(name, args, _)] = after_guard(rpc.program_instructions(signature))
    assert (name, args) == ("adjust_balance", {"amount": 500_000})
    # The movements table shows it, by its signature, within 2 s of the change landing.
    wait_until(
        page,
        "signature => [...document.querySelectorAll('#movements-table [title]')].some(cell => cell.title === signature)",
        signature,
        timeout=5,
    )
    assert time.monotonic() - replied <= 2.0, "the page showed the landed top-up later than 2 s after it landed"
    assert "manual top-up" in page.locator("#movements-table tbody tr").first.text_content()


def holds(page, expression: str, arg=None, seconds: float = 2.0) -> None:
    """Checks `expression` stays true for `seconds` (a page's live refresh runs every second)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert page.evaluate(expression, arg), f"stopped holding: {expression}"
        time.sleep(0.05)


def automation_of(managed: dict) -> tuple:
    return managed["mode"], managed["automation"], managed["enabled"]


def test_automation_settings_and_on_off_through_the_page_change_the_chain(console, page, base_url, rpc, treasury, api):
    """On the venue (ratio mode): automation off, then a new mode, cooldown, cap and
    forecast band, a refused pair of values, the settings put back and automation on;
    each step read back over JSON-RPC."""
    console.expect(r"status of 422")
    address = managed_balance_address(treasury, 2)
    read = lambda: rpc.program_account(address)
    before = read()
    assert before["enabled"] and "Ratio" in before["mode"], before["mode"]
    ratio = before["mode"]["Ratio"]
    automation = before["automation"]
    open_page(page, base_url + "/balances/2")
    settings = page.locator("#settings-form")
    enable = page.locator("#enable-form")
    wanted = {
        "cooldown_seconds": automation["cooldown_seconds"] + 45,
        "period_seconds": automation["period_seconds"],
        "period_cap": automation["period_cap"] + 1_234_500_000,
        "forecast_band_bps": 1250,
    }
    typed = [str(wanted["cooldown_seconds"]), tokens(wanted["period_cap"]), "12.5"]
    try:
        # The new settings typed, then automation turned off before saving them (no keeper
        # moves the venue while its mode is changed and put back).
        settings.get_by_label("Mode").select_option("THRESHOLD")
        settings.get_by_label("Cooldown (seconds)").fill(typed[0])
        settings.get_by_label("Cap per period").fill(typed[1])
        settings.get_by_label("Forecast band (%)").fill(typed[2])
        with page.expect_response(lambda response: response.url.split("?")[0].endswith("/disable")):
            enable.get_by_role("button", name="Disable").click()
        off = wait_for_chain(read, lambda managed: not managed["enabled"])
        assert (off["mode"], off["automation"]) == (before["mode"], automation)
        wait_until(page, "() => document.querySelector('#enable-state').textContent.startsWith('Automation is off')")
        # The page reads the balance again after the change; what the operator typed in
        # another form stays.
        holds(page, """typed => ['#settings-cooldown', '#settings-cap', '#settings-forecast-band']
            .map(id => document.querySelector(id).value).join('|') === typed.join('|')
            && document.querySelector('#settings-mode').value === 'THRESHOLD'""", typed)

        settings.get_by_role("button", name="Save automation").click()
        changed = wait_for_chain(read, lambda managed: managed["config_version"] != off["config_version"])
        assert (changed["mode"], changed["automation"], changed["enabled"]) == ("Threshold", wanted, False)
        # The saved form shows the chain's values again (threshold mode has no ratio).
        wait_until(page, "() => document.querySelector('#settings-ratio').value === ''")
        summary = page.locator("#summary")
        wait_until(page, "() => /Modethreshold/.test(document.querySelector('#summary').textContent)")
        assert "12.5%" in summary.text_content() and grouped(wanted["period_cap"]) in summary.text_content()

        # Refused: a forecast band above 100% and a cooldown past the 30-day limit, each
        # named next to its field; nothing reaches the chain.
        settings.get_by_label("Forecast band (%)").fill("150")
        settings.get_by_label("Cooldown (seconds)").fill("3000000")
        settings.get_by_role("button", name="Save automation").click()
        for field, words in [("#settings-forecast-band", "10000"), ("#settings-cooldown", "30-day")]:
            page.locator(f"{field}[aria-invalid=true]").wait_for()
            message = page.locator(field).evaluate("input => input.closest('.field').querySelector('.field-error').textContent")
            assert words in message, message
        assert read()["config_version"] == changed["config_version"], "a refused change must not reach the chain"

        # Back to the ratio the demo keeps, then on again.
        settings.get_by_label("Mode").select_option("RATIO")
        settings.get_by_label("Target ratio (%)").fill(f"{ratio['ratio_bps'] / 100:g}")
        settings.get_by_label("Drift band (%)").fill(f"{ratio['band_bps'] / 100:g}")
        settings.get_by_label("Cooldown (seconds)").fill(str(automation["cooldown_seconds"]))
        settings.get_by_label("Cap per period").fill(tokens(automation["period_cap"]))
        settings.get_by_label("Forecast band (%)").fill(f"{automation['forecast_band_bps'] / 100:g}")
        settings.get_by_role("button", name="Save automation").click()
        restored = wait_for_chain(read, lambda managed: managed["config_version"] != changed["config_version"])
        assert (restored["mode"], restored["automation"]) == (before["mode"], automation)
        enable.get_by_role("button", name="Enable").click()
        on = wait_for_chain(read, lambda managed: managed["enabled"])
        assert automation_of(on) == automation_of(before)
        wait_until(page, "() => document.querySelector('#enable-state').textContent.startsWith('Automation is on')")
    finally:
        current = read()
        if (current["mode"], current["automation"]) != (before["mode"], automation):
            api.call("PATCH", "/managed-balance/2/settings?changeMode=sign", {
                "mode": {"type": "RATIO", "ratioBps": ratio["ratio_bps"], "bandBps": ratio["band_bps"]},
                "cooldownSeconds": automation["cooldown_seconds"], "periodSeconds": automation["period_seconds"],
                "periodCap": tokens(automation["period_cap"]), "forecastBandBps": automation["forecast_band_bps"]})
        if not read()["enabled"]:
            api.call("POST", "/managed-balance/2/enable?changeMode=sign")
