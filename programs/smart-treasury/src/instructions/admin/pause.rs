use crate::{
    constants::TREASURY_SEED,
    error::TreasuryError,
    events::{emit_event, now, TreasuryChange, TreasuryChanged},
    state::Treasury,
};
use anchor_lang::prelude::*;

#[event_cpi]
#[derive(Accounts)]
pub struct Pause<'info> {
    /// The guardian or the authority.
    pub signer: Signer<'info>,
    #[account(
        mut,
        seeds = [TREASURY_SEED, treasury.create_key.as_ref()],
        bump = treasury.bump,
    )]
    pub treasury: Box<Account<'info, Treasury>>,
}

pub fn pause(ctx: Context<Pause>) -> Result<()> {
    let treasury = &mut ctx.accounts.treasury;
    let by = ctx.accounts.signer.key();
    require!(by == treasury.guardian || by == treasury.authority, TreasuryError::NotGuardianOrAuthority);
    treasury.paused = true;
    treasury.bump_config_version()?;
    let (slot, _) = now()?;
    emit_event(
        &ctx.accounts.event_authority,
        &TreasuryChanged {
            treasury: treasury.key(),
            change: TreasuryChange::Paused { by },
            config_version: treasury.config_version,
            slot,
        },
    )
}
