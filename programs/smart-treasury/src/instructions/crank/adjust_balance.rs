use super::{execute_top_up, TopUpAccounts};
use crate::{
    constants::{MANAGED_BALANCE_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::now,
    state::{ManagedBalance, Treasury},
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use smart_treasury_policy::TopUpReason;

/// The authority's manual top-up ("balance adjustment"): any amount, drawn in priority
/// order, capped at `max`. Not rate-limited, and allowed while paused or disabled.
/// Remaining accounts as for `top_up`.
#[event_cpi]
#[derive(Accounts)]
pub struct AdjustBalance<'info> {
    pub authority: Signer<'info>,
    #[account(
        has_one = authority @ TreasuryError::NotAuthority,
        seeds = [TREASURY_SEED, treasury.create_key.as_ref()],
        bump = treasury.bump,
    )]
    pub treasury: Box<Account<'info, Treasury>>,
    #[account(
        has_one = treasury @ TreasuryError::WrongTreasury,
        has_one = destination @ TreasuryError::WrongDestination,
        has_one = mint @ TreasuryError::WrongMint,
        has_one = token_program @ TreasuryError::WrongTokenProgram,
        seeds = [MANAGED_BALANCE_SEED, treasury.key().as_ref(), &managed_balance.id.to_le_bytes()],
        bump = managed_balance.bump,
    )]
    pub managed_balance: Box<Account<'info, ManagedBalance>>,
    #[account(mut)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub token_program: Interface<'info, TokenInterface>,
}

pub fn adjust_balance<'info>(ctx: Context<'info, AdjustBalance<'info>>, amount: u64) -> Result<()> {
    let accounts = &*ctx.accounts;
    let (slot, unix_timestamp) = now()?;
    execute_top_up(
        &TopUpAccounts {
            managed_balance: accounts.managed_balance.key(),
            destination: &accounts.destination.to_account_info(),
            mint: &accounts.mint.to_account_info(),
            token_program: &accounts.token_program.to_account_info(),
            event_authority: &accounts.event_authority.to_account_info(),
            sources: ctx.remaining_accounts,
        },
        &accounts.managed_balance,
        TopUpReason::Manual { amount },
        None,
        slot,
        unix_timestamp,
    )?;
    Ok(())
}
