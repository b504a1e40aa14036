"""The predictions page: the recommended thresholds, sized from the recorded outflow,
are proposed with one click and land on chain (read back over JSON-RPC)."""

import re
from decimal import Decimal

from chain import managed_balance_address
from conftest import open_page, wait_for_chain, wait_until

NAMES = ["min", "target", "max"]


def column(page, index: int) -> tuple[int, ...] | None:
    """Min, target and max as one column of the recommendation table shows them (1:
    current, 2: recommended), in base units; None while the table has no numbers."""
    texts = page.evaluate(
        """index => [...document.querySelectorAll('#recommendation-table tbody tr')].slice(0, 3)
            .map(row => row.querySelectorAll('td')[index - 1]?.querySelector('.base-units')?.textContent ?? null)""",
        index,
    )
    if len(texts) != 3 or None in texts:
        return None
    return tuple(int(re.sub(r"[^\d]", "", text)) for text in texts)


def test_one_click_proposes_the_recommended_thresholds(page, base_url, rpc, treasury, api, keeper_paused):
    """With the keeper stopped: the demo's compressed days make the recommendation far
    larger than the demo's thresholds, and a keeper acting on it before they are put
    back would spend the period's cap the later tests rely on."""
    address = managed_balance_address(treasury, 1)
    before = rpc.program_account(address)
    current = tuple(before[name] for name in NAMES)
    open_page(page, base_url + "/balances/1/forecast")
    # The workload's payouts give the keeper outflow to size from.
    wait_until(page, "() => !document.querySelector('#propose-button').disabled", timeout=120)
    try:
        shown_before = column(page, 2)
        with page.expect_request(lambda request: request.method == "PATCH" and "/thresholds" in request.url) as sent:
            page.get_by_role("button", name="Propose the recommended thresholds").click()
        # The table refreshes every time the balance moves: what was sent is what it showed
        # just before or just after the click.
        shown_after = column(page, 2)
        body = sent.value.post_data_json
        proposed = tuple(int(Decimal(body[name]) * 1_000_000) for name in NAMES)
        assert proposed in (shown_before, shown_after), (proposed, shown_before, shown_after)
        assert proposed != current, "the recommendation equals the current thresholds: nothing to propose"

        after = wait_for_chain(lambda: rpc.program_account(address),
                               lambda managed: managed["config_version"] != before["config_version"])
        assert tuple(after[name] for name in NAMES) == proposed
        wait_until(page, "() => /transaction/.test(document.querySelector('#notice').textContent)")
        # The table's current column follows the chain.
        wait_until(page, """proposed => {
            const cells = [...document.querySelectorAll('#recommendation-table tbody tr')].slice(0, 3)
                .map(row => row.querySelectorAll('td')[0]?.querySelector('.base-units')?.textContent.replace(/[^0-9]/g, ''));
            return cells.join('/') === proposed;
        }""", "/".join(str(value) for value in proposed))
    finally:
        api.set_thresholds(1, *current)
