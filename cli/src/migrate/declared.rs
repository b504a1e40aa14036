//! The treasury the file declares, checked and typed: every value range is checked here,
//! with the program's own rules, before anything is read from the chain or built.

use super::file::{AccountSpec, BalanceSpec, CrankAccessSpec, ModeSpec, PoolSpec, SpenderSpec, TreasuryFile};
use super::locate::FieldPath;
use crate::rules::{self, Violation};
use anchor_lang::prelude::Pubkey;
use smart_treasury::{
    constants::{MAX_KEEPERS, MAX_SOURCES},
    instructions::SpenderLimits,
    state::{AutomationSettings, BalanceMode, CrankAccess, TransferFeeLimit},
};
use smart_treasury_policy::Thresholds;

/// A problem with one field of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub path: FieldPath,
    pub message: String,
}

impl FieldError {
    pub fn new(path: FieldPath, message: impl Into<String>) -> Self {
        Self { path, message: message.into() }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredTreasury {
    pub create_key: Pubkey,
    pub authority: Pubkey,
    pub guardian: Pubkey,
    pub crank_access: CrankAccess,
    pub keepers: Vec<Pubkey>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredPool {
    pub index: usize,
    pub id: u16,
    pub name: String,
    pub mints: Vec<Pubkey>,
}

/// A pool's vault for the balance's mint, or a venue account the pool is delegate of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Vault { pool: u16 },
    Venue { pool: u16, account: Pubkey },
}

impl Endpoint {
    pub fn pool_id(&self) -> u16 {
        match *self {
            Self::Vault { pool } | Self::Venue { pool, .. } => pool,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredSource {
    pub index: usize,
    pub endpoint: Endpoint,
    pub priority: u8,
    pub reserve_floor: u64,
    pub enabled: bool,
    pub returns_allowed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredBalance {
    pub index: usize,
    pub id: u32,
    pub name: String,
    pub mint: Pubkey,
    pub destination: Endpoint,
    pub thresholds: Thresholds,
    pub enabled: bool,
    pub mode: BalanceMode,
    pub automation: AutomationSettings,
    pub accepted_transfer_fee: Option<TransferFeeLimit>,
    pub sources: Vec<DeclaredSource>,
}

#[derive(Clone, Debug)]
pub struct DeclaredSpender {
    pub index: usize,
    pub pool: u16,
    pub mint: Pubkey,
    pub spender: Pubkey,
    pub limits: SpenderLimits,
}

#[derive(Clone, Debug)]
pub struct Declared {
    pub treasury: DeclaredTreasury,
    pub pools: Vec<DeclaredPool>,
    pub balances: Vec<DeclaredBalance>,
    pub spenders: Vec<DeclaredSpender>,
}

impl Declared {
    pub fn pool(&self, id: u16) -> Option<&DeclaredPool> {
        self.pools.iter().find(|pool| pool.id == id)
    }
}

/// Collects every problem rather than stopping at the first.
#[derive(Default)]
struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, path: FieldPath, message: impl Into<String>) {
        self.errors.push(FieldError::new(path, message));
    }

    fn pubkey(&mut self, path: FieldPath, text: &str) -> Pubkey {
        text.parse().unwrap_or_else(|_| {
            self.fail(path, format!("\"{text}\" is not a base58 public key (32 bytes)"));
            Pubkey::default()
        })
    }

    /// Records a broken rule at its field under `path`.
    fn rule(&mut self, path: &FieldPath, result: Result<(), Violation>) {
        if let Err((field, message)) = result {
            self.fail(path.key(field), message);
        }
    }
}

pub fn check(file: &TreasuryFile) -> Result<Declared, Vec<FieldError>> {
    let mut checker = Checker::default();
    let treasury = check_treasury(&mut checker, file);
    let pools: Vec<DeclaredPool> =
        file.pools.iter().enumerate().map(|(index, spec)| check_pool(&mut checker, index, spec)).collect();
    for (index, pool) in pools.iter().enumerate() {
        if pools[..index].iter().any(|other| other.id == pool.id) {
            checker.fail(FieldPath::root("pools").index(index).key("id"), format!("pool id {} appears twice", pool.id));
        }
    }
    let balances: Vec<DeclaredBalance> = file
        .managed_balances
        .iter()
        .enumerate()
        .map(|(index, spec)| check_balance(&mut checker, &pools, index, spec))
        .collect();
    for (index, balance) in balances.iter().enumerate() {
        if balances[..index].iter().any(|other| other.id == balance.id) {
            let path = FieldPath::root("managed_balances").index(index).key("id");
            checker.fail(path, format!("managed balance id {} appears twice", balance.id));
        }
    }
    let spenders: Vec<DeclaredSpender> = file
        .spenders
        .iter()
        .enumerate()
        .map(|(index, spec)| check_spender(&mut checker, &pools, index, spec))
        .collect();
    for (index, spender) in spenders.iter().enumerate() {
        let same = |other: &DeclaredSpender| {
            (other.pool, other.mint, other.spender) == (spender.pool, spender.mint, spender.spender)
        };
        if spenders[..index].iter().any(same) {
            checker.fail(
                FieldPath::root("spenders").index(index).key("spender"),
                "this spender of this vault appears twice",
            );
        }
    }
    if checker.errors.is_empty() {
        Ok(Declared { treasury, pools, balances, spenders })
    } else {
        Err(checker.errors)
    }
}

fn check_treasury(checker: &mut Checker, file: &TreasuryFile) -> DeclaredTreasury {
    let spec = &file.treasury;
    let path = FieldPath::root("treasury");
    let keepers: Vec<Pubkey> = spec
        .keepers
        .iter()
        .enumerate()
        .map(|(index, keeper)| checker.pubkey(path.key("keepers").index(index), keeper))
        .collect();
    if keepers.len() > MAX_KEEPERS {
        checker.fail(
            path.key("keepers"),
            format!("{} keepers; the allow-list holds at most {MAX_KEEPERS}", keepers.len()),
        );
    }
    for (index, keeper) in keepers.iter().enumerate() {
        if keepers[..index].contains(keeper) {
            checker.fail(path.key("keepers").index(index), format!("keeper {keeper} appears twice"));
        }
    }
    if spec.crank_access == CrankAccessSpec::AllowList && keepers.is_empty() {
        checker
            .fail(path.key("keepers"), "crank_access = \"allow-list\" needs at least one keeper, or nobody can crank");
    }
    DeclaredTreasury {
        create_key: checker.pubkey(path.key("create_key"), &spec.create_key),
        authority: checker.pubkey(path.key("authority"), &spec.authority),
        guardian: checker.pubkey(path.key("guardian"), &spec.guardian),
        crank_access: match spec.crank_access {
            CrankAccessSpec::Permissionless => CrankAccess::Permissionless,
            CrankAccessSpec::AllowList => CrankAccess::AllowList,
        },
        keepers,
    }
}

fn check_pool(checker: &mut Checker, index: usize, spec: &PoolSpec) -> DeclaredPool {
    let path = FieldPath::root("pools").index(index);
    checker.rule(&path, rules::name("name", &spec.name));
    let mints: Vec<Pubkey> =
        spec.mints.iter().enumerate().map(|(i, mint)| checker.pubkey(path.key("mints").index(i), mint)).collect();
    for (i, mint) in mints.iter().enumerate() {
        if mints[..i].contains(mint) {
            checker
                .fail(path.key("mints").index(i), format!("mint {mint} appears twice: a pool has one vault per mint"));
        }
    }
    DeclaredPool { index, id: spec.id, name: spec.name.clone(), mints }
}

/// The pool must be declared, with a vault for `mint` unless the account is a venue.
fn check_endpoint(
    checker: &mut Checker,
    pools: &[DeclaredPool],
    path: FieldPath,
    spec_pool: u16,
    venue: Option<&String>,
    mint: &Pubkey,
) -> Endpoint {
    let pool = pools.iter().find(|pool| pool.id == spec_pool);
    let endpoint = match venue {
        Some(venue) => Endpoint::Venue { pool: spec_pool, account: checker.pubkey(path.key("venue"), venue) },
        None => Endpoint::Vault { pool: spec_pool },
    };
    match pool {
        None => checker.fail(path.key("pool"), format!("pool {spec_pool} is not declared under [[pools]]")),
        Some(pool) if venue.is_none() && !pool.mints.contains(mint) && *mint != Pubkey::default() => checker.fail(
            path.key("pool"),
            format!("pool {spec_pool} has no vault for mint {mint}: add the mint to that pool's `mints`"),
        ),
        Some(_) => {}
    }
    endpoint
}

fn check_balance(checker: &mut Checker, pools: &[DeclaredPool], index: usize, spec: &BalanceSpec) -> DeclaredBalance {
    let path = FieldPath::root("managed_balances").index(index);
    checker.rule(&path, rules::name("name", &spec.name));
    let mint = checker.pubkey(path.key("mint"), &spec.mint);
    let destination = check_account(checker, pools, path.key("destination"), &spec.destination, &mint);

    let thresholds = Thresholds { min: spec.min, target: spec.target, max: spec.max };
    checker.rule(&path, rules::thresholds(&thresholds));

    let mode = check_mode(checker, &path, spec);
    let automation = check_automation(checker, &path, spec);
    let accepted_transfer_fee = spec.accepted_transfer_fee.map(|fee| {
        if smart_treasury_policy::validate_bps(fee.basis_points).is_err() {
            let field = path.key("accepted_transfer_fee").key("basis_points");
            checker.fail(field, format!("{} must be within 0..=10000", fee.basis_points));
        }
        TransferFeeLimit { basis_points: fee.basis_points, maximum_fee: fee.maximum_fee }
    });
    let sources = check_sources(checker, pools, &path, spec, &mint, &destination);
    DeclaredBalance {
        index,
        id: spec.id,
        name: spec.name.clone(),
        mint,
        destination,
        thresholds,
        enabled: spec.enabled,
        mode,
        automation,
        accepted_transfer_fee,
        sources,
    }
}

fn check_account(
    checker: &mut Checker,
    pools: &[DeclaredPool],
    path: FieldPath,
    spec: &AccountSpec,
    mint: &Pubkey,
) -> Endpoint {
    check_endpoint(checker, pools, path, spec.pool, spec.venue.as_ref(), mint)
}

fn check_mode(checker: &mut Checker, path: &FieldPath, spec: &BalanceSpec) -> BalanceMode {
    match spec.mode {
        ModeSpec::Threshold => {
            for (field, value) in [("ratio_bps", spec.ratio_bps), ("band_bps", spec.band_bps)] {
                if value.is_some() {
                    checker.fail(path.key(field), format!("{field} applies only to mode = \"ratio\": remove it"));
                }
            }
            BalanceMode::Threshold
        }
        ModeSpec::Ratio => {
            let (Some(ratio_bps), Some(band_bps)) = (spec.ratio_bps, spec.band_bps) else {
                let missing = if spec.ratio_bps.is_none() { "ratio_bps" } else { "band_bps" };
                checker.fail(path.key("mode"), format!("mode = \"ratio\" needs {missing} (basis points)"));
                return BalanceMode::Threshold;
            };
            checker.rule(path, rules::ratio(ratio_bps, band_bps));
            BalanceMode::Ratio { ratio_bps, band_bps }
        }
    }
}

fn check_automation(checker: &mut Checker, path: &FieldPath, spec: &BalanceSpec) -> AutomationSettings {
    let path = path.key("automation");
    let a = &spec.automation;
    let automation = AutomationSettings {
        cooldown_seconds: a.cooldown_seconds,
        period_seconds: a.period_seconds,
        period_cap: a.period_cap,
        forecast_band_bps: a.forecast_band_bps,
    };
    for (field, message) in rules::automation(&automation) {
        let at = if field == "automation" { path.clone() } else { path.key(field) };
        checker.fail(at, message);
    }
    automation
}

fn check_sources(
    checker: &mut Checker,
    pools: &[DeclaredPool],
    path: &FieldPath,
    spec: &BalanceSpec,
    mint: &Pubkey,
    destination: &Endpoint,
) -> Vec<DeclaredSource> {
    let path = path.key("sources");
    if spec.sources.len() > MAX_SOURCES {
        checker.fail(
            path.clone(),
            format!("{} sources; a managed balance links at most {MAX_SOURCES}", spec.sources.len()),
        );
    }
    let mut sources: Vec<DeclaredSource> = Vec::new();
    for (index, source) in spec.sources.iter().enumerate() {
        let source_path = path.index(index);
        let endpoint = check_endpoint(checker, pools, source_path.clone(), source.pool, source.venue.as_ref(), mint);
        if source.priority == 0 {
            checker.fail(source_path.key("priority"), "priority starts at 1 (drawn first)");
        } else if sources.iter().any(|other| other.priority == source.priority) {
            checker
                .fail(source_path.key("priority"), format!("priority {} is used by another source", source.priority));
        }
        if same_account(&endpoint, destination) {
            checker.fail(source_path.clone(), "a source cannot be the destination itself");
        }
        if sources.iter().any(|other| same_account(&other.endpoint, &endpoint)) {
            checker.fail(source_path.clone(), "this account is already a source of this balance");
        }
        if source.allow_returns && source.venue.is_none() {
            checker.fail(
                source_path.key("allow_returns"),
                "applies to venues only: a pool's vault always takes returned funds; remove it",
            );
        }
        sources.push(DeclaredSource {
            index,
            endpoint,
            priority: source.priority,
            reserve_floor: source.reserve_floor,
            enabled: source.enabled,
            returns_allowed: source.allow_returns,
        });
    }
    sources
}

/// Two endpoints name the same token account (a venue is one account, whatever pool
/// signs for it).
fn same_account(a: &Endpoint, b: &Endpoint) -> bool {
    match (a, b) {
        (Endpoint::Vault { pool: x }, Endpoint::Vault { pool: y }) => x == y,
        (Endpoint::Venue { account: x, .. }, Endpoint::Venue { account: y, .. }) => x == y,
        _ => false,
    }
}

fn check_spender(checker: &mut Checker, pools: &[DeclaredPool], index: usize, spec: &SpenderSpec) -> DeclaredSpender {
    let path = FieldPath::root("spenders").index(index);
    let mint = checker.pubkey(path.key("mint"), &spec.mint);
    let spender = checker.pubkey(path.key("spender"), &spec.spender);
    check_endpoint(checker, pools, path.clone(), spec.pool, None, &mint);
    if spec.limit_per_period == 0 {
        checker.fail(path.key("limit_per_period"), "must be above 0");
    }
    checker.rule(&path, rules::period_seconds("period_seconds", spec.period_seconds));
    DeclaredSpender {
        index,
        pool: spec.pool,
        mint,
        spender,
        limits: SpenderLimits {
            enabled: spec.enabled,
            limit_per_period: spec.limit_per_period,
            period_seconds: spec.period_seconds,
        },
    }
}
