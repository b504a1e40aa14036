"""README's operator API seed flow, run as written against README's demo (scripts/readme-check
starts `local-cluster --keeper --workload` on free ports and sets API_URL, RPC_URL and
TREASURY): the sh block after "The seed flow against the demo" runs in bash with `API`
pointed at the demo's port and curl wrapped to keep each request's status and answer.
Each step's status is checked, then what each change did is read back from the chain
over JSON-RPC, decoded with the program's IDL."""

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chain import Rpc, after_guard, decode_squads, linked_sources, managed_balance_address, pool_address

ROOT = Path(__file__).resolve().parents[2]
README_API = "API=http://127.0.0.1:8080/api/v1"
UNIT = 10**6

# Every request of the flow in order: method, path under the API, expected status.
EXPECTED = [
    ("GET", "/managed-balance/1", 200),
    ("GET", "/managed-balance/1", 200),
    ("GET", "/managed-balance", 200),
    ("POST", "/managed-balance", 200),
    ("PUT", "/managed-balance/3/funding-source", 200),
    ("POST", "/balance-adjustment", 200),
    ("PATCH", "/managed-balance/3/thresholds?changeMode=export", 202),
    ("GET", "/managed-balance/3/activity-log?size=20", 200),
    ("GET", "/managed-balance/1/predictions", 200),
    ("POST", "/hook/destination", 201),
]

# Keeps each call's answer in $STEPS/NN.body and its status, method and URL in
# $STEPS/NN.meta, and prints the answer as curl would.
CURL_RECORDER = r"""
curl() {
    local n
    n=$(printf '%02d' "$(find "$STEPS" -name '*.meta' | wc -l)")
    command curl --silent --show-error -o "$STEPS/$n.body" \
        -w '%{http_code} %{method} %{url_effective}\n' "$@" >"$STEPS/$n.meta"
    cat "$STEPS/$n.body"
}
"""


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise pytest.UsageError(f"{name} is not set: run this through scripts/readme-check")
    return value


def seed_flow_block() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("The seed flow against the demo")
    block = re.compile(r"```sh\n(.*?)```", re.S).search(readme, start)
    assert block, "README's seed flow has an sh block"
    return block.group(1)


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def wait_for(what: str, check, timeout_s: float = 120):
    started = time.monotonic()
    while True:
        try:
            value = check()
        except (urllib.error.URLError, OSError, ValueError):
            value = None
        if value:
            return value
        assert time.monotonic() - started < timeout_s, f"timed out waiting for {what}"
        time.sleep(0.5)


