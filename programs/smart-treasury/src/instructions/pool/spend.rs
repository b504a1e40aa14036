use crate::{
    constants::{POOL_SEED, SPENDER_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::{clock, emit_event, Spent},
    state::{Pool, Spender, Treasury},
    token::TokenMover,
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

/// A spender pays out of its vault (a customer withdrawal) within its limit.
#[derive(Accounts)]
pub struct Spend<'info> {
    pub spender: Signer<'info>,
    #[account(
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
    #[account(
        mut,
        has_one = treasury @ TreasuryError::WrongTreasury,
        has_one = pool @ TreasuryError::WrongPool,
        has_one = vault @ TreasuryError::NotPoolVault,
        has_one = spender @ TreasuryError::NotSpender,
        seeds = [SPENDER_SEED, vault.key().as_ref(), spender.key().as_ref()],
        bump = spender_account.bump,
    )]
    pub spender_account: Box<Account<'info, Spender>>,
    #[account(mut, token::mint = mint, token::token_program = token_program)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(
        mut,
        token::mint = mint,
        token::token_program = token_program,
        constraint = recipient.key() != vault.key() @ TreasuryError::SourceIsDestination,
    )]
    pub recipient: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub token_program: Interface<'info, TokenInterface>,
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

pub fn spend(ctx: Context<Spend>, amount: u64) -> Result<()> {
    require!(amount > 0, TreasuryError::ZeroAmount);
    require!(!ctx.accounts.treasury.paused, TreasuryError::Paused);
    let now = clock()?;
    ctx.accounts.spender_account.record_spend(amount, now.unix_timestamp)?;
    let accounts = &ctx.accounts;
    let vault_before = accounts.vault.amount;
    let id_bytes = accounts.pool.pool_id.to_le_bytes();
    let token_program = accounts.token_program.to_account_info();
    let mint = accounts.mint.to_account_info();
    let mover = TokenMover::at_current_fee(&token_program, &mint, accounts.mint.decimals, now.epoch)?;
    let moved = mover.transfer(
        &accounts.vault.to_account_info(),
        &accounts.recipient.to_account_info(),
        &accounts.pool.to_account_info(),
        amount,
        &[&accounts.pool.signer_seeds(&id_bytes)],
    )?;
    emit_event(
        &accounts.event_authority,
        &Spent {
            treasury: accounts.treasury.key(),
            vault: accounts.vault.key(),
            spender: accounts.spender.key(),
            recipient: accounts.recipient.key(),
            amount,
            received: moved.received,
            spent_in_period: accounts.spender_account.spent_in_period(now.unix_timestamp),
            limit_per_period: accounts.spender_account.limit_per_period,
            vault_before,
            vault_after: moved.from_after,
            slot: now.slot,
        },
    )
}
