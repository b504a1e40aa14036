//! What the keeper knows of each managed balance: its on-chain settings, the live
//! balances of its destination and sources, and its last forecast.

use crate::{
    forecast::{BreachOutlook, FlowForecast},
    planner::BalanceView,
};
use anchor_lang::prelude::Pubkey;
use smart_treasury::state::ManagedBalance;
use smart_treasury_client::{read::TokenAccount, status};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug)]
pub struct Tracked {
    pub managed: ManagedBalance,
    pub forecast: Option<(i64, FlowForecast)>,
    pub outlook: Option<BreachOutlook>,
}

/// Managed balances by address, and the token accounts they name.
#[derive(Default)]
pub struct Fleet {
    pub balances: BTreeMap<Pubkey, Tracked>,
    pub accounts: BTreeMap<Pubkey, TokenAccount>,
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
        gone
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
