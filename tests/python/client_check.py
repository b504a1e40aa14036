"""An independent client against the local cluster: solana-py (sync API) with solders reads
accounts, requests an airdrop and sends a SOL transfer in a version-0 transaction, then reads
the transaction back, then calls what explorers and the Solana CLI call
(explorer_methods.py). Exits non-zero on the first thing that does not match.

Usage: client_check.py RPC_URL
"""

import sys
import warnings

from solana.rpc.api import Client
from solana.rpc.commitment import Confirmed, Finalized
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

import explorer_methods
from checks import check

SMART_TREASURY = Pubkey.from_string("HLXACGiPB9Px2XdETqEYgwCLqB3DtuMA9WMDsTDpbTnH")
SPL_TOKEN = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
SOL = 1_000_000_000


def main(url: str) -> None:
    # The sync Client is deprecated upstream in favour of AsyncClient; it is the point here.
    warnings.simplefilter("ignore", FutureWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    client = Client(url, commitment=Confirmed)
    check(client.is_connected(), "getHealth answers ok")
    version = client.get_version().value
    check(version.solana_core == "3.1.12", f"getVersion reports solana-core {version.solana_core}")
    check(client.get_slot().value > 0, "getSlot is past genesis")

    accounts = client.get_multiple_accounts([SMART_TREASURY, SPL_TOKEN]).value
    check(all(account is not None and account.executable for account in accounts),
          "getMultipleAccounts finds Smart Treasury and SPL Token, both executable")

    alice, bob = Keypair(), Keypair()
    airdrop = client.request_airdrop(alice.pubkey(), 2 * SOL).value
    client.confirm_transaction(airdrop, Confirmed, sleep_seconds=0.1)
    check(client.get_balance(alice.pubkey()).value == 2 * SOL, "requestAirdrop funded a new key with 2 SOL")

    latest = client.get_latest_blockhash().value
    message = MessageV0.try_compile(
        payer=alice.pubkey(),
        instructions=[transfer(TransferParams(from_pubkey=alice.pubkey(), to_pubkey=bob.pubkey(), lamports=SOL))],
        address_lookup_table_accounts=[],
        recent_blockhash=latest.blockhash,
    )
    signature = client.send_transaction(VersionedTransaction(message, [alice])).value
    client.confirm_transaction(signature, Finalized, sleep_seconds=0.1,
                               last_valid_block_height=latest.last_valid_block_height)
    check(client.get_balance(bob.pubkey()).value == SOL, "sendTransaction moved 1 SOL, finalized")
    check(client.get_balance(alice.pubkey()).value == SOL - 5_000, "the sender paid 1 SOL and a 5000-lamport fee")

    fetched = client.get_transaction(signature, max_supported_transaction_version=0).value
    check(fetched is not None and fetched.transaction.meta.fee == 5_000, "getTransaction returns the v0 transaction and its fee")
    check(fetched.transaction.meta.err is None, "the transfer succeeded")
    statuses = client.get_signature_statuses([signature]).value
    check(statuses[0] is not None and statuses[0].err is None, "getSignatureStatuses knows it")
    explorer_methods.run(client, url, alice, signature)
    print(f"python client check passed: {signature}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
