//! One read of everything a cycle decides on, at the keeper's commitment: the chain's
//! clock, the treasury (pause, crank allow-list), the fee payer and every watched token
//! account, a hundred to a request. A request that fails is retried on its own and, if
//! it still fails, leaves only its hundred accounts as last read; an account that is
//! closed or no longer a token account marks only what reads it.

use crate::{
    fleet::{AccountState, ChainClock, Fleet},
    metrics,
    service::Shared,
};
use anchor_lang::{prelude::Pubkey, AccountDeserialize};
use anyhow::Result;
use smart_treasury::state::Treasury;
use smart_treasury_client::read::{self, parse_token_account};
use solana_clock::{sysvar::ID as CLOCK, Clock};
use std::time::Instant;

/// Tries per request before its accounts are left as last read.
const TRIES_PER_BATCH: u32 = 3;

/// What a read found beyond the fleet's accounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// The newest slot any request answered at.
    pub slot: u64,
    pub failed_batches: usize,
    /// The fee payer's lamports, when its request answered.
    pub fee_payer_lamports: Option<u64>,
}

/// Reads the chain into the fleet. Fails only when no request at all answered.
pub async fn observe(shared: &Shared) -> Result<Observed> {
    let watched = shared.fleet.read().await.watched_accounts();
    let mut addresses = vec![CLOCK, shared.treasury, shared.keeper];
    addresses.extend(watched);
    let record = |took: std::time::Duration| shared.metrics.observe_rpc("getMultipleAccounts", took.as_secs_f64());
    let batches = read::accounts_in_batches(&shared.rpc, &addresses, TRIES_PER_BATCH, &record).await;
    let read_at = Instant::now();
    let total = batches.len();
    let mut observed = Observed::default();
    let mut fleet = shared.fleet.write().await;
    for batch in batches {
        let read = match batch.read {
            Ok(read) => read,
            Err(error) => {
                observed.failed_batches += 1;
                shared.metrics.add(&metrics::FAILURES, &["batch_read"], 1.0);
                tracing::warn!(%error, accounts = batch.addresses.len(), "a batch read failed; those accounts stay as last read");
                continue;
            }
        };
        observed.slot = observed.slot.max(read.slot);
        for (address, account) in batch.addresses.into_iter().zip(read.accounts) {
            if address == CLOCK {
                note_clock(&mut fleet, read.slot, account.as_ref(), read_at);
            } else if address == shared.treasury {
                note_treasury(&mut fleet, &address, account.as_ref());
            } else if address == shared.keeper {
                observed.fee_payer_lamports = Some(account.map_or(0, |account| account.lamports));
            } else {
                fleet.observe(address, read.slot, account_state(address, account));
            }
        }
    }
    anyhow::ensure!(observed.failed_batches < total || total == 0, "every batch read failed");
    Ok(observed)
}

/// What an account read means for a watched token account.
pub fn account_state(address: Pubkey, account: Option<solana_account::Account>) -> AccountState {
    match account {
        None => AccountState::Closed,
        // A closed account refunded with lamports reads as an empty system account.
        Some(account) => match parse_token_account(address, account.owner, &account.data) {
            Ok(token) => AccountState::Token(token),
            Err(error) => AccountState::NotTokenAccount(error.to_string()),
        },
    }
}

fn note_clock(fleet: &mut Fleet, slot: u64, account: Option<&solana_account::Account>, read_at: Instant) {
    let Some(clock) = account.and_then(|account| bincode::deserialize::<Clock>(&account.data).ok()) else {
        tracing::warn!("the Clock sysvar did not decode; keeping the last reading");
        return;
    };
    if fleet.clock.is_none_or(|last| last.slot <= slot) {
        fleet.clock = Some(ChainClock { slot, unix_timestamp: clock.unix_timestamp, read_at });
    }
}

fn note_treasury(fleet: &mut Fleet, address: &Pubkey, account: Option<&solana_account::Account>) {
    let decoded = account.map(|account| Treasury::try_deserialize(&mut account.data.as_slice()));
    match decoded {
        Some(Ok(treasury)) => fleet.treasury = Some(treasury),
        Some(Err(error)) => tracing::warn!(treasury = %address, %error, "the treasury account does not decode"),
        None => tracing::warn!(treasury = %address, "the treasury account does not exist"),
    }
}
