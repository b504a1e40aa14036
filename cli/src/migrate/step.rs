//! One change the plan makes, as data (to build its instruction) and as words (for the
//! table an operator reviews).

use anchor_lang::prelude::Pubkey;
use serde::Serialize;
use smart_treasury::{
    instructions::{CreateManagedBalanceArgs, CreateTreasuryArgs, LinkSourceArgs, SpenderLimits, UpdateSourceArgs},
    state::{AutomationSettings, BalanceMode, CrankAccess, TransferFeeLimit},
};
use smart_treasury_client::{ix, pda, Change, TokenAmount};

#[derive(Clone, Debug)]
pub enum StepKind {
    CreateTreasury {
        args: CreateTreasuryArgs,
    },
    ProposeAuthority {
        proposed: Pubkey,
    },
    SetGuardian {
        guardian: Pubkey,
    },
    SetCrankAccess {
        crank_access: CrankAccess,
        keepers: Vec<Pubkey>,
    },
    CreatePool {
        pool_id: u16,
        name: String,
    },
    CreateVault {
        pool: Pubkey,
        mint: Pubkey,
        token_program: Pubkey,
    },
    CreateBalance {
        destination: Pubkey,
        destination_pool: Pubkey,
        mint: Pubkey,
        token_program: Pubkey,
        args: CreateManagedBalanceArgs,
    },
    UpdateThresholds {
        managed_balance: Pubkey,
        min: u64,
        target: u64,
        max: u64,
    },
    UpdateSettings {
        managed_balance: Pubkey,
        mode: BalanceMode,
        automation: AutomationSettings,
    },
    SetEnabled {
        managed_balance: Pubkey,
        enabled: bool,
    },
    SetAcceptedTransferFee {
        managed_balance: Pubkey,
        accepted: TransferFeeLimit,
    },
    UnlinkSource {
        managed_balance: Pubkey,
        token_account: Pubkey,
    },
    UpdateSource {
        managed_balance: Pubkey,
        args: UpdateSourceArgs,
    },
    LinkSource {
        managed_balance: Pubkey,
        source: Pubkey,
        source_pool: Pubkey,
        args: LinkSourceArgs,
    },
    AddSpender {
        pool: Pubkey,
        vault: Pubkey,
        spender: Pubkey,
        limits: SpenderLimits,
    },
    UpdateSpender {
        spender_account: Pubkey,
        limits: SpenderLimits,
    },
}

/// The config version a step was planned against: its transaction first checks it, so
/// a change built on settings that have since moved (another proposal landed first)
/// fails instead of landing on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    Treasury(u64),
    Balance { managed_balance: Pubkey, version: u64 },
}

impl StepKind {
    /// The managed balance whose config version this step bumps, if any.
    pub fn changed_balance(&self) -> Option<Pubkey> {
        match self {
            Self::UpdateThresholds { managed_balance, .. }
            | Self::UpdateSettings { managed_balance, .. }
            | Self::SetEnabled { managed_balance, .. }
            | Self::SetAcceptedTransferFee { managed_balance, .. }
            | Self::UnlinkSource { managed_balance, .. }
            | Self::UpdateSource { managed_balance, .. }
            | Self::LinkSource { managed_balance, .. } => Some(*managed_balance),
            _ => None,
        }
    }

    /// Whether this step bumps the treasury's config version.
    pub fn changes_treasury(&self) -> bool {
        matches!(self, Self::ProposeAuthority { .. } | Self::SetGuardian { .. } | Self::SetCrankAccess { .. })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// `create`, `update`, `link`, `unlink`.
    pub action: &'static str,
    /// What it applies to: `pool 1 "hot wallet"`.
    pub object: String,
    /// What changes: `min 1000 -> 2000`.
    pub detail: String,
    #[serde(skip)]
    pub kind: StepKind,
    #[serde(skip)]
    pub guard: Option<Guard>,
}

impl Step {
    pub fn new(action: &'static str, object: impl Into<String>, detail: impl Into<String>, kind: StepKind) -> Self {
        Self { action, object: object.into(), detail: detail.into(), kind, guard: None }
    }

    fn guard_instruction(&self, treasury: Pubkey) -> Option<anchor_lang::solana_program::instruction::Instruction> {
        Some(match self.guard? {
            Guard::Treasury(version) => ix::expect_treasury_version(treasury, version),
            Guard::Balance { managed_balance, version } => {
                ix::expect_balance_version(treasury, managed_balance, version)
            }
        })
    }

