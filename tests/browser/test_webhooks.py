"""Webhooks through the page: add a destination (its secret shown once), see its
deliveries arrive, rotate and delete; a failing receiver's delivery becomes a dead
letter that Replay delivers once the receiver is back, signed as Standard Webhooks
says; refused input shown next to its field."""

import time

from standardwebhooks import Webhook

from conftest import open_page, wait_until


def add_destination(page, base_url: str, url: str, events: str):
    """Adds a destination through the page: its secret's field (shown once) and its row."""
    open_page(page, base_url + "/webhooks")
    page.get_by_label("URL").fill(url)
    page.get_by_label("Events").fill(events)
    page.get_by_role("button", name="Add destination").click()
    secret = page.locator("#secret-value")
    secret.wait_for()
    assert secret.input_value().startswith("whsec_")
    row = page.locator("#destinations-table tbody tr", has_text=url)
    row.wait_for()
    return secret, row


def test_a_destination_added_through_the_page_gets_deliveries(page, base_url, receiver, screenshots, api):
    secret, row = add_destination(page, base_url, receiver.url, "balance.*, treasury.*")
    # The workload and the keeper keep the hot wallet moving: deliveries follow.
    page.locator("#deliveries-table tbody tr", has_text=receiver.url).first.wait_for(timeout=120_000)
    page.screenshot(path=str(screenshots / "webhooks.png"), full_page=True)
    # Read before the click: the rotation can land before the click returns.
    first_secret = secret.input_value()
    row.get_by_role("button", name="Rotate secret").click()
    wait_until(page, "value => document.querySelector('#secret-value').value !== value", first_secret)
    assert secret.input_value().startswith("whsec_")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=f"Delete the destination {receiver.url}").click()
    row.wait_for(state="detached")
    assert receiver.url not in [destination["url"] for destination in api.get("/hook/destination")]


def header(request, name: str) -> str | None:
    headers, _, _ = request
    return next((value for key, value in headers.items() if key.lower() == name), None)


def wait_for(condition, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.05)
    return value


def test_a_dead_letter_is_replayed_from_the_page_once_the_receiver_recovers(page, base_url, receiver, api):
    """The receiver answers 503 to every attempt (the suite's schedule: 0, 1 and 2 s),
    then recovers; Replay on the dead letter delivers the same message, signed."""
    receiver.status = 503
    secret, row = add_destination(page, base_url, receiver.url, "balance.adjusted")
    signing_secret = secret.input_value()
    destination_id = row.locator("[data-rotate]").get_attribute("data-rotate")

    # An event for it: a manual top-up of the hot wallet.
    adjusted = api.top_up(1, "0.25")
    assert adjusted["status"] == "APPLIED", adjusted
    dead = page.locator("#dead-table tbody tr", has_text=receiver.url)
    dead.wait_for(timeout=30_000)
    assert "HTTP 503" in dead.text_content()
    message_id = dead.locator("td").nth(1).locator(".base-units").text_content()
    [delivery] = [item for item in api.get(f"/hook/delivery?destination={destination_id}")["items"]
                  if item["messageId"] == message_id]
    assert (delivery["status"], delivery["attempts"], delivery["type"]) == ("FAILED", 3, "balance.adjusted")
    refused = [request for request in receiver.requests if header(request, "webhook-id") == message_id]
    assert [status for _, _, status in refused] == [503, 503, 503], "three attempts, each refused"

    receiver.status = 204
    dead.get_by_role("button", name="Replay").click()
    # The receiver gets the same message, signed with the destination's secret.
    headers, body, _ = wait_for(lambda: next((request for request in receiver.requests
                                              if header(request, "webhook-id") == message_id and request[2] == 204), None))
    payload = Webhook(signing_secret).verify(body, headers)
    assert payload["id"] == message_id and payload["type"] == "balance.adjusted"
    assert payload["data"]["signature"] == adjusted["signature"]
    # The page: delivered, and no longer a dead letter.
    wait_until(page, """id => [...document.querySelectorAll('#deliveries-table tbody tr')].some(row =>
        row.textContent.includes(id) && row.querySelector('.badge')?.textContent === 'delivered')""", message_id)
    dead.wait_for(state="detached")
    assert api.get(f"/hook/delivery/{delivery['id']}")["status"] == "DELIVERED"


def test_a_refused_destination_is_shown_next_to_its_field(console, page, base_url):
    console.expect(r"status of 422")
    open_page(page, base_url + "/webhooks")
    page.get_by_label("URL").fill("ftp://example.invalid/hook")
    page.get_by_role("button", name="Add destination").click()
    page.locator("#destination-url[aria-invalid=true]").wait_for()
    assert page.locator("#destination-url").evaluate("input => input.closest('.field').querySelector('.field-error').textContent")
