//! Blocks as explorers and the Solana CLI read them, through the standard Rust client:
//! getBlock with its transactions, hashes, time and rewards at each commitment,
//! getBlocks, getBlocksWithLimit, getBlockTime and getBlockCommitment, in the realistic
//! mode where `finalized` trails by 32 slots.

use super::{call, funded, raw, rpc, send, start_confirming, transfer, within};
use anchor_lang::prelude::Pubkey;
use serde_json::json;
use smart_treasury_local_cluster::{Confirmation, FaultConfig};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::{
    config::RpcBlockConfig,
    request::RpcRequest,
    response::{RpcBlockCommitment, RpcVoteAccountStatus},
};
use solana_signer::Signer;
use solana_transaction_status_client_types::{
    EncodedTransaction, TransactionDetails, UiConfirmedBlock, UiTransactionEncoding,
};

fn block_config(commitment: CommitmentConfig) -> RpcBlockConfig {
    RpcBlockConfig {
        encoding: Some(UiTransactionEncoding::Base64),
        transaction_details: Some(TransactionDetails::Full),
        rewards: Some(true),
        commitment: Some(commitment),
        max_supported_transaction_version: Some(0),
    }
}

async fn block(rpc: &RpcClient, slot: u64, commitment: CommitmentConfig) -> UiConfirmedBlock {
    rpc.get_block_with_config(slot, block_config(commitment)).await.unwrap_or_else(|err| panic!("block {slot}: {err}"))
}

