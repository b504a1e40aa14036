use crate::{
    constants::{POOL_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::{emit_event, now, VaultCreated},
    state::{Pool, Treasury},
    token::check_mint_supported,
};
use anchor_lang::prelude::*;
use anchor_spl::{
    associated_token::AssociatedToken,
    token_interface::{Mint, TokenAccount, TokenInterface},
};

/// A vault is the pool's associated token account for a mint; the associated token
/// program sizes it for the mint's extensions. Anyone may create that account first
/// (the associated token program is permissionless): it is adopted, not refused, since
/// only the pool can ever sign for it.
#[derive(Accounts)]
pub struct CreateVault<'info> {
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
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        init_if_needed,
        payer = payer,
        associated_token::mint = mint,
        associated_token::authority = pool,
        associated_token::token_program = token_program,
    )]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
    pub associated_token_program: Program<'info, AssociatedToken>,
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

pub fn create_vault(ctx: Context<CreateVault>) -> Result<()> {
    check_mint_supported(&ctx.accounts.mint.to_account_info())?;
    let (slot, _) = now()?;
    emit_event(
        &ctx.accounts.event_authority,
        &VaultCreated {
            treasury: ctx.accounts.treasury.key(),
            pool: ctx.accounts.pool.key(),
            vault: ctx.accounts.vault.key(),
            mint: ctx.accounts.mint.key(),
            slot,
        },
    )
}
