use crate::{
    constants::{MAX_KEEPERS, TREASURY_LAYOUT_VERSION, TREASURY_SEED},
    error::TreasuryError,
    events::{emit_event, now, TreasuryChange, TreasuryChanged},
    instructions::create_program_account,
    state::{CrankAccess, Treasury},
};
use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct CreateTreasuryArgs {
    /// Governs the treasury; need not be the payer (a DAO PDA, a multisig vault).
    pub authority: Pubkey,
    pub guardian: Pubkey,
    pub crank_access: CrankAccess,
    pub keepers: Vec<Pubkey>,
}

#[derive(Accounts)]
pub struct CreateTreasury<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    /// Makes the treasury address unique; signing stops anyone else from taking it.
    pub create_key: Signer<'info>,
    /// CHECK: created here as a `Treasury` at this PDA.
    #[account(mut, seeds = [TREASURY_SEED, create_key.key().as_ref()], bump)]
    pub treasury: UncheckedAccount<'info>,
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

/// Copies a keeper list into the fixed array, refusing duplicates and overflow.
pub fn store_keepers(treasury: &mut Treasury, keepers: &[Pubkey]) -> Result<()> {
    require!(keepers.len() <= MAX_KEEPERS, TreasuryError::TooManyKeepers);
    for (i, keeper) in keepers.iter().enumerate() {
        require!(!keepers[..i].contains(keeper), TreasuryError::DuplicateKeeper);
    }
    treasury.keepers = [Pubkey::default(); MAX_KEEPERS];
    treasury.keepers[..keepers.len()].copy_from_slice(keepers);
    treasury.keeper_count = keepers.len() as u8;
    Ok(())
}

pub fn create_treasury(ctx: Context<CreateTreasury>, args: CreateTreasuryArgs) -> Result<()> {
    let mut treasury = Treasury {
        layout_version: TREASURY_LAYOUT_VERSION,
        bump: ctx.bumps.treasury,
        create_key: ctx.accounts.create_key.key(),
        authority: args.authority,
        pending_authority: None,
        guardian: args.guardian,
        paused: false,
        crank_access: args.crank_access,
        keeper_count: 0,
        keepers: [Pubkey::default(); MAX_KEEPERS],
        config_version: 1,
        managed_balances_created: 0,
        reserved: [0; 56],
    };
    store_keepers(&mut treasury, &args.keepers)?;
    let accounts = &ctx.accounts;
    create_program_account(
        &accounts.payer,
        &accounts.treasury,
        &accounts.system_program,
        &treasury.signer_seeds(),
        8 + Treasury::INIT_SPACE,
        &treasury,
    )?;

    let (slot, _) = now()?;
    emit_event(
        &ctx.accounts.event_authority,
        &TreasuryChanged {
            treasury: accounts.treasury.key(),
            change: TreasuryChange::Created {
                authority: args.authority,
                guardian: args.guardian,
                crank_access: args.crank_access,
            },
            config_version: treasury.config_version,
            slot,
        },
    )
}
