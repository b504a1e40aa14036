//! Validation of the accounts a crank reads, and the top-up both the keeper crank
//! and the authority's manual adjustment run.

use crate::{
    error::TreasuryError,
    events::{emit_event, MovementReason, Now, SourceMovement, TopUpShortfall, ToppedUp},
    state::{FundingSource, ManagedBalance, Pool, Treasury},
    token::{amount_of, Moved, TokenAccountView, TokenMover},
};
use anchor_lang::prelude::*;
use smart_treasury_policy::{plan_top_up, PolicyError, SourceState, TopUpReason, TopUpRequest, Trigger};

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

/// A linked funding source with the accounts passed for it, checked against the stored
/// link. Its token account is read leniently: closed, frozen, or no longer a token
/// account of the mint, it is a dead source that gives and takes nothing.
pub struct LoadedSource<'a, 'info> {
    pub config: FundingSource,
    pub token_account: &'a AccountInfo<'info>,
    pub pool_account: &'a AccountInfo<'info>,
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
        let view = TokenAccountView::read(token_account, &managed.token_program, &managed.mint);
        let state = SourceState::of(&config.link(), view.map(|view| view.facts()).as_ref());
        Ok(Self { config: *config, token_account, pool_account, state })
    }

    /// Moves `amount` out of this source into `to`, signed by its pool.
    pub fn pull(
        &self,
        mover: &TokenMover<'_, 'info>,
        to: &AccountInfo<'info>,
        amount: u64,
        treasury: &Pubkey,
    ) -> Result<Moved> {
        // The pool is only read when it signs: the key already matched the stored link.
        let pool = load_pool(self.pool_account, treasury)?;
        let id_bytes = pool.pool_id.to_le_bytes();
        let seeds = pool.signer_seeds(&id_bytes);
        mover.transfer(self.token_account, to, self.pool_account, amount, &[&seeds])
    }
}

/// The sources a crank was given: a prefix of the enabled ones, in priority order.
pub struct PassedSources<'a, 'info> {
    pub sources: Vec<LoadedSource<'a, 'info>>,
    /// Every enabled source was passed.
    pub whole: bool,
}

impl PassedSources<'_, '_> {
    pub fn states(&self) -> Vec<SourceState> {
        self.sources.iter().map(|source| source.state).collect()
    }

    /// A refusal that only holds for the sources passed becomes `MissingFundingSources`
    /// when more are linked: the crank must not report what a later source would change.
    pub fn refusal(&self, error: PolicyError) -> Error {
        let depends_on_sources =
            matches!(error, PolicyError::NoFundsAvailable | PolicyError::NoEnabledSource | PolicyError::NoReturnTarget);
        if depends_on_sources && !self.whole {
            error!(TreasuryError::MissingFundingSources)
        } else {
            error!(TreasuryError::from(error))
        }
    }
}

/// Remaining accounts are `[token_account, pool]` pairs for a prefix of the enabled
/// sources in priority order; a dead source is passed like any other.
pub fn load_enabled_sources<'a, 'info>(
    managed: &ManagedBalance,
    remaining: &'a [AccountInfo<'info>],
) -> Result<PassedSources<'a, 'info>> {
    let enabled = managed.enabled_sources().count();
    require!(remaining.len().is_multiple_of(2) && remaining.len() / 2 <= enabled, TreasuryError::WrongSourceAccounts);
    let sources = remaining
        .chunks_exact(2)
        .zip(managed.enabled_sources())
        .map(|(pair, config)| LoadedSource::load(config, managed, &pair[0], &pair[1]))
        .collect::<Result<Vec<_>>>()?;
    let whole = sources.len() == enabled;
    Ok(PassedSources { sources, whole })
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

fn movement_reason(trigger: Trigger) -> MovementReason {
    match trigger {
        Trigger::Threshold => MovementReason::Threshold,
        Trigger::Forecast => MovementReason::Forecast,
        Trigger::Manual => MovementReason::Manual,
    }
}

/// Plans with the shared policy, pulls from the sources in priority order, and emits
/// `ToppedUp` (plus `TopUpShortfall` when the sources were short). Returns what was
/// sent, which counts against the automation cap.
pub fn execute_top_up(
    accounts: &TopUpAccounts<'_, '_>,
    managed: &ManagedBalance,
    reason: TopUpReason,
    automation_remaining: Option<u64>,
    now: Now,
) -> Result<u64> {
    let destination = TokenAccountView::load(accounts.destination, &managed.token_program, &managed.mint)?;
    destination.require_no_memo()?;
    let passed = load_enabled_sources(managed, accounts.sources)?;
    let states = passed.states();
    let balance_before = destination.amount;
    let plan = plan_top_up(&TopUpRequest {
        balance: balance_before,
        thresholds: managed.thresholds(),
        reason,
        forecast_band_bps: managed.automation.forecast_band_bps,
        automation_remaining,
        sources: &states,
    })
    .map_err(|error| passed.refusal(error))?;
    require!(plan.shortfall == 0 || passed.whole, TreasuryError::MissingFundingSources);

    let mover = TokenMover::for_managed(accounts.token_program, accounts.mint, managed, now.epoch)?;
    let mut movements = Vec::with_capacity(plan.legs.len());
    for leg in &plan.legs {
        let source = &passed.sources[leg.source_index];
        let moved = source.pull(&mover, accounts.destination, leg.amount, &managed.treasury)?;
        movements.push(SourceMovement {
            source: source.config.token_account,
            sent: moved.sent,
            source_before: source.state.balance,
            source_after: moved.from_after,
        });
    }
    let balance_after = amount_of(accounts.destination)?;
    let sent = plan.total();
    let reason = movement_reason(plan.trigger);
    emit_event(
        accounts.event_authority,
        &ToppedUp {
            treasury: managed.treasury,
            managed_balance: accounts.managed_balance,
            reason,
            balance_before,
            balance_after,
            needed: plan.needed,
            allowed: plan.allowed,
            received: balance_after.saturating_sub(balance_before),
            shortfall: plan.shortfall,
            sources: movements,
            config_version: managed.config_version,
            slot: now.slot,
            unix_timestamp: now.unix_timestamp,
        },
    )?;
    if plan.shortfall > 0 {
        emit_event(
            accounts.event_authority,
            &TopUpShortfall {
                treasury: managed.treasury,
                managed_balance: accounts.managed_balance,
                reason,
                allowed: plan.allowed,
                sent,
                shortfall: plan.shortfall,
                slot: now.slot,
            },
        )?;
    }
    Ok(sent)
}
