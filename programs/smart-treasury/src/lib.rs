//! Smart Treasury: a treasury's vaults, and the min / target / max rules that keep its
//! operational balances funded, enforced on-chain. Keepers crank; the program decides
//! what may move, when, and how much.

// The upstream-LLVM SBF build defines its 128-bit helpers with LLVM's own ABI.
#![cfg_attr(target_arch = "bpf", feature(abi_unadjusted))]
#![cfg_attr(target_arch = "bpf", allow(internal_features))]

use anchor_lang::prelude::*;

pub mod constants;
pub mod error;
pub mod events;
pub mod instructions;
#[cfg(not(target_os = "solana"))]
pub mod native;
#[cfg(target_arch = "bpf")]
mod sbf_int128;
pub mod state;
pub mod token;

use instructions::*;
use state::{AutomationSettings, BalanceMode, CrankAccess, TransferFeeLimit};

declare_id!("HLXACGiPB9Px2XdETqEYgwCLqB3DtuMA9WMDsTDpbTnH");

/// The PDA (seeds `["__event_authority"]`) that signs the program's event self-CPIs.
pub const EVENT_AUTHORITY: Pubkey = EVENT_AUTHORITY_AND_BUMP.0;

// Who to tell about a vulnerability, read from the deployed program by explorers and
// auditing tools (the `solana-security-txt` convention). Only in the program's own
// build: a crate linking it (`no-entrypoint`) would otherwise carry a second copy.
#[cfg(not(feature = "no-entrypoint"))]
solana_security_txt::security_txt! {
    name: "Smart Treasury",
    project_url: "https://github.com/smart-treasury/smart-treasury",
    contacts: "email:security@smart-treasury.example,link:https://github.com/smart-treasury/smart-treasury/security/advisories/new",
    policy: "https://github.com/smart-treasury/smart-treasury/blob/main/SECURITY.md",
    preferred_languages: "en",
    source_code: "https://github.com/smart-treasury/smart-treasury",
    auditors: "None yet: see SECURITY.md"
}

#[program]
pub mod smart_treasury {
    use super::*;

    // Treasury administration.

    /// Creates a treasury governed by `args.authority`.
    pub fn create_treasury(ctx: Context<CreateTreasury>, args: CreateTreasuryArgs) -> Result<()> {
        instructions::create_treasury(ctx, args)
    }

    /// Starts a two-step authority handover (`None` cancels a pending one).
    pub fn propose_authority(ctx: Context<UpdateTreasury>, proposed: Option<Pubkey>) -> Result<()> {
        instructions::propose_authority(ctx, proposed)
    }

    /// The proposed authority takes over by signing.
    pub fn accept_authority(ctx: Context<AcceptAuthority>) -> Result<()> {
        instructions::accept_authority(ctx)
    }

    /// Sets the key that may pause the treasury.
    pub fn set_guardian(ctx: Context<UpdateTreasury>, guardian: Pubkey) -> Result<()> {
        instructions::set_guardian(ctx, guardian)
    }

    /// Makes cranking permissionless, or limits it to an allow-list of keepers.
    pub fn set_crank_access(
        ctx: Context<UpdateTreasury>,
        crank_access: CrankAccess,
        keepers: Vec<Pubkey>,
    ) -> Result<()> {
        instructions::set_crank_access(ctx, crank_access, keepers)
    }

    /// The guardian or the authority stops all cranks and spender payouts.
    pub fn pause(ctx: Context<Pause>) -> Result<()> {
        instructions::pause(ctx)
    }

    /// Only the authority resumes.
    pub fn unpause(ctx: Context<UpdateTreasury>) -> Result<()> {
        instructions::unpause(ctx)
    }

    /// Fails unless the treasury's config version is `expected`: a proposal puts it
    /// before its treasury changes so they cannot land on settings it did not see.
    pub fn expect_treasury_version(ctx: Context<ExpectTreasuryVersion>, expected: u64) -> Result<()> {
        instructions::expect_treasury_version(ctx, expected)
    }

    // Pools and vaults.

    /// Creates pool `pool_id`, the PDA that owns its vaults.
    pub fn create_pool(ctx: Context<CreatePool>, pool_id: u16, name: String) -> Result<()> {
        instructions::create_pool(ctx, pool_id, name)
    }

    /// Creates a pool's vault for a mint (or adopts the associated token account someone
    /// created first), refusing unsafe Token-2022 extensions.
    pub fn create_vault(ctx: Context<CreateVault>) -> Result<()> {
        instructions::create_vault(ctx)
    }

