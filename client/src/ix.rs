//! One builder per program instruction, over Anchor's generated account structs.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{InstructionData, ToAccountMetas};
use smart_treasury::{
    accounts as accs, instruction as data,
    instructions::{CreateManagedBalanceArgs, CreateTreasuryArgs, LinkSourceArgs, SpenderLimits, UpdateSourceArgs},
    state::{AutomationSettings, BalanceMode, CrankAccess, ManagedBalance, TransferFeeLimit},
    ID,
};

use crate::pda::{event_authority, managed_balance_pda, pool_pda, spender_pda, treasury_pda, vault_address};

fn build(accounts: impl ToAccountMetas, args: impl InstructionData) -> Instruction {
    Instruction { program_id: ID, accounts: accounts.to_account_metas(None), data: args.data() }
}

pub fn create_treasury(payer: Pubkey, create_key: Pubkey, args: CreateTreasuryArgs) -> Instruction {
    build(
        accs::CreateTreasury {
            payer,
            create_key,
            treasury: treasury_pda(&create_key),
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(),
            program: ID,
        },
        data::CreateTreasury { args },
    )
}

fn update_treasury(authority: Pubkey, treasury: Pubkey, args: impl InstructionData) -> Instruction {
    build(accs::UpdateTreasury { authority, treasury, event_authority: event_authority(), program: ID }, args)
}

pub fn propose_authority(authority: Pubkey, treasury: Pubkey, proposed: Option<Pubkey>) -> Instruction {
    update_treasury(authority, treasury, data::ProposeAuthority { proposed })
}

pub fn accept_authority(new_authority: Pubkey, treasury: Pubkey) -> Instruction {
    build(
        accs::AcceptAuthority { new_authority, treasury, event_authority: event_authority(), program: ID },
        data::AcceptAuthority {},
    )
}

pub fn set_guardian(authority: Pubkey, treasury: Pubkey, guardian: Pubkey) -> Instruction {
    update_treasury(authority, treasury, data::SetGuardian { guardian })
}

pub fn set_crank_access(
    authority: Pubkey,
    treasury: Pubkey,
    crank_access: CrankAccess,
    keepers: Vec<Pubkey>,
) -> Instruction {
    update_treasury(authority, treasury, data::SetCrankAccess { crank_access, keepers })
}

pub fn pause(signer: Pubkey, treasury: Pubkey) -> Instruction {
    build(accs::Pause { signer, treasury, event_authority: event_authority(), program: ID }, data::Pause {})
}

pub fn unpause(authority: Pubkey, treasury: Pubkey) -> Instruction {
    update_treasury(authority, treasury, data::Unpause {})
}

/// Fails its transaction unless the treasury's config version is `expected`: put before
/// treasury changes a proposal was built for.
pub fn expect_treasury_version(treasury: Pubkey, expected: u64) -> Instruction {
    build(accs::ExpectTreasuryVersion { treasury }, data::ExpectTreasuryVersion { expected })
}

/// Fails its transaction unless the managed balance's config version is `expected`: put
/// before changes to it a proposal was built for.
pub fn expect_balance_version(treasury: Pubkey, managed_balance: Pubkey, expected: u64) -> Instruction {
    build(accs::ExpectBalanceVersion { treasury, managed_balance }, data::ExpectBalanceVersion { expected })
}

pub fn create_pool(payer: Pubkey, authority: Pubkey, treasury: Pubkey, pool_id: u16, name: &str) -> Instruction {
    build(
        accs::CreatePool {
            payer,
            authority,
            treasury,
            pool: pool_pda(&treasury, pool_id),
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(),
            program: ID,
        },
        data::CreatePool { pool_id, name: name.to_string() },
    )
}

pub fn create_vault(
    payer: Pubkey,
    authority: Pubkey,
    treasury: Pubkey,
    pool: Pubkey,
    mint: Pubkey,
    token_program: Pubkey,
) -> Instruction {
    build(
        accs::CreateVault {
            payer,
            authority,
            treasury,
            pool,
            mint,
            vault: vault_address(&pool, &mint, &token_program),
            token_program,
            associated_token_program: anchor_spl::associated_token::ID,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(),
            program: ID,
        },
        data::CreateVault {},
    )
}

/// Accounts shared by deposit and withdraw.
#[derive(Clone, Copy, Debug)]
pub struct VaultAccounts {
    pub treasury: Pubkey,
    pub pool: Pubkey,
    pub vault: Pubkey,
    pub mint: Pubkey,
    pub token_program: Pubkey,
}

/// Creates `owner`'s associated token account for `mint` unless it exists, paid by
/// `payer`: somewhere for a withdrawal to land.
pub fn create_associated_account(payer: Pubkey, owner: Pubkey, mint: Pubkey, token_program: Pubkey) -> Instruction {
    anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account_idempotent(
        &payer,
        &owner,
        &mint,
        &token_program,
    )
}

