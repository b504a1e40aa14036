use crate::{
    constants::{LAYOUT_VERSION, POOL_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::{emit_event, now, PoolCreated},
    state::{encode_name, Pool, Treasury},
};
use anchor_lang::prelude::*;

#[event_cpi]
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
    #[account(
        init,
        payer = payer,
        space = 8 + Pool::INIT_SPACE,
        seeds = [POOL_SEED, treasury.key().as_ref(), &pool_id.to_le_bytes()],
        bump,
    )]
    pub pool: Box<Account<'info, Pool>>,
    pub system_program: Program<'info, System>,
}

pub fn create_pool(ctx: Context<CreatePool>, pool_id: u16, name: String) -> Result<()> {
    let pool = &mut ctx.accounts.pool;
    pool.layout_version = LAYOUT_VERSION;
    pool.bump = ctx.bumps.pool;
    pool.treasury = ctx.accounts.treasury.key();
    pool.pool_id = pool_id;
    pool.name = encode_name(&name)?;
    let (slot, _) = now()?;
    emit_event(
        &ctx.accounts.event_authority,
        &PoolCreated { treasury: pool.treasury, pool: pool.key(), pool_id, name, slot },
    )
}
