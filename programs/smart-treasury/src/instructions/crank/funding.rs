//! Validation of the accounts a crank reads, and the top-up both the keeper crank
//! and the authority's manual adjustment run.

use crate::{
    error::{policy, TreasuryError},
    events::{emit_event, MovementReason, SourceMovement, TopUpShortfall, ToppedUp},
    state::{FundingSource, ManagedBalance, Pool, Treasury},
    token::{amount_of, Moved, TokenAccountView, TokenMover},
};
use anchor_lang::prelude::*;
use smart_treasury_policy::{plan_top_up, SourceState, TopUpReason, TopUpRequest};

/// Checks shared by every keeper crank: not paused, keeper allowed, settings as the
/// keeper saw them, managed balance enabled.
pub fn authorize_crank(
    treasury: &Treasury,
    keeper: &Pubkey,
    managed: &ManagedBalance,
    expected_version: u64,
) -> Result<()> {
    require!(!treasury.paused, TreasuryError::Paused);
    require!(treasury.may_crank(keeper), TreasuryError::KeeperNotAllowed);
    managed.check_config_version(expected_version)?;
    require!(managed.enabled, TreasuryError::ManagedBalanceDisabled);
    Ok(())
}

/// Reads a pool passed outside the `Accounts` struct: owned by this program, a real
/// `Pool`, of this treasury.
pub fn load_pool(info: &AccountInfo, treasury: &Pubkey) -> Result<Pool> {
    require_keys_eq!(*info.owner, crate::ID, ErrorCode::AccountOwnedByWrongProgram);
    let pool = Pool::try_deserialize(&mut &info.try_borrow_data()?[..])?;
    require_keys_eq!(pool.treasury, *treasury, TreasuryError::WrongTreasury);
    Ok(pool)
}

/// A linked funding source with its accounts, checked against the stored link.
pub struct LoadedSource<'a, 'info> {
    pub config: FundingSource,
    pub token_account: &'a AccountInfo<'info>,
    pub pool_account: &'a AccountInfo<'info>,
    pub pool: Pool,
    pub state: SourceState,
}

impl<'a, 'info> LoadedSource<'a, 'info> {
    pub fn load(
        config: &FundingSource,
        managed: &ManagedBalance,
        token_account: &'a AccountInfo<'info>,
        pool_account: &'a AccountInfo<'info>,
    ) -> Result<Self> {
        require_keys_eq!(token_account.key(), config.token_account, TreasuryError::WrongSourceAccounts);
        require_keys_eq!(pool_account.key(), config.pool, TreasuryError::WrongSourceAccounts);
        require_keys_neq!(token_account.key(), managed.destination, TreasuryError::SourceIsDestination);
        require!(token_account.is_writable, TreasuryError::WrongSourceAccounts);
        let pool = load_pool(pool_account, &managed.treasury)?;
        let view = TokenAccountView::load(token_account, &managed.token_program, &managed.mint)?;
        let state = SourceState {
            priority: config.priority,
            enabled: config.enabled,
            balance: view.amount,
            reserve_floor: config.reserve_floor,
            allowance: view.allowance_for(pool_account.key),
        };
        Ok(Self { config: *config, token_account, pool_account, pool, state })
    }

    /// Moves `amount` out of this source into `to`, signed by its pool.
    pub fn pull(&self, mover: &TokenMover<'_, 'info>, to: &AccountInfo<'info>, amount: u64) -> Result<Moved> {
        let id_bytes = self.pool.pool_id.to_le_bytes();
        let seeds = self.pool.signer_seeds(&id_bytes);
        mover.transfer(self.token_account, to, self.pool_account, amount, &[&seeds])
    }
}

