//! Turns a planner action into the program instruction that carries it out, and names
//! the need it answers so one need is acted on once.

use crate::planner::Action;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use smart_treasury::{
    instructions::CrankReason,
    state::{BalanceMode, ManagedBalance},
};
use smart_treasury_client::ix::{self, BalanceAccounts};

/// One crank the executor should land.
#[derive(Clone, Debug, PartialEq)]
pub struct Crank {
    pub managed_balance: Pubkey,
    /// Names the need: the same need yields the same key until the program records a
    /// movement or the settings change.
    pub need: String,
    /// threshold, forecast, sweep or rebalance.
    pub kind: &'static str,
    pub amount: u64,
    pub instruction: Instruction,
    /// Funding sources named in the instruction: a draw may reach any of them.
    pub sources_passed: usize,
}

fn balance_accounts(address: Pubkey, managed: &ManagedBalance) -> BalanceAccounts {
    BalanceAccounts {
        treasury: managed.treasury,
        managed_balance: address,
        destination: managed.destination,
        destination_pool: managed.destination_pool,
        mint: managed.mint,
        token_program: managed.token_program,
    }
}

/// The crank for `action`, or `None` when the action is to wait.
pub fn crank_for(keeper: Pubkey, address: Pubkey, managed: &ManagedBalance, action: &Action) -> Option<Crank> {
    let accounts = balance_accounts(address, managed);
    let version = managed.config_version;
    let first_source = managed.enabled_sources().next().map(|source| (source.token_account, source.pool));
    let (family, kind, amount, instruction, sources_passed) = match *action {
        Action::Wait(_) => return None,
        Action::TopUp { forecast, amount, .. } => {
            let sources: Vec<(Pubkey, Pubkey)> =
                managed.enabled_sources().map(|source| (source.token_account, source.pool)).collect();
            let reason = if forecast { CrankReason::Forecast } else { CrankReason::Threshold };
            let kind = if forecast { "forecast" } else { "threshold" };
            ("top-up", kind, amount, ix::top_up(keeper, accounts, reason, version, &sources), sources.len())
        }
        Action::Sweep { amount } => {
            ("sweep", "sweep", amount, ix::sweep_excess(keeper, accounts, first_source?.0, version), 1)
        }
        Action::Rebalance { amount, .. } => {
            if !matches!(managed.mode, BalanceMode::Ratio { .. }) {
                return None;
            }
            ("rebalance", "rebalance", amount, ix::rebalance_ratio(keeper, accounts, first_source?, version), 1)
        }
    };
    // A threshold and a forecast top-up answer the same need: the family, not the kind.
    let need = format!("{address}:{family}:v{version}:after-slot-{}", managed.last_automation_slot);
    Some(Crank { managed_balance: address, need, kind, amount, instruction, sources_passed })
}
