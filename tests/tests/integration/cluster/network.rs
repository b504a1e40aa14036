//! The cluster as a network and SOL's economics, as explorers and the Solana CLI read
//! them through the standard Rust client: the one node, its vote account, the leader
//! schedule, performance samples, the shred and retransmit slots, snapshots, supply,
//! inflation and the minimum stake delegation.

use super::{call, funded, raw, rpc, send, transfer, within, SLOT};
use anchor_lang::prelude::Pubkey;
use serde_json::json;
use smart_treasury_local_cluster::{ClusterConfig, Confirmation, LocalCluster};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client_api::{
    config::{RpcGetVoteAccountsConfig, RpcLeaderScheduleConfig},
    request::RpcRequest,
};
use solana_signer::Signer;
use std::time::Duration;

/// The feature that raised the minimum stake delegation from one lamport to one SOL.
const RAISE_MINIMUM_DELEGATION_FEATURE: Pubkey =
    anchor_lang::prelude::pubkey!("9onWzzvCzNC2jfhxxeqRgs5q7nFAAKpCUvkj6T6GJK9i");

async fn start_sampling_every_second() -> LocalCluster {
    let config = ClusterConfig {
        slot_duration: SLOT,
        confirmation: Confirmation::INSTANT,
        sample_period: Duration::from_secs(1),
        ..ClusterConfig::ephemeral()
    };
    LocalCluster::start(config).await.expect("the cluster starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_leads_every_slot_and_reports_itself_and_its_vote_account() {
    let cluster = start_sampling_every_second().await;
    let rpc = rpc(&cluster);
    let identity =
        raw(&cluster, call("getIdentity", json!([]))).await["result"]["identity"].as_str().unwrap().to_string();

    let nodes = rpc.get_cluster_nodes().await.expect("getClusterNodes");
    assert_eq!(nodes.len(), 1);
    let node = &nodes[0];
    assert_eq!(node.pubkey, identity);
    assert_eq!((node.rpc, node.pubsub), (Some(cluster.rpc_addr()), Some(cluster.ws_addr())));
    let version = rpc.get_version().await.unwrap();
    assert_eq!(node.version.as_deref(), Some(version.solana_core.as_str()));
    assert_eq!(node.feature_set, version.feature_set);
    assert!(node.shred_version.is_some_and(|shred| shred > 0));

    let leader: String = rpc.send(RpcRequest::GetSlotLeader, json!([])).await.unwrap();
    assert_eq!(leader, identity);
    let epoch = rpc.get_epoch_info().await.unwrap();
    let schedule = rpc.get_leader_schedule(None).await.unwrap().expect("this epoch's schedule");
    assert_eq!(schedule.len(), 1);
    assert_eq!(schedule[&identity], (0..epoch.slots_in_epoch as usize).collect::<Vec<_>>(), "every slot is its own");
    let others = RpcLeaderScheduleConfig { identity: Some(Pubkey::new_unique().to_string()), commitment: None };
    let filtered = rpc.get_leader_schedule_with_config(None, others).await.unwrap().expect("a schedule");
    assert!(filtered.is_empty(), "{filtered:?}");
    assert_eq!(rpc.get_leader_schedule(Some(epoch.absolute_slot + 1_000_000)).await.unwrap(), None, "unknown epoch");

    let votes = rpc.get_vote_accounts().await.unwrap();
    let all: Vec<_> = votes.current.iter().chain(&votes.delinquent).collect();
    assert_eq!(all.len(), 1);
    let vote = all[0];
    assert_eq!(vote.node_pubkey, identity);
    assert!(vote.epoch_vote_account && vote.activated_stake > 0);
    // It casts no votes: no last vote, so never counted as current.
    assert_eq!((vote.last_vote, votes.current.len()), (0, 0));
    let other = RpcGetVoteAccountsConfig { vote_pubkey: Some(Pubkey::new_unique().to_string()), ..Default::default() };
    let none = rpc.get_vote_accounts_with_config(other).await.unwrap();
    assert!(none.current.is_empty() && none.delinquent.is_empty());
    let bad = raw(&cluster, call("getVoteAccounts", json!([{ "votePubkey": "not-a-key" }]))).await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");

    let before = rpc.get_slot_with_commitment(CommitmentConfig::processed()).await.unwrap();
    assert!(rpc.get_max_retransmit_slot().await.unwrap() >= before);
    assert!(rpc.get_max_shred_insert_slot().await.unwrap() >= before);
    let snapshot = raw(&cluster, call("getHighestSnapshotSlot", json!([]))).await;
    assert_eq!(snapshot["error"], json!({ "code": -32008, "message": "No snapshot" }), "it takes no snapshots");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn performance_samples_count_the_transactions_of_each_period() {
    let cluster = start_sampling_every_second().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 1_000_000_000).await;
    for _ in 0..3 {
        send(&rpc, &[transfer(&payer.pubkey(), &Pubkey::new_unique(), 1_000_000)], &payer, &[]).await;
    }
    let samples = within(100, || async {
        let samples = rpc.get_recent_performance_samples(None).await.unwrap();
        (samples.len() >= 3).then_some(samples)
    })
    .await;
    assert!(samples.windows(2).all(|pair| pair[0].slot > pair[1].slot), "newest first: {samples:?}");
    assert!(samples.iter().all(|sample| sample.sample_period_secs == 1 && sample.num_slots > 0));
    assert!(samples.iter().all(|sample| sample.num_non_vote_transactions == Some(sample.num_transactions)));
    let counted: u64 = samples.iter().map(|sample| sample.num_transactions).sum();
    let total = rpc.get_transaction_count().await.unwrap();
    assert!((4..=total).contains(&counted), "an airdrop and three transfers, {counted} counted of {total}");
    assert_eq!(rpc.get_recent_performance_samples(Some(1)).await.unwrap().len(), 1);
    let too_many = raw(&cluster, call("getRecentPerformanceSamples", json!([721]))).await;
    assert_eq!(too_many["error"]["message"], "Invalid limit; max 720", "{too_many}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supply_inflation_and_the_minimum_delegation() {
    let cluster = start_sampling_every_second().await;
    let rpc = rpc(&cluster);

    let supply = rpc.supply().await.expect("getSupply").value;
    assert_eq!(supply.total, supply.circulating + supply.non_circulating);
    let faucet = rpc.get_balance(&cluster.faucet().pubkey()).await.unwrap();
    assert!(supply.total > faucet && faucet >= 500_000_000 * 1_000_000_000 - 10_000_000_000);
    let without_list = raw(&cluster, call("getSupply", json!([{ "excludeNonCirculatingAccountsList": true }]))).await;
    assert_eq!(without_list["result"]["value"]["nonCirculatingAccounts"], json!([]));
    // Burnt fees shrink the supply between the two reads; never by much here.
    let total = without_list["result"]["value"]["total"].as_u64().unwrap();
    assert!(total <= supply.total + 1_000_000_000 && total + 1_000_000_000 >= supply.total);

    let governor = rpc.get_inflation_governor().await.unwrap();
    assert_eq!((governor.initial, governor.terminal, governor.taper), (0.08, 0.015, 0.15));
    let rate = rpc.get_inflation_rate().await.unwrap();
    assert!((rate.total - (rate.validator + rate.foundation)).abs() < 1e-12, "{rate:?}");
    assert!(rate.total <= governor.initial && rate.total >= governor.terminal);
    assert_eq!(rate.epoch, rpc.get_epoch_info_with_commitment(CommitmentConfig::finalized()).await.unwrap().epoch);

    // As a validator answers it: one SOL once the feature that raised it is active,
    // which the feature's own account on chain says it is.
    let minimum = rpc.get_stake_minimum_delegation().await.expect("getStakeMinimumDelegation");
    let feature = rpc.get_account(&RAISE_MINIMUM_DELEGATION_FEATURE).await.expect("the feature account");
    assert_eq!(feature.owner.to_string(), "Feature111111111111111111111111111111111111");
    assert_eq!(feature.data[0], 1, "activated");
    assert_eq!(minimum, 1_000_000_000);
    let at = raw(&cluster, call("getStakeMinimumDelegation", json!([{ "commitment": "confirmed" }]))).await;
    assert!(at["result"]["context"]["slot"].as_u64().is_some() && at["result"]["value"] == minimum, "{at}");
    cluster.shutdown().await;
}
