use crate::{
    constants::{POOL_LAYOUT_VERSION, POOL_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::{emit_event, now, PoolCreated},
    instructions::create_program_account,
    state::{encode_name, Pool, Treasury},
};
use anchor_lang::prelude::*;

#[derive(Accounts)]
#[instruction(pool_id: u16)]
pub struct CreatePool<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    pub authority: Signer<'info>,
    #[account(
        has_one = authority @ TreasuryError::NotAuthority,
        seeds = [TREASURY_SEED, treasury.create_key.as_ref()],
        bump = treasury.bump,
    )]
    pub treasury: Box<Account<'info, Treasury>>,
    /// CHECK: created here as a `Pool` at this PDA.
    #[account(mut, seeds = [POOL_SEED, treasury.key().as_ref(), &pool_id.to_le_bytes()], bump)]
    pub pool: UncheckedAccount<'info>,
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

pub fn create_pool(ctx: Context<CreatePool>, pool_id: u16, name: String) -> Result<()> {
    let accounts = &ctx.accounts;
    let pool = Pool {
        layout_version: POOL_LAYOUT_VERSION,
        bump: ctx.bumps.pool,
        treasury: accounts.treasury.key(),
        pool_id,
        name: encode_name(&name)?,
        reserved: [0; 32],
    };
    let id_bytes = pool_id.to_le_bytes();
    create_program_account(
        &accounts.payer,
        &accounts.pool,
        &accounts.system_program,
        &pool.signer_seeds(&id_bytes),
        8 + Pool::INIT_SPACE,
        &pool,
    )?;
    let (slot, _) = now()?;
    emit_event(
        &accounts.event_authority,
        &PoolCreated { treasury: pool.treasury, pool: accounts.pool.key(), pool_id, name, slot },
    )
}
