//! The program's movements, whoever caused them (this keeper, another keeper, the
//! authority), read from its events. Recording them keeps the forecast's history
//! organic: a top-up is not a deposit.

use crate::{service::Shared, store::Movement};
use anchor_lang::{prelude::Pubkey, AnchorDeserialize, Discriminator};
use anyhow::Result;
use futures_util::StreamExt;
use smart_treasury::events::{ExcessSwept, MovementReason, RatioRebalanced, ToppedUp};
use solana_commitment_config::CommitmentConfig;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_api::config::{RpcTransactionConfig, RpcTransactionLogsConfig, RpcTransactionLogsFilter};
use solana_transaction_status_client_types::{
    EncodedConfirmedTransactionWithStatusMeta, UiInstruction, UiTransactionEncoding,
};
use std::{str::FromStr, sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

fn reason_name(reason: MovementReason) -> &'static str {
    match reason {
        MovementReason::Threshold => "threshold",
        MovementReason::Forecast => "forecast",
        MovementReason::Manual => "manual",
        MovementReason::Sweep => "sweep",
        MovementReason::Rebalance => "rebalance",
    }
}

/// Every movement event in a fetched transaction.
pub fn movements_in(signature: &str, tx: &EncodedConfirmedTransactionWithStatusMeta) -> Vec<Movement> {
    let Some(meta) = &tx.transaction.meta else { return Vec::new() };
    let Some(decoded) = tx.transaction.transaction.decode() else { return Vec::new() };
    let keys = decoded.message.static_account_keys();
    let inner: Option<Vec<_>> = meta.inner_instructions.clone().into();
    let tag = anchor_lang::event::EVENT_IX_TAG_LE;
    let mut movements = Vec::new();
    for instruction in inner.unwrap_or_default().iter().flat_map(|group| group.instructions.iter()) {
        let UiInstruction::Compiled(compiled) = instruction else { continue };
        if keys.get(usize::from(compiled.program_id_index)) != Some(&smart_treasury::ID) {
            continue;
        }
        let Ok(data) = bs58::decode(&compiled.data).into_vec() else { continue };
        let Some(event) = data.strip_prefix(tag) else { continue };
        if event.len() < 8 {
            continue;
        }
        let (discriminator, mut fields) = event.split_at(8);
        let movement =
            |managed_balance: Pubkey, kind: &str, amount: i128, before: u64, after: u64, slot: u64, at: i64| Movement {
                signature: signature.to_string(),
                managed_balance: managed_balance.to_string(),
                kind: kind.to_string(),
                amount,
                balance_before: before,
                balance_after: after,
                slot,
                unix_timestamp: at,
                fee_lamports: Some(meta.fee),
            };
        if discriminator == ToppedUp::DISCRIMINATOR {
            if let Ok(e) = ToppedUp::deserialize(&mut fields) {
                let amount = i128::from(e.balance_after) - i128::from(e.balance_before);
                movements.push(movement(
                    e.managed_balance,
                    reason_name(e.reason),
                    amount,
                    e.balance_before,
                    e.balance_after,
                    e.slot,
                    e.unix_timestamp,
                ));
            }
        } else if discriminator == ExcessSwept::DISCRIMINATOR {
            if let Ok(e) = ExcessSwept::deserialize(&mut fields) {
                let amount = i128::from(e.balance_after) - i128::from(e.balance_before);
                movements.push(movement(
                    e.managed_balance,
                    "sweep",
                    amount,
                    e.balance_before,
                    e.balance_after,
                    e.slot,
                    e.unix_timestamp,
                ));
            }
        } else if discriminator == RatioRebalanced::DISCRIMINATOR {
            if let Ok(e) = RatioRebalanced::deserialize(&mut fields) {
                let amount = i128::from(e.local_after) - i128::from(e.local_before);
                movements.push(movement(
                    e.managed_balance,
                    "rebalance",
                    amount,
                    e.local_before,
                    e.local_after,
                    e.slot,
                    e.unix_timestamp,
                ));
            }
        }
    }
    movements
}

/// Fetches `signature` and records its movements for this treasury's balances.
pub async fn ingest(shared: &Shared, signature: &str) -> Result<usize> {
    let parsed = solana_signature::Signature::from_str(signature)?;
    let config = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Base64),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    let tx = shared.rpc.get_transaction_with_config(&parsed, config).await?;
    let fleet = shared.fleet.read().await;
    let ours: Vec<Movement> = movements_in(signature, &tx)
        .into_iter()
        .filter(|movement| {
            Pubkey::from_str(&movement.managed_balance).is_ok_and(|address| fleet.balances.contains_key(&address))
        })
        .collect();
    drop(fleet);
    let store = shared.store();
    for movement in &ours {
        store.record_movement(movement)?;
    }
    Ok(ours.len())
}

/// Follows the program's transactions over logsSubscribe; reconnects when dropped.
pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) -> Result<()> {
    crate::reconnect::keep_connected(&shared.metrics, &shutdown, "program_logs", || follow(&shared, &shutdown)).await;
    Ok(())
}

async fn follow(shared: &Shared, shutdown: &CancellationToken) -> Result<()> {
    let client = PubsubClient::new(&shared.config.ws_url).await?;
    let filter = RpcTransactionLogsFilter::Mentions(vec![smart_treasury::ID.to_string()]);
    let config = RpcTransactionLogsConfig { commitment: Some(CommitmentConfig::confirmed()) };
    let (mut logs, _unsubscribe) = client.logs_subscribe(filter, config).await?;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            next = logs.next() => {
                let Some(response) = next else { anyhow::bail!("the log stream ended") };
                if response.value.err.is_some() {
                    continue;
                }
                let signature = response.value.signature;
                // The transaction may need a moment to be served at `confirmed`.
                for attempt in 0..5u32 {
                    match ingest(shared, &signature).await {
                        Ok(_) => break,
                        Err(error) if attempt == 4 => tracing::warn!(%error, %signature, "could not read the program's movement"),
                        Err(_) => tokio::time::sleep(Duration::from_millis(100 << attempt)).await,
                    }
                }
            }
        }
    }
}
