"""The monitoring terminal's operation log: for a top-up made from the page (manual) and
one the keeper made on its own (automatic or forecast), the row shows the action type,
the network fee the transaction paid, and the balances of both sides after it, as the
activity-log API records them and as the chain has them in that transaction."""

import time

from chain import managed_balance_address
from conftest import assert_operation_log_fits, open_page, top_up_from_the_page, wait_until
from units import LAMPORTS_PER_SOL, grouped

COLUMNS = ["time", "action", "what", "amount", "fee", "after", "other side", "transaction"]


def wait_for_entry(api, signature: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while (entry := api.activity_entry(1, signature)) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"the activity log never recorded {signature}")
        time.sleep(0.2)
    return entry


def row_cells(page, signature: str) -> dict:
    """The operation log's row for a transaction, column by column as the page shows it
    (innerText: one line per source on the other side)."""
    cells = wait_until(page, """signature => {
        const row = [...document.querySelectorAll('#oplog-table tbody tr')]
            .find(row => row.querySelector(`[title="${signature}"]`));
        return row && [...row.querySelectorAll('td')].map(cell => cell.innerText.trim());
    }""", signature, timeout=10)
    return dict(zip(COLUMNS, cells))


def check_row(page, api, rpc, treasury, signature: str, action_types: set[str]) -> dict:
    entry = wait_for_entry(api, signature)
    assert entry["actionType"] in action_types, entry
    cells = row_cells(page, signature)
    assert cells["action"] == entry["actionType"].lower()
    # The fee the transaction paid, as the chain has it.
    fee = rpc.transaction(signature)["meta"]["fee"]
    assert entry["feeLamports"] == fee
    assert cells["fee"].split("\n") == [f"{grouped(fee, LAMPORTS_PER_SOL)} SOL", f"{fee:,} lamports"]
    # This balance after: the hot wallet's vault in that transaction, token and base units.
    destination = rpc.program_account(managed_balance_address(treasury, 1))["destination"]
    after = rpc.token_balance_after(signature, destination)
    assert int(entry["balanceAfter"]["baseUnits"]) == after
    assert cells["after"].split("\n") == [grouped(after), f"{after:,} base units"]
    # The other side after: each source that gave, named, with its balance in that transaction.
    assert entry["sources"], f"a top-up names the sources it drew from: {entry}"
    lines = cells["other side"].split("\n")
    assert len(lines) == len(entry["sources"]), (lines, entry["sources"])
    names = source_names(api)
    for line, leg in zip(lines, entry["sources"]):
        leg_after = rpc.token_balance_after(signature, leg["sourceId"])
        assert int(leg["balanceAfter"]["baseUnits"]) == leg_after
        assert line == f"{names[leg['sourceId']]}: {grouped(leg_after)}", (line, leg_after)
    assert_operation_log_fits(page)
    return cells


def source_names(api) -> dict[str, str]:
    """The hot wallet's sources as the dashboard names them: a pool's vault by its pool,
    a venue by its short address and the pool it delegates to."""
    pools = {pool["address"]: pool["name"] for pool in api.get("/treasury")["pools"]}
    names = {}
    for source in api.get("/managed-balance/1")["fundingSources"]:
        address, pool = source["sourceId"], pools.get(source.get("pool"))
        if source["sourceType"] == "ASSET_POOL":
            names[address] = f"{pool} vault"
        else:
            names[address] = f"venue {address[:4]}…{address[-4:]}" + (f" (delegates to {pool})" if pool else "")
    return names


def test_a_manual_top_up_shows_in_the_operation_log_with_fee_and_both_sides(page, base_url, rpc, treasury, api):
    result = top_up_from_the_page(page, base_url, "0.75")
    open_page(page, base_url + "/balances/1/monitor")
    cells = check_row(page, api, rpc, treasury, result["signature"], {"MANUAL"})
    assert cells["amount"].split("\n")[0] == "0.75"


def test_a_keeper_top_up_shows_in_the_operation_log_with_fee_and_both_sides(page, base_url, rpc, treasury, api):
    """The keeper tops the hot wallet up as the workload drains it: the next one it lands."""
    open_page(page, base_url + "/balances/1/monitor")
    seen = {entry.get("signature") for entry in api.get("/managed-balance/1/activity-log?page=1&size=200")["items"]}
    deadline = time.monotonic() + 150
    while True:
        log = api.get("/managed-balance/1/activity-log?page=1&size=50")["items"]
        fresh = [entry for entry in log if entry["kind"] == "TOP_UP" and entry["signature"] not in seen]
        if fresh:
            break
        assert time.monotonic() < deadline, "the keeper landed no top-up in 150 s"
        time.sleep(0.5)
    check_row(page, api, rpc, treasury, fresh[0]["signature"], {"AUTOMATIC", "FORECAST"})