pub fn deposit(depositor: Pubkey, from: Pubkey, v: VaultAccounts, amount: u64) -> Instruction {
    build(
        accs::Deposit {
            depositor,
            treasury: v.treasury,
            pool: v.pool,
            vault: v.vault,
            from,
            mint: v.mint,
            token_program: v.token_program,
            event_authority: event_authority(),
            program: ID,
        },
        data::Deposit { amount },
    )
}

pub fn withdraw(authority: Pubkey, recipient: Pubkey, v: VaultAccounts, amount: u64) -> Instruction {
    build(
        accs::Withdraw {
            authority,
            treasury: v.treasury,
            pool: v.pool,
            vault: v.vault,
            recipient,
            mint: v.mint,
            token_program: v.token_program,
            event_authority: event_authority(),
            program: ID,
        },
        data::Withdraw { amount },
    )
}

pub fn add_spender(
    payer: Pubkey,
    authority: Pubkey,
    treasury: Pubkey,
    pool: Pubkey,
    vault: Pubkey,
    spender: Pubkey,
    limits: SpenderLimits,
) -> Instruction {
    build(
        accs::AddSpender {
            payer,
            authority,
            treasury,
            pool,
            vault,
            spender,
            spender_account: spender_pda(&vault, &spender),
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(),
            program: ID,
        },
        data::AddSpender { limits },
    )
}

fn configure_spender(
    authority: Pubkey,
    treasury: Pubkey,
    spender_account: Pubkey,
    rent_receiver: Pubkey,
    args: impl InstructionData,
) -> Instruction {
    build(
        accs::ConfigureSpender {
            authority,
            treasury,
            spender_account,
            rent_receiver,
            event_authority: event_authority(),
            program: ID,
        },
        args,
    )
}

pub fn update_spender(
    authority: Pubkey,
    treasury: Pubkey,
    spender_account: Pubkey,
    limits: SpenderLimits,
) -> Instruction {
    configure_spender(authority, treasury, spender_account, authority, data::UpdateSpender { limits })
}

pub fn remove_spender(
    authority: Pubkey,
    treasury: Pubkey,
    spender_account: Pubkey,
    rent_receiver: Pubkey,
) -> Instruction {
    configure_spender(authority, treasury, spender_account, rent_receiver, data::RemoveSpender {})
}

pub fn spend(spender: Pubkey, recipient: Pubkey, v: VaultAccounts, amount: u64) -> Instruction {
    build(
        accs::Spend {
            spender,
            treasury: v.treasury,
            pool: v.pool,
            spender_account: spender_pda(&v.vault, &spender),
            vault: v.vault,
            recipient,
            mint: v.mint,
            token_program: v.token_program,
            event_authority: event_authority(),
            program: ID,
        },
        data::Spend { amount },
    )
}

#[allow(clippy::too_many_arguments)]
pub fn create_managed_balance(
    payer: Pubkey,
    authority: Pubkey,
    treasury: Pubkey,
    destination: Pubkey,
    destination_pool: Pubkey,
    mint: Pubkey,
    token_program: Pubkey,
    args: CreateManagedBalanceArgs,
) -> Instruction {
    build(
        accs::CreateManagedBalance {
            payer,
            authority,
            treasury,
            managed_balance: managed_balance_pda(&treasury, args.id),
            destination,
            destination_pool,
            mint,
            token_program,
            system_program: anchor_lang::system_program::ID,
            event_authority: event_authority(),
            program: ID,
        },
        data::CreateManagedBalance { args },
    )
}

fn configure(authority: Pubkey, treasury: Pubkey, managed_balance: Pubkey, args: impl InstructionData) -> Instruction {
    build(
        accs::ConfigureManagedBalance {
            authority,
            treasury,
            managed_balance,
            event_authority: event_authority(),
            program: ID,
        },
        args,
    )
}

pub fn update_thresholds(
    authority: Pubkey,
    treasury: Pubkey,
    managed_balance: Pubkey,
    min: u64,
    target: u64,
    max: u64,
) -> Instruction {
    configure(authority, treasury, managed_balance, data::UpdateThresholds { min, target, max })
}

pub fn update_settings(
    authority: Pubkey,
    treasury: Pubkey,
    managed_balance: Pubkey,
    mode: BalanceMode,
    automation: AutomationSettings,
) -> Instruction {
    configure(authority, treasury, managed_balance, data::UpdateSettings { mode, automation })
}

pub fn set_enabled(authority: Pubkey, treasury: Pubkey, managed_balance: Pubkey, enabled: bool) -> Instruction {
    configure(authority, treasury, managed_balance, data::SetEnabled { enabled })
}

pub fn set_accepted_transfer_fee(
    authority: Pubkey,
    treasury: Pubkey,
    managed_balance: Pubkey,
    accepted: TransferFeeLimit,
) -> Instruction {
    configure(authority, treasury, managed_balance, data::SetAcceptedTransferFee { accepted })
}

pub fn update_source(
    authority: Pubkey,
    treasury: Pubkey,
    managed_balance: Pubkey,
    args: UpdateSourceArgs,
) -> Instruction {
    configure(authority, treasury, managed_balance, data::UpdateSource { args })
}

