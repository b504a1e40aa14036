//! Account subscriptions on every managed destination, so a payout wakes the cycle at
//! once instead of at the next reconciliation. Each update is applied with its slot: one
//! older than the last read (of either path) is ignored. Reconnects when the socket drops and
//! resubscribes when the fleet changes; the cycle's batched reads cover any gap,
//! including a socket that stays open but stops delivering.

use crate::service::Shared;
use anchor_lang::prelude::Pubkey;
use anyhow::Result;
use futures_util::{stream::select_all, StreamExt};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_api::config::RpcAccountInfoConfig;
use std::{collections::BTreeSet, sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

pub async fn run(shared: Arc<Shared>, shutdown: CancellationToken) -> Result<()> {
    crate::reconnect::keep_connected(&shared.metrics, &shutdown, "websocket", || watch(&shared, &shutdown)).await;
    Ok(())
}

async fn destinations(shared: &Shared) -> BTreeSet<Pubkey> {
    shared.fleet.read().await.balances.values().map(|tracked| tracked.managed.destination).collect()
}

/// One connection's life: subscribe, relay updates, return on a fleet change.
async fn watch(shared: &Shared, shutdown: &CancellationToken) -> Result<()> {
    let watched = destinations(shared).await;
    let client = PubsubClient::new(&shared.config.ws_url).await?;
    // At the keeper's commitment (confirmed by default), as its batch reads: a slower
    // level would wake it late, a faster one on what may still be rolled back.
    let config = RpcAccountInfoConfig {
        encoding: Some(UiAccountEncoding::Base64),
        commitment: Some(shared.rpc.commitment()),
        ..RpcAccountInfoConfig::default()
    };
    let mut streams = Vec::with_capacity(watched.len());
    for address in &watched {
        let (stream, _unsubscribe) = client.account_subscribe(address, Some(config.clone())).await?;
        let address = *address;
        streams.push(stream.map(move |update| (address, update)));
    }
    tracing::info!(accounts = watched.len(), "watching destinations");
    let mut updates = select_all(streams);
    let mut membership = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = membership.tick() => {
                if destinations(shared).await != watched {
                    return Ok(());
                }
            }
            update = updates.next(), if !watched.is_empty() => {
                let Some((address, response)) = update else {
                    anyhow::bail!("the subscription stream ended");
                };
                let account = response.value.decode::<solana_account::Account>();
                let state = crate::observe::account_state(address, account);
                // A notification older than the last read changes nothing.
                let mut fleet = shared.fleet.write().await;
                if fleet.observe(address, response.context.slot, state) {
                    let reading: Vec<Pubkey> = fleet.reading(&address).collect();
                    drop(fleet);
                    shared.changed(reading);
                }
            }
        }
    }
}
