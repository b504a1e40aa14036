//! Helpers for the movement tests: cranks built on a chosen config version or source
//! list, and the authority changes those tests set up their scenarios with.
//!
//! A trait rather than an inherent `impl Fixture`, so these names can never clash with
//! methods added to the fixture itself.

use crate::{
    fixture::Fixture,
    ix,
    runtime::{Failure, Outcome},
};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use smart_treasury::{
    instructions::UpdateSourceArgs,
    state::{AutomationSettings, BalanceMode},
};
use solana_signer::Signer;

#[allow(async_fn_in_trait)]
pub trait Movements {
    /// Sends `ix` signed by the fixture's keeper.
    async fn as_keeper(&mut self, ix: Instruction) -> Result<Outcome, Failure>;
    /// A keeper top-up built on `version`, naming exactly `sources` (token account, pool).
    async fn crank_top_up(&mut self, version: u64, sources: &[(Pubkey, Pubkey)]) -> Result<Outcome, Failure>;
    /// A keeper sweep on the current config, passing every enabled source.
    async fn crank_sweep(&mut self) -> Result<Outcome, Failure>;
    /// A keeper sweep on the current config naming exactly `sources`.
    async fn crank_sweep_with(&mut self, sources: &[(Pubkey, Pubkey)]) -> Result<Outcome, Failure>;
    /// A keeper ratio rebalance on the current config, passing every enabled source.
    async fn crank_rebalance(&mut self) -> Result<Outcome, Failure>;
    /// A keeper ratio rebalance on the current config naming exactly `sources`.
    async fn crank_rebalance_with(&mut self, sources: &[(Pubkey, Pubkey)]) -> Result<Outcome, Failure>;
    /// The authority's manual top-up of `amount`, passing every enabled source.
    async fn manual_adjust(&mut self, amount: u64) -> Result<Outcome, Failure>;
    /// Changes a linked source, keeping whether it may take returned funds.
    async fn set_source(&mut self, token_account: Pubkey, priority: u8, reserve_floor: u64, enabled: bool);
    /// Lets a linked venue take returned funds, or stops it.
    async fn allow_returns(&mut self, token_account: Pubkey, allowed: bool);
    async fn set_mode(&mut self, mode: BalanceMode, automation: AutomationSettings);
    async fn set_thresholds(&mut self, min: u64, target: u64, max: u64);
    /// Withdraws from (to the sink) or mints into a pool vault until it holds `balance`.
    async fn set_vault_balance(&mut self, pool: Pubkey, vault: Pubkey, balance: u64);
    async fn guardian_pause(&mut self);
}

impl Movements for Fixture {
    async fn as_keeper(&mut self, ix: Instruction) -> Result<Outcome, Failure> {
        let keeper = self.keeper.insecure_clone();
        self.rt.send(&[ix], &[&keeper]).await
    }

    async fn crank_top_up(&mut self, version: u64, sources: &[(Pubkey, Pubkey)]) -> Result<Outcome, Failure> {
        let ix = ix::top_up(self.keeper.pubkey(), self.balance_accounts(), version, sources);
        self.as_keeper(ix).await
    }

    async fn crank_sweep(&mut self) -> Result<Outcome, Failure> {
        let sources = self.enabled_sources().await;
        self.crank_sweep_with(&sources).await
    }

    async fn crank_sweep_with(&mut self, sources: &[(Pubkey, Pubkey)]) -> Result<Outcome, Failure> {
        let version = self.config_version().await;
        let ix = ix::sweep_excess(self.keeper.pubkey(), self.balance_accounts(), version, sources);
        self.as_keeper(ix).await
    }

    async fn crank_rebalance(&mut self) -> Result<Outcome, Failure> {
        let sources = self.enabled_sources().await;
        self.crank_rebalance_with(&sources).await
    }

    async fn crank_rebalance_with(&mut self, sources: &[(Pubkey, Pubkey)]) -> Result<Outcome, Failure> {
        let version = self.config_version().await;
        let ix = ix::rebalance_ratio(self.keeper.pubkey(), self.balance_accounts(), version, sources);
        self.as_keeper(ix).await
    }

    async fn manual_adjust(&mut self, amount: u64) -> Result<Outcome, Failure> {
        let sources = self.enabled_sources().await;
        let ix = ix::adjust_balance(self.authority.pubkey(), self.balance_accounts(), amount, &sources);
        self.as_authority(ix).await
    }

    async fn set_source(&mut self, token_account: Pubkey, priority: u8, reserve_floor: u64, enabled: bool) {
        let managed = self.managed().await;
        let linked = managed.linked_sources().iter().find(|source| source.token_account == token_account);
        let returns_allowed = linked.expect("a linked source").returns_allowed;
        let args = UpdateSourceArgs { token_account, priority, reserve_floor, enabled, returns_allowed };
        let ix = ix::update_source(self.authority.pubkey(), self.treasury, self.managed_balance, args);
        self.as_authority(ix).await.expect("update_source");
    }

    async fn allow_returns(&mut self, token_account: Pubkey, returns_allowed: bool) {
        let managed = self.managed().await;
        let linked =
            *managed.linked_sources().iter().find(|source| source.token_account == token_account).expect("linked");
        let args = UpdateSourceArgs {
            token_account,
            priority: linked.priority,
            reserve_floor: linked.reserve_floor,
            enabled: linked.enabled,
            returns_allowed,
        };
        let ix = ix::update_source(self.authority.pubkey(), self.treasury, self.managed_balance, args);
        self.as_authority(ix).await.expect("update_source");
    }

    async fn set_mode(&mut self, mode: BalanceMode, automation: AutomationSettings) {
        let ix = ix::update_settings(self.authority.pubkey(), self.treasury, self.managed_balance, mode, automation);
        self.as_authority(ix).await.expect("update_settings");
    }

    async fn set_thresholds(&mut self, min: u64, target: u64, max: u64) {
        let ix = ix::update_thresholds(self.authority.pubkey(), self.treasury, self.managed_balance, min, target, max);
        self.as_authority(ix).await.expect("update_thresholds");
    }

    async fn set_vault_balance(&mut self, pool: Pubkey, vault: Pubkey, balance: u64) {
        let current = self.balance(vault).await;
        if current > balance {
            let ix =
                ix::withdraw(self.authority.pubkey(), self.sink, self.vault_accounts(pool, vault), current - balance);
            self.as_authority(ix).await.expect("withdraw from vault");
        } else if current < balance {
            self.rt.mint_to(self.mint, vault, balance - current).await;
        }
        assert_eq!(self.balance(vault).await, balance);
    }

    async fn guardian_pause(&mut self) {
        let guardian = self.guardian.insecure_clone();
        self.rt.ok(&[ix::pause(guardian.pubkey(), self.treasury)], &[&guardian]).await;
    }
}