pub fn unlink_source(
    authority: Pubkey,
    treasury: Pubkey,
    managed_balance: Pubkey,
    token_account: Pubkey,
) -> Instruction {
    configure(authority, treasury, managed_balance, data::UnlinkSource { token_account })
}

pub fn link_source(
    authority: Pubkey,
    treasury: Pubkey,
    managed_balance: Pubkey,
    source: Pubkey,
    source_pool: Pubkey,
    args: LinkSourceArgs,
) -> Instruction {
    build(
        accs::LinkSource {
            authority,
            treasury,
            managed_balance,
            source,
            source_pool,
            event_authority: event_authority(),
            program: ID,
        },
        data::LinkSource { args },
    )
}

pub fn close_managed_balance(
    authority: Pubkey,
    treasury: Pubkey,
    managed_balance: Pubkey,
    rent_receiver: Pubkey,
) -> Instruction {
    build(
        accs::CloseManagedBalance {
            authority,
            treasury,
            managed_balance,
            rent_receiver,
            event_authority: event_authority(),
            program: ID,
        },
        data::CloseManagedBalance {},
    )
}

/// Accounts every movement of one managed balance names.
#[derive(Clone, Copy, Debug)]
pub struct BalanceAccounts {
    pub treasury: Pubkey,
    pub managed_balance: Pubkey,
    pub destination: Pubkey,
    pub destination_pool: Pubkey,
    pub mint: Pubkey,
    pub token_program: Pubkey,
}

/// `[token account (writable), pool]` pairs, the remaining accounts of every crank.
pub fn source_metas(sources: &[(Pubkey, Pubkey)]) -> Vec<AccountMeta> {
    sources
        .iter()
        .flat_map(|(token_account, pool)| {
            [AccountMeta::new(*token_account, false), AccountMeta::new_readonly(*pool, false)]
        })
        .collect()
}

/// The sources every crank passes: each enabled source in priority order, as `(token
/// account, pool)`, a closed or frozen one included (the program passes over it). A
/// prefix is enough when it covers the move; the whole list always is.
pub fn crank_sources(managed: &ManagedBalance) -> Vec<(Pubkey, Pubkey)> {
    managed.enabled_sources().map(|source| (source.token_account, source.pool)).collect()
}

fn with_sources(mut ix: Instruction, sources: &[(Pubkey, Pubkey)]) -> Instruction {
    ix.accounts.extend(source_metas(sources));
    ix
}

/// The balance decides whether this is a threshold or a forecast top-up.
pub fn top_up(
    keeper: Pubkey,
    b: BalanceAccounts,
    expected_config_version: u64,
    sources: &[(Pubkey, Pubkey)],
) -> Instruction {
    let ix = build(
        accs::TopUp {
            keeper,
            treasury: b.treasury,
            managed_balance: b.managed_balance,
            destination: b.destination,
            mint: b.mint,
            token_program: b.token_program,
            event_authority: event_authority(),
            program: ID,
        },
        data::TopUp { expected_config_version },
    );
    with_sources(ix, sources)
}

pub fn adjust_balance(authority: Pubkey, b: BalanceAccounts, amount: u64, sources: &[(Pubkey, Pubkey)]) -> Instruction {
    let ix = build(
        accs::AdjustBalance {
            authority,
            treasury: b.treasury,
            managed_balance: b.managed_balance,
            destination: b.destination,
            mint: b.mint,
            token_program: b.token_program,
            event_authority: event_authority(),
            program: ID,
        },
        data::AdjustBalance { amount },
    );
    with_sources(ix, sources)
}

/// The excess goes to the first enabled source that may take returned funds.
pub fn sweep_excess(
    keeper: Pubkey,
    b: BalanceAccounts,
    expected_config_version: u64,
    sources: &[(Pubkey, Pubkey)],
) -> Instruction {
    let ix = build(
        accs::SweepExcess {
            keeper,
            treasury: b.treasury,
            managed_balance: b.managed_balance,
            destination: b.destination,
            destination_pool: b.destination_pool,
            mint: b.mint,
            token_program: b.token_program,
            event_authority: event_authority(),
            program: ID,
        },
        data::SweepExcess { expected_config_version },
    );
    with_sources(ix, sources)
}

/// The counterpart is the first live enabled source among `sources`.
pub fn rebalance_ratio(
    keeper: Pubkey,
    b: BalanceAccounts,
    expected_config_version: u64,
    sources: &[(Pubkey, Pubkey)],
) -> Instruction {
    let ix = build(
        accs::RebalanceRatio {
            keeper,
            treasury: b.treasury,
            managed_balance: b.managed_balance,
            destination: b.destination,
            destination_pool: b.destination_pool,
            mint: b.mint,
            token_program: b.token_program,
            event_authority: event_authority(),
            program: ID,
        },
        data::RebalanceRatio { expected_config_version },
    );
    with_sources(ix, sources)
}
