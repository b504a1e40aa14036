//! The one ingestion path for the treasury's program events, whoever caused them (this
//! keeper, another keeper, the authority, a spender): live over logsSubscribe at
//! `confirmed`, mentioning only the treasury, and back-filled with
//! getSignaturesForAddress + getTransaction from the last signature covered, on start,
//! after every reconnect and every `backfill_interval` (a socket can stay open and go
//! quiet). Recording is idempotent, so the two paths may overlap freely. The keeper's
//! history, the activity log and the webhooks all read what this records.

use crate::{
    event_log::BalanceInfo,
    service::{unix_now, Shared},
};
use anchor_lang::prelude::Pubkey;
use anyhow::Result;
use futures_util::StreamExt;
use smart_treasury_client::events::{self as program_events, ProgramEvent, TransactionEvents};
use solana_commitment_config::CommitmentConfig;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_rpc_client_api::config::{RpcTransactionLogsConfig, RpcTransactionLogsFilter};
use std::{str::FromStr, sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

pub use crate::event_log::movement_of;

/// The movements a transaction made, for the forecast and for tests that count them.
pub fn movements_of(events: &TransactionEvents) -> Vec<crate::store::Movement> {
    events.decoded().filter_map(|(_, event)| movement_of(&events.signature, events.fee_lamports, event)).collect()
}

/// What the fleet (or, for a closed balance, the store's directory) knows of the managed
/// balance an event is about: named directly, or through its destination vault.
fn balance_of(shared: &Shared, fleet: &crate::fleet::Fleet, event: &ProgramEvent) -> Option<BalanceInfo> {
    let address = event.managed_balance();
    let vault = event.vault();
    let tracked = match (address, vault) {
        (Some(address), _) => fleet.balances.get_key_value(&address),
        (None, Some(vault)) => fleet.balances.iter().find(|(_, tracked)| tracked.managed.destination == vault),
        (None, None) => return None,
    };
    if let Some((address, tracked)) = tracked {
        return Some(info_of(address, &tracked.managed));
    }
    shared.store().balance_info(address.as_ref(), vault.as_ref()).ok().flatten()
}

/// A managed balance as the directory remembers it.
pub fn info_of(address: &Pubkey, managed: &smart_treasury::state::ManagedBalance) -> BalanceInfo {
    BalanceInfo {
        address: *address,
        id: managed.id,
        name: smart_treasury::state::decode_name(&managed.name).to_string(),
        mint: managed.mint,
        decimals: managed.decimals,
        destination: managed.destination,
    }
}

/// Records a fetched transaction's events for this treasury. Returns how many were new.
pub async fn record(shared: &Shared, events: &TransactionEvents) -> Result<usize> {
    let fleet = shared.fleet.read().await;
    let balances: Vec<Option<BalanceInfo>> = events
        .events
        .iter()
        .map(|indexed| indexed.event.as_ref().ok().and_then(|event| balance_of(shared, &fleet, event)))
        .collect();
    drop(fleet);
    let outbox = shared.outbox();
    let new = shared.store().record_events(events, &shared.treasury, &balances, outbox.as_deref(), unix_now())?;
    if new > 0 {
        shared.metrics.add(&crate::metrics::EVENTS_RECORDED, &[], new as f64);
    }
    Ok(new)
}

/// Fetches `signature` and records its events. The transaction may take a moment to be
/// served at `confirmed`: retried briefly, then left to back-fill.
pub async fn ingest(shared: &Shared, signature: &str) -> Result<usize> {
    for attempt in 0..6u32 {
        match program_events::fetch(&shared.rpc, signature).await {
            Ok(Some(events)) => return record(shared, &events).await,
            Ok(None) if attempt < 5 => {}
            Ok(None) => return Ok(0),
            Err(error) if attempt == 5 => return Err(error.into()),
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
    }
    Ok(0)
}

/// Signatures per getSignaturesForAddress page: the RPC's maximum.
const PAGE: usize = 1_000;

/// Ingests every successful transaction of the treasury newer than the cursor, oldest
/// first, then moves the cursor to the newest. Returns how many events were new.
pub async fn backfill(shared: &Shared) -> Result<usize> {
    let cursor = shared.store().cursor(&shared.treasury)?;
    let until = cursor.as_ref().map(|(signature, _)| solana_signature::Signature::from_str(signature)).transpose()?;
    // Newest first, paging back until the cursor (or the treasury's first transaction).
    let mut pending = Vec::new();
    let mut before = None;
    loop {
        let config = GetConfirmedSignaturesForAddress2Config {
            before,
            until,
            limit: Some(PAGE),
            commitment: Some(CommitmentConfig::confirmed()),
        };
        let page = shared.rpc.get_signatures_for_address_with_config(&shared.treasury, config).await?;
        let full = page.len() == PAGE;
        before = page.last().map(|entry| solana_signature::Signature::from_str(&entry.signature)).transpose()?;
        pending.extend(page);
        if !full {
            break;
        }
    }
    let Some(newest) = pending.first().map(|entry| (entry.signature.clone(), entry.slot)) else {
        return Ok(0);
    };
    let mut new = 0;
    for entry in pending.iter().rev().filter(|entry| entry.err.is_none()) {
        // A signature the node lists is served: a miss here is a transient error.
        match program_events::fetch(&shared.rpc, &entry.signature).await? {
            Some(events) => new += record(shared, &events).await?,
            None => anyhow::bail!("{} is listed for the treasury but not served yet", entry.signature),
        }
    }
    shared.store().advance_cursor(&shared.treasury, &newest.0, newest.1)?;
    if new > 0 {
        tracing::info!(events = new, transactions = pending.len(), "back-filled the treasury's events");
    }
    Ok(new)
}

/// Follows the treasury's transactions; reconnects when dropped, back-filling each time.
pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) -> Result<()> {
    let periodic = tokio::spawn(periodic_backfill(shared.clone(), shutdown.clone()));
    crate::reconnect::keep_connected(&shared.metrics, &shutdown, "program_logs", || follow(&shared, &shutdown)).await;
    periodic.await?;
    Ok(())
}

/// Covers a subscription that stays open but stops delivering.
async fn periodic_backfill(shared: Arc<Shared>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(shared.config.backfill_interval) => {}
        }
        if let Err(error) = backfill(&shared).await {
            tracing::warn!(%error, "back-fill failed; retrying at the next interval");
        }
    }
}

async fn follow(shared: &Shared, shutdown: &CancellationToken) -> Result<()> {
    let client = PubsubClient::new(&shared.config.ws_url).await?;
    let filter = RpcTransactionLogsFilter::Mentions(vec![shared.treasury.to_string()]);
    let config = RpcTransactionLogsConfig { commitment: Some(CommitmentConfig::confirmed()) };
    let (mut logs, _unsubscribe) = client.logs_subscribe(filter, config).await?;
    // Subscribed first, then back-filled: whatever landed while disconnected is covered,
    // and whatever lands from now on arrives on the subscription.
    backfill(shared).await?;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            next = logs.next() => {
                let Some(response) = next else { anyhow::bail!("the log stream ended") };
                if response.value.err.is_some() {
                    continue;
                }
                let signature = response.value.signature;
                if let Err(error) = ingest(shared, &signature).await {
                    tracing::warn!(%error, %signature, "could not read the treasury's transaction; back-fill will");
                }
            }
        }
    }
}