    /// Anyone moves tokens into a pool vault.
    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        instructions::deposit(ctx, amount)
    }

    /// The authority moves tokens out of a pool vault.
    pub fn withdraw(ctx: Context<Withdraw>, amount: u64) -> Result<()> {
        instructions::withdraw(ctx, amount)
    }

    /// Lets a key pay out of one vault within a per-period limit.
    pub fn add_spender(ctx: Context<AddSpender>, limits: SpenderLimits) -> Result<()> {
        instructions::add_spender(ctx, limits)
    }

    /// Changes a spender's limit, period or enabled flag.
    pub fn update_spender(ctx: Context<ConfigureSpender>, limits: SpenderLimits) -> Result<()> {
        instructions::update_spender(ctx, limits)
    }

    /// Removes a spender and returns its rent.
    pub fn remove_spender(ctx: Context<ConfigureSpender>) -> Result<()> {
        instructions::remove_spender(ctx)
    }

    /// A spender pays `amount` out of its vault.
    pub fn spend(ctx: Context<Spend>, amount: u64) -> Result<()> {
        instructions::spend(ctx, amount)
    }

    // Managed balances.

    /// Starts managing a vault or venue balance.
    pub fn create_managed_balance(ctx: Context<CreateManagedBalance>, args: CreateManagedBalanceArgs) -> Result<()> {
        instructions::create_managed_balance(ctx, args)
    }

    /// Sets `min <= target <= max`.
    pub fn update_thresholds(ctx: Context<ConfigureManagedBalance>, min: u64, target: u64, max: u64) -> Result<()> {
        instructions::update_thresholds(ctx, min, target, max)
    }

    /// Sets the mode (threshold or ratio) and the automation limits.
    pub fn update_settings(
        ctx: Context<ConfigureManagedBalance>,
        mode: BalanceMode,
        automation: AutomationSettings,
    ) -> Result<()> {
        instructions::update_settings(ctx, mode, automation)
    }

    /// Turns automation for a managed balance on or off.
    pub fn set_enabled(ctx: Context<ConfigureManagedBalance>, enabled: bool) -> Result<()> {
        instructions::set_enabled(ctx, enabled)
    }

    /// Links a funding source with a priority and a reserve floor.
    pub fn link_source(ctx: Context<LinkSource>, args: LinkSourceArgs) -> Result<()> {
        instructions::link_source(ctx, args)
    }

    /// Changes a linked source's priority, floor or enabled flag.
    pub fn update_source(ctx: Context<ConfigureManagedBalance>, args: UpdateSourceArgs) -> Result<()> {
        instructions::update_source(ctx, args)
    }

    /// Unlinks a funding source.
    pub fn unlink_source(ctx: Context<ConfigureManagedBalance>, token_account: Pubkey) -> Result<()> {
        instructions::unlink_source(ctx, token_account)
    }

    /// Stops managing a balance and returns the account's rent.
    pub fn close_managed_balance(ctx: Context<CloseManagedBalance>) -> Result<()> {
        instructions::close_managed_balance(ctx)
    }

    /// Sets the highest transfer fee (Token-2022 transfer-fee mints) movements accept.
    pub fn set_accepted_transfer_fee(ctx: Context<ConfigureManagedBalance>, accepted: TransferFeeLimit) -> Result<()> {
        instructions::set_accepted_transfer_fee(ctx, accepted)
    }

    /// Fails unless the managed balance's config version is `expected`: a proposal puts
    /// it before its changes so they cannot land on settings it did not see.
    pub fn expect_balance_version(ctx: Context<ExpectBalanceVersion>, expected: u64) -> Result<()> {
        instructions::expect_balance_version(ctx, expected)
    }

    // Movements.

    /// Keeper crank: refills a balance to `target` from its sources in priority order,
    /// on a breach of `min` or, inside the forecast band, ahead of one (the balance
    /// decides which).
    pub fn top_up<'info>(ctx: Context<'info, TopUp<'info>>, expected_config_version: u64) -> Result<()> {
        instructions::top_up(ctx, expected_config_version)
    }

    /// Keeper crank: returns the excess above `target` once the balance is above `max`.
    pub fn sweep_excess<'info>(ctx: Context<'info, SweepExcess<'info>>, expected_config_version: u64) -> Result<()> {
        instructions::sweep_excess(ctx, expected_config_version)
    }

    /// Keeper crank: restores a ratio-mode balance's share once it leaves the band.
    pub fn rebalance_ratio<'info>(
        ctx: Context<'info, RebalanceRatio<'info>>,
        expected_config_version: u64,
    ) -> Result<()> {
        instructions::rebalance_ratio(ctx, expected_config_version)
    }

    /// The authority's manual top-up of `amount`, capped at `max`.
    pub fn adjust_balance<'info>(ctx: Context<'info, AdjustBalance<'info>>, amount: u64) -> Result<()> {
        instructions::adjust_balance(ctx, amount)
    }
}
