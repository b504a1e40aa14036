//! Managed balances as the keeper sees them right now: settings from chain, live token
//! balances, what automation may still move, and the last forecast. Read from the
//! keeper's fleet (kept current by its subscriptions and batched reads), so a list of
//! a thousand costs no RPC request.

use crate::state::AppState;
use anchor_lang::prelude::Pubkey;
use smart_treasury::state::ManagedBalance;
use smart_treasury_client::{read::TokenAccount, BalanceStatus};
use smart_treasury_keeper::{
    fleet::Fleet,
    forecast::{BreachOutlook, FlowForecast, Method},
};
use std::sync::Arc;

/// The forecast's headline numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastFacts {
    pub method: Method,
    pub history_buckets: usize,
    /// Unix seconds the bucket the forecast was made in started.
    pub made_at: i64,
    pub outlook: Option<BreachOutlook>,
}

/// One managed balance, copied out of the fleet.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub status: BalanceStatus,
    /// What automation moved in the rolling period ending now.
    pub moved_in_period: u64,
    pub remaining_in_period: u64,
    /// When the cooldown lets the next automatic movement through, if it holds now.
    pub next_automation_at: Option<i64>,
    pub forecast: Option<ForecastFacts>,
    /// Unix seconds the snapshot was taken.
    pub taken_at: i64,
}

impl Snapshot {
    pub fn managed(&self) -> &ManagedBalance {
        &self.status.managed
    }

    pub fn address(&self) -> Pubkey {
        self.status.address
    }
}

fn accounts_of(fleet: &Fleet, managed: &ManagedBalance) -> Vec<Option<TokenAccount>> {
    std::iter::once(managed.destination)
        .chain(managed.linked_sources().iter().map(|source| source.token_account))
        .map(|address| fleet.accounts.get(&address).copied())
        .collect()
}

fn snapshot_of(fleet: &Fleet, address: &Pubkey, bucket_seconds: i64, now: i64) -> Option<Snapshot> {
    let tracked = fleet.balances.get(address)?;
    let managed = &tracked.managed;
    let status = BalanceStatus::new(*address, managed.clone(), &accounts_of(fleet, managed));
    let automation = &managed.automation;
    let moved_in_period = managed.moved_in_period(now);
    let ready_at = managed.last_automation_at.saturating_add(i64::from(automation.cooldown_seconds));
    let forecast = tracked.forecast.as_ref().map(|(bucket, forecast): &(i64, FlowForecast)| ForecastFacts {
        method: forecast.method,
        history_buckets: forecast.history_buckets,
        made_at: bucket * bucket_seconds,
        outlook: tracked.outlook.clone(),
    });
    Some(Snapshot {
        status,
        moved_in_period,
        remaining_in_period: automation.period_cap.saturating_sub(moved_in_period),
        next_automation_at: (managed.last_automation_at != 0 && ready_at > now).then_some(ready_at),
        forecast,
        taken_at: now,
    })
}

/// Every managed balance the keeper tracks, by id.
pub async fn all(state: &Arc<AppState>) -> Vec<Snapshot> {
    // The chain's clock, as the program counts cooldowns and windows.
    let now = state.keeper.chain_now().await;
    let bucket = state.keeper.config.bucket_seconds;
    let fleet = state.keeper.fleet.read().await;
    let mut snapshots: Vec<Snapshot> =
        fleet.balances.keys().filter_map(|address| snapshot_of(&fleet, address, bucket, now)).collect();
    drop(fleet);
    snapshots.sort_by_key(|snapshot| snapshot.managed().id);
    snapshots
}

/// One managed balance by address, if the keeper tracks it.
pub async fn one(state: &Arc<AppState>, address: &Pubkey) -> Option<Snapshot> {
    let now = state.keeper.chain_now().await;
    let fleet = state.keeper.fleet.read().await;
    snapshot_of(&fleet, address, state.keeper.config.bucket_seconds, now)
}

/// The last forecast of one managed balance, in full.
pub async fn forecast(state: &Arc<AppState>, address: &Pubkey) -> Option<(i64, FlowForecast)> {
    let fleet = state.keeper.fleet.read().await;
    fleet.balances.get(address).and_then(|tracked| tracked.forecast.clone())
}

/// Reads a managed balance from chain into the fleet now, so a read right after a
/// change (or of a balance made elsewhere) need not wait for discovery. `false` when it
/// does not exist.
pub async fn refresh(state: &Arc<AppState>, address: &Pubkey) -> Result<bool, crate::error::Problem> {
    let rpc = &state.keeper.rpc;
    let managed =
        smart_treasury_client::read::program_account::<ManagedBalance>(rpc, "managed balance", address).await?;
    let Some(managed) = managed else {
        state.keeper.fleet.write().await.balances.remove(address);
        return Ok(false);
    };
    if managed.treasury != state.keeper.treasury {
        return Ok(false);
    }
    let mut watched = vec![managed.destination];
    watched.extend(managed.linked_sources().iter().map(|source| source.token_account));
    let accounts = smart_treasury_client::read::token_accounts(rpc, &watched).await?;
    let info = smart_treasury_keeper::events::info_of(address, &managed);
    let mut fleet = state.keeper.fleet.write().await;
    for (key, account) in watched.iter().zip(accounts) {
        match account {
            Some(account) => {
                fleet.accounts.insert(*key, account);
            }
            None => {
                fleet.accounts.remove(key);
            }
        }
    }
    match fleet.balances.get_mut(address) {
        Some(tracked) => tracked.managed = managed,
        None => {
            fleet.balances.insert(*address, smart_treasury_keeper::fleet::Tracked::new(managed));
        }
    }
    drop(fleet);
    state.keeper.store().remember_balances(&[info]).map_err(crate::error::Problem::internal)?;
    Ok(true)
}
