use super::{authorize_crank, execute_top_up, TopUpAccounts};
use crate::{
    constants::{MANAGED_BALANCE_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::clock,
    state::{BalanceMode, ManagedBalance, Treasury},
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;
use smart_treasury_policy::TopUpReason;

/// Remaining accounts: `[source token account (writable), source pool]` for the enabled
/// funding sources in priority order (a prefix is enough when it covers the need; a
/// closed or frozen source is passed like any other and gives nothing). The balance
/// decides the reason: below `min` a threshold top-up, inside the forecast band a
/// forecast one.
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
    /// CHECK: equal to the stored destination (has_one); read as a token account.
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
    /// The managed balance's mint, which the token program checks on every transfer.
    /// CHECK: equal to the stored mint (has_one).
    pub mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
    /// The PDA that signs the program's event self-CPIs.
    /// CHECK: compared by address: the account its seeds give, without re-deriving it.
    #[cfg_attr(not(feature = "idl-build"), account(address = crate::EVENT_AUTHORITY))]
    #[cfg_attr(
        feature = "idl-build",
        account(address = crate::EVENT_AUTHORITY, seeds = [crate::constants::EVENT_AUTHORITY_SEED], bump)
    )]
    pub event_authority: UncheckedAccount<'info>,
    /// CHECK: this program, which the event self-CPI invokes.
    #[account(address = crate::ID)]
    pub program: UncheckedAccount<'info>,
}

pub fn top_up<'info>(ctx: Context<'info, TopUp<'info>>, expected_config_version: u64) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    authorize_crank(&accounts.treasury, accounts.keeper.key, &accounts.managed_balance, expected_config_version)?;
    require!(accounts.managed_balance.mode == BalanceMode::Threshold, TreasuryError::WrongMode);
    let now = clock()?;
    let automation_remaining = accounts.managed_balance.begin_automation(now.unix_timestamp)?;
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
        TopUpReason::Automatic,
        Some(automation_remaining),
        now,
    )?;
    accounts.managed_balance.record_automation(sent, now.unix_timestamp, now.slot)
}
