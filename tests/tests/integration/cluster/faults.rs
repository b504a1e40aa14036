//! Each injected fault, as a client meets it, switched on and off while the cluster runs.

use super::{call, funded, raw, raw_response, rpc, slots_pass, start, start_with, transfer, SLOT};
use anchor_lang::prelude::Pubkey;
use futures_util::StreamExt;
use serde_json::json;
use smart_treasury_local_cluster::{ClusterConfig, FaultConfig, FaultError, Faults, LocalCluster};
use solana_commitment_config::CommitmentConfig;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_api::{client_error::ErrorKind, request::RpcError};
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_is_added_and_removed_at_runtime() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    rpc.get_slot().await.unwrap();

    cluster.faults().update(|faults| faults.latency = Duration::from_millis(300)).unwrap();
    let started = Instant::now();
    rpc.get_slot().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    assert!(cluster.faults().stats().delayed_requests >= 1);

    cluster.faults().clear();
    let started = Instant::now();
    rpc.get_slot().await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(300), "{:?}", started.elapsed());
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_outages_reach_the_client() {
    let cluster = start_with(FaultConfig { rate_limited: 1.0, ..FaultConfig::default() }).await;
    let rpc = rpc(&cluster);

    let answer = raw_response(&cluster, call("getSlot", json!([]))).await;
    assert_eq!(answer.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    // The Rust client backs off on 429 and retries: lift the limit while it waits.
    let faults = cluster.faults();
    let lift = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        faults.clear();
    });
    let started = Instant::now();
    rpc.get_slot().await.expect("answered once the limit is lifted");
    assert!(started.elapsed() >= Duration::from_millis(500), "it waited out at least one 429");
    lift.await.unwrap();
    assert!(cluster.faults().stats().rate_limited >= 2);

    cluster.faults().update(|faults| faults.unavailable = 1.0).unwrap();
    let err = rpc.get_slot().await.expect_err("503");
    let ErrorKind::Reqwest(err) = err.kind() else { panic!("an HTTP error, got {err:?}") };
    assert_eq!(err.status(), Some(reqwest::StatusCode::SERVICE_UNAVAILABLE));

    cluster
        .faults()
        .update(|faults| {
            faults.unavailable = 0.0;
            faults.rpc_errors = 1.0;
        })
        .unwrap();
    let err = rpc.get_slot().await.expect_err("a JSON-RPC error");
    let ErrorKind::RpcError(RpcError::RpcResponseError { code, message, .. }) = err.kind() else { panic!("{err:?}") };
    assert_eq!((*code, message.as_str()), (-32005, "Node is unhealthy"));
    let batch =
        raw(&cluster, json!([call("getSlot", json!([])), { "jsonrpc": "2.0", "id": 2, "method": "getHealth" }])).await;
    assert_eq!(batch[1]["id"], 2);
    assert_eq!(batch[1]["error"]["code"], -32005);

    // Half the requests fail, half answer.
    cluster.faults().update(|faults| faults.rpc_errors = 0.5).unwrap();
    let mut outcomes = (0, 0);
    for _ in 0..60 {
        match rpc.get_slot().await {
            Ok(_) => outcomes.0 += 1,
            Err(_) => outcomes.1 += 1,
        }
    }
    assert!(outcomes.0 > 5 && outcomes.1 > 5, "{outcomes:?}");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_transactions_can_be_dropped() {
    let cluster = start().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 1_000_000_000).await;
    cluster.faults().update(|faults| faults.dropped_transactions = 1.0).unwrap();

    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(
        &[transfer(&payer.pubkey(), &Pubkey::new_unique(), 1_000_001)],
        Some(&payer.pubkey()),
        &[&payer],
        blockhash,
    );
    let signature = rpc.send_transaction(&tx).await.expect("accepted");
    assert_eq!(signature, tx.signatures[0]);
    slots_pass(&cluster, 3).await;
    assert_eq!(rpc.get_signature_status(&signature).await.unwrap(), None, "it never landed");
    assert_eq!(cluster.faults().stats().dropped_transactions, 1);

    // A client that confirms gives up once the blockhash expires.
    cluster.faults().update(|faults| faults.blockhash_expiry_slots = Some(3)).unwrap();
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(
        &[transfer(&payer.pubkey(), &Pubkey::new_unique(), 1_000_002)],
        Some(&payer.pubkey()),
        &[&payer],
        blockhash,
    );
    let err = rpc.send_and_confirm_transaction(&tx).await.expect_err("never confirmed");
    assert!(err.to_string().contains("unable to confirm transaction"), "{err}");

    cluster.faults().clear();
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = Transaction::new_signed_with_payer(
        &[transfer(&payer.pubkey(), &Pubkey::new_unique(), 1_000_003)],
        Some(&payer.pubkey()),
        &[&payer],
        blockhash,
    );
    rpc.send_and_confirm_transaction(&tx).await.expect("lands again");
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blockhashes_expire_early_or_on_demand() {
    let cluster = start_with(FaultConfig { blockhash_expiry_slots: Some(4), ..FaultConfig::default() }).await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 1_000_000_000).await;

    let (blockhash, last_valid) =
        rpc.get_latest_blockhash_with_commitment(CommitmentConfig::processed()).await.unwrap();
    let height = rpc.get_block_height_with_commitment(CommitmentConfig::processed()).await.unwrap();
    assert!(last_valid <= height + 3, "advertised expiry {last_valid} at height {height}");
    slots_pass(&cluster, 5).await;
    assert!(!rpc.is_blockhash_valid(&blockhash, CommitmentConfig::processed()).await.unwrap());
    let stale = Transaction::new_signed_with_payer(
        &[transfer(&payer.pubkey(), &Pubkey::new_unique(), 1_000_001)],
        Some(&payer.pubkey()),
        &[&payer],
        blockhash,
    );
    let err = rpc.send_transaction(&stale).await.expect_err("expired");
    assert!(err.to_string().contains("Blockhash not found"), "{err}");

    // On demand: every blockhash handed out so far, and a fresh one right away.
    cluster.faults().update(|faults| faults.blockhash_expiry_slots = None).unwrap();
    let (held, _) = rpc.get_latest_blockhash_with_commitment(CommitmentConfig::processed()).await.unwrap();
    assert!(rpc.is_blockhash_valid(&held, CommitmentConfig::processed()).await.unwrap());
    cluster.faults().expire_blockhashes();
    assert!(!rpc.is_blockhash_valid(&held, CommitmentConfig::processed()).await.unwrap());
    let held_tx = Transaction::new_signed_with_payer(
        &[transfer(&payer.pubkey(), &Pubkey::new_unique(), 1_000_002)],
        Some(&payer.pubkey()),
        &[&payer],
        held,
    );
    assert!(rpc.send_transaction(&held_tx).await.is_err());
    let fresh = super::within(20, || async {
        let (fresh, _) = rpc.get_latest_blockhash_with_commitment(CommitmentConfig::processed()).await.unwrap();
        let valid = rpc.is_blockhash_valid(&fresh, CommitmentConfig::processed()).await.unwrap();
        (fresh != held && valid).then_some(fresh)
    })
    .await;
    let fresh_tx = Transaction::new_signed_with_payer(
        &[transfer(&payer.pubkey(), &Pubkey::new_unique(), 1_000_003)],
        Some(&payer.pubkey()),
        &[&payer],
        fresh,
    );
    rpc.send_and_confirm_transaction(&fresh_tx).await.expect("a fresh blockhash works");
    assert!(cluster.faults().stats().expired_blockhash_rejections >= 2);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_socket_stays_open_but_silent() {
    let cluster = start().await;
    let pubsub = PubsubClient::new(&cluster.ws_url()).await.unwrap();
    let (mut slots, _) = pubsub.slot_subscribe().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), slots.next()).await.unwrap().unwrap();

    cluster.faults().update(|faults| faults.stall_websocket = true).unwrap();
    // Drain what was already on its way, then nothing for many slots.
    tokio::time::sleep(SLOT * 2).await;
    while tokio::time::timeout(Duration::from_millis(5), slots.next()).await.is_ok() {}
    assert!(tokio::time::timeout(SLOT * 10, slots.next()).await.is_err(), "no notification while stalled");
    assert!(cluster.faults().stats().stalled_notifications >= 5);
    assert_eq!(cluster.subscription_count(), 1, "the subscription and its socket are still there");

    cluster.faults().clear();
    let resumed = tokio::time::timeout(Duration::from_secs(5), slots.next()).await.expect("delivering again").unwrap();
    assert!(resumed.slot > 0);
    drop(slots);
    pubsub.shutdown().await.unwrap();
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_confirmation_holds_both_levels_while_slots_go_on() {
    let cluster = start().await;
    cluster.faults().update(|faults| faults.stall_confirmation = true).unwrap();
    // Two slots on, every slot end has seen the fault (one under way may have missed it).
    super::slots_pass(&cluster, 2).await;
    let held = (cluster.confirmed_slot(), cluster.finalized_slot());
    super::slots_pass(&cluster, 5).await;
    assert_eq!((cluster.confirmed_slot(), cluster.finalized_slot()), held, "working slot {}", cluster.slot());

    cluster.faults().clear();
    super::slots_pass(&cluster, 2).await;
    let working = cluster.slot();
    assert!(cluster.confirmed_slot() > held.0 && cluster.finalized_slot() > held.1, "working slot {working}");
    assert!(cluster.confirmed_slot() + 3 >= working, "confirmed caught up: {} of {working}", cluster.confirmed_slot());
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_settings_are_checked() {
    let config = FaultConfig { rate_limited: 1.5, ..FaultConfig::default() };
    assert_eq!(config.validate(), Err(FaultError::ShareOutOfRange { name: "rate_limited", value: 1.5 }));
    let config = FaultConfig { blockhash_expiry_slots: Some(0), ..FaultConfig::default() };
    assert_eq!(config.validate(), Err(FaultError::ZeroBlockhashExpiry));

    let bad = ClusterConfig {
        faults: FaultConfig { dropped_transactions: -0.1, ..FaultConfig::default() },
        ..ClusterConfig::ephemeral()
    };
    let err = LocalCluster::start(bad).await.err().expect("refused");
    assert_eq!(err.to_string(), "fault `dropped_transactions` must be a share between 0 and 1, got -0.1");

    let faults = Faults::new(FaultConfig::default()).unwrap();
    assert!(faults.update(|faults| faults.rpc_errors = 2.0).is_err());
    assert_eq!(faults.config(), FaultConfig::default(), "a refused change changes nothing");
}
