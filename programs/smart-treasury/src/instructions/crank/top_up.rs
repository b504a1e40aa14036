use super::{authorize_crank, execute_top_up, TopUpAccounts};
use crate::{
    constants::{MANAGED_BALANCE_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::now,
    state::{BalanceMode, ManagedBalance, Treasury},
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use smart_treasury_policy::TopUpReason;

/// Why a keeper tops up.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrankReason {
    /// The balance is below `min`.
    Threshold,
    /// The keeper's forecast says a breach is near; only inside the forecast band.
    Forecast,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct TopUpArgs {
    pub reason: CrankReason,
    /// The managed balance's config version the keeper built this transaction on.
    pub expected_config_version: u64,
}

/// Remaining accounts: `[source token account (writable), source pool]` for the enabled
/// funding sources in priority order (a prefix is enough when it covers the need).
#[event_cpi]
#[derive(Accounts)]
pub struct TopUp<'info> {
    pub keeper: Signer<'info>,
    #[account(
        seeds = [TREASURY_SEED, treasury.create_key.as_ref()],
        bump = treasury.bump,
    )]
    pub treasury: Box<Account<'info, Treasury>>,
    #[account(
        mut,
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

pub fn top_up<'info>(ctx: Context<'info, TopUp<'info>>, args: TopUpArgs) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    authorize_crank(&accounts.treasury, accounts.keeper.key, &accounts.managed_balance, args.expected_config_version)?;
    require!(accounts.managed_balance.mode == BalanceMode::Threshold, TreasuryError::WrongMode);
    let (slot, unix_timestamp) = now()?;
    let automation_remaining = accounts.managed_balance.begin_automation(unix_timestamp)?;
    let reason = match args.reason {
        CrankReason::Threshold => TopUpReason::Threshold,
        CrankReason::Forecast => TopUpReason::Forecast,
    };
    let sent = execute_top_up(
        &TopUpAccounts {
            managed_balance: accounts.managed_balance.key(),
            destination: &accounts.destination.to_account_info(),
            mint: &accounts.mint.to_account_info(),
            token_program: &accounts.token_program.to_account_info(),
            event_authority: &accounts.event_authority.to_account_info(),
            sources: ctx.remaining_accounts,
        },
        &accounts.managed_balance,
        reason,
        Some(automation_remaining),
        slot,
        unix_timestamp,
    )?;
    accounts.managed_balance.record_automation(sent, unix_timestamp, slot)
}
