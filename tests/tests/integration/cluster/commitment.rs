//! The realistic mode's timing, as a standard client sees it: a sent transaction lands in a
//! later slot than the one it was sent in, then becomes confirmed one slot later and
//! finalized 32 slots later; reads, history and subscriptions each honour their commitment.

use super::{call, funded, raw, rpc, start_confirming, transfer};
use anchor_lang::prelude::Pubkey;
use futures_util::StreamExt;
use serde_json::json;
use smart_treasury_local_cluster::{Confirmation, FaultConfig, LocalCluster};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client::{nonblocking::rpc_client::RpcClient, rpc_client::GetConfirmedSignaturesForAddress2Config};
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcSendTransactionConfig, RpcSignatureSubscribeConfig, RpcTransactionConfig,
};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_status_client_types::{TransactionConfirmationStatus, UiTransactionEncoding};
use std::time::{Duration, Instant};

const REALISTIC: Confirmation = Confirmation::REALISTIC;

async fn realistic() -> LocalCluster {
    start_confirming(REALISTIC, FaultConfig::default()).await
}

/// A signed transfer of `lamports` from `payer` to a new address, on a blockhash read at
/// `confirmed` (as the usual clients read it).
async fn signed_transfer(rpc: &RpcClient, payer: &Keypair, lamports: u64) -> (Transaction, Pubkey) {
    let (blockhash, _) = rpc.get_latest_blockhash_with_commitment(CommitmentConfig::confirmed()).await.unwrap();
    let to = Pubkey::new_unique();
    let tx = Transaction::new_signed_with_payer(
        &[transfer(&payer.pubkey(), &to, lamports)],
        Some(&payer.pubkey()),
        &[payer],
        blockhash,
    );
    (tx, to)
}

fn preflight_at(commitment: CommitmentConfig) -> RpcSendTransactionConfig {
    RpcSendTransactionConfig {
        preflight_commitment: Some(commitment.commitment),
        ..RpcSendTransactionConfig::default()
    }
}

/// One answer to `getSignatureStatuses`: the level it gave, the working slot it was answered
/// in (its context) and the working slot once it had arrived.
#[derive(Debug)]
struct Seen {
    level: TransactionConfirmationStatus,
    answered_in: u64,
    arrived_in: u64,
}

