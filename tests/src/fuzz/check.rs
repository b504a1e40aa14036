//! The invariants, checked after every step against what the chain holds, with a ledger
//! of what automation and the spender moved (an exact sliding-window oracle, not the
//! program's own accounting).

use super::{
    action::{Action, Call},
    snapshot::Snapshot,
    world::{Role, World},
};
use anchor_lang::prelude::Pubkey;
use smart_treasury::state::{AccountKind, ManagedBalance};
use smart_treasury_policy::TransferFee;
use solana_signer::Signer;

/// What the ledger knows across steps of one sequence.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Automatic movements `(unix time, sent)` since the settings last changed.
    automation: Vec<(i64, u64)>,
    last_automation_at: Option<i64>,
    /// Spender payouts since the spender's limits last changed.
    spends: Vec<(i64, u64)>,
    /// The highest config version the managed balance's address ever had.
    highest_version: u64,
}

/// How a call may change things.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    TopUp,
    Sweep,
    Rebalance,
    Adjust,
    BalanceConfig,
    CloseBalance,
    CreateBalance,
    TreasuryConfig,
    Pause,
    Accept,
    Spend,
    SpenderConfig,
    Deposit,
    Withdraw,
    CreateVault,
}

fn kind(call: &Call) -> Kind {
    match call {
        Call::TopUp(_) => Kind::TopUp,
        Call::Sweep(_) => Kind::Sweep,
        Call::Rebalance(_) => Kind::Rebalance,
        Call::Adjust { .. } => Kind::Adjust,
        Call::UpdateThresholds { .. }
        | Call::UpdateSettings { .. }
        | Call::SetEnabled(_)
        | Call::LinkSource { .. }
        | Call::UpdateSource { .. }
        | Call::UnlinkSource { .. }
        | Call::SetAcceptedFee { .. } => Kind::BalanceConfig,
        Call::CloseBalance => Kind::CloseBalance,
        Call::CreateBalance { .. } => Kind::CreateBalance,
        Call::Spend { .. } => Kind::Spend,
        Call::AddSpender { .. } | Call::UpdateSpender { .. } | Call::RemoveSpender => Kind::SpenderConfig,
        Call::Deposit { .. } => Kind::Deposit,
        Call::Withdraw { .. } => Kind::Withdraw,
        Call::Pause => Kind::Pause,
        Call::AcceptAuthority => Kind::Accept,
        Call::Unpause | Call::SetGuardian(_) | Call::ProposeAuthority(_) | Call::SetCrankAccess { .. } => {
            Kind::TreasuryConfig
        }
        Call::CreateVault { .. } => Kind::CreateVault,
        Call::Guarded { inner, .. } => kind(inner),
    }
}

fn changes_settings(call: &Call) -> bool {
    match call {
        Call::UpdateSettings { .. } => true,
        Call::Guarded { inner, .. } => changes_settings(inner),
        _ => false,
    }
}

/// The result of one step, and who signed it.
pub struct Step<'a> {
    pub action: &'a Action,
    pub ok: bool,
    pub signers: Vec<Pubkey>,
}

type Check = Result<(), String>;

fn fail(message: String) -> Check {
    Err(message)
}

macro_rules! ensure {
    ($condition:expr, $($message:tt)*) => {
        if !$condition {
            return fail(format!($($message)*));
        }
    };
}

impl Ledger {
    pub fn new(snapshot: &Snapshot) -> Self {
        let highest_version = snapshot.managed.as_ref().map_or(0, |managed| managed.config_version);
        Self { highest_version, ..Self::default() }
    }

