use crate::{
    constants::{MANAGED_BALANCE_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::{emit_event, now, ManagedBalanceChange, ManagedBalanceChanged},
    state::{ManagedBalance, Treasury},
};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CloseManagedBalance<'info> {
    pub authority: Signer<'info>,
    #[account(
        has_one = authority @ TreasuryError::NotAuthority,
        seeds = [TREASURY_SEED, treasury.create_key.as_ref()],
        bump = treasury.bump,
    )]
    pub treasury: Box<Account<'info, Treasury>>,
    #[account(
        mut,
        close = rent_receiver,
        has_one = treasury @ TreasuryError::WrongTreasury,
        seeds = [MANAGED_BALANCE_SEED, treasury.key().as_ref(), &managed_balance.id.to_le_bytes()],
        bump = managed_balance.bump,
    )]
    pub managed_balance: Box<Account<'info, ManagedBalance>>,
    /// CHECK: only credited the rent.
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

pub fn close_managed_balance(ctx: Context<CloseManagedBalance>) -> Result<()> {
    let (slot, _) = now()?;
    let managed = &ctx.accounts.managed_balance;
    emit_event(
        &ctx.accounts.event_authority,
        &ManagedBalanceChanged {
            treasury: managed.treasury,
            managed_balance: managed.key(),
            change: ManagedBalanceChange::Closed,
            config_version: managed.config_version,
            slot,
        },
    )
}
