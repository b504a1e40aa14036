"""The hot wallet's balance chart on README's demo, in Debian's Chromium. The demo's
keeper starts from two weeks of recorded payouts without their top-ups, so the recorded
balance climbs far above max going back; the default view still keeps min / target /
max and the forecast readable: the value axis is sized to them, and the older, higher
balance is cut off at the top and named under the chart."""

import importlib.util
import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

# The browser tests' settings and page helpers (their conftest, loaded under its own name).
_spec = importlib.util.spec_from_file_location(
    "browser_conftest", Path(__file__).resolve().parents[1] / "browser" / "conftest.py")
browser = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(browser)


@pytest.fixture
def page():
    url = os.environ.get("API_URL")
    if not url:
        raise pytest.UsageError("API_URL is not set: run this through scripts/readme-check")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="readme-chromium-"), executable_path=browser.CHROMIUM, headless=True,
            args=browser.CHROMIUM_FLAGS, viewport=browser.DESKTOP, locale="en-GB", timezone_id="UTC")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.dashboard_url = url.removesuffix("/api/v1")
        yield page
        context.close()


def test_the_default_view_keeps_the_thresholds_and_forecast_readable(page):
    browser.open_page(page, page.dashboard_url + "/balances/1")
    browser.wait_until(page, "() => (document.querySelector('#balance-chart').data || [])"
                             ".some(trace => trace.name === 'Forecast')", timeout=60)
    chart = page.evaluate("""() => {
        const chart = document.querySelector('#balance-chart');
        const trace = (name) => chart.data.find((item) => item.name === name);
        return { top: chart._fullLayout.yaxis.range[1], peak: Math.max(...trace('Balance').y),
                 max: trace('Max').y[0], min: trace('Min').y[0], forecast: Math.max(...trace('Forecast').y) };
    }""")
    assert chart["peak"] > 3 * chart["max"], f"the window holds the recorded history far above max: {chart}"
    # Max stands in the upper two thirds of the axis, min clear of the bottom.
    assert chart["max"] <= chart["top"] <= 3 * chart["max"], chart
    assert chart["min"] >= chart["top"] / 10 and chart["forecast"] <= chart["top"], chart
    note = page.locator("#chart-note").text_content()
    assert "Earlier the balance was up to" in note and "double-click" in note, note
