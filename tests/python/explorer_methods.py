"""The methods Solana Explorer and the Solana CLI's everyday commands call, through
solana-py (whose responses solders parses against the JSON-RPC specification's shapes),
solders' own request and response types where solana-py has no method, and plain JSON
where neither has one."""

import json
import time
import urllib.request

from solana.rpc.api import Client
from solana.rpc.types import TokenAccountOpts
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.rpc.requests import GetHighestSnapshotSlot, GetMaxRetransmitSlot, GetMaxShredInsertSlot
from solders.rpc.responses import GetMaxRetransmitSlotResp, GetMaxShredInsertSlotResp
from solders.signature import Signature
from solders.system_program import CreateAccountParams, create_account
from solders.transaction import VersionedTransaction
from spl.token import instructions as spl
from spl.token.constants import TOKEN_PROGRAM_ID

from checks import check

MINT_SIZE = 82


def raw(url: str, method: str, params: list) -> dict:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def send(client: Client, payer: Keypair, instructions: list, signers: list) -> Signature:
    latest = client.get_latest_blockhash().value
    message = MessageV0.try_compile(payer.pubkey(), instructions, [], latest.blockhash)
    signature = client.send_transaction(VersionedTransaction(message, [payer, *signers])).value
    client.confirm_transaction(signature, sleep_seconds=0.1, last_valid_block_height=latest.last_valid_block_height)
    return signature


def blocks(client: Client, signature: Signature) -> None:
    slot = client.get_signature_statuses([signature]).value[0].slot
    block = client.get_block(slot, max_supported_transaction_version=0).value
    check(any(tx.transaction.signatures[0] == signature for tx in block.transactions),
          f"getBlock {slot} holds the transfer, parsed as a UiConfirmedBlock")
    parent = client.get_block(slot - 1, max_supported_transaction_version=0).value
    check(block.parent_slot == slot - 1 and block.previous_blockhash == parent.blockhash,
          "getBlock links each block to its parent's hash")
    check(block.block_height == slot and block.block_time == client.get_block_time(slot).value,
          "getBlock's height and time; getBlockTime agrees")
    check(any(reward.lamports > 0 for reward in block.rewards), "getBlock lists the leader's fee reward")
    listed = client.get_blocks(slot - 2, slot).value
    check(listed == [slot - 2, slot - 1, slot], f"getBlocks lists {listed}")
    commitment = client.get_block_commitment(slot)
    check(commitment.value.total_stake > 0 and commitment.value.commitment is not None,
          "getBlockCommitment gives the stake by confirmation count")


def network(client: Client, url: str) -> None:
    identity = client.get_identity().value.identity
    nodes = client.get_cluster_nodes().value
    check(len(nodes) == 1 and nodes[0].pubkey == identity and nodes[0].rpc is not None,
          "getClusterNodes lists the one node, with its RPC address")
    check(client.get_slot_leader().value == identity, "getSlotLeader is that node")
    schedule = client.get_leader_schedule().value
    slots_in_epoch = client.get_epoch_info().value.slots_in_epoch
    check(schedule is not None and list(schedule.get(identity, [])) == list(range(slots_in_epoch)),
          "getLeaderSchedule gives it every slot of the epoch")
    votes = client.get_vote_accounts().value
    accounts = list(votes.current) + list(votes.delinquent)
    check(len(accounts) == 1 and accounts[0].node_pubkey == identity and accounts[0].activated_stake > 0,
          "getVoteAccounts lists its staked vote account")
    samples = []
    for _ in range(100):
        samples = client.get_recent_performance_samples().value
        if samples:
            break
        time.sleep(0.2)
    check(len(samples) > 0 and all(sample.num_slots > 0 for sample in samples),
          "getRecentPerformanceSamples gives samples, newest first")
    slot = client.get_slot().value
    provider = client._provider  # solana-py has no method for these two; solders has their types
    retransmit = provider.make_request(GetMaxRetransmitSlot(), GetMaxRetransmitSlotResp).value
    shreds = provider.make_request(GetMaxShredInsertSlot(), GetMaxShredInsertSlotResp).value
    check(retransmit >= slot and shreds >= slot, "getMaxRetransmitSlot and getMaxShredInsertSlot")
    snapshot = json.loads(provider.make_request_unparsed(GetHighestSnapshotSlot()))
    check(snapshot.get("error", {}).get("code") == -32008, "getHighestSnapshotSlot: no snapshot (-32008)")


def economics(client: Client, url: str) -> None:
    supply = client.get_supply().value
    check(supply.total == supply.circulating + supply.non_circulating and supply.total > 0,
          "getSupply adds up")
    governor = client.get_inflation_governor().value
    rate = client.get_inflation_rate().value
    check(governor.initial >= rate.total >= governor.terminal and abs(rate.total - rate.validator - rate.foundation) < 1e-9,
          "getInflationGovernor and getInflationRate")
    minimum = raw(url, "getStakeMinimumDelegation", [{"commitment": "confirmed"}])["result"]
    check(isinstance(minimum["context"]["slot"], int) and minimum["value"] > 0,
          f"getStakeMinimumDelegation: {minimum['value']} lamports, with its context")


def tokens(client: Client, payer: Keypair) -> None:
    mint = Keypair()
    rent = client.get_minimum_balance_for_rent_exemption(MINT_SIZE).value
    send(client, payer, [
        create_account(CreateAccountParams(from_pubkey=payer.pubkey(), to_pubkey=mint.pubkey(), lamports=rent,
                                           space=MINT_SIZE, owner=TOKEN_PROGRAM_ID)),
        spl.initialize_mint2(spl.InitializeMint2Params(decimals=6, program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(),
                                                       mint_authority=payer.pubkey())),
    ], [mint])
    owners = [Keypair() for _ in range(3)]
    accounts = [spl.get_associated_token_address(owner.pubkey(), mint.pubkey()) for owner in owners]
    send(client, payer, [spl.create_associated_token_account(payer.pubkey(), owner.pubkey(), mint.pubkey())
                         for owner in owners], [])
    send(client, payer, [spl.mint_to(spl.MintToParams(program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), dest=account,
                                                      mint_authority=payer.pubkey(), amount=(index + 1) * 1_000_000))
                         for index, account in enumerate(accounts)], [])
    largest = client.get_token_largest_accounts(mint.pubkey()).value
    check([balance.address for balance in largest] == list(reversed(accounts))
          and largest[0].amount.ui_amount_string == "3",
          "getTokenLargestAccounts lists the holders, largest first")
    delegate = Keypair().pubkey()
    send(client, payer, [spl.approve(spl.ApproveParams(program_id=TOKEN_PROGRAM_ID, source=accounts[1],
                                                       delegate=delegate, owner=owners[1].pubkey(), amount=500))],
         [owners[1]])
    delegated = client.get_token_accounts_by_delegate(delegate, TokenAccountOpts(mint=mint.pubkey())).value
    check([keyed.pubkey for keyed in delegated] == [accounts[1]],
          "getTokenAccountsByDelegate finds the one account that approved the delegate")


def run(client: Client, url: str, payer: Keypair, signature: Signature) -> None:
    blocks(client, signature)
    network(client, url)
    economics(client, url)
    tokens(client, payer)
    unknown = raw(url, "getBlockProduction", [])
    check(unknown.get("error", {}).get("code") == -32601, "a method the cluster does not serve answers -32601")