    /// The transaction's change, paid and signed by `authority`; a new treasury's create
    /// key signs too.
    pub fn to_change(
        &self,
        treasury: &Pubkey,
        authority: &Pubkey,
        create_key: Option<&solana_keypair::Keypair>,
    ) -> Change {
        let (a, t) = (*authority, *treasury);
        let instruction = match &self.kind {
            StepKind::CreateTreasury { args } => {
                let key = create_key.expect("a treasury is created only with its create key");
                let change = Change::new(
                    self.summary(),
                    ix::create_treasury(a, solana_signer::Signer::pubkey(key), args.clone()),
                );
                return change.with_co_signer(key.insecure_clone());
            }
            StepKind::ProposeAuthority { proposed } => ix::propose_authority(a, t, Some(*proposed)),
            StepKind::SetGuardian { guardian } => ix::set_guardian(a, t, *guardian),
            StepKind::SetCrankAccess { crank_access, keepers } => {
                ix::set_crank_access(a, t, *crank_access, keepers.clone())
            }
            StepKind::CreatePool { pool_id, name } => ix::create_pool(a, a, t, *pool_id, name),
            StepKind::CreateVault { pool, mint, token_program } => {
                ix::create_vault(a, a, t, *pool, *mint, *token_program)
            }
            StepKind::CreateBalance { destination, destination_pool, mint, token_program, args } => {
                ix::create_managed_balance(
                    a,
                    a,
                    t,
                    *destination,
                    *destination_pool,
                    *mint,
                    *token_program,
                    args.clone(),
                )
            }
            StepKind::UpdateThresholds { managed_balance, min, target, max } => {
                ix::update_thresholds(a, t, *managed_balance, *min, *target, *max)
            }
            StepKind::UpdateSettings { managed_balance, mode, automation } => {
                ix::update_settings(a, t, *managed_balance, *mode, *automation)
            }
            StepKind::SetEnabled { managed_balance, enabled } => ix::set_enabled(a, t, *managed_balance, *enabled),
            StepKind::SetAcceptedTransferFee { managed_balance, accepted } => {
                ix::set_accepted_transfer_fee(a, t, *managed_balance, *accepted)
            }
            StepKind::UnlinkSource { managed_balance, token_account } => {
                ix::unlink_source(a, t, *managed_balance, *token_account)
            }
            StepKind::UpdateSource { managed_balance, args } => ix::update_source(a, t, *managed_balance, *args),
            StepKind::LinkSource { managed_balance, source, source_pool, args } => {
                ix::link_source(a, t, *managed_balance, *source, *source_pool, *args)
            }
            StepKind::AddSpender { pool, vault, spender, limits } => {
                ix::add_spender(a, a, t, *pool, *vault, *spender, *limits)
            }
            StepKind::UpdateSpender { spender_account, limits } => ix::update_spender(a, t, *spender_account, *limits),
        };
        let mut change = Change::new(self.summary(), instruction);
        if let Some(guard) = self.guard_instruction(t) {
            change.instructions.insert(0, guard);
        }
        change
    }

    pub fn summary(&self) -> String {
        if self.detail.is_empty() {
            format!("{} {}", self.action, self.object)
        } else {
            format!("{} {}: {}", self.action, self.object, self.detail)
        }
    }
}

/// `pool 2 "reserve"`.
pub fn pool_label(id: u16, name: &str) -> String {
    format!("pool {id} \"{name}\"")
}

pub fn balance_label(id: u32, name: &str) -> String {
    format!("managed balance {id} \"{name}\"")
}

pub fn spender_label(spender: &Pubkey, vault: &Pubkey) -> String {
    format!("spender {spender} of vault {vault}")
}

pub fn spender_account(vault: &Pubkey, spender: &Pubkey) -> Pubkey {
    pda::spender_pda(vault, spender)
}

pub fn describe_mode(mode: &BalanceMode) -> String {
    match mode {
        BalanceMode::Threshold => "threshold".into(),
        BalanceMode::Ratio { ratio_bps, band_bps } => format!("ratio {ratio_bps} bps, band {band_bps} bps"),
    }
}

/// An amount as the plan's table shows it: grouped token units of a mint with `decimals`.
pub fn tokens(base_units: u64, decimals: u8) -> String {
    TokenAmount::new(base_units, decimals).grouped()
}

pub fn describe_automation(a: &AutomationSettings, decimals: u8) -> String {
    format!(
        "cooldown {}s, period {}s, cap {}, forecast band {} bps",
        a.cooldown_seconds,
        a.period_seconds,
        tokens(a.period_cap, decimals),
        a.forecast_band_bps
    )
}

pub fn describe_crank_access(access: &CrankAccess, keepers: &[Pubkey]) -> String {
    match access {
        CrankAccess::Permissionless if keepers.is_empty() => "permissionless".into(),
        CrankAccess::Permissionless => format!("permissionless (keepers listed: {})", keepers.len()),
        CrankAccess::AllowList => {
            let list: Vec<String> = keepers.iter().map(ToString::to_string).collect();
            format!("allow-list [{}]", list.join(", "))
        }
    }
}
