//! The declarative treasury file, as written: every table denies unknown fields, so a
//! typo is an error at its line rather than a setting silently ignored.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreasuryFile {
    pub treasury: TreasurySpec,
    #[serde(default)]
    pub pools: Vec<PoolSpec>,
    #[serde(default)]
    pub managed_balances: Vec<BalanceSpec>,
    #[serde(default)]
    pub spenders: Vec<SpenderSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreasurySpec {
    /// The one-time key the treasury's address derives from.
    pub create_key: String,
    pub authority: String,
    pub guardian: String,
    pub crank_access: CrankAccessSpec,
    #[serde(default)]
    pub keepers: Vec<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CrankAccessSpec {
    Permissionless,
    AllowList,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    pub id: u16,
    pub name: String,
    /// A vault (the pool's associated token account) per mint.
    #[serde(default)]
    pub mints: Vec<String>,
}

/// A token account a managed balance uses: the vault of `pool` for the balance's mint,
/// or a `venue` account `pool` is (or will be) the delegate of.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    pub pool: u16,
    pub venue: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalanceSpec {
    pub id: u32,
    pub name: String,
    pub mint: String,
    pub destination: AccountSpec,
    pub min: u64,
    pub target: u64,
    pub max: u64,
    #[serde(default = "enabled")]
    pub enabled: bool,
    pub mode: ModeSpec,
    pub ratio_bps: Option<u16>,
    pub band_bps: Option<u16>,
    pub automation: AutomationSpec,
    /// The highest Token-2022 transfer fee movements accept; unset, the mint's fee when
    /// the balance was created stays.
    pub accepted_transfer_fee: Option<TransferFeeSpec>,
    #[serde(default)]
    pub sources: Vec<SourceSpec>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferFeeSpec {
    pub basis_points: u16,
    pub maximum_fee: u64,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ModeSpec {
    Threshold,
    Ratio,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationSpec {
    pub cooldown_seconds: u32,
    pub period_seconds: u32,
    pub period_cap: u64,
    pub forecast_band_bps: u16,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    pub pool: u16,
    pub venue: Option<String>,
    pub priority: u8,
    #[serde(default)]
    pub reserve_floor: u64,
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// A venue may take returned funds (sweeps, ratio pushes); a vault always may.
    #[serde(default)]
    pub allow_returns: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpenderSpec {
    pub pool: u16,
    pub mint: String,
    pub spender: String,
    pub limit_per_period: u64,
    pub period_seconds: u32,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}
