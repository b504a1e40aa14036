use super::{authorize_crank, LoadedSource};
use crate::{
    constants::{MANAGED_BALANCE_SEED, TREASURY_SEED},
    error::{policy, TreasuryError},
    events::{emit_event, now, RatioRebalanced},
    state::{BalanceMode, ManagedBalance, Pool, Treasury},
    token::{TokenAccountView, TokenMover},
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenInterface};
use smart_treasury_policy::{plan_ratio_rebalance, RatioMove, RatioRequest};

/// Moves a ratio-mode balance back to its target share of the combined total with its
/// counterpart (the first enabled funding source) once it drifts past the band.
#[event_cpi]
#[derive(Accounts)]
pub struct RebalanceRatio<'info> {
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
    /// Signs moves out of the destination.
    pub destination_pool: Box<Account<'info, Pool>>,
    /// CHECK: compared with the stored counterpart link; read as a token account.
    #[account(mut)]
    pub counterpart: UncheckedAccount<'info>,
    /// CHECK: compared with the stored counterpart link; read as a `Pool`.
    pub counterpart_pool: UncheckedAccount<'info>,
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub token_program: Interface<'info, TokenInterface>,
}

pub fn rebalance_ratio(ctx: Context<RebalanceRatio>, expected_config_version: u64) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let managed = &mut accounts.managed_balance;
    authorize_crank(&accounts.treasury, accounts.keeper.key, managed, expected_config_version)?;
    let BalanceMode::Ratio { ratio_bps, band_bps } = managed.mode else {
        return err!(TreasuryError::WrongMode);
    };
    let (slot, unix_timestamp) = now()?;
    let automation_remaining = managed.begin_automation(unix_timestamp)?;

    let counterpart_link = *managed.enabled_sources().next().ok_or(TreasuryError::NoCounterpart)?;
    let counterpart_info = accounts.counterpart.to_account_info();
    let counterpart_pool_info = accounts.counterpart_pool.to_account_info();
    let counterpart = LoadedSource::load(&counterpart_link, managed, &counterpart_info, &counterpart_pool_info)?;
    let destination_info = accounts.destination.to_account_info();
    let local = TokenAccountView::load(&destination_info, &managed.token_program, &managed.mint)?;
    let planned = policy(plan_ratio_rebalance(&RatioRequest {
        local: local.amount,
        counterpart: counterpart.state,
        ratio_bps,
        band_bps,
        thresholds: managed.thresholds(),
        automation_remaining,
    }))?;

    let mover = TokenMover {
        token_program: &accounts.token_program.to_account_info(),
        mint: &accounts.mint.to_account_info(),
        decimals: managed.decimals,
    };
    let (to_local, moved) = match planned {
        RatioMove::ToLocal(amount) => (true, counterpart.pull(&mover, &destination_info, amount)?),
        RatioMove::ToCounterpart(amount) => {
            let pool = &accounts.destination_pool;
            let amount = match local.allowance_for(&pool.key()) {
                None => amount,
                Some(allowance) => amount.min(allowance),
            };
            require!(amount > 0, TreasuryError::DestinationNotSignable);
            let id_bytes = pool.pool_id.to_le_bytes();
            let pool_info = pool.to_account_info();
            let moved = mover.transfer(
                &destination_info,
                &counterpart_info,
                &pool_info,
                amount,
                &[&pool.signer_seeds(&id_bytes)],
            )?;
            (false, moved)
        }
    };
    managed.record_automation(moved.sent, unix_timestamp, slot)?;
    let (local_after, counterpart_after) =
        if to_local { (moved.to_after, moved.from_after) } else { (moved.from_after, moved.to_after) };
    emit_event(
        &accounts.event_authority,
        &RatioRebalanced {
            treasury: managed.treasury,
            managed_balance: managed.key(),
            counterpart: counterpart_link.token_account,
            to_local,
            sent: moved.sent,
            received: moved.received,
            local_before: local.amount,
            local_after,
            counterpart_before: counterpart.state.balance,
            counterpart_after,
            config_version: managed.config_version,
            slot,
            unix_timestamp,
        },
    )
}
