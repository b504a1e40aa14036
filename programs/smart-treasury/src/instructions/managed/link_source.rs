use super::commit_change;
use crate::{
    constants::{MANAGED_BALANCE_SEED, POOL_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::ManagedBalanceChange,
    state::{AccountKind, FundingSource, ManagedBalance, Pool, Treasury},
    token::TokenAccountView,
};
use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug)]
pub struct LinkSourceArgs {
    pub priority: u8,
    pub reserve_floor: u64,
    pub enabled: bool,
    /// For a venue: may take returned funds (sweeps, ratio pushes). Pool vaults
    /// always may; a third party's account only when the authority says so.
    pub returns_allowed: bool,
}

#[derive(Accounts)]
pub struct LinkSource<'info> {
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
        seeds = [MANAGED_BALANCE_SEED, treasury.key().as_ref(), &managed_balance.id.to_le_bytes()],
        bump = managed_balance.bump,
    )]
    pub managed_balance: Box<Account<'info, ManagedBalance>>,
    /// A vault of `source_pool`, or a venue account whose owner delegates to it.
    /// CHECK: read as a token account of the managed balance's token program and mint.
    pub source: UncheckedAccount<'info>,
    /// Signs pulls from the source.
    #[account(
        has_one = treasury @ TreasuryError::WrongTreasury,
        seeds = [POOL_SEED, treasury.key().as_ref(), &source_pool.pool_id.to_le_bytes()],
        bump = source_pool.bump,
    )]
    pub source_pool: Box<Account<'info, Pool>>,
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

pub fn link_source(ctx: Context<LinkSource>, args: LinkSourceArgs) -> Result<()> {
    let managed = &mut ctx.accounts.managed_balance;
    let source_key = ctx.accounts.source.key();
    require_keys_neq!(source_key, managed.destination, TreasuryError::SourceIsDestination);
    let view = TokenAccountView::load(&ctx.accounts.source, &managed.token_program, &managed.mint)?;
    view.require_no_memo()?;
    let pool = ctx.accounts.source_pool.key();
    let kind = if view.owner == pool { AccountKind::PoolVault } else { AccountKind::Venue };
    let source = FundingSource {
        token_account: source_key,
        pool,
        kind,
        priority: args.priority,
        enabled: args.enabled,
        reserve_floor: args.reserve_floor,
        returns_allowed: args.returns_allowed,
    };
    managed.insert_source(source)?;
    commit_change(managed, &ctx.accounts.event_authority, ManagedBalanceChange::SourceLinked { source })
}