/// Remaining accounts are `[token_account, pool]` pairs for a prefix of the enabled
/// sources in priority order. Returns them loaded, and whether the prefix is whole.
pub fn load_enabled_sources<'a, 'info>(
    managed: &ManagedBalance,
    remaining: &'a [AccountInfo<'info>],
) -> Result<(Vec<LoadedSource<'a, 'info>>, bool)> {
    let enabled: Vec<&FundingSource> = managed.enabled_sources().collect();
    require!(
        remaining.len().is_multiple_of(2) && remaining.len() / 2 <= enabled.len(),
        TreasuryError::WrongSourceAccounts
    );
    let loaded = remaining
        .chunks_exact(2)
        .zip(enabled.iter())
        .map(|(pair, config)| LoadedSource::load(config, managed, &pair[0], &pair[1]))
        .collect::<Result<Vec<_>>>()?;
    let whole = loaded.len() == enabled.len();
    Ok((loaded, whole))
}

/// The accounts a top-up moves tokens with.
pub struct TopUpAccounts<'a, 'info> {
    pub managed_balance: Pubkey,
    pub destination: &'a AccountInfo<'info>,
    pub mint: &'a AccountInfo<'info>,
    pub token_program: &'a AccountInfo<'info>,
    pub event_authority: &'a AccountInfo<'info>,
    pub sources: &'a [AccountInfo<'info>],
}

/// Plans with the shared policy, pulls from the sources in priority order, and emits
/// `ToppedUp` (plus `TopUpShortfall` when the sources were short). Returns what was
/// sent, which counts against the automation cap.
pub fn execute_top_up(
    accounts: &TopUpAccounts<'_, '_>,
    managed: &ManagedBalance,
    reason: TopUpReason,
    automation_remaining: Option<u64>,
    slot: u64,
    unix_timestamp: i64,
) -> Result<u64> {
    let (sources, whole) = load_enabled_sources(managed, accounts.sources)?;
    let states: Vec<SourceState> = sources.iter().map(|source| source.state).collect();
    let balance_before = amount_of(accounts.destination)?;
    let plan = policy(plan_top_up(&TopUpRequest {
        balance: balance_before,
        thresholds: managed.thresholds(),
        reason,
        forecast_band_bps: managed.automation.forecast_band_bps,
        automation_remaining,
        sources: &states,
    }))?;
    require!(plan.shortfall == 0 || whole, TreasuryError::MissingFundingSources);

    let mover = TokenMover { token_program: accounts.token_program, mint: accounts.mint, decimals: managed.decimals };
    let mut movements = Vec::with_capacity(plan.legs.len());
    for leg in &plan.legs {
        let source = &sources[leg.source_index];
        let moved = source.pull(&mover, accounts.destination, leg.amount)?;
        movements.push(SourceMovement {
            source: source.config.token_account,
            sent: moved.sent,
            source_before: source.state.balance,
            source_after: moved.from_after,
        });
    }
    let balance_after = amount_of(accounts.destination)?;
    let sent = plan.total();
    let movement_reason = match reason {
        TopUpReason::Threshold => MovementReason::Threshold,
        TopUpReason::Forecast => MovementReason::Forecast,
        TopUpReason::Manual { .. } => MovementReason::Manual,
    };
    emit_event(
        accounts.event_authority,
        &ToppedUp {
            treasury: managed.treasury,
            managed_balance: accounts.managed_balance,
            reason: movement_reason,
            balance_before,
            balance_after,
            needed: plan.needed,
            allowed: plan.allowed,
            received: balance_after.saturating_sub(balance_before),
            shortfall: plan.shortfall,
            sources: movements,
            config_version: managed.config_version,
            slot,
            unix_timestamp,
        },
    )?;
    if plan.shortfall > 0 {
        emit_event(
            accounts.event_authority,
            &TopUpShortfall {
                treasury: managed.treasury,
                managed_balance: accounts.managed_balance,
                reason: movement_reason,
                allowed: plan.allowed,
                sent,
                shortfall: plan.shortfall,
                slot,
            },
        )?;
    }
    Ok(sent)
}
