//! Account subscriptions on every managed destination, so a payout wakes the cycle at
//! once instead of at the next reconciliation. Reconnects when the socket drops and
//! resubscribes when the fleet changes; the cycle's batched reads cover any gap,
//! including a socket that stays open but stops delivering.

use crate::service::{unix_now, Shared};
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
    let config = RpcAccountInfoConfig { encoding: Some(UiAccountEncoding::Base64), ..RpcAccountInfoConfig::default() };
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
                let Some(account) = response.value.decode::<solana_account::Account>() else { continue };
                let Ok(token) = smart_treasury_client::read::parse_token_account(address, account.owner, &account.data) else {
                    continue;
                };
                let slot = response.context.slot;
                let mut fleet = shared.fleet.write().await;
                fleet.accounts.insert(address, token);
                let store = shared.store();
                for (key, tracked) in &fleet.balances {
                    if tracked.managed.destination == address {
                        store.record_sample(&key.to_string(), slot, unix_now(), token.amount)?;
                    }
                }
                drop(store);
                drop(fleet);
                shared.wake.notify_one();
            }
        }
    }
}