def run_flow(api: str, steps: Path) -> list[tuple[int, str, str, object]]:
    """Runs README's block; (status, method, path, answer) of each request in order."""
    block = seed_flow_block()
    lines = block.splitlines()
    assert lines[0] == README_API, f"the block starts by naming the demo's API: {lines[0]!r}"
    script = "set -eo pipefail\n" + CURL_RECORDER + f"API={api}\n" + "\n".join(lines[1:]) + "\n"
    steps.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(["bash", "-c", script], env={**os.environ, "STEPS": str(steps)},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"README's flow failed ({run.returncode}):\n{run.stdout}\n{run.stderr}"
    recorded = []
    for meta in sorted(steps.glob("*.meta")):
        status, method, url = meta.read_text().split(maxsplit=2)
        body = meta.with_suffix(".body").read_text()
        assert url.strip().startswith(api), url
        recorded.append((int(status), method, url.strip()[len(api):], json.loads(body) if body else None))
    return recorded


def token_change(rpc: Rpc, signature: str, account: str) -> int:
    """How much `account` gained in the transaction, from its token balances."""
    transaction = rpc.transaction(signature)
    keys = transaction["transaction"]["message"]["accountKeys"]
    meta = transaction["meta"]

    def amount(balances):
        return sum(int(b["uiTokenAmount"]["amount"]) for b in balances if keys[b["accountIndex"]] == account)

    return amount(meta["postTokenBalances"]) - amount(meta["preTokenBalances"])


def test_readme_seed_flow_runs_on_the_demo(tmp_path):
    api, rpc, treasury = env("API_URL").rstrip("/"), Rpc(env("RPC_URL")), env("TREASURY")
    # As a newcomer would: once the demo's keeper has read the hot wallet and forecast it.
    wait_for("the keeper's first forecast", lambda: get_json(f"{api}/managed-balance/1").get("forecast"))

    recorded = run_flow(api, tmp_path / "steps")
    answered = [(method, path, status) for status, method, path, _ in recorded]
    problems = [f"{method} {path}: {status} {answer.get('detail', '')}" for status, method, path, answer in recorded
                if isinstance(answer, dict) and status >= 400]
    assert answered == EXPECTED, problems
    answers = [answer for _, _, _, answer in recorded]
    hot, _, balances, created, linked, adjusted, exported, activity, predictions, hook = answers
    mint, reserve = hot["mint"], hot["fundingSources"][0]["sourceId"]
    assert [item["id"] for item in balances["items"]] == [1, 2], "the demo's two balances before the flow"

    # The managed balance, on pool 3's vault, with the README's thresholds.
    assert created["status"] == "APPLIED" and created["signature"], created
    address = managed_balance_address(treasury, 3)
    managed = rpc.program_account(address)
    assert (managed["min"], managed["target"], managed["max"]) == (1_000 * UNIT, 2_500 * UNIT, 4_000 * UNIT)
    assert managed["mint"] == mint and managed["destination_pool"] == pool_address(treasury, 3)
    destination = managed["destination"]
    parsed = rpc.call("getAccountInfo", [destination, {"encoding": "jsonParsed", "commitment": "confirmed"}])
    info = parsed["value"]["data"]["parsed"]["info"]
    assert (info["owner"], info["mint"]) == (pool_address(treasury, 3), mint), "pool 3's vault of the mint"

    # The reserve linked as its source, floor 50,000.
    assert linked["status"] == "APPLIED", linked
    sources = linked_sources(rpc.program_account(address))
    assert [(s["token_account"], s["priority"], s["reserve_floor"]) for s in sources] == [(reserve, 1, 50_000 * UNIT)]

    # The adjustment moved 500 into it, drawn from the reserve.
    assert adjusted["status"] == "APPLIED", adjusted
    names = [name for name, _, _ in rpc.program_instructions(adjusted["signature"])]
    assert "adjust_balance" in names, names
    assert token_change(rpc, adjusted["signature"], destination) == 500 * UNIT
    assert token_change(rpc, adjusted["signature"], reserve) == -500 * UNIT

    # The exported change: unsigned, min 1,500 behind a config-version guard; nothing moved.
    assert exported["status"] == "EXPORTED", exported
    [(name, args, _)] = after_guard(decode_squads(exported["export"]["squadsTransaction"]))
    assert (name, args["min"], args["target"], args["max"]) == ("update_thresholds", 1_500 * UNIT, 2_500 * UNIT, 4_000 * UNIT)
    assert rpc.program_account(address)["min"] == 1_000 * UNIT, "an exported change is not applied"

    assert activity["items"] and all("kind" in item for item in activity["items"]), activity
    assert predictions["path"] and "nextTopUp" in predictions, predictions
    assert hook["secret"].startswith("whsec_") and hook["url"] == "https://ops.example.com/hooks/treasury", hook
    assert any(item["id"] == hook["id"] for item in get_json(f"{api}/hook/destination")), "the destination is listed"

    # With its source linked, the keeper tops the new balance up by itself: at least
    # target (the adjustment may come before or after), never above max.
    topped_up = wait_for("the keeper's top-up of balance 3", lambda: [
        entry for entry in get_json(f"{api}/managed-balance/3/activity-log?size=100")["items"]
        if entry["kind"] == "TOP_UP" and entry.get("actionType") == "AUTOMATIC"])
    assert topped_up[0]["sources"][0]["sourceId"] == reserve, topped_up[0]
    balance = rpc.token_amount(destination)
    assert 2_500 * UNIT <= balance <= 4_000 * UNIT, balance
