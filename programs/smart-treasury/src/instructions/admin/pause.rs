use crate::{
    constants::TREASURY_SEED,
    error::TreasuryError,
    events::{emit_event, now, TreasuryChange, TreasuryChanged},
    state::Treasury,
};
use anchor_lang::prelude::*;

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