/// Polls the signature's status until it is finalized; the slot it landed in and every
/// answer that carried a status.
async fn watch_status(cluster: &LocalCluster, rpc: &RpcClient, signature: &Signature) -> (u64, Vec<Seen>) {
    let mut seen = Vec::new();
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < Duration::from_secs(30), "not finalized in time: {seen:?}");
        let answer = rpc.get_signature_statuses(&[*signature]).await.unwrap();
        let arrived_in = cluster.slot();
        if let Some(status) = answer.value[0].clone() {
            let level = status.confirmation_status.clone().expect("a confirmation status");
            let finalized = level == TransactionConfirmationStatus::Finalized;
            seen.push(Seen { level, answered_in: answer.context.slot, arrived_in });
            if finalized {
                return (status.slot, seen);
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn rank(level: &TransactionConfirmationStatus) -> u8 {
    match level {
        TransactionConfirmationStatus::Processed => 0,
        TransactionConfirmationStatus::Confirmed => 1,
        TransactionConfirmationStatus::Finalized => 2,
    }
}

/// The level a transaction landed in `landed` has while `working` is the working slot.
fn level_in(lags: Confirmation, landed: u64, working: u64) -> TransactionConfirmationStatus {
    if working >= landed + lags.finalized_lag_slots {
        TransactionConfirmationStatus::Finalized
    } else if working >= landed + lags.confirmed_lag_slots {
        TransactionConfirmationStatus::Confirmed
    } else {
        TransactionConfirmationStatus::Processed
    }
}

/// Every answer gave the level the lags call for, judged by the cluster's slots rather than
/// by when the answer was read (a loaded machine reads late): never ahead of the slot it
/// arrived in, never behind the slot before the one it was answered in (the confirmed bank
/// is published just after a new slot opens).
fn assert_levels_follow(lags: Confirmation, landed: u64, seen: &[Seen]) {
    for answer in seen {
        let latest = level_in(lags, landed, answer.arrived_in);
        let earliest = level_in(lags, landed, answer.answered_in.saturating_sub(1));
        assert!(
            (rank(&earliest)..=rank(&latest)).contains(&rank(&answer.level)),
            "landed in {landed}: {answer:?} (expected {earliest:?} to {latest:?})"
        );
    }
    assert!(seen.windows(2).all(|pair| rank(&pair[0].level) <= rank(&pair[1].level)), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_transaction_lands_in_a_later_slot_and_settles_level_by_level() {
    let cluster = realistic().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 2_000_000_000).await;
    // Preflight at processed sees the airdrop as soon as it has landed.
    let (tx, to) = signed_transfer(&rpc, &payer, 7_000_000).await;
    let sent_in = cluster.slot();
    let signature = rpc.send_transaction_with_config(&tx, preflight_at(CommitmentConfig::processed())).await.unwrap();
    // An answer given in the slot it was sent in cannot show it landed.
    let status = rpc.get_signature_statuses(&[signature]).await.unwrap();
    if status.context.slot == sent_in {
        assert_eq!(status.value[0], None);
    }
    let balance = rpc.get_balance_with_commitment(&to, CommitmentConfig::processed()).await.unwrap();
    if balance.context.slot == sent_in {
        assert_eq!(balance.value, 0);
    }

    let (landed, seen) = watch_status(&cluster, &rpc, &signature).await;
    assert!(landed > sent_in, "landed in slot {landed}, the slot it was sent in ({sent_in}) or earlier");
    assert_levels_follow(REALISTIC, landed, &seen);
    assert_eq!(rpc.get_balance_with_commitment(&to, CommitmentConfig::finalized()).await.unwrap().value, 7_000_000);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_history_answer_at_the_commitment_asked() {
    let cluster = realistic().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 2_000_000_000).await;
    let (tx, to) = signed_transfer(&rpc, &payer, 9_000_000).await;
    let signature = rpc.send_transaction_with_config(&tx, preflight_at(CommitmentConfig::processed())).await.unwrap();
    // Once confirmed, it is 31 slots from final: every level can be told apart.
    let confirmed = RpcClient::new_with_commitment(cluster.rpc_url(), CommitmentConfig::confirmed());
    super::within(100, || async { confirmed.confirm_transaction(&signature).await.unwrap().then_some(()) }).await;
    let balance = |commitment| {
        let rpc = &rpc;
        async move { rpc.get_balance_with_commitment(&to, commitment).await.unwrap() }
    };
    let (processed, at_confirmed, at_finalized) = (
        balance(CommitmentConfig::processed()).await,
        balance(CommitmentConfig::confirmed()).await,
        balance(CommitmentConfig::finalized()).await,
    );
    assert_eq!((processed.value, at_confirmed.value, at_finalized.value), (9_000_000, 9_000_000, 0));
    assert!(processed.context.slot > at_confirmed.context.slot, "{processed:?} {at_confirmed:?}");
    assert!(at_confirmed.context.slot > at_finalized.context.slot, "{at_confirmed:?} {at_finalized:?}");

    let fetch = |commitment| {
        let rpc = &rpc;
        async move {
            let config = RpcTransactionConfig {
                encoding: Some(UiTransactionEncoding::Base64),
                commitment: Some(commitment),
                max_supported_transaction_version: Some(0),
            };
            rpc.get_transaction_with_config(&signature, config).await
        }
    };
    assert!(fetch(CommitmentConfig::confirmed()).await.is_ok(), "served at confirmed");
    assert!(fetch(CommitmentConfig::finalized()).await.is_err(), "not yet final");
    let listed = |commitment| {
        let rpc = &rpc;
        async move {
            let config = GetConfirmedSignaturesForAddress2Config { commitment: Some(commitment), ..Default::default() };
            rpc.get_signatures_for_address_with_config(&to, config).await.unwrap()
        }
    };
    let at_confirmed = listed(CommitmentConfig::confirmed()).await;
    assert_eq!(at_confirmed.len(), 1);
    assert_eq!(at_confirmed[0].confirmation_status, Some(TransactionConfirmationStatus::Confirmed));
    assert!(listed(CommitmentConfig::finalized()).await.is_empty());
    // The raw answer carries the level and a confirmation count, as the RPC's does.
    let answer = raw(&cluster, call("getSignatureStatuses", json!([[signature.to_string()]]))).await;
    assert_eq!(answer["result"]["value"][0]["confirmationStatus"], "confirmed");
    assert!(answer["result"]["value"][0]["confirmations"].as_u64().is_some_and(|count| count >= 1), "{answer}");

    super::within(200, || async { (!listed(CommitmentConfig::finalized()).await.is_empty()).then_some(()) }).await;
    assert!(fetch(CommitmentConfig::finalized()).await.is_ok());
    assert_eq!(balance(CommitmentConfig::finalized()).await.value, 9_000_000);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_notified_at_their_commitment() {
    let cluster = realistic().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 2_000_000_000).await;
    let pubsub = PubsubClient::new(&cluster.ws_url()).await.unwrap();
    let (tx, to) = signed_transfer(&rpc, &payer, 3_000_000).await;
    let account_config = |commitment| RpcAccountInfoConfig {
        encoding: Some(UiAccountEncoding::Base64),
        commitment: Some(commitment),
        ..RpcAccountInfoConfig::default()
    };
    let levels = [CommitmentConfig::processed(), CommitmentConfig::confirmed(), CommitmentConfig::finalized()];
    let mut accounts = Vec::new();
    for (index, commitment) in levels.into_iter().enumerate() {
        let (stream, _) = pubsub.account_subscribe(&to, Some(account_config(commitment))).await.unwrap();
        accounts.push(stream.map(move |update| (index, update.context.slot)).boxed());
    }
    let signature_config = RpcSignatureSubscribeConfig {
        commitment: Some(CommitmentConfig::confirmed()),
        enable_received_notification: None,
    };
    let (signatures, _) = pubsub.signature_subscribe(&tx.signatures[0], Some(signature_config)).await.unwrap();
    rpc.send_transaction_with_config(&tx, preflight_at(CommitmentConfig::processed())).await.unwrap();

    // Each notification with the working slot at the moment it arrived.
    let mut merged = futures_util::stream::select_all(accounts);
    let mut arrivals: Vec<(usize, u64, u64)> = Vec::new();
    while arrivals.len() < 3 {
        let (index, context_slot) =
            tokio::time::timeout(Duration::from_secs(20), merged.next()).await.expect("in time").expect("open");
        arrivals.push((index, context_slot, cluster.slot()));
    }
    let order: Vec<usize> = arrivals.iter().map(|(index, _, _)| *index).collect();
    assert_eq!(order, vec![0, 1, 2], "processed, then confirmed, then finalized: {arrivals:?}");
    let landed = arrivals[0].1;
    // Every level reports the slot the change landed in, once that slot reached it.
    assert!(arrivals.iter().all(|(_, context_slot, _)| *context_slot == landed), "{arrivals:?}");
    assert!(arrivals[1].2 >= landed + REALISTIC.confirmed_lag_slots, "{arrivals:?}");
    assert!(arrivals[2].2 >= landed + REALISTIC.finalized_lag_slots, "{arrivals:?}");

    let mut signatures = signatures;
    let notified =
        tokio::time::timeout(Duration::from_secs(5), signatures.next()).await.expect("in time").expect("open");
    assert_eq!(notified.context.slot, landed);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resent_copies_land_once_and_an_expired_wait_is_dropped() {
    let cluster = realistic().await;
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 2_000_000_000).await;
    // The same signed transaction sent three times, as a client re-sends it: it lands once.
    let (tx, to) = signed_transfer(&rpc, &payer, 1_000_000).await;
    let skip = RpcSendTransactionConfig { skip_preflight: true, ..RpcSendTransactionConfig::default() };
    for _ in 0..3 {
        rpc.send_transaction_with_config(&tx, skip).await.unwrap();
    }
    let confirmed = RpcClient::new_with_commitment(cluster.rpc_url(), CommitmentConfig::confirmed());
    super::within(100, || async { confirmed.confirm_transaction(&tx.signatures[0]).await.unwrap().then_some(()) })
        .await;
    assert_eq!(confirmed.get_balance(&to).await.unwrap(), 1_000_000);
    assert_eq!(confirmed.get_signatures_for_address(&to).await.unwrap().len(), 0, "finalized: not yet");

    // Its blockhash expires while it waits for the next slot (blockhashes live one slot
    // here, and it cannot land in the slot it was sent in): it never lands.
    cluster.faults().set(FaultConfig { blockhash_expiry_slots: Some(1), ..FaultConfig::default() }).unwrap();
    let (tx, to) = signed_transfer(&rpc, &payer, 2_000_000).await;
    rpc.send_transaction_with_config(&tx, skip).await.unwrap();
    super::slots_pass(&cluster, 4).await;
    assert_eq!(rpc.get_signature_statuses(&[tx.signatures[0]]).await.unwrap().value[0], None);
    assert_eq!(rpc.get_balance_with_commitment(&to, CommitmentConfig::processed()).await.unwrap().value, 0);
    assert!(cluster.faults().stats().expired_blockhash_rejections >= 1);

    // A dropped send returns its signature and never lands, as in instant mode.
    cluster.faults().set(FaultConfig { dropped_transactions: 1.0, ..FaultConfig::default() }).unwrap();
    let (tx, _) = signed_transfer(&rpc, &payer, 3_000_000).await;
    let signature = rpc.send_transaction_with_config(&tx, skip).await.unwrap();
    super::slots_pass(&cluster, 4).await;
    assert_eq!(rpc.get_signature_statuses(&[signature]).await.unwrap().value[0], None);
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lags_are_configurable_and_checked() {
    let lagging = Confirmation { confirmed_lag_slots: 2, finalized_lag_slots: 6, ..REALISTIC };
    let cluster = start_confirming(lagging, FaultConfig::default()).await;
    super::slots_pass(&cluster, 10).await;
    // Read the trailing levels first: the working slot can only have moved on since.
    let (confirmed, finalized) = (cluster.confirmed_slot(), cluster.finalized_slot());
    let working = cluster.slot();
    assert!((working - 6..=working - 2).contains(&confirmed), "working {working}, confirmed {confirmed}");
    assert!((working - 10..=working - 6).contains(&finalized), "working {working}, finalized {finalized}");
    let rpc = rpc(&cluster);
    let payer = funded(&rpc, 1_000_000_000).await;
    let (tx, _) = signed_transfer(&rpc, &payer, 1_000_000).await;
    let signature = rpc.send_transaction_with_config(&tx, preflight_at(CommitmentConfig::processed())).await.unwrap();
    let (landed, seen) = watch_status(&cluster, &rpc, &signature).await;
    assert_levels_follow(lagging, landed, &seen);
    cluster.shutdown().await;

    for (bad, expected) in [
        (Confirmation { confirmed_lag_slots: 0, ..REALISTIC }, "the confirmed lag must be at least 1 slot"),
        (Confirmation { confirmed_lag_slots: 5, finalized_lag_slots: 4, ..REALISTIC }, "cannot be shorter"),
        (Confirmation { finalized_lag_slots: 1_000, ..REALISTIC }, "at most 100 slots"),
    ] {
        let config = smart_treasury_local_cluster::ClusterConfig {
            confirmation: bad,
            ..smart_treasury_local_cluster::ClusterConfig::ephemeral()
        };
        let error = LocalCluster::start(config).await.err().expect("refused").to_string();
        assert!(error.contains(expected), "{error}");
    }
}
