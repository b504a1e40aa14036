use super::authorize_crank;
use crate::{
    constants::{MANAGED_BALANCE_SEED, TREASURY_SEED},
    error::{policy, TreasuryError},
    events::{emit_event, now, ExcessSwept},
    state::{BalanceMode, ManagedBalance, Pool, Treasury},
    token::{TokenAccountView, TokenMover},
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenInterface};
use smart_treasury_policy::{plan_sweep, SourceState, SweepRequest};

/// Returns the excess above `target` to the first enabled funding source once the
/// balance is above `max`.
#[event_cpi]
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
    /// The first enabled funding source.
    /// CHECK: compared with the stored link; read as a token account.
    #[account(mut)]
    pub source: UncheckedAccount<'info>,
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub token_program: Interface<'info, TokenInterface>,
}

pub fn sweep_excess(ctx: Context<SweepExcess>, expected_config_version: u64) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let managed = &mut accounts.managed_balance;
    authorize_crank(&accounts.treasury, accounts.keeper.key, managed, expected_config_version)?;
    require!(managed.mode == BalanceMode::Threshold, TreasuryError::WrongMode);
    let (slot, unix_timestamp) = now()?;
    let automation_remaining = managed.begin_automation(unix_timestamp)?;

    let destination = TokenAccountView::load(&accounts.destination, &managed.token_program, &managed.mint)?;
    let sources: Vec<SourceState> = managed
        .linked_sources()
        .iter()
        .map(|source| SourceState {
            priority: source.priority,
            enabled: source.enabled,
            balance: 0,
            reserve_floor: source.reserve_floor,
            allowance: None,
        })
        .collect();
    let plan = policy(plan_sweep(&SweepRequest {
        balance: destination.amount,
        thresholds: managed.thresholds(),
        automation_remaining,
        sources: &sources,
    }))?;
    let target = managed.linked_sources()[plan.source_index];
    require_keys_eq!(accounts.source.key(), target.token_account, TreasuryError::WrongSourceAccounts);
    let source_before = TokenAccountView::load(&accounts.source, &managed.token_program, &managed.mint)?.amount;

    // A venue destination can only be swept as far as it delegated to its pool.
    let pool_key = accounts.destination_pool.key();
    let amount = match destination.allowance_for(&pool_key) {
        None => plan.amount,
        Some(allowance) => plan.amount.min(allowance),
    };
    require!(amount > 0, TreasuryError::DestinationNotSignable);
    let pool = &accounts.destination_pool;
    let id_bytes = pool.pool_id.to_le_bytes();
    let mover = TokenMover {
        token_program: &accounts.token_program.to_account_info(),
        mint: &accounts.mint.to_account_info(),
        decimals: managed.decimals,
    };
    let moved = mover.transfer(
        &accounts.destination.to_account_info(),
        &accounts.source.to_account_info(),
        &accounts.destination_pool.to_account_info(),
        amount,
        &[&pool.signer_seeds(&id_bytes)],
    )?;
    managed.record_automation(amount, unix_timestamp, slot)?;
    emit_event(
        &accounts.event_authority,
        &ExcessSwept {
            treasury: managed.treasury,
            managed_balance: managed.key(),
            source: target.token_account,
            balance_before: destination.amount,
            balance_after: moved.from_after,
            excess: plan.excess,
            sent: moved.sent,
            received: moved.received,
            source_before,
            source_after: moved.to_after,
            config_version: managed.config_version,
            slot,
            unix_timestamp,
        },
    )
}
