use crate::{
    constants::{LAYOUT_VERSION, MANAGED_BALANCE_SEED, MAX_SOURCES, POOL_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::{emit_event, now, ManagedBalanceChange, ManagedBalanceChanged},
    instructions::create_program_account,
    state::{encode_name, AccountKind, AutomationSettings, BalanceMode, FundingSource, ManagedBalance, Pool, Treasury},
    token::check_mint_supported,
};
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct CreateManagedBalanceArgs {
    pub id: u32,
    pub name: String,
    pub min: u64,
    pub target: u64,
    pub max: u64,
    pub mode: BalanceMode,
    pub automation: AutomationSettings,
    pub enabled: bool,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: CreateManagedBalanceArgs)]
pub struct CreateManagedBalance<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    pub authority: Signer<'info>,
    #[account(
        has_one = authority @ TreasuryError::NotAuthority,
        seeds = [TREASURY_SEED, treasury.create_key.as_ref()],
        bump = treasury.bump,
    )]
    pub treasury: Box<Account<'info, Treasury>>,
    /// CHECK: created here as a `ManagedBalance` at this PDA.
    #[account(mut, seeds = [MANAGED_BALANCE_SEED, treasury.key().as_ref(), &args.id.to_le_bytes()], bump)]
    pub managed_balance: UncheckedAccount<'info>,
    /// A vault of `destination_pool`, or a venue account it is (or will be) delegate of.
    #[account(token::mint = mint, token::token_program = token_program)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Signs moves out of the destination (sweeps, ratio pushes).
    #[account(
        has_one = treasury @ TreasuryError::WrongTreasury,
        seeds = [POOL_SEED, treasury.key().as_ref(), &destination_pool.pool_id.to_le_bytes()],
        bump = destination_pool.bump,
    )]
    pub destination_pool: Box<Account<'info, Pool>>,
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

pub fn create_managed_balance(ctx: Context<CreateManagedBalance>, args: CreateManagedBalanceArgs) -> Result<()> {
    check_mint_supported(&ctx.accounts.mint.to_account_info())?;
    let destination_kind = if ctx.accounts.destination.owner == ctx.accounts.destination_pool.key() {
        AccountKind::PoolVault
    } else {
        AccountKind::Venue
    };
    let (slot, _) = now()?;
    let treasury = ctx.accounts.treasury.key();
    let accounts = &ctx.accounts;
    let managed = ManagedBalance {
        layout_version: LAYOUT_VERSION,
        bump: ctx.bumps.managed_balance,
        treasury,
        id: args.id,
        name: encode_name(&args.name)?,
        mint: ctx.accounts.mint.key(),
        token_program: ctx.accounts.token_program.key(),
        decimals: ctx.accounts.mint.decimals,
        destination: ctx.accounts.destination.key(),
        destination_kind,
        destination_pool: ctx.accounts.destination_pool.key(),
        min: args.min,
        target: args.target,
        max: args.max,
        enabled: args.enabled,
        mode: args.mode,
        automation: args.automation,
        period_start: 0,
        moved_in_period: 0,
        last_automation_at: 0,
        last_automation_slot: 0,
        config_version: 1,
        source_count: 0,
        sources: [FundingSource::default(); MAX_SOURCES],
        reserved: [0; 64],
    };
    managed.invariant()?;
    let id_bytes = args.id.to_le_bytes();
    let bump = [managed.bump];
    create_program_account(
        &accounts.payer,
        &accounts.managed_balance,
        &accounts.system_program,
        &[MANAGED_BALANCE_SEED, treasury.as_ref(), &id_bytes, &bump],
        8 + ManagedBalance::INIT_SPACE,
        &managed,
    )?;
    emit_event(
        &accounts.event_authority,
        &ManagedBalanceChanged {
            treasury,
            managed_balance: accounts.managed_balance.key(),
            change: ManagedBalanceChange::Created {
                name: args.name,
                destination: managed.destination,
                mint: managed.mint,
                min: args.min,
                target: args.target,
                max: args.max,
            },
            config_version: managed.config_version,
            slot,
        },
    )
}
