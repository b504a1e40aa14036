use crate::{
    constants::{MANAGED_BALANCE_LAYOUT_VERSION, MANAGED_BALANCE_SEED, MAX_SOURCES, POOL_SEED, TREASURY_SEED},
    error::TreasuryError,
    events::{clock, emit_event, ManagedBalanceChange, ManagedBalanceChanged},
    instructions::create_program_account,
    state::{
        encode_name, AccountKind, AutomationSettings, BalanceMode, FundingSource, ManagedBalance, MovedWindow, Pool,
        Treasury,
    },
    token::{check_mint_supported, current_fee_limit, TokenAccountView},
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

#[derive(Accounts)]
#[instruction(args: CreateManagedBalanceArgs)]
pub struct CreateManagedBalance<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    pub authority: Signer<'info>,
    /// Counts the balance, so its config versions never repeat those of a balance
    /// closed at the same address.
    #[account(
        mut,
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

pub fn create_managed_balance(ctx: Context<CreateManagedBalance>, args: CreateManagedBalanceArgs) -> Result<()> {
    let mint_info = ctx.accounts.mint.to_account_info();
    check_mint_supported(&mint_info)?;
    let token_program = ctx.accounts.token_program.key();
    let destination_info = ctx.accounts.destination.to_account_info();
    TokenAccountView::load(&destination_info, &token_program, &ctx.accounts.mint.key())?.require_no_memo()?;
    let destination_kind = if ctx.accounts.destination.owner == ctx.accounts.destination_pool.key() {
        AccountKind::PoolVault
    } else {
        AccountKind::Venue
    };
    let now = clock()?;
    let config_version = ctx.accounts.treasury.next_managed_balance_version()?;
    let treasury = ctx.accounts.treasury.key();
    let accounts = &ctx.accounts;
    let managed = ManagedBalance {
        layout_version: MANAGED_BALANCE_LAYOUT_VERSION,
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
        accepted_transfer_fee: current_fee_limit(&mint_info, now.epoch)?,
        moved: MovedWindow::default(),
        last_automation_at: 0,
        last_automation_slot: 0,
        config_version,
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
            slot: now.slot,
        },
    )
}