    /// Every invariant after `step`, from `before` to `after`.
    pub fn check(&mut self, world: &World, step: &Step<'_>, before: &Snapshot, after: &Snapshot) -> Check {
        ensure!(
            after.total() == u128::from(after.supply),
            "tokens not conserved: accounts and withheld fees hold {}, the supply is {}",
            after.total(),
            after.supply
        );
        let Action::Program { call, .. } = step.action else { return Ok(()) };
        if !step.ok {
            ensure!(after.tokens == before.tokens, "a refused transaction moved tokens");
            ensure!(after.raw == before.raw, "a refused transaction changed the program's accounts");
            ensure!(after.supply == before.supply, "a refused transaction changed the supply");
            return Ok(());
        }
        let kind = kind(call);
        self.signed_by_whom_it_must(world, kind, step, before)?;
        self.moved_only_where_allowed(world, kind, before, after)?;
        self.kept_configuration(kind, before, after)?;
        match kind {
            Kind::TopUp | Kind::Sweep | Kind::Rebalance | Kind::Adjust => self.movement(kind, before, after)?,
            Kind::Spend => self.spend(world, before, after)?,
            Kind::SpenderConfig => self.spends.clear(),
            // New limits: the record of what moved starts again (the program keeps
            // counting the old movements, which is only stricter).
            Kind::BalanceConfig if changes_settings(call) => self.automation.clear(),
            Kind::CreateBalance => {
                self.automation.clear();
                self.last_automation_at = None;
            }
            _ => {}
        }
        if let Some(managed) = &after.managed {
            self.highest_version = self.highest_version.max(managed.config_version);
        }
        Ok(())
    }

    /// Only the authority changes configuration; the guardian may also pause; the
    /// proposed authority accepts; nothing moves while paused.
    fn signed_by_whom_it_must(&self, world: &World, kind: Kind, step: &Step<'_>, before: &Snapshot) -> Check {
        let Some(treasury) = &before.treasury else { return Ok(()) };
        let signed = |key: &Pubkey| step.signers.contains(key);
        match kind {
            Kind::TopUp | Kind::Sweep | Kind::Rebalance => {
                ensure!(!treasury.paused, "a {kind:?} landed while the treasury was paused");
            }
            Kind::Spend => {
                ensure!(!treasury.paused, "a spend landed while the treasury was paused");
                ensure!(signed(&world.key(Role::Spender).pubkey()), "a spend landed without the spender's signature");
            }
            Kind::Pause => {
                ensure!(
                    signed(&treasury.authority) || signed(&treasury.guardian),
                    "pause without guardian or authority"
                );
            }
            Kind::Accept => {
                let pending = treasury.pending_authority;
                ensure!(pending.is_some_and(|key| signed(&key)), "authority accepted without the proposed key");
            }
            Kind::Deposit => {}
            _ => ensure!(signed(&treasury.authority), "{kind:?} landed without the authority's signature"),
        }
        Ok(())
    }

    /// Tokens leave a treasury vault only by a withdrawal, a spend, or a movement
    /// between the managed balance and its linked sources.
    fn moved_only_where_allowed(&self, world: &World, kind: Kind, before: &Snapshot, after: &Snapshot) -> Check {
        let changed: Vec<Pubkey> =
            world.token_accounts().into_iter().filter(|a| before.amount(a) != after.amount(a)).collect();
        let vaults = &world.vaults;
        match kind {
            Kind::TopUp | Kind::Sweep | Kind::Rebalance | Kind::Adjust => {
                let managed = before.managed.as_ref().expect("a movement of an existing balance");
                let linked: Vec<Pubkey> = managed.linked_sources().iter().map(|s| s.token_account).collect();
                for account in &changed {
                    ensure!(
                        *account == managed.destination || linked.contains(account),
                        "a {kind:?} moved tokens of {account}, neither the destination nor a linked source"
                    );
                }
            }
            Kind::Spend | Kind::Withdraw => {
                let decreased: Vec<&Pubkey> = changed.iter().filter(|a| after.amount(a) < before.amount(a)).collect();
                ensure!(decreased.len() == 1, "a {kind:?} debited {decreased:?}");
                ensure!(vaults.contains(decreased[0]), "a {kind:?} debited {}, not a vault", decreased[0]);
                if kind == Kind::Spend {
                    ensure!(*decreased[0] == vaults[0], "a spend debited a vault other than its own");
                }
            }
            Kind::Deposit => {
                for account in &changed {
                    let debited = after.amount(account) < before.amount(account);
                    ensure!(!(debited && vaults.contains(account)), "a deposit debited vault {account}");
                }
            }
            _ => ensure!(changed.is_empty(), "a {kind:?} moved tokens of {changed:?}"),
        }
        Ok(())
    }

