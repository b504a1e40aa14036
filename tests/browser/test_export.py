"""Export mode: a change becomes an unsigned transaction shown in the forms DAO tools
import (Squads: base58 transaction; Realms: base64 InstructionData), each with a copy
button, decoding to the right instruction; nothing reaches the chain."""

import pytest

from chain import GUARDS, IDL, after_guard, decode_realms, decode_squads, managed_balance_address
from conftest import open_page
from units import UNIT


@pytest.fixture
def export_mode(page, base_url):
    yield
    # The choice is kept in the browser: put it back for the other tests.
    page.evaluate("localStorage.removeItem('smart-treasury.change-mode')")


def choose_export(page):
    page.get_by_label("Changes").select_option("export")


def test_an_exported_threshold_change_decodes_to_update_thresholds(page, base_url, rpc, treasury, browser, export_mode, screenshots):
    address = managed_balance_address(treasury, 1)
    before = rpc.program_account(address)
    open_page(page, base_url + "/balances/1")
    choose_export(page)
    form = page.locator("#thresholds-form")
    form.get_by_label("Min", exact=True).fill("1800")
    form.get_by_label("Target", exact=True).fill("4200.25")
    form.get_by_label("Max", exact=True).fill("7777")
    form.get_by_role("button", name="Save thresholds").click()
    dialog = page.locator("#export-dialog")
    dialog.wait_for()
    squads = page.locator("#export-squads").input_value()
    realms = [page.locator(f"#export-realms-{i}").input_value() for i in range(2)]
    page.screenshot(path=str(screenshots / "export.png"))

    [(name, args, accounts)] = after_guard(decode_squads(squads))
    assert name == "update_thresholds"
    assert args == {"min": 1_800 * UNIT, "target": 4_200_250_000, "max": 7_777 * UNIT}
    assert address in accounts
    # Realms takes one InstructionData per instruction: the guard, then the change.
    assert decode_realms(realms[0])[1] in GUARDS
    program_id, realms_name, realms_args, metas = decode_realms(realms[1])
    assert (program_id, realms_name, realms_args) == (str(IDL.program_id), name, args)
    assert [meta["pubkey"] for meta in metas] == accounts
    assert any(meta["isSigner"] for meta in metas), "the authority still has to sign"

    # Copy puts the exact text on the clipboard.
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    dialog.get_by_role("button", name="Copy").first.click()
    assert page.evaluate("navigator.clipboard.readText()") == squads

    page.keyboard.press("Escape")
    after = rpc.program_account(address)
    assert after["config_version"] == before["config_version"], "an export changes nothing on chain"


def test_an_exported_pause_decodes_to_pause(page, base_url, treasury, export_mode):
    open_page(page, base_url + "/")
    choose_export(page)
    page.get_by_role("button", name="Pause").click()
    page.locator("#export-dialog").wait_for()
    [(name, _, accounts)] = after_guard(decode_squads(page.locator("#export-squads").input_value()))
    assert name == "pause" and treasury in accounts
    page.keyboard.press("Escape")
    assert page.locator("#treasury-state").text_content() == "Treasury active"
