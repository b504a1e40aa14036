//! What the keeper knows of each managed balance: its on-chain settings, the live
//! balances of its destination and sources (each with the slot it was read at, so an
//! older read never overwrites a newer one), its last forecast, and the treasury's
//! state and clock.

use crate::{
    forecast::{BreachOutlook, FlowForecast},
    planner::BalanceView,
};
use anchor_lang::prelude::Pubkey;
use smart_treasury::state::{ManagedBalance, Treasury};
use smart_treasury_client::{read::TokenAccount, status};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug)]
pub struct Tracked {
    pub managed: ManagedBalance,
    pub forecast: Option<(i64, FlowForecast)>,
    pub outlook: Option<BreachOutlook>,
}

impl Tracked {
    /// A managed balance not forecast yet.
    pub fn new(managed: ManagedBalance) -> Self {
        Self { managed, forecast: None, outlook: None }
    }
}

/// Managed balances by address, and the token accounts they name.
#[derive(Default)]
pub struct Fleet {
    pub balances: BTreeMap<Pubkey, Tracked>,
    /// Watched accounts that are usable token accounts.
    pub accounts: BTreeMap<Pubkey, TokenAccount>,
    /// Watched accounts that are not: closed, or no longer a token account (why).
    pub unusable: BTreeMap<Pubkey, String>,
    /// The slot each watched account was last read at.
    pub observed: BTreeMap<Pubkey, u64>,
    /// The treasury as last read: pause and the crank allow-list.
    pub treasury: Option<Treasury>,
    pub clock: Option<ChainClock>,
}

/// What a read found at a watched address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountState {
    Token(TokenAccount),
    Closed,
    NotTokenAccount(String),
}

/// The cluster's clock (the Clock sysvar) as last read, and when: cooldowns and periods
/// are the program's, counted in its clock, not the host's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainClock {
    pub slot: u64,
    pub unix_timestamp: i64,
    pub read_at: std::time::Instant,
}

impl ChainClock {
    /// The chain's time now: the last reading plus what elapsed since (whole seconds).
    pub fn now(&self) -> i64 {
        self.unix_timestamp.saturating_add(self.read_at.elapsed().as_secs() as i64)
    }
}

impl Fleet {
    /// Replaces the set of managed balances, keeping forecasts of those that stay;
    /// returns those that are gone (closed).
    pub fn refresh(&mut self, discovered: Vec<(Pubkey, ManagedBalance)>) -> Vec<Pubkey> {
        let mut next = BTreeMap::new();
        for (address, managed) in discovered {
            let previous = self.balances.remove(&address);
            let (forecast, outlook) = previous.map(|tracked| (tracked.forecast, tracked.outlook)).unwrap_or_default();
            next.insert(address, Tracked { managed, forecast, outlook });
        }
        let gone = std::mem::replace(&mut self.balances, next).into_keys().collect();
        let watched = self.watched_accounts();
        self.accounts.retain(|address, _| watched.contains(address));
        self.unusable.retain(|address, _| watched.contains(address));
        self.observed.retain(|address, _| watched.contains(address));
        gone
    }

    /// Applies what a read at `slot` found at `address`, unless a read of a later slot
    /// already did (a notification older than the last batch read, or the reverse).
    /// Returns whether it applied.
    pub fn observe(&mut self, address: Pubkey, slot: u64, state: AccountState) -> bool {
        if self.observed.get(&address).is_some_and(|seen| *seen > slot) {
            return false;
        }
        self.observed.insert(address, slot);
        match state {
            AccountState::Token(account) => {
                self.unusable.remove(&address);
                self.accounts.insert(address, account);
            }
            AccountState::Closed => {
                self.accounts.remove(&address);
                self.unusable.insert(address, "the account is closed".into());
            }
            AccountState::NotTokenAccount(reason) => {
                self.accounts.remove(&address);
                self.unusable.insert(address, format!("not a token account any more: {reason}"));
            }
        }
        true
    }

    /// The managed balances whose destination is `account`.
    pub fn reading<'a>(&'a self, account: &'a Pubkey) -> impl Iterator<Item = Pubkey> + 'a {
        self.balances
            .iter()
            .filter(move |(_, tracked)| tracked.managed.destination == *account)
            .map(|(address, _)| *address)
    }

    /// Why nothing can be done for a managed balance (its destination cannot be read as
    /// a token account), if so.
    pub fn degraded(&self, address: &Pubkey) -> Option<&str> {
        let destination = self.balances.get(address)?.managed.destination;
        self.unusable.get(&destination).map(String::as_str)
    }

    /// Every token account a decision reads: destinations and sources.
    pub fn watched_accounts(&self) -> BTreeSet<Pubkey> {
        let mut watched = BTreeSet::new();
        for tracked in self.balances.values() {
            watched.insert(tracked.managed.destination);
            watched.extend(tracked.managed.linked_sources().iter().map(|source| source.token_account));
        }
        watched
    }

    /// The planner's view, once the destination's balance is known.
    pub fn view(&self, address: &Pubkey) -> Option<BalanceView> {
        let tracked = self.balances.get(address)?;
        let managed = &tracked.managed;
        let destination = self.accounts.get(&managed.destination)?;
        let sources = managed
            .linked_sources()
            .iter()
            .map(|source| status::source_state(source, self.accounts.get(&source.token_account), &managed.mint))
            .collect();
        Some(BalanceView {
            thresholds: managed.thresholds(),
            enabled: managed.enabled,
            mode: managed.mode.into(),
            cooldown_seconds: managed.automation.cooldown_seconds,
            period_seconds: managed.automation.period_seconds,
            period_cap: managed.automation.period_cap,
            moved: managed.moved.into(),
            forecast_band_bps: managed.automation.forecast_band_bps,
            last_automation_at: managed.last_automation_at,
            balance: destination.amount,
            destination_allowance: status::allowance_for(destination, &managed.destination_pool),
            sources,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(address: Pubkey, amount: u64) -> AccountState {
        AccountState::Token(TokenAccount {
            address,
            token_program: Pubkey::new_unique(),
            mint: Pubkey::new_unique(),
            owner: Pubkey::new_unique(),
            amount,
            delegate: None,
            delegated_amount: 0,
            frozen: false,
            memo_required: false,
        })
    }

    #[test]
    fn a_read_older_than_the_last_never_overwrites_it() {
        let mut fleet = Fleet::default();
        let address = Pubkey::new_unique();
        assert!(fleet.observe(address, 10, token(address, 500)));
        // A notification from slot 9 arrives after the batch read of slot 10.
        assert!(!fleet.observe(address, 9, token(address, 900)));
        assert_eq!(fleet.accounts[&address].amount, 500);
        assert!(fleet.observe(address, 10, token(address, 400)), "the same slot may restate it");
        assert!(fleet.observe(address, 12, token(address, 300)));
        assert_eq!((fleet.accounts[&address].amount, fleet.observed[&address]), (300, 12));
    }

    #[test]
    fn a_closed_or_foreign_account_is_unusable_until_it_is_a_token_account_again() {
        let mut fleet = Fleet::default();
        let address = Pubkey::new_unique();
        fleet.observe(address, 1, token(address, 5));
        fleet.observe(address, 2, AccountState::Closed);
        assert!(!fleet.accounts.contains_key(&address));
        assert_eq!(fleet.unusable[&address], "the account is closed");
        fleet.observe(address, 3, AccountState::NotTokenAccount("owned by the system program".into()));
        assert!(fleet.unusable[&address].contains("owned by the system program"));
        fleet.observe(address, 4, token(address, 7));
        assert!(fleet.unusable.is_empty());
    }
}
