use crate::{
    error::{policy, TreasuryError},
    state::MovedWindow,
};
use anchor_lang::prelude::*;
use smart_treasury_policy::RollingWindow;

/// A key allowed to pay out of one vault within a limit per rolling period: what drains
/// a hot wallet in real life (customer withdrawals).
/// Seeds: `["spender", vault, spender]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Spender {
    pub layout_version: u8,
    pub bump: u8,
    pub treasury: Pubkey,
    pub pool: Pubkey,
    pub vault: Pubkey,
    pub spender: Pubkey,
    pub enabled: bool,
    /// What may be paid out in any window of `period_seconds`.
    pub limit_per_period: u64,
    pub period_seconds: u32,
    /// What was paid out in the last period.
    pub spent: MovedWindow,
    pub reserved: [u8; 32],
}

impl Spender {
    /// What counts against the limit at `now`.
    pub fn spent_in_period(&self, now: i64) -> u64 {
        RollingWindow::from(self.spent).moved(now, self.period_seconds)
    }

    pub fn record_spend(&mut self, amount: u64, now: i64) -> Result<()> {
        require!(self.enabled, TreasuryError::SpenderDisabled);
        let mut window = RollingWindow::from(self.spent);
        let remaining = window.remaining(now, self.period_seconds, self.limit_per_period);
        require!(amount <= remaining, TreasuryError::SpendLimitExceeded);
        policy(window.record(amount, now, self.period_seconds))?;
        self.spent = window.into();
        Ok(())
    }

    /// A new period length: what the old window still counts stays counted.
    pub fn set_period(&mut self, period_seconds: u32, now: i64) {
        if period_seconds != self.period_seconds {
            let mut window = RollingWindow::from(self.spent);
            window.restart(now, self.period_seconds, period_seconds);
            self.spent = window.into();
            self.period_seconds = period_seconds;
        }
    }
}
