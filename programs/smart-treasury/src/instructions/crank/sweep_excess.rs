use super::{authorize_crank, load_enabled_sources};
use crate::{
    constants::{MANAGED_BALANCE_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::{clock, emit_event, ExcessSwept},
    state::{BalanceMode, ManagedBalance, Pool, Treasury},
    token::{TokenAccountView, TokenMover},
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;
use smart_treasury_policy::{plan_sweep, SweepRequest};

/// Returns the excess above `target` once the balance is above `max`, into the first
/// enabled source that may take it: a pool vault, or a venue the authority allowed
/// (never into a third party's account by default). Remaining accounts as for
/// `top_up`: a prefix reaching that source is enough.
#[derive(Accounts)]
pub struct SweepExcess<'info> {
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
        has_one = destination_pool @ TreasuryError::WrongPool,
        has_one = mint @ TreasuryError::WrongMint,
        has_one = token_program @ TreasuryError::WrongTokenProgram,
        seeds = [MANAGED_BALANCE_SEED, treasury.key().as_ref(), &managed_balance.id.to_le_bytes()],
        bump = managed_balance.bump,
    )]
    pub managed_balance: Box<Account<'info, ManagedBalance>>,
    /// CHECK: equal to the stored destination (has_one); read as a token account.
    #[account(mut)]
    pub destination: UncheckedAccount<'info>,
    /// Signs the move out of the destination.
    pub destination_pool: Box<Account<'info, Pool>>,
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

pub fn sweep_excess<'info>(ctx: Context<'info, SweepExcess<'info>>, expected_config_version: u64) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let managed = &mut accounts.managed_balance;
    authorize_crank(&accounts.treasury, accounts.keeper.key, managed, expected_config_version)?;
    require!(managed.mode == BalanceMode::Threshold, TreasuryError::WrongMode);
    let now = clock()?;
    let automation_remaining = managed.begin_automation(now.unix_timestamp)?;

    let destination = TokenAccountView::load(&accounts.destination, &managed.token_program, &managed.mint)?;
    let passed = load_enabled_sources(managed, ctx.remaining_accounts)?;
    let pool = &accounts.destination_pool;
    let plan = plan_sweep(&SweepRequest {
        balance: destination.amount,
        thresholds: managed.thresholds(),
        automation_remaining,
        destination_allowance: destination.allowance_for(&pool.key()),
        sources: &passed.states(),
    })
    .map_err(|error| passed.refusal(error))?;
    let target = &passed.sources[plan.source_index];

    let id_bytes = pool.pool_id.to_le_bytes();
    let mint = accounts.mint.to_account_info();
    let token_program = accounts.token_program.to_account_info();
    let mover = TokenMover::for_managed(&token_program, &mint, managed, now.epoch)?;
    let moved = mover.transfer(
        &accounts.destination.to_account_info(),
        target.token_account,
        &pool.to_account_info(),
        plan.amount,
        &[&pool.signer_seeds(&id_bytes)],
    )?;
    managed.record_automation(plan.amount, now.unix_timestamp, now.slot)?;
    emit_event(
        &accounts.event_authority,
        &ExcessSwept {
            treasury: managed.treasury,
            managed_balance: managed.key(),
            source: target.config.token_account,
            balance_before: destination.amount,
            balance_after: moved.from_after,
            excess: plan.excess,
            sent: moved.sent,
            received: moved.received,
            source_before: target.state.balance,
            source_after: moved.to_after,
            config_version: managed.config_version,
            slot: now.slot,
            unix_timestamp: now.unix_timestamp,
        },
    )
}
