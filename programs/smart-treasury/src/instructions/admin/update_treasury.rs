use super::store_keepers;
use crate::{
    constants::TREASURY_SEED,
    error::TreasuryError,
    events::{emit_event, now, TreasuryChange, TreasuryChanged},
    state::{CrankAccess, Treasury},
};
use anchor_lang::prelude::*;

/// Accounts of every treasury-level change only the authority may make.
#[derive(Accounts)]
pub struct UpdateTreasury<'info> {
    pub authority: Signer<'info>,
    #[account(
        mut,
        has_one = authority @ TreasuryError::NotAuthority,
        seeds = [TREASURY_SEED, treasury.create_key.as_ref()],
        bump = treasury.bump,
    )]
    pub treasury: Box<Account<'info, Treasury>>,
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

impl<'info> UpdateTreasury<'info> {
    /// Bumps the config version and emits the change.
    pub fn record(&mut self, change: TreasuryChange) -> Result<()> {
        self.treasury.bump_config_version()?;
        let (slot, _) = now()?;
        emit_event(
            &self.event_authority,
            &TreasuryChanged {
                treasury: self.treasury.key(),
                change,
                config_version: self.treasury.config_version,
                slot,
            },
        )
    }
}

pub fn propose_authority(ctx: Context<UpdateTreasury>, proposed: Option<Pubkey>) -> Result<()> {
    ctx.accounts.treasury.pending_authority = proposed;
    ctx.accounts.record(TreasuryChange::AuthorityProposed { proposed })
}

pub fn set_guardian(ctx: Context<UpdateTreasury>, guardian: Pubkey) -> Result<()> {
    let previous = core::mem::replace(&mut ctx.accounts.treasury.guardian, guardian);
    ctx.accounts.record(TreasuryChange::GuardianSet { previous, guardian })
}

pub fn set_crank_access(ctx: Context<UpdateTreasury>, crank_access: CrankAccess, keepers: Vec<Pubkey>) -> Result<()> {
    let treasury = &mut ctx.accounts.treasury;
    treasury.crank_access = crank_access;
    store_keepers(treasury, &keepers)?;
    ctx.accounts.record(TreasuryChange::CrankAccessSet { crank_access, keepers })
}

pub fn unpause(ctx: Context<UpdateTreasury>) -> Result<()> {
    require!(ctx.accounts.treasury.paused, TreasuryError::NotPaused);
    ctx.accounts.treasury.paused = false;
    let by = ctx.accounts.authority.key();
    ctx.accounts.record(TreasuryChange::Unpaused { by })
}
