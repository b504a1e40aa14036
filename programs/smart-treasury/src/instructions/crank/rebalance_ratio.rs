use super::{authorize_crank, load_enabled_sources};
use crate::{
    constants::{MANAGED_BALANCE_SEED, TREASURY_SEED},
    error::{policy, TreasuryError},
    events::{clock, emit_event, RatioRebalanced},
    state::{BalanceMode, ManagedBalance, Pool, Treasury},
    token::{TokenAccountView, TokenMover},
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;
use smart_treasury_policy::{plan_ratio_rebalance, ratio_counterpart, RatioMove, RatioRequest};

/// Moves a ratio-mode balance back to its target share of the combined total with its
/// counterpart (the first live enabled funding source) once it drifts past the band.
/// Pushes go to the counterpart only when it may take returned funds. Remaining
/// accounts as for `top_up`: a prefix reaching the counterpart is enough.
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

pub fn rebalance_ratio<'info>(ctx: Context<'info, RebalanceRatio<'info>>, expected_config_version: u64) -> Result<()> {
    let accounts = &mut *ctx.accounts;
    let managed = &mut accounts.managed_balance;
    authorize_crank(&accounts.treasury, accounts.keeper.key, managed, expected_config_version)?;
    let BalanceMode::Ratio { ratio_bps, band_bps } = managed.mode else {
        return err!(TreasuryError::WrongMode);
    };
    let now = clock()?;
    let automation_remaining = managed.begin_automation(now.unix_timestamp)?;

    let passed = load_enabled_sources(managed, ctx.remaining_accounts)?;
    let states = passed.states();
    let counterpart = &passed.sources[ratio_counterpart(&states).map_err(|error| passed.refusal(error))?];
    let destination_info = accounts.destination.to_account_info();
    let local = TokenAccountView::load(&destination_info, &managed.token_program, &managed.mint)?;
    let pool = &accounts.destination_pool;
    let planned = policy(plan_ratio_rebalance(&RatioRequest {
        local: local.amount,
        local_allowance: local.allowance_for(&pool.key()),
        counterpart: counterpart.state,
        ratio_bps,
        band_bps,
        thresholds: managed.thresholds(),
        automation_remaining,
    }))?;

    let mint = accounts.mint.to_account_info();
    let token_program = accounts.token_program.to_account_info();
    let mover = TokenMover::for_managed(&token_program, &mint, managed, now.epoch)?;
    let (to_local, moved) = match planned {
        RatioMove::ToLocal(amount) => (true, counterpart.pull(&mover, &destination_info, amount, &managed.treasury)?),
        RatioMove::ToCounterpart(amount) => {
            let id_bytes = pool.pool_id.to_le_bytes();
            let moved = mover.transfer(
                &destination_info,
                counterpart.token_account,
                &pool.to_account_info(),
                amount,
                &[&pool.signer_seeds(&id_bytes)],
            )?;
            (false, moved)
        }
    };
    managed.record_automation(moved.sent, now.unix_timestamp, now.slot)?;
    let (local_after, counterpart_after) =
        if to_local { (moved.to_after, moved.from_after) } else { (moved.from_after, moved.to_after) };
    emit_event(
        &accounts.event_authority,
        &RatioRebalanced {
            treasury: managed.treasury,
            managed_balance: managed.key(),
            counterpart: counterpart.config.token_account,
            to_local,
            sent: moved.sent,
            received: moved.received,
            local_before: local.amount,
            local_after,
            counterpart_before: counterpart.state.balance,
            counterpart_after,
            config_version: managed.config_version,
            slot: now.slot,
            unix_timestamp: now.unix_timestamp,
        },
    )
}