    /// Configuration changes only by configuration calls; a change bumps the version,
    /// and a re-created balance never repeats a closed one's versions.
    fn kept_configuration(&self, kind: Kind, before: &Snapshot, after: &Snapshot) -> Check {
        match (&before.treasury, &after.treasury) {
            (Some(old), Some(new)) if bytes(old) != bytes(new) => {
                let allowed = matches!(kind, Kind::TreasuryConfig | Kind::Pause | Kind::Accept | Kind::CreateBalance);
                ensure!(allowed, "a {kind:?} changed the treasury");
                if kind == Kind::CreateBalance {
                    let mut expected = old.clone();
                    expected.managed_balances_created = new.managed_balances_created;
                    ensure!(
                        bytes(&expected) == bytes(new),
                        "creating a balance changed more of the treasury than its count"
                    );
                }
            }
            _ => {}
        }
        match (&before.managed, &after.managed) {
            (Some(old), Some(new)) => {
                let config_changed = bytes(&without_records(old)) != bytes(&without_records(new));
                if config_changed {
                    ensure!(kind == Kind::BalanceConfig, "a {kind:?} changed the managed balance's settings");
                    ensure!(new.config_version > old.config_version, "a settings change kept the config version");
                } else if bytes(old) != bytes(new) {
                    ensure!(
                        matches!(kind, Kind::TopUp | Kind::Sweep | Kind::Rebalance),
                        "a {kind:?} changed the managed balance's automation record"
                    );
                }
            }
            (None, Some(new)) => {
                ensure!(kind == Kind::CreateBalance, "a {kind:?} created the managed balance");
                ensure!(
                    new.config_version > self.highest_version,
                    "a re-created balance starts at version {} after {}",
                    new.config_version,
                    self.highest_version
                );
            }
            (Some(_), None) => ensure!(kind == Kind::CloseBalance, "a {kind:?} closed the managed balance"),
            (None, None) => {}
        }
        match (&before.spender, &after.spender) {
            (Some(old), Some(new)) if bytes(old) != bytes(new) => {
                let mut spent_only = old.clone();
                spent_only.spent = new.spent;
                if bytes(&spent_only) == bytes(new) {
                    ensure!(kind == Kind::Spend, "a {kind:?} changed what the spender spent");
                } else {
                    ensure!(kind == Kind::SpenderConfig, "a {kind:?} changed the spender's limits");
                }
            }
            (None, Some(_)) | (Some(_), None) => {
                ensure!(kind == Kind::SpenderConfig, "a {kind:?} added or removed the spender")
            }
            _ => {}
        }
        Ok(())
    }

