//! What a step does: one of the program's instructions from some signer, possibly with
//! an account meta tampered with, or something the rest of the world does (time
//! passes, a venue's owner moves, closes or freezes it, the fee authority raises the
//! fee). Plain data, so a failing sequence can be replayed and shrunk.

use super::{
    exec::Exec,
    rng::Rng,
    snapshot::Snapshot,
    world::{Role, World, MANAGED_BALANCE_ID, MAX, MIN, ROLES},
};
use crate::ix;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token_2022::spl_token_2022::{
    self,
    extension::{memo_transfer, transfer_fee},
};
use smart_treasury::{
    instructions::{CreateManagedBalanceArgs, LinkSourceArgs, SpenderLimits, UpdateSourceArgs},
    state::{AutomationSettings, BalanceMode, CrankAccess, TransferFeeLimit},
};
use solana_signer::Signer;

/// Which of the enabled sources a crank passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sources {
    All,
    Prefix(usize),
    Reversed,
    /// All but the one at this position.
    Skip(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    TopUp(Sources),
    Sweep(Sources),
    Rebalance(Sources),
    Adjust {
        amount: u64,
        sources: Sources,
    },
    UpdateThresholds {
        min: u64,
        target: u64,
        max: u64,
    },
    UpdateSettings {
        ratio: Option<(u16, u16)>,
        automation: AutomationSettings,
    },
    SetEnabled(bool),
    /// `account` indexes the world's token accounts, `pool` its pools.
    LinkSource {
        account: usize,
        pool: usize,
        priority: u8,
        floor: u64,
        enabled: bool,
        returns: bool,
    },
    /// `index` picks a linked source.
    UpdateSource {
        index: usize,
        priority: u8,
        floor: u64,
        enabled: bool,
        returns: bool,
    },
    UnlinkSource {
        index: usize,
    },
    SetAcceptedFee {
        basis_points: u16,
        maximum_fee: u64,
    },
    CloseBalance,
    CreateBalance {
        min: u64,
        target: u64,
        max: u64,
    },
    Spend {
        amount: u64,
        recipient: usize,
    },
    AddSpender {
        limit: u64,
        period: u32,
    },
    UpdateSpender {
        limit: u64,
        period: u32,
        enabled: bool,
    },
    RemoveSpender,
    Deposit {
        pool: usize,
        amount: u64,
    },
    Withdraw {
        pool: usize,
        amount: u64,
        recipient: usize,
    },
    Pause,
    Unpause,
    SetGuardian(Role),
    ProposeAuthority(Option<Role>),
    AcceptAuthority,
    SetCrankAccess {
        allow_list: bool,
        keepers: Vec<Role>,
    },
    CreateVault {
        pool: usize,
    },
    /// `inner` behind a version guard `offset` away from the current version.
    Guarded {
        offset: i64,
        inner: Box<Call>,
    },
}

