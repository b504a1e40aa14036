//! Turns a planner action into the program instruction that carries it out, and names
//! the need it answers so one need is acted on once.

use crate::planner::Action;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use smart_treasury::state::{BalanceMode, ManagedBalance};
use smart_treasury_client::{
    ix::{self, BalanceAccounts},
    TokenAmount,
};

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
    /// The mint's, to show the amount in token units.
    pub decimals: u8,
    pub instruction: Instruction,
    /// Funding sources named in the instruction: a draw may reach any of them.
    pub sources_passed: usize,
}

impl Crank {
    /// The planned amount in grouped token units.
    pub fn tokens(&self) -> String {
        TokenAmount::new(self.amount, self.decimals).grouped()
    }
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
    // Every crank names the enabled sources, dead ones included: the program passes
    // over what it cannot use.
    let sources = ix::crank_sources(managed);
    let sources_passed = sources.len();
    let (family, kind, amount, instruction) = match *action {
        Action::Wait(_) => return None,
        Action::TopUp { forecast, amount, .. } => {
            let kind = if forecast { "forecast" } else { "threshold" };
            ("top-up", kind, amount, ix::top_up(keeper, accounts, version, &sources))
        }
        Action::Sweep { amount } => ("sweep", "sweep", amount, ix::sweep_excess(keeper, accounts, version, &sources)),
        Action::Rebalance { amount, .. } => {
            if !matches!(managed.mode, BalanceMode::Ratio { .. }) {
                return None;
            }
            ("rebalance", "rebalance", amount, ix::rebalance_ratio(keeper, accounts, version, &sources))
        }
    };
    let need = need_key(address, managed, family);
    Some(Crank {
        managed_balance: address,
        need,
        kind,
        amount,
        decimals: managed.decimals,
        instruction,
        sources_passed,
    })
}

/// Names a need: the managed balance, which of the treasury's creations it is (the
/// program counts them in the high 32 bits of the config version, so a balance closed and
/// re-created at the same address is another), its settings' version, its last automatic
/// move, and the family of move (a threshold and a forecast top-up answer the same need).
pub fn need_key(address: Pubkey, managed: &ManagedBalance, family: &str) -> String {
    let version = managed.config_version;
    format!(
        "{address}:created-{}:{family}:v{}:after-slot-{}",
        version >> 32,
        version & u64::from(u32::MAX),
        managed.last_automation_slot
    )
}
