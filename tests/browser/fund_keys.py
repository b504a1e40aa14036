"""Makes keypair files (Solana CLI JSON) and funds each with an airdrop from the local
cluster: the keys the browser suite's server and keeper crank with.

Usage: fund_keys.py RPC_URL DIR NAME..."""

import json
import sys
import time
from pathlib import Path

from solders.keypair import Keypair

from chain import Rpc

SOL = 1_000_000_000


def main(url: str, directory: str, names: list[str]) -> None:
    rpc = Rpc(url)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    pending = []
    for name in names:
        keypair = Keypair()
        path = folder / f"{name}.json"
        path.write_text(json.dumps(list(bytes(keypair))))
        path.chmod(0o600)
        pending.append((name, rpc.call("requestAirdrop", [str(keypair.pubkey()), 10 * SOL])))
    deadline = time.monotonic() + 30
    for name, signature in pending:
        while True:
            [status] = rpc.call("getSignatureStatuses", [[signature]])["value"]
            if status and status.get("confirmationStatus") in ("confirmed", "finalized"):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"the airdrop to {name} did not confirm within 30 s")
            time.sleep(0.1)
        print(f"{name}: {folder / (name + '.json')}")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