/// A tampered account meta of the program's instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// The meta at `meta` (modulo the count) points at the address book's `with`.
    Substitute { meta: usize, with: usize },
    /// The meta is no longer marked a signer.
    Unsign { meta: usize },
    /// The meta is no longer writable.
    Readonly { meta: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Env {
    Wait(u64),
    NextEpoch,
    VenueOutflow(u64),
    VenueApprove(u64),
    VenueRevoke,
    VenueClose,
    VenueFreeze,
    /// Tokens from outside into a token account (by index).
    MintTo {
        account: usize,
        amount: u64,
    },
    SetTransferFee {
        basis_points: u16,
        maximum_fee: u64,
    },
    /// The owner of the venue or the sink asks for memos on incoming transfers.
    RequireMemo {
        venue: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Program { call: Call, signer: Role, mutation: Option<Mutation> },
    Env(Env),
}

/// An amount at one of several scales, so ties with the thresholds happen.
fn amount(rng: &mut Rng) -> u64 {
    match rng.below(5) {
        0 => rng.range(1, 1_000),
        1 => rng.range(1, MIN),
        2 => rng.range(MIN - 10, MIN + 10),
        3 => rng.range(MIN, 2 * MAX),
        _ => rng.range(MAX, 70_000_000),
    }
}

fn thresholds(rng: &mut Rng) -> (u64, u64, u64) {
    let mut values = [amount(rng), amount(rng), amount(rng)];
    if rng.chance(85) {
        values.sort_unstable();
    }
    (values[0], values[1], values[2])
}

fn sources(rng: &mut Rng) -> Sources {
    match rng.below(10) {
        0 => Sources::Prefix(rng.index(3)),
        1 => Sources::Reversed,
        2 => Sources::Skip(rng.index(3)),
        _ => Sources::All,
    }
}

fn automation(rng: &mut Rng) -> AutomationSettings {
    AutomationSettings {
        cooldown_seconds: *rng.pick(&[0, 0, 5, 60, 300]),
        period_seconds: *rng.pick(&[1, 30, 600, 3_600, 86_400]),
        period_cap: if rng.chance(95) { amount(rng) } else { 0 },
        forecast_band_bps: *rng.pick(&[0, 2_500, 5_000, 10_000, 10_001]),
    }
}

fn role(rng: &mut Rng) -> Role {
    *rng.pick(&ROLES)
}

impl Call {
    /// A random call, with the arguments it is usually sent with and sometimes others.
    fn random(rng: &mut Rng) -> Self {
        match rng.below(100) {
            0..=17 => Self::TopUp(sources(rng)),
            18..=24 => Self::Sweep(sources(rng)),
            25..=29 => Self::Rebalance(sources(rng)),
            30..=33 => Self::Adjust { amount: amount(rng), sources: sources(rng) },
            34..=37 => {
                let (min, target, max) = thresholds(rng);
                Self::UpdateThresholds { min, target, max }
            }
            38..=42 => {
                let ratio =
                    rng.chance(40).then(|| (*rng.pick(&[0, 2_000, 4_000, 10_000]), *rng.pick(&[0, 500, 2_000])));
                Self::UpdateSettings { ratio, automation: automation(rng) }
            }
            43..=44 => Self::SetEnabled(rng.chance(70)),
            45..=47 => Self::LinkSource {
                account: rng.index(6),
                pool: rng.index(4),
                priority: rng.range(0, 5) as u8,
                floor: if rng.chance(50) { 0 } else { amount(rng) },
                enabled: rng.chance(80),
                returns: rng.chance(40),
            },
            48..=52 => Self::UpdateSource {
                index: rng.index(4),
                priority: rng.range(0, 5) as u8,
                floor: if rng.chance(50) { 0 } else { amount(rng) },
                enabled: rng.chance(80),
                returns: rng.chance(40),
            },
            53..=54 => Self::UnlinkSource { index: rng.index(4) },
            55..=56 => Self::SetAcceptedFee {
                basis_points: *rng.pick(&[0, 50, 300, 10_000, 10_001]),
                maximum_fee: *rng.pick(&[0, 1_000, 50_000, u64::MAX]),
            },
            57 => Self::CloseBalance,
            58..=59 => {
                let (min, target, max) = thresholds(rng);
                Self::CreateBalance { min, target, max }
            }
            60..=67 => Self::Spend { amount: amount(rng), recipient: rng.index(6) },
            68 => Self::AddSpender { limit: amount(rng), period: *rng.pick(&[0, 1, 60, 600, 600, 86_400]) },
            69..=70 => Self::UpdateSpender {
                limit: amount(rng),
                period: *rng.pick(&[0, 1, 60, 600, 600, 86_400]),
                enabled: rng.chance(80),
            },
            71 => Self::RemoveSpender,
            72..=74 => Self::Deposit { pool: rng.index(4), amount: amount(rng) },
            75..=77 => Self::Withdraw { pool: rng.index(4), amount: amount(rng), recipient: rng.index(6) },
            78..=80 => Self::Pause,
            81..=83 => Self::Unpause,
            84 => Self::SetGuardian(role(rng)),
            85 => Self::ProposeAuthority(rng.chance(70).then(|| role(rng))),
            86 => Self::AcceptAuthority,
            87..=88 => Self::SetCrankAccess {
                allow_list: rng.chance(60),
                keepers: (0..rng.below(3)).map(|_| role(rng)).collect(),
            },
            89..=90 => Self::CreateVault { pool: rng.index(4) },
            _ => {
                let offset = *rng.pick(&[-1, 0, 0, 0, 1]);
                let inner = loop {
                    let inner = Self::random(rng);
                    if inner.is_authority_change() {
                        break inner;
                    }
                };
                Self::Guarded { offset, inner: Box::new(inner) }
            }
        }
    }

    /// The instruction's name, for the coverage table.
    pub fn name(&self) -> &'static str {
        match self {
            Self::TopUp(_) => "top_up",
            Self::Sweep(_) => "sweep_excess",
            Self::Rebalance(_) => "rebalance_ratio",
            Self::Adjust { .. } => "adjust_balance",
            Self::UpdateThresholds { .. } => "update_thresholds",
            Self::UpdateSettings { .. } => "update_settings",
            Self::SetEnabled(_) => "set_enabled",
            Self::LinkSource { .. } => "link_source",
            Self::UpdateSource { .. } => "update_source",
            Self::UnlinkSource { .. } => "unlink_source",
            Self::SetAcceptedFee { .. } => "set_accepted_transfer_fee",
            Self::CloseBalance => "close_managed_balance",
            Self::CreateBalance { .. } => "create_managed_balance",
            Self::Spend { .. } => "spend",
            Self::AddSpender { .. } => "add_spender",
            Self::UpdateSpender { .. } => "update_spender",
            Self::RemoveSpender => "remove_spender",
            Self::Deposit { .. } => "deposit",
            Self::Withdraw { .. } => "withdraw",
            Self::Pause => "pause",
            Self::Unpause => "unpause",
            Self::SetGuardian(_) => "set_guardian",
            Self::ProposeAuthority(_) => "propose_authority",
            Self::AcceptAuthority => "accept_authority",
            Self::SetCrankAccess { .. } => "set_crank_access",
            Self::CreateVault { .. } => "create_vault",
            Self::Guarded { .. } => "guarded change",
        }
    }

    fn is_authority_change(&self) -> bool {
        matches!(
            self,
            Self::UpdateThresholds { .. }
                | Self::UpdateSettings { .. }
                | Self::SetEnabled(_)
                | Self::LinkSource { .. }
                | Self::UpdateSource { .. }
                | Self::UnlinkSource { .. }
                | Self::SetAcceptedFee { .. }
                | Self::SetGuardian(_)
                | Self::SetCrankAccess { .. }
        )
    }

    /// The role that usually sends this call, as the chain stands.
    fn usual_signer(&self, world: &World, snapshot: &Snapshot) -> Role {
        let authority = snapshot.treasury.as_ref().and_then(|t| world.role_of(&t.authority)).unwrap_or(Role::Authority);
        match self {
            Self::TopUp(_) | Self::Sweep(_) | Self::Rebalance(_) => Role::Keeper,
            Self::Spend { .. } => Role::Spender,
            Self::Deposit { .. } => Role::Stranger,
            Self::Pause => Role::Guardian,
            Self::AcceptAuthority => snapshot
                .treasury
                .as_ref()
                .and_then(|t| t.pending_authority)
                .and_then(|key| world.role_of(&key))
                .unwrap_or(Role::Stranger),
            Self::Guarded { inner, .. } => inner.usual_signer(world, snapshot),
            _ => authority,
        }
    }
}

impl Env {
    fn random(rng: &mut Rng, world: &World) -> Self {
        match rng.below(100) {
            0..=39 => Self::Wait(*rng.pick(&[1, 4, 30, 61, 300, 599, 600, 3_599, 3_600, 86_399, 86_400, 100_000])),
            40..=44 => Self::NextEpoch,
            45..=59 => Self::VenueOutflow(amount(rng)),
            60..=69 => Self::VenueApprove(amount(rng)),
            70..=72 => Self::VenueRevoke,
            73..=74 => Self::VenueClose,
            75..=76 => Self::VenueFreeze,
            77..=89 => Self::MintTo { account: rng.index(world.token_accounts().len()), amount: amount(rng) },
            90..=95 if world.fee.is_some() => Self::SetTransferFee {
                basis_points: *rng.pick(&[0, 10, 100, 300, 5_000, 10_000]),
                maximum_fee: *rng.pick(&[0, 1_000, 50_000, u64::MAX]),
            },
            96..=99 if world.token_program == crate::tokens::TOKEN_2022 => Self::RequireMemo { venue: rng.chance(60) },
            _ => Self::Wait(1),
        }
    }
}

/// A call that gets a stuck sequence going again (unpause, re-enable, re-create), or a
/// crank the balance's mode can use: without them long sequences mostly stall.
fn guided(rng: &mut Rng, snapshot: &Snapshot) -> Option<Call> {
    let paused = snapshot.treasury.as_ref().is_some_and(|treasury| treasury.paused);
    match &snapshot.managed {
        _ if paused && rng.chance(50) => Some(Call::Unpause),
        None if rng.chance(50) => Some(Call::CreateBalance { min: MIN, target: MIN * 5, max: MAX }),
        Some(managed) if !managed.enabled && rng.chance(50) => Some(Call::SetEnabled(true)),
        _ if snapshot.spender.is_none() && rng.chance(20) => Some(Call::AddSpender { limit: MAX, period: 600 }),
        Some(managed) if rng.chance(40) => {
            let balance = snapshot.amount(&managed.destination);
            Some(match managed.mode {
                BalanceMode::Ratio { .. } => Call::Rebalance(Sources::All),
                BalanceMode::Threshold if balance > managed.max => Call::Sweep(Sources::All),
                // Customers withdraw: down into the forecast band or below min.
                BalanceMode::Threshold if balance >= managed.min && rng.chance(50) => {
                    let left = rng.range(0, managed.min.saturating_add(managed.target) / 2);
                    Call::Withdraw { pool: 0, amount: balance.saturating_sub(left).max(1), recipient: 5 }
                }
                BalanceMode::Threshold => Call::TopUp(Sources::All),
            })
        }
        _ => None,
    }
}

impl Action {
    pub fn random(rng: &mut Rng, world: &World, snapshot: &Snapshot) -> Self {
        if rng.chance(30) {
            return Self::Env(Env::random(rng, world));
        }
        let call = match rng.chance(30).then(|| guided(rng, snapshot)).flatten() {
            Some(call) => call,
            None => Call::random(rng),
        };
        let signer = if rng.chance(80) { call.usual_signer(world, snapshot) } else { role(rng) };
        // Natively, a create_vault whose system program was swapped fails inside the
        // test runtime's CPI stub (a panic it catches and prints) before the program
        // sees the swap; on-chain it is an ordinary missing-account error.
        let tamperable = !matches!(call, Call::CreateVault { .. });
        let mutation = (tamperable && rng.chance(12)).then(|| match rng.below(4) {
            0 => Mutation::Unsign { meta: rng.index(16) },
            1 => Mutation::Readonly { meta: rng.index(16) },
            _ => Mutation::Substitute { meta: rng.index(16), with: rng.index(64) },
        });
        Self::Program { call, signer, mutation }
    }
}

/// The enabled sources in priority order as `sources` passes them.
fn crank_sources(snapshot: &Snapshot, sources: Sources) -> Vec<(Pubkey, Pubkey)> {
    let mut all = snapshot.managed.as_ref().map(ix::crank_sources).unwrap_or_default();
    match sources {
        Sources::All => {}
        Sources::Prefix(n) => all.truncate(n),
        Sources::Reversed => all.reverse(),
        Sources::Skip(i) => {
            if i < all.len() {
                all.remove(i);
            }
        }
    }
    all
}

impl Call {
    /// The instructions this call sends, signed by `signer`, as the chain stands.
    pub fn instructions(&self, world: &World, snapshot: &Snapshot, signer: Pubkey, payer: Pubkey) -> Vec<Instruction> {
        let (t, mb) = (world.treasury, world.managed_balance);
        let managed = snapshot.managed.as_ref();
        let version = managed.map_or(0, |m| m.config_version);
        let (destination, destination_pool) =
            managed.map_or((world.vaults[0], world.pools[0]), |m| (m.destination, m.destination_pool));
        let accounts = world.balance_accounts(destination, destination_pool);
        let linked: Vec<_> = managed.map(|m| m.linked_sources().to_vec()).unwrap_or_default();
        let token_accounts = world.token_accounts();
        let spender = world.key(Role::Spender).pubkey();
        let one = |ix: Instruction| vec![ix];
        match self {
            Self::TopUp(sources) => one(ix::top_up(signer, accounts, version, &crank_sources(snapshot, *sources))),
            Self::Sweep(sources) => {
                one(ix::sweep_excess(signer, accounts, version, &crank_sources(snapshot, *sources)))
            }
            Self::Rebalance(sources) => {
                one(ix::rebalance_ratio(signer, accounts, version, &crank_sources(snapshot, *sources)))
            }
            Self::Adjust { amount, sources } => {
                one(ix::adjust_balance(signer, accounts, *amount, &crank_sources(snapshot, *sources)))
            }
            Self::UpdateThresholds { min, target, max } => {
                one(ix::update_thresholds(signer, t, mb, *min, *target, *max))
            }
            Self::UpdateSettings { ratio, automation } => {
                let mode = ratio
                    .map_or(BalanceMode::Threshold, |(ratio_bps, band_bps)| BalanceMode::Ratio { ratio_bps, band_bps });
                one(ix::update_settings(signer, t, mb, mode, *automation))
            }
            Self::SetEnabled(enabled) => one(ix::set_enabled(signer, t, mb, *enabled)),
            Self::LinkSource { account, pool, priority, floor, enabled, returns } => {
                let args = LinkSourceArgs {
                    priority: *priority,
                    reserve_floor: *floor,
                    enabled: *enabled,
                    returns_allowed: *returns,
                };
                let account = token_accounts[account % token_accounts.len()];
                one(ix::link_source(signer, t, mb, account, world.pools[pool % 4], args))
            }
            Self::UpdateSource { index, priority, floor, enabled, returns } => {
                let token_account = linked.get(index % linked.len().max(1)).map_or(world.sink, |s| s.token_account);
                let args = UpdateSourceArgs {
                    token_account,
                    priority: *priority,
                    reserve_floor: *floor,
                    enabled: *enabled,
                    returns_allowed: *returns,
                };
                one(ix::update_source(signer, t, mb, args))
            }
            Self::UnlinkSource { index } => {
                let token_account = linked.get(index % linked.len().max(1)).map_or(world.sink, |s| s.token_account);
                one(ix::unlink_source(signer, t, mb, token_account))
            }
            Self::SetAcceptedFee { basis_points, maximum_fee } => {
                let accepted = TransferFeeLimit { basis_points: *basis_points, maximum_fee: *maximum_fee };
                one(ix::set_accepted_transfer_fee(signer, t, mb, accepted))
            }
            Self::CloseBalance => one(ix::close_managed_balance(signer, t, mb, signer)),
            Self::CreateBalance { min, target, max } => {
                let args = CreateManagedBalanceArgs {
                    id: MANAGED_BALANCE_ID,
                    name: "hot wallet".into(),
                    min: *min,
                    target: *target,
                    max: *max,
                    mode: BalanceMode::Threshold,
                    automation: crate::fixture::default_automation(),
                    enabled: true,
                };
                one(ix::create_managed_balance(
                    payer,
                    signer,
                    t,
                    world.vaults[0],
                    world.pools[0],
                    world.mint,
                    world.token_program,
                    args,
                ))
            }
            Self::Spend { amount, recipient } => {
                let recipient = token_accounts[recipient % token_accounts.len()];
                let mut ix = ix::spend(signer, recipient, world.vault_accounts(0), *amount);
                // The spender account of the actual signer (the builder derives it).
                if signer != spender {
                    ix.accounts[3].pubkey = world.spender_account;
                }
                one(ix)
            }
            Self::AddSpender { limit, period } => {
                let limits = SpenderLimits { enabled: true, limit_per_period: *limit, period_seconds: *period };
                one(ix::add_spender(payer, signer, t, world.pools[0], world.vaults[0], spender, limits))
            }
            Self::UpdateSpender { limit, period, enabled } => {
                let limits = SpenderLimits { enabled: *enabled, limit_per_period: *limit, period_seconds: *period };
                one(ix::update_spender(signer, t, world.spender_account, limits))
            }
            Self::RemoveSpender => one(ix::remove_spender(signer, t, world.spender_account, signer)),
            Self::Deposit { pool, amount } => {
                one(ix::deposit(signer, world.sink, world.vault_accounts(pool % 4), *amount))
            }
            Self::Withdraw { pool, amount, recipient } => {
                let recipient = token_accounts[recipient % token_accounts.len()];
                one(ix::withdraw(signer, recipient, world.vault_accounts(pool % 4), *amount))
            }
            Self::Pause => one(ix::pause(signer, t)),
            Self::Unpause => one(ix::unpause(signer, t)),
            Self::SetGuardian(role) => one(ix::set_guardian(signer, t, world.key(*role).pubkey())),
            Self::ProposeAuthority(role) => {
                one(ix::propose_authority(signer, t, role.map(|role| world.key(role).pubkey())))
            }
            Self::AcceptAuthority => one(ix::accept_authority(signer, t)),
            Self::SetCrankAccess { allow_list, keepers } => {
                let access = if *allow_list { CrankAccess::AllowList } else { CrankAccess::Permissionless };
                let keepers = keepers.iter().map(|role| world.key(*role).pubkey()).collect();
                one(ix::set_crank_access(signer, t, access, keepers))
            }
            Self::CreateVault { pool } => {
                let pool = world.pools[pool % 4];
                one(ix::create_vault(payer, signer, t, pool, world.mint, world.token_program))
            }
            Self::Guarded { offset, inner } => {
                let guard = if inner.changes_treasury() {
                    let current = snapshot.treasury.as_ref().map_or(0, |treasury| treasury.config_version);
                    ix::expect_treasury_version(t, current.saturating_add_signed(*offset))
                } else {
                    ix::expect_balance_version(t, mb, version.saturating_add_signed(*offset))
                };
                let mut instructions = vec![guard];
                instructions.extend(inner.instructions(world, snapshot, signer, payer));
                instructions
            }
        }
    }

    pub fn changes_treasury(&self) -> bool {
        matches!(
            self,
            Self::Pause
                | Self::Unpause
                | Self::SetGuardian(_)
                | Self::ProposeAuthority(_)
                | Self::AcceptAuthority
                | Self::SetCrankAccess { .. }
        )
    }
}

impl Mutation {
    /// Applies the tampering to the last instruction (the program call itself).
    pub fn apply(&self, instructions: &mut [Instruction], book: &[Pubkey]) {
        let Some(ix) = instructions.last_mut() else { return };
        let count = ix.accounts.len();
        match *self {
            Self::Substitute { meta, with } => ix.accounts[meta % count].pubkey = book[with % book.len()],
            Self::Unsign { meta } => ix.accounts[meta % count].is_signer = false,
            Self::Readonly { meta } => ix.accounts[meta % count].is_writable = false,
        }
    }
}

impl Env {
    /// Carries the world's move out; the world may refuse it (a closed venue cannot
    /// move), which changes nothing.
    pub async fn apply(&self, exec: &mut Exec, world: &World, snapshot: &Snapshot) {
        let payer = exec.rt.payer().pubkey();
        let tp = world.token_program;
        let owner = world.key(Role::VenueOwner).insecure_clone();
        let venue = snapshot.token(&world.venue).cloned();
        let transfer = |amount: u64| {
            spl_token_2022::instruction::transfer_checked(
                &tp,
                &world.venue,
                &world.mint,
                &world.sink,
                &owner.pubkey(),
                &[],
                amount,
                world.decimals,
            )
            .expect("transfer")
        };
        let sent = match *self {
            Self::Wait(seconds) => {
                exec.wait(seconds).await;
                return;
            }
            Self::NextEpoch => {
                exec.next_epoch().await;
                return;
            }
            Self::VenueOutflow(amount) => {
                let amount = amount.min(venue.map_or(0, |venue| venue.amount));
                exec.send(&[transfer(amount)], &[&owner]).await
            }
            Self::VenueApprove(amount) => {
                let ix = spl_token_2022::instruction::approve(
                    &tp,
                    &world.venue,
                    &world.pools[1],
                    &owner.pubkey(),
                    &[],
                    amount,
                )
                .expect("approve");
                exec.send(&[ix], &[&owner]).await
            }
            Self::VenueRevoke => {
                let ix = spl_token_2022::instruction::revoke(&tp, &world.venue, &owner.pubkey(), &[]).expect("revoke");
                exec.send(&[ix], &[&owner]).await
            }
            Self::VenueClose => {
                let mut ixs = vec![transfer(venue.as_ref().map_or(0, |venue| venue.amount))];
                if world.fee.is_some() {
                    ixs.push(
                        transfer_fee::instruction::harvest_withheld_tokens_to_mint(&tp, &world.mint, &[&world.venue])
                            .expect("harvest"),
                    );
                }
                ixs.push(
                    spl_token_2022::instruction::close_account(
                        &tp,
                        &world.venue,
                        &owner.pubkey(),
                        &owner.pubkey(),
                        &[],
                    )
                    .expect("close"),
                );
                exec.send(&ixs, &[&owner]).await
            }
            Self::VenueFreeze => {
                let ix = spl_token_2022::instruction::freeze_account(&tp, &world.venue, &world.mint, &payer, &[])
                    .expect("freeze");
                exec.send(&[ix], &[]).await
            }
            Self::MintTo { account, amount } => {
                let accounts = world.token_accounts();
                let ix = spl_token_2022::instruction::mint_to(
                    &tp,
                    &world.mint,
                    &accounts[account % accounts.len()],
                    &payer,
                    &[],
                    amount,
                )
                .expect("mint_to");
                exec.send(&[ix], &[]).await
            }
            Self::SetTransferFee { basis_points, maximum_fee } => {
                let ix = transfer_fee::instruction::set_transfer_fee(
                    &tp,
                    &world.mint,
                    &payer,
                    &[],
                    basis_points,
                    maximum_fee,
                )
                .expect("set fee");
                exec.send(&[ix], &[]).await
            }
            Self::RequireMemo { venue } => {
                let (account, owner) = if venue {
                    (world.venue, world.key(Role::VenueOwner))
                } else {
                    (world.sink, world.key(Role::Stranger))
                };
                let ix =
                    memo_transfer::instruction::enable_required_transfer_memos(&tp, &account, &owner.pubkey(), &[])
                        .expect("memo");
                exec.send(&[ix], &[owner]).await
            }
        };
        // The world's own moves may be refused (a closed venue, a frozen account).
        let _refused = sent.is_err();
    }
}
