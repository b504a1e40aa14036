"""The operator's token through the page, in a browser that holds none: the dashboard
asks for it, refuses one the server does not know with a message saying so, shows the
data with a read-only token but refuses a change with it (nothing reaches the chain),
and changes the chain once the write token is entered."""

from chain import managed_balance_address
from conftest import env, wait_for_chain, wait_until
from operator_api import tokens
from units import UNIT, grouped


def enter_token(page, token: str) -> None:
    """Types `token` into the open token dialog and uses it; the page loads again."""
    dialog = page.locator("#token-dialog")
    dialog.get_by_label("Token", exact=True).fill(token)
    with page.expect_navigation():
        dialog.get_by_role("button", name="Use token").click()


def dialog_says(page, text: str) -> str:
    """Waits until the token dialog is open with a message containing `text`."""
    return wait_until(page, """text => {
        const dialog = document.querySelector('#token-dialog');
        const message = document.querySelector('#token-input-error');
        return dialog.open && !message.hidden && message.textContent.includes(text) && message.textContent;
    }""", text)


def test_the_dashboard_asks_for_a_token_and_a_read_token_cannot_change_anything(tokenless, base_url, rpc, treasury, api):
    console, page = tokenless
    # The refused requests the browser logs: without a token, with a wrong one, a write
    # with the read-only one.
    console.expect(r"status of 401")
    console.expect(r"status of 403")
    address = managed_balance_address(treasury, 1)
    before = rpc.program_account(address)

    page.goto(base_url + "/balances/1")
    dialog_says(page, "needs an operator token")
    assert page.evaluate("document.activeElement.id") == "token-input", "the dialog has the keyboard"
    wait_until(page, "() => document.querySelector('#live').textContent.startsWith('Not updated')")
    assert page.locator("#summary").text_content() == "Loading…", "nothing is shown without a token"

    enter_token(page, "st_" + "1" * 44)
    dialog_says(page, "does not accept this token")
    wait_until(page, "() => document.querySelector('#live').textContent.includes('not one the server knows')")
    assert page.locator("#summary").text_content() == "Loading…"

    # Read-only: the data shows, as the chain has it.
    enter_token(page, env("API_READ_TOKEN"))
    wait_until(page, "() => document.querySelector('#live').textContent.startsWith('Live')")
    assert not page.evaluate("document.querySelector('#token-dialog').open")
    thresholds = " / ".join(grouped(before[name]) for name in ["min", "target", "max"])
    wait_until(page, "text => document.querySelector('#summary').textContent.includes(text)", thresholds)

    # ...but a change is refused, next to the form, and the dialog asks for a write token.
    wanted_min = before["min"] + 25 * UNIT
    form = page.locator("#thresholds-form")
    form.get_by_label("Min", exact=True).fill(tokens(wanted_min))
    with page.expect_response(lambda response: "/thresholds" in response.url) as answer:
        form.get_by_role("button", name="Save thresholds").click()
    assert answer.value.status == 403
    refusal = form.locator(".form-error")
    refusal.wait_for()
    assert "may only read" in refusal.text_content() and "write token" in refusal.text_content()
    dialog_says(page, "write scope")
    after = rpc.program_account(address)
    assert (after["config_version"], after["min"]) == (before["config_version"], before["min"]), \
        "a change refused for its token must not reach the chain"

    # The write token: the same change lands.
    try:
        enter_token(page, env("API_TOKEN"))
        wait_until(page, "() => document.querySelector('#live').textContent.startsWith('Live')")
        form.get_by_label("Min", exact=True).fill(tokens(wanted_min))
        with page.expect_response(lambda response: "/thresholds" in response.url) as answer:
            form.get_by_role("button", name="Save thresholds").click()
        assert answer.value.status == 200, answer.value.text()
        changed = wait_for_chain(lambda: rpc.program_account(address), lambda managed: managed["min"] != before["min"])
        assert changed["min"] == wanted_min and changed["config_version"] > before["config_version"]
        assert (changed["target"], changed["max"]) == (before["target"], before["max"])
    finally:
        api.set_thresholds(1, before["min"], before["target"], before["max"])
