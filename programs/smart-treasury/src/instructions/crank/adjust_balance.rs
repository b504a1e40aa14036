use super::{execute_top_up, TopUpAccounts};
use crate::{
    constants::{MANAGED_BALANCE_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::clock,
    state::{ManagedBalance, Treasury},
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;
use smart_treasury_policy::TopUpReason;

/// The authority's manual top-up ("balance adjustment"): any amount, drawn in priority
/// order, capped at `max`. Not rate-limited, and allowed while paused or disabled.
/// Remaining accounts as for `top_up`.
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

pub fn adjust_balance<'info>(ctx: Context<'info, AdjustBalance<'info>>, amount: u64) -> Result<()> {
    let accounts = &*ctx.accounts;
    let now = clock()?;
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
        now,
    )?;
    Ok(())
}
