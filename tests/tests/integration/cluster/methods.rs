//! The node's own methods: version, health, slots, epochs, blockhashes and fees.

use super::{call, funded, raw, rpc, send, slots_pass, start, transfer};
use anchor_lang::prelude::Pubkey;
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_signer::Signer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_version_health_identity_and_genesis() {
    let cluster = start().await;
    let rpc = rpc(&cluster);

    let version = rpc.get_version().await.expect("getVersion");
    assert_eq!(version.solana_core, "3.1.12");
    assert!(version.feature_set.is_some());
    rpc.get_health().await.expect("getHealth");
    assert_eq!(raw(&cluster, call("getHealth", json!([]))).await["result"], "ok");
    let health = reqwest::get(format!("{}/health", cluster.rpc_url())).await.expect("GET /health");
    assert_eq!(health.text().await.unwrap(), "ok");

    let identity = raw(&cluster, call("getIdentity", json!([]))).await;
    assert!(identity["result"]["identity"].as_str().unwrap().parse::<Pubkey>().is_ok());
    let genesis = rpc.get_genesis_hash().await.expect("getGenesisHash");
    assert_ne!(genesis, Hash::default());
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_advance_in_real_time_and_commitments_trail_by_one() {
    let cluster = start().await;
    let rpc = rpc(&cluster);

    let processed = rpc.get_slot_with_commitment(CommitmentConfig::processed()).await.unwrap();
    let confirmed = rpc.get_slot_with_commitment(CommitmentConfig::confirmed()).await.unwrap();
    let finalized = rpc.get_slot_with_commitment(CommitmentConfig::finalized()).await.unwrap();
    assert!(processed >= 1);
    assert!(confirmed == finalized && finalized + 1 >= processed && finalized < processed + 1);

    let started = std::time::Instant::now();
    slots_pass(&cluster, 10).await;
    let later = rpc.get_slot_with_commitment(CommitmentConfig::processed()).await.unwrap();
    assert!(later >= processed + 10);
    // 10 slots of 50 ms: real time, not as fast as the machine can go.
    assert!(started.elapsed() >= std::time::Duration::from_millis(400), "{:?}", started.elapsed());

    let height = rpc.get_block_height_with_commitment(CommitmentConfig::processed()).await.unwrap();
    assert!(height >= later, "every slot is a block: height {height}, slot {later}");
    let epoch = rpc.get_epoch_info_with_commitment(CommitmentConfig::processed()).await.unwrap();
    assert_eq!(epoch.epoch, 0);
    assert_eq!(epoch.slots_in_epoch, 32, "the default schedule warms up with 32-slot epochs");
    assert!(epoch.absolute_slot >= later);
    assert!(epoch.block_height >= height);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_slot_brings_a_new_blockhash_valid_for_150_blocks() {
    let cluster = start().await;
    let rpc = rpc(&cluster);

    let (first, last_valid) = rpc.get_latest_blockhash_with_commitment(CommitmentConfig::processed()).await.unwrap();
    let height = rpc.get_block_height_with_commitment(CommitmentConfig::processed()).await.unwrap();
    assert!(last_valid >= height + 149 && last_valid <= height + 150, "{last_valid} vs height {height}");
    assert!(rpc.is_blockhash_valid(&first, CommitmentConfig::processed()).await.unwrap());
    assert!(!rpc.is_blockhash_valid(&Hash::new_unique(), CommitmentConfig::processed()).await.unwrap());

    slots_pass(&cluster, 2).await;
    let (second, _) = rpc.get_latest_blockhash_with_commitment(CommitmentConfig::processed()).await.unwrap();
    assert_ne!(first, second);
    assert!(rpc.is_blockhash_valid(&first, CommitmentConfig::processed()).await.unwrap(), "still inside its window");

    let answer = raw(&cluster, call("getLatestBlockhash", json!([{ "commitment": "finalized" }]))).await;
    assert!(answer["result"]["context"]["slot"].as_u64().unwrap() >= 1);
    assert_eq!(answer["result"]["context"]["apiVersion"], "3.1.12");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prices_rent_messages_and_priority() {
    let cluster = start().await;
    let rpc = rpc(&cluster);

    assert_eq!(rpc.get_minimum_balance_for_rent_exemption(0).await.unwrap(), 890_880);
    assert_eq!(rpc.get_minimum_balance_for_rent_exemption(165).await.unwrap(), 2_039_280);

    let payer = funded(&rpc, 1_000_000_000).await;
    let other = Keypair::new();
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let one_signer = Message::new_with_blockhash(
        &[transfer(&payer.pubkey(), &other.pubkey(), 1)],
        Some(&payer.pubkey()),
        &blockhash,
    );
    assert_eq!(rpc.get_fee_for_message(&one_signer).await.unwrap(), 5_000);
    let two_signers = Message::new_with_blockhash(
        &[transfer(&payer.pubkey(), &other.pubkey(), 1), transfer(&other.pubkey(), &payer.pubkey(), 1)],
        Some(&payer.pubkey()),
        &blockhash,
    );
    assert_eq!(rpc.get_fee_for_message(&two_signers).await.unwrap(), 10_000);

    // A transaction that bids 7,000 micro-lamports per unit while writing `hot`.
    let hot = Pubkey::new_unique();
    let bid = [
        ComputeBudgetInstruction::set_compute_unit_limit(10_000),
        ComputeBudgetInstruction::set_compute_unit_price(7_000),
        transfer(&payer.pubkey(), &hot, 1_000_000),
    ];
    let signature = send(&rpc, &bid, &payer, &[]).await;
    slots_pass(&cluster, 2).await;
    let landed = rpc.get_signature_statuses(&[signature]).await.unwrap().value[0].clone().unwrap().slot;

    let fees = rpc.get_recent_prioritization_fees(&[hot]).await.unwrap();
    let root = rpc.get_slot_with_commitment(CommitmentConfig::finalized()).await.unwrap();
    assert!(fees.iter().all(|fee| fee.slot <= root && fee.slot + 150 > root));
    let in_landing_slot = fees.iter().find(|fee| fee.slot == landed).expect("the landing slot is listed");
    assert_eq!(in_landing_slot.prioritization_fee, 7_000);
    // For an account nobody wrote, each slot shows its lowest bid (the airdrop's 0, or 7,000).
    let elsewhere = rpc.get_recent_prioritization_fees(&[Pubkey::new_unique()]).await.unwrap();
    assert_eq!(elsewhere.len(), fees.len());
    assert!(elsewhere
        .iter()
        .all(|fee| fee.prioritization_fee == 0 || (fee.slot == landed && fee.prioritization_fee == 7_000)));
    assert!(fees.iter().filter(|fee| fee.slot != landed).all(|fee| fee.prioritization_fee == 0));
    cluster.shutdown().await;
}
