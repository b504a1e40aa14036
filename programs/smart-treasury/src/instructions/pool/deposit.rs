use crate::{
    constants::{POOL_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::{clock, emit_event, VaultFlow},
    state::{Pool, Treasury},
    token::TokenMover,
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

/// Anyone may fund a pool vault.
#[derive(Accounts)]
pub struct Deposit<'info> {
    pub depositor: Signer<'info>,
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
        token::mint = mint,
        token::authority = pool,
        token::token_program = token_program,
    )]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut, token::mint = mint, token::token_program = token_program)]
    pub from: Box<InterfaceAccount<'info, TokenAccount>>,
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

pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    require!(amount > 0, TreasuryError::ZeroAmount);
    let accounts = &ctx.accounts;
    let vault_before = accounts.vault.amount;
    let now = clock()?;
    let token_program = accounts.token_program.to_account_info();
    let mint = accounts.mint.to_account_info();
    let mover = TokenMover::at_current_fee(&token_program, &mint, accounts.mint.decimals, now.epoch)?;
    let moved = mover.transfer(
        &accounts.from.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.depositor.to_account_info(),
        amount,
        &[],
    )?;
    emit_event(
        &accounts.event_authority,
        &VaultFlow {
            treasury: accounts.treasury.key(),
            pool: accounts.pool.key(),
            vault: accounts.vault.key(),
            counterparty: accounts.from.key(),
            deposit: true,
            sent: moved.sent,
            received: moved.received,
            vault_before,
            vault_after: moved.to_after,
            slot: now.slot,
        },
    )
}
