"""Every page loads with no console error, shows the demo treasury in token units and
names, is usable from the keyboard with every field labelled, and fits a phone."""

import pytest

from chain import managed_balance_address
from conftest import DESKTOP, PHONE, open_page, wait_until
from units import grouped

PAGES = ["/", "/balances/1", "/balances/2", "/balances/1/monitor", "/balances/1/forecast", "/balances/2/monitor",
         "/balances/2/forecast", "/webhooks"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_without_console_errors(page, base_url, path):
    open_page(page, base_url + path)
    assert page.locator("h1").first.is_visible()
    assert "Not updated" not in page.locator("#live").text_content()


def test_overview_shows_every_managed_balance_in_token_units(page, base_url, screenshots, rpc, treasury):
    open_page(page, base_url + "/")
    rows = page.locator("#balances-table tbody tr")
    assert rows.count() == 2
    hot = rows.filter(has_text="hot wallet USDC")
    venue = rows.filter(has_text="venue USDC")
    assert hot.count() == 1 and venue.count() == 1
    # Thresholds in token units with grouping (as the chain has them now), not base units alone.
    for row, balance_id in [(hot, 1), (venue, 2)]:
        managed = rpc.program_account(managed_balance_address(treasury, balance_id))
        thresholds = " / ".join(grouped(managed[name]) for name in ["min", "target", "max"])
        assert thresholds in row.text_content(), thresholds
    assert "ratio 40% ± 5%" in venue.text_content()
    assert "reserve vault" in hot.text_content(), "sources are named by their pools"
    # A predicted top-up is shown as what it would move (min back to target), never as the
    # forecast's whole-horizon need, which can exceed max.
    managed = rpc.program_account(managed_balance_address(treasury, 1))
    next_top_up = hot.locator("td").last.text_content()
    assert "needed" not in next_top_up, next_top_up
    assert "top-up of" not in next_top_up or f"top-up of {grouped(managed['target'] - managed['min'])}" in next_top_up
    assert page.locator("#treasury-state").text_content() == "Treasury active"
    page.screenshot(path=str(screenshots / "overview.png"), full_page=True)


def test_a_balance_page_is_reached_from_the_keyboard(page, base_url):
    open_page(page, base_url + "/")
    target = page.locator("#balances-table a", has_text="hot wallet USDC")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.textContent") == "hot wallet USDC":
            break
    else:
        pytest.fail("Tab never reached the link to the hot wallet's page")
    assert target.evaluate("link => link === document.activeElement")
    page.keyboard.press("Enter")
    page.wait_for_url("**/balances/1")
    wait_until(page, "() => document.querySelector('#live')?.textContent.startsWith('Live')")
    assert page.locator("#balance-name").text_content() == "hot wallet USDC"


@pytest.mark.parametrize("path", PAGES)
def test_every_control_is_labelled(page, base_url, path):
    open_page(page, base_url + path)
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter(control => control.type !== 'hidden' && control.offsetParent !== null)
            .filter(control => !(control.labels?.length || control.getAttribute('aria-label')
                                 || (control.tagName === 'BUTTON' && control.textContent.trim())))
            .map(control => control.outerHTML.slice(0, 80))"""
    )
    assert unlabelled == []


@pytest.mark.parametrize("path", PAGES)
def test_pages_fit_a_phone_and_a_laptop(page, base_url, screenshots, path):
    for name, viewport in [("laptop", DESKTOP), ("phone", PHONE)]:
        page.set_viewport_size(viewport)
        open_page(page, base_url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a {name} screen"
    if path == "/balances/1":
        page.screenshot(path=str(screenshots / "balance-phone.png"), full_page=True)
    if path == "/balances/2/forecast":
        page.set_viewport_size(DESKTOP)
        open_page(page, base_url + path)
        page.screenshot(path=str(screenshots / "forecast-venue.png"), full_page=True)
