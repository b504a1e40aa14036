use crate::error::TreasuryError;
use anchor_lang::prelude::*;

/// A key allowed to pay out of one vault within a per-period limit: what drains a
/// hot wallet in real life (customer withdrawals).
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
    pub limit_per_period: u64,
    pub period_seconds: u32,
    pub period_start: i64,
    pub spent_in_period: u64,
    pub reserved: [u8; 32],
}

impl Spender {
    /// Starts a new period when the current one has ended.
    pub fn roll_period(&mut self, now: i64) {
        if now >= self.period_start.saturating_add(i64::from(self.period_seconds)) {
            self.period_start = now;
            self.spent_in_period = 0;
        }
    }

    pub fn record_spend(&mut self, amount: u64, now: i64) -> Result<()> {
        require!(self.enabled, TreasuryError::SpenderDisabled);
        self.roll_period(now);
        let spent = self.spent_in_period.checked_add(amount).ok_or(TreasuryError::MathOverflow)?;
        require!(spent <= self.limit_per_period, TreasuryError::SpendLimitExceeded);
        self.spent_in_period = spent;
        Ok(())
    }
}
