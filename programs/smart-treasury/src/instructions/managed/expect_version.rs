//! Guards a DAO or multisig proposal can put before its changes: the transaction fails
//! when the settings moved since the proposal was built, so two proposals built on the
//! same state cannot interleave unnoticed.

use crate::{
    constants::{MANAGED_BALANCE_SEED, TREASURY_SEED},
    error::TreasuryError,
    state::{ManagedBalance, Treasury},
};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct ExpectTreasuryVersion<'info> {
    #[account(
        seeds = [TREASURY_SEED, treasury.create_key.as_ref()],
        bump = treasury.bump,
    )]
    pub treasury: Box<Account<'info, Treasury>>,
}

pub fn expect_treasury_version(ctx: Context<ExpectTreasuryVersion>, expected: u64) -> Result<()> {
    ctx.accounts.treasury.check_config_version(expected)
}

#[derive(Accounts)]
pub struct ExpectBalanceVersion<'info> {
    #[account(
        seeds = [TREASURY_SEED, treasury.create_key.as_ref()],
        bump = treasury.bump,
    )]
    pub treasury: Box<Account<'info, Treasury>>,
    #[account(
        has_one = treasury @ TreasuryError::WrongTreasury,
        seeds = [MANAGED_BALANCE_SEED, treasury.key().as_ref(), &managed_balance.id.to_le_bytes()],
        bump = managed_balance.bump,
    )]
    pub managed_balance: Box<Account<'info, ManagedBalance>>,
}

pub fn expect_balance_version(ctx: Context<ExpectBalanceVersion>, expected: u64) -> Result<()> {
    ctx.accounts.managed_balance.check_config_version(expected)
}
