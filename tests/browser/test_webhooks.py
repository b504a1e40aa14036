"""Webhooks through the page: add a destination (its secret shown once), see its
deliveries arrive, rotate and delete; refused input shown next to its field."""

from conftest import open_page, wait_until


def test_a_destination_added_through_the_page_gets_deliveries(page, base_url, receiver, screenshots):
    open_page(page, base_url + "/webhooks")
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Events").fill("balance.*, treasury.*")
    page.get_by_role("button", name="Add destination").click()
    secret = page.locator("#secret-value")
    secret.wait_for()
    assert secret.input_value().startswith("whsec_")
    row = page.locator("#destinations-table tbody tr", has_text=receiver.url)
    row.wait_for()
    # The workload and the keeper keep the hot wallet moving: deliveries follow.
    page.locator("#deliveries-table tbody tr", has_text=receiver.url).first.wait_for(timeout=120_000)
    page.screenshot(path=str(screenshots / "webhooks.png"), full_page=True)
    # Read before the click: the rotation can land before the click returns.
    first_secret = secret.input_value()
    row.get_by_role("button", name="Rotate secret").click()
    wait_until(page, "value => document.querySelector('#secret-value').value !== value", first_secret)
    assert secret.input_value().startswith("whsec_")


def test_a_refused_destination_is_shown_next_to_its_field(console, page, base_url):
    console.expect(r"status of 422")
    open_page(page, base_url + "/webhooks")
    page.get_by_label("URL").fill("ftp://example.invalid/hook")
    page.get_by_role("button", name="Add destination").click()
    page.locator("#destination-url[aria-invalid=true]").wait_for()
    assert page.locator("#destination-url").evaluate("input => input.closest('.field').querySelector('.field-error').textContent")