    /// A top-up, sweep, rebalance or manual adjustment against its bounds, the
    /// cooldown, the automation cap and the accepted fee.
    fn movement(&mut self, kind: Kind, before: &Snapshot, after: &Snapshot) -> Check {
        let managed = before.managed.as_ref().expect("a movement of an existing balance");
        let destination = managed.destination;
        let (dest_before, dest_after) = (before.amount(&destination), after.amount(&destination));
        let mut debits = Vec::new();
        for source in managed.linked_sources() {
            let (was, is) = (before.amount(&source.token_account), after.amount(&source.token_account));
            if is < was {
                debits.push(was - is);
                ensure!(is >= source.reserve_floor, "{kind:?} took source {} below its floor", source.token_account);
                let token = before.token(&source.token_account).expect("a debited source existed");
                if token.owner != source.pool {
                    ensure!(
                        token.delegate == Some(source.pool) && was - is <= token.delegated_amount,
                        "{kind:?} took {} from venue {} beyond its allowance",
                        was - is,
                        source.token_account
                    );
                }
            } else if is > was {
                ensure!(
                    matches!(kind, Kind::Sweep | Kind::Rebalance),
                    "{kind:?} paid into source {}",
                    source.token_account
                );
                ensure!(
                    source.kind == AccountKind::PoolVault || source.returns_allowed,
                    "{kind:?} returned funds into venue {} not allowed to take them",
                    source.token_account
                );
            }
        }
        match kind {
            Kind::TopUp => {
                ensure!(dest_after >= dest_before, "a top-up lowered the balance");
                ensure!(
                    dest_after <= managed.target,
                    "a top-up ended at {dest_after}, above target {}",
                    managed.target
                );
            }
            Kind::Adjust => {
                ensure!(dest_after <= managed.max.max(dest_before), "a manual top-up ended above max");
            }
            Kind::Sweep => {
                ensure!(dest_after < dest_before, "a sweep did not lower the balance");
                ensure!(dest_after >= managed.target, "a sweep ended at {dest_after}, below target");
                debits.push(dest_before - dest_after);
            }
            _ => {
                if dest_after > dest_before {
                    ensure!(dest_after <= managed.max, "a rebalance pulled the balance above max");
                } else {
                    ensure!(dest_after >= managed.min, "a rebalance pushed the balance below min");
                    debits.push(dest_before - dest_after);
                }
            }
        }
        let accepted = TransferFee::from(managed.accepted_transfer_fee);
        for debit in &debits {
            ensure!(
                after.fee.on(*debit) <= accepted.on(*debit),
                "a movement of {debit} paid a fee above the accepted one"
            );
        }
        if kind != Kind::Adjust {
            self.automatic(managed, after.unix_timestamp, debits.iter().sum())?;
        }
        Ok(())
    }

    /// The cooldown since the last automatic movement, and the cap over every window
    /// of one period, against an exact record of what moved when.
    fn automatic(&mut self, managed: &ManagedBalance, now: i64, sent: u64) -> Check {
        let settings = &managed.automation;
        if let Some(last) = self.last_automation_at {
            ensure!(
                now - last >= i64::from(settings.cooldown_seconds),
                "an automatic movement {}s after the last, cooldown {}s",
                now - last,
                settings.cooldown_seconds
            );
        }
        self.last_automation_at = Some(now);
        self.automation.push((now, sent));
        window_holds(&self.automation, settings.period_seconds, settings.period_cap, "automation cap")
    }

    fn spend(&mut self, world: &World, before: &Snapshot, after: &Snapshot) -> Check {
        let spender = before.spender.as_ref().expect("a spend by an existing spender");
        ensure!(spender.enabled, "a disabled spender spent");
        let paid = before.amount(&world.vaults[0]) - after.amount(&world.vaults[0]);
        self.spends.push((after.unix_timestamp, paid));
        window_holds(&self.spends, spender.period_seconds, spender.limit_per_period, "spender limit")
    }
}

/// No window `[t - period, t]` of the record holds more than `limit`.
fn window_holds(record: &[(i64, u64)], period: u32, limit: u64, what: &str) -> Check {
    for &(end, _) in record {
        let start = end - i64::from(period);
        let held: u128 = record.iter().filter(|(at, _)| *at >= start && *at <= end).map(|(_, a)| u128::from(*a)).sum();
        ensure!(held <= u128::from(limit), "{what}: {held} moved in the {period}s ending at {end}, limit {limit}");
    }
    Ok(())
}

/// The balance's settings, without what automation records as it moves.
fn without_records(managed: &ManagedBalance) -> ManagedBalance {
    let mut settings = managed.clone();
    settings.moved = Default::default();
    settings.last_automation_at = 0;
    settings.last_automation_slot = 0;
    settings
}

/// An account's serialized fields, to compare accounts that do not implement `PartialEq`.
fn bytes<T: anchor_lang::AnchorSerialize>(account: &T) -> Vec<u8> {
    let mut out = Vec::new();
    account.serialize(&mut out).expect("serializes");
    out
}
