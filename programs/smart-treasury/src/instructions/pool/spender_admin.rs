use crate::{
    constants::{POOL_SEED, SPENDER_LAYOUT_VERSION, SPENDER_SEED, TREASURY_SEED},
    error::{policy, TreasuryError},
    events::{emit_event, now, SpenderChanged},
    instructions::create_program_account,
    state::{MovedWindow, Pool, Spender, Treasury},
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;
use smart_treasury_policy::SpendLimit;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct SpenderLimits {
    pub enabled: bool,
    pub limit_per_period: u64,
    pub period_seconds: u32,
}

impl SpenderLimits {
    fn validate(&self) -> Result<()> {
        policy(SpendLimit { limit_per_period: self.limit_per_period, period_seconds: self.period_seconds }.validate())
    }

    fn apply(&self, spender: &mut Spender, now: i64) {
        spender.enabled = self.enabled;
        spender.limit_per_period = self.limit_per_period;
        spender.set_period(self.period_seconds, now);
    }
}

#[derive(Accounts)]
pub struct AddSpender<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    pub authority: Signer<'info>,
    #[account(
        has_one = authority @ TreasuryError::NotAuthority,
        seeds = [TREASURY_SEED, treasury.create_key.as_ref()],
        bump = treasury.bump,
    )]
    pub treasury: Box<Account<'info, Treasury>>,
    #[account(
        has_one = treasury @ TreasuryError::WrongTreasury,
        seeds = [POOL_SEED, treasury.key().as_ref(), &pool.pool_id.to_le_bytes()],
        bump = pool.bump,
    )]
    pub pool: Box<Account<'info, Pool>>,
    #[account(token::authority = pool)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// CHECK: any key may be a spender; it only has to sign `spend`.
    pub spender: UncheckedAccount<'info>,
    /// CHECK: created here as a `Spender` at this PDA.
    #[account(mut, seeds = [SPENDER_SEED, vault.key().as_ref(), spender.key().as_ref()], bump)]
    pub spender_account: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
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

pub fn add_spender(ctx: Context<AddSpender>, limits: SpenderLimits) -> Result<()> {
    limits.validate()?;
    let (slot, _) = now()?;
    let accounts = &ctx.accounts;
    let spender = Spender {
        layout_version: SPENDER_LAYOUT_VERSION,
        bump: ctx.bumps.spender_account,
        treasury: accounts.treasury.key(),
        pool: accounts.pool.key(),
        vault: accounts.vault.key(),
        spender: accounts.spender.key(),
        enabled: limits.enabled,
        limit_per_period: limits.limit_per_period,
        period_seconds: limits.period_seconds,
        spent: MovedWindow::default(),
        reserved: [0; 32],
    };
    let bump = [spender.bump];
    create_program_account(
        &accounts.payer,
        &accounts.spender_account,
        &accounts.system_program,
        &[SPENDER_SEED, spender.vault.as_ref(), spender.spender.as_ref(), &bump],
        8 + Spender::INIT_SPACE,
        &spender,
    )?;
    emit_spender_changed(&accounts.event_authority, accounts.spender_account.key(), &spender, false, slot)
}

/// Accounts for changing or removing an existing spender.
#[derive(Accounts)]
pub struct ConfigureSpender<'info> {
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
        seeds = [SPENDER_SEED, spender_account.vault.as_ref(), spender_account.spender.as_ref()],
        bump = spender_account.bump,
    )]
    pub spender_account: Box<Account<'info, Spender>>,
    /// Receives the rent when the spender is removed.
    /// CHECK: only credited lamports.
    #[account(mut)]
    pub rent_receiver: UncheckedAccount<'info>,
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

pub fn update_spender(ctx: Context<ConfigureSpender>, limits: SpenderLimits) -> Result<()> {
    limits.validate()?;
    let (slot, unix_timestamp) = now()?;
    let spender = &mut ctx.accounts.spender_account;
    limits.apply(spender, unix_timestamp);
    emit_spender_changed(&ctx.accounts.event_authority, spender.key(), spender, false, slot)
}

pub fn remove_spender(ctx: Context<ConfigureSpender>) -> Result<()> {
    let (slot, _) = now()?;
    ctx.accounts.spender_account.enabled = false;
    let spender = &ctx.accounts.spender_account;
    emit_spender_changed(&ctx.accounts.event_authority, spender.key(), spender, true, slot)?;
    ctx.accounts.spender_account.close(ctx.accounts.rent_receiver.to_account_info())
}

fn emit_spender_changed(
    event_authority: &AccountInfo,
    spender_account: Pubkey,
    spender: &Spender,
    removed: bool,
    slot: u64,
) -> Result<()> {
    emit_event(
        event_authority,
        &SpenderChanged {
            treasury: spender.treasury,
            spender_account,
            vault: spender.vault,
            spender: spender.spender,
            enabled: spender.enabled,
            limit_per_period: spender.limit_per_period,
            period_seconds: spender.period_seconds,
            removed,
            slot,
        },
    )
}
