use crate::{
    constants::{MANAGED_BALANCE_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::{emit_event, now, ManagedBalanceChange, ManagedBalanceChanged},
    state::{AutomationSettings, BalanceMode, FundingSource, ManagedBalance, TransferFeeLimit, Treasury},
};
use anchor_lang::prelude::*;

/// Accounts of every authority change to one managed balance.
#[derive(Accounts)]
pub struct ConfigureManagedBalance<'info> {
    pub authority: Signer<'info>,
    #[account(
        has_one = authority @ TreasuryError::NotAuthority,
        seeds = [TREASURY_SEED, treasury.create_key.as_ref()],
        bump = treasury.bump,
    )]
    pub treasury: Box<Account<'info, Treasury>>,
    #[account(
        mut,
        has_one = treasury @ TreasuryError::WrongTreasury,
        seeds = [MANAGED_BALANCE_SEED, treasury.key().as_ref(), &managed_balance.id.to_le_bytes()],
        bump = managed_balance.bump,
    )]
    pub managed_balance: Box<Account<'info, ManagedBalance>>,
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

/// Checks the invariant, bumps the config version and emits the change: the tail of
/// every instruction that changes a managed balance.
pub fn commit_change(
    managed: &mut Account<ManagedBalance>,
    event_authority: &AccountInfo,
    change: ManagedBalanceChange,
) -> Result<()> {
    managed.invariant()?;
    managed.bump_config_version()?;
    let (slot, _) = now()?;
    emit_event(
        event_authority,
        &ManagedBalanceChanged {
            treasury: managed.treasury,
            managed_balance: managed.key(),
            change,
            config_version: managed.config_version,
            slot,
        },
    )
}

pub fn update_thresholds(ctx: Context<ConfigureManagedBalance>, min: u64, target: u64, max: u64) -> Result<()> {
    let managed = &mut ctx.accounts.managed_balance;
    let (old_min, old_target, old_max) = (managed.min, managed.target, managed.max);
    managed.min = min;
    managed.target = target;
    managed.max = max;
    let change = ManagedBalanceChange::ThresholdsUpdated { old_min, old_target, old_max, min, target, max };
    commit_change(managed, &ctx.accounts.event_authority, change)
}

pub fn update_settings(
    ctx: Context<ConfigureManagedBalance>,
    mode: BalanceMode,
    automation: AutomationSettings,
) -> Result<()> {
    let (_, unix_timestamp) = now()?;
    let managed = &mut ctx.accounts.managed_balance;
    managed.mode = mode;
    managed.set_automation(automation, unix_timestamp);
    commit_change(managed, &ctx.accounts.event_authority, ManagedBalanceChange::SettingsUpdated { mode, automation })
}

pub fn set_enabled(ctx: Context<ConfigureManagedBalance>, enabled: bool) -> Result<()> {
    let managed = &mut ctx.accounts.managed_balance;
    managed.enabled = enabled;
    commit_change(managed, &ctx.accounts.event_authority, ManagedBalanceChange::EnabledSet { enabled })
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct UpdateSourceArgs {
    /// The linked token account to change.
    pub token_account: Pubkey,
    pub priority: u8,
    pub reserve_floor: u64,
    pub enabled: bool,
    /// For a venue: may take returned funds (sweeps, ratio pushes).
    pub returns_allowed: bool,
}

pub fn update_source(ctx: Context<ConfigureManagedBalance>, args: UpdateSourceArgs) -> Result<()> {
    let managed = &mut ctx.accounts.managed_balance;
    let previous = managed.remove_source(&args.token_account)?;
    let source = FundingSource {
        priority: args.priority,
        reserve_floor: args.reserve_floor,
        enabled: args.enabled,
        returns_allowed: args.returns_allowed,
        ..previous
    };
    managed.insert_source(source)?;
    commit_change(managed, &ctx.accounts.event_authority, ManagedBalanceChange::SourceUpdated { previous, source })
}

pub fn unlink_source(ctx: Context<ConfigureManagedBalance>, token_account: Pubkey) -> Result<()> {
    let managed = &mut ctx.accounts.managed_balance;
    let source = managed.remove_source(&token_account)?;
    commit_change(managed, &ctx.accounts.event_authority, ManagedBalanceChange::SourceUnlinked { source })
}

/// Sets the highest transfer fee movements accept (Token-2022 transfer-fee mints).
pub fn set_accepted_transfer_fee(ctx: Context<ConfigureManagedBalance>, accepted: TransferFeeLimit) -> Result<()> {
    let managed = &mut ctx.accounts.managed_balance;
    let previous = core::mem::replace(&mut managed.accepted_transfer_fee, accepted);
    commit_change(
        managed,
        &ctx.accounts.event_authority,
        ManagedBalanceChange::TransferFeeAccepted { previous, accepted },
    )
}