async fn total_stake(rpc: &RpcClient) -> u64 {
    let votes: RpcVoteAccountStatus = rpc.get_vote_accounts().await.expect("getVoteAccounts");
    votes.current.iter().chain(&votes.delinquent).map(|account| account.activated_stake).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_holds_what_landed_in_it_with_its_hashes_time_and_fee_reward() {
    let cluster = start_confirming(Confirmation::REALISTIC, FaultConfig::default()).await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 1_000_000_000).await;
    let signature = send(&rpc, &[transfer(&payer.pubkey(), &Pubkey::new_unique(), 1_000_000)], &payer, &[]).await;
    let slot = within(100, || async {
        let status = rpc.get_signature_statuses(&[signature]).await.unwrap().value[0].clone();
        status.map(|status| status.slot)
    })
    .await;

    // Confirmed one slot after it completes; not yet finalized.
    let confirmed = within(100, || async {
        rpc.get_block_with_config(slot, block_config(CommitmentConfig::confirmed())).await.ok()
    })
    .await;
    if slot > cluster.finalized_slot() {
        let early = raw(&cluster, call("getBlock", json!([slot, { "commitment": "finalized" }]))).await;
        assert_eq!(early["error"]["code"], -32004, "{early}");
    }
    let transactions = confirmed.transactions.as_ref().expect("full details");
    let found = transactions.iter().any(|tx| {
        matches!(tx.transaction, EncodedTransaction::Binary(..))
            && tx.transaction.decode().is_some_and(|decoded| decoded.signatures.first() == Some(&signature))
    });
    assert!(found, "the block of slot {slot} holds the transfer");
    let fee = transactions.iter().map(|tx| tx.meta.as_ref().expect("meta").fee).sum::<u64>();
    assert!(fee >= 5_000);
    assert_eq!(confirmed.parent_slot, slot - 1);
    assert_eq!(confirmed.block_height, Some(slot), "a single node skips no slot");
    let parent = block(&rpc, slot - 1, CommitmentConfig::confirmed()).await;
    assert_eq!(confirmed.previous_blockhash, parent.blockhash);
    assert_ne!(confirmed.blockhash, parent.blockhash);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let time = confirmed.block_time.expect("a block time");
    assert!((now - 10..=now + 1).contains(&time), "block time {time}, now {now}");
    assert_eq!(rpc.get_block_time(slot).await.unwrap(), time);

    // The leader keeps the unburnt half of the fees.
    let leader: String = rpc.send(RpcRequest::GetSlotLeader, json!([])).await.unwrap();
    let rewards = confirmed.rewards.as_ref().expect("rewards asked for");
    assert_eq!(rewards.len(), 1, "{rewards:?}");
    assert_eq!(rewards[0].pubkey, leader);
    assert_eq!(rewards[0].lamports as u64, fee / 2);
    let wire =
        raw(&cluster, call("getBlock", json!([slot, { "transactionDetails": "none", "commitment": "confirmed" }])))
            .await;
    assert_eq!(wire["result"]["rewards"][0]["rewardType"], "Fee", "{wire}");

    // Finalized once rooted, the same block.
    let finalized = within(200, || async {
        rpc.get_block_with_config(slot, block_config(CommitmentConfig::finalized())).await.ok()
    })
    .await;
    assert_eq!(finalized.blockhash, confirmed.blockhash);
    assert_eq!(finalized.transactions.map(|txs| txs.len()), Some(transactions.len()));

    // Signatures only, no rewards.
    let light =
        raw(&cluster, call("getBlock", json!([slot, { "transactionDetails": "signatures", "rewards": false }]))).await;
    assert!(light["result"]["signatures"].as_array().unwrap().contains(&json!(signature.to_string())), "{light}");
    assert!(light["result"].get("rewards").is_none() && light["result"].get("transactions").is_none(), "{light}");

    // Genesis is block 0, with the default hash before it.
    let genesis = block(&rpc, 0, CommitmentConfig::finalized()).await;
    assert_eq!(genesis.previous_blockhash, solana_hash::Hash::default().to_string());
    assert_eq!(genesis.block_height, Some(0));
    assert_eq!(rpc.get_block_time(0).await.unwrap(), genesis.block_time.unwrap());
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_lists_times_and_commitment_follow_the_settled_slots() {
    let cluster = start_confirming(Confirmation::REALISTIC, FaultConfig::default()).await;
    let rpc = rpc(&cluster);
    within(200, || async { (cluster.finalized_slot() >= 5).then_some(()) }).await;

    let finalized = rpc.get_blocks(2, Some(5)).await.unwrap();
    assert_eq!(finalized, vec![2, 3, 4, 5]);
    let root = cluster.finalized_slot();
    let open_ended = rpc.get_blocks(root.saturating_sub(3), None).await.unwrap();
    assert!(open_ended.first() == Some(&root.saturating_sub(3)) && *open_ended.last().unwrap() >= root);
    assert!(open_ended.windows(2).all(|pair| pair[1] == pair[0] + 1), "no slot is skipped: {open_ended:?}");
    let confirmed = rpc.get_blocks_with_commitment(root, None, CommitmentConfig::confirmed()).await.unwrap();
    assert!(*confirmed.last().unwrap() > root + 20, "confirmed reaches past the root: {confirmed:?}");
    assert_eq!(rpc.get_blocks_with_limit(1, 3).await.unwrap(), vec![1, 2, 3]);
    assert!(rpc.get_blocks(root + 1_000, None).await.unwrap().is_empty());

    for (request, message) in [
        (call("getBlocks", json!([0, 10, { "commitment": "processed" }])), "commitment below `confirmed`"),
        (call("getBlocksWithLimit", json!([0, 500_001])), "Limit too large; max 500000"),
        (call("getBlock", json!([1, { "commitment": "processed" }])), "commitment below `confirmed`"),
        (call("getBlocks", json!(["one"])), "Invalid params"),
    ] {
        let answer = raw(&cluster, request.clone()).await;
        assert_eq!(answer["error"]["code"], -32602, "{request}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains(message), "{answer}");
    }
    let future = cluster.slot() + 1_000;
    for method in ["getBlock", "getBlockTime"] {
        let answer = raw(&cluster, call(method, json!([future]))).await;
        assert_eq!(answer["error"]["code"], -32004, "{method}: {answer}");
        assert_eq!(answer["error"]["message"], format!("Block not available for slot {future}"));
    }
    let mut times = Vec::new();
    for slot in [1, 3, 5] {
        times.push(rpc.get_block_time(slot).await.unwrap());
    }
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");

    // One validator, all the stake, modelled as voting on each slot as it completes.
    let stake = total_stake(&rpc).await;
    let commitment = |slot: u64| {
        let rpc = &rpc;
        async move {
            let method = RpcRequest::Custom { method: "getBlockCommitment" };
            let answer: RpcBlockCommitment<[u64; 32]> = rpc.send(method, json!([slot])).await.unwrap();
            answer
        }
    };
    let rooted = commitment(1).await;
    assert_eq!(rooted.total_stake, stake);
    assert_eq!(rooted.commitment.unwrap()[31], stake, "a rooted slot carries rooted stake");
    let working = cluster.slot();
    let recent = commitment(working - 2).await;
    let recent = recent.commitment.expect("a completed slot");
    let voted: Vec<usize> = (0..32).filter(|index| recent[*index] > 0).collect();
    assert_eq!(voted.len(), 1, "{recent:?}");
    assert!((1..=3).contains(&voted[0]), "about two confirmations: {recent:?}");
    assert_eq!(recent[voted[0]], stake);
    assert_eq!(commitment(working + 100).await.commitment, None, "a future slot has no votes");
    cluster.shutdown().await;
}

/// Block times advance as the slots do, so a program's cooldowns and a client's clock
/// agree: 240 slots of 50 ms are 12 s of block time, give or take the whole-second rounding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_times_keep_pace_with_the_slots() {
    let slot = std::time::Duration::from_millis(50);
    let (_cluster, rpc) = smart_treasury_tests::start_cluster(slot, Confirmation::INSTANT).await;
    let (first, last) = (10, 250);
    within(600, || async { rpc.get_slot().await.ok().filter(|&current| current > last) }).await;
    let elapsed = rpc.get_block_time(last).await.unwrap() - rpc.get_block_time(first).await.unwrap();
    let expected = (slot * (last - first) as u32).as_secs() as i64;
    assert!((expected - 1..=expected + 1).contains(&elapsed), "{elapsed} s of block time over {expected} s of slots");
}
