//! What the keeper decided for each managed balance, for the activity log: acted (a
//! crank landed), waited and why, refused by the program, failed. A decision is
//! recorded when it changes, not every cycle, so the log grows with what happens and
//! not with uptime. The alerts a decision implies (a balance below min, a forecast
//! breach, a crank that failed, a fee payer running low) are raised once each, under
//! ids derived from the chain state they are about, so every keeper and every restart
//! names them the same.

use crate::{
    crank::Crank,
    event_log::Alert,
    executor::Outcome,
    fleet_plan::{FleetPlan, Hold},
    forecast::BreachOutlook,
    planner::{Action, BalanceView, Wait},
    service::Shared,
};
use anchor_lang::prelude::Pubkey;
use anyhow::Result;
use rusqlite::{params, OptionalExtension};
use serde_json::json;
use smart_treasury::state::ManagedBalance;
use std::{collections::HashMap, sync::Mutex};

/// How a decision ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecisionOutcome {
    Acted,
    Waited,
    Refused,
    Failed,
}

impl DecisionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acted => "acted",
            Self::Waited => "waited",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }
}

/// One recorded decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub id: i64,
    pub managed_balance: String,
    pub at: i64,
    pub slot: Option<u64>,
    pub keeper: String,
    pub outcome: String,
    /// Why, as a word: `healthy`, `cooling_down`, `cap_reached`, `no_funds`,
    /// `within_band`, `not_signable`, `disabled`, or the crank's kind (`threshold`, `forecast`, `sweep`,
    /// `rebalance`) for the others.
    pub reason: String,
    pub amount: Option<u64>,
    pub need: Option<String>,
    pub signature: Option<String>,
    pub fee_lamports: Option<u64>,
    /// The managed balance's balance when decided.
    pub balance: Option<u64>,
    pub detail: Option<String>,
}

/// The last decision recorded per managed balance, to record only changes.
#[derive(Default)]
pub struct Journal {
    last: Mutex<HashMap<Pubkey, String>>,
}

impl Journal {
    /// True when `key` differs from the last decision seen for `balance` (and remembers it).
    fn changed(&self, balance: &Pubkey, key: String) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.get(balance) == Some(&key) {
            return false;
        }
        last.insert(*balance, key);
        true
    }
}

pub(crate) fn wait_reason(wait: &Wait) -> (&'static str, Option<String>) {
    match wait {
        Wait::Disabled => ("disabled", None),
        Wait::Healthy => ("healthy", None),
        Wait::CoolingDown { ready_at } => ("cooling_down", Some(format!("the cooldown ends at unix time {ready_at}"))),
        Wait::CapReached => ("cap_reached", Some("automation moved its per-period cap".into())),
        Wait::NoFunds => ("no_funds", Some("no funding source has anything above its floor to give".into())),
        Wait::WithinBand => ("within_band", None),
        Wait::NotSignable => ("not_signable", Some("the destination's pool may move nothing out of it".into())),
    }
}

/// A breach episode's identity: the chain state a top-up would be built on. The same
/// breach gives the same id until the program records a movement or the settings change.
fn episode(address: &Pubkey, managed: &ManagedBalance, family: &str) -> String {
    format!("{address}:{family}:v{}:after-slot-{}", managed.config_version, managed.last_automation_slot)
}

impl Store {
    /// Records a decision; returns its row id.
    pub fn record_decision(&self, decision: &Decision) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO keeper_decision (managed_balance, at, slot, keeper, outcome, reason, amount, need, signature,
                                          fee_lamports, balance, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                decision.managed_balance,
                decision.at,
                decision.slot.map(|slot| slot as i64),
                decision.keeper,
                decision.outcome,
                decision.reason,
                decision.amount.map(|amount| amount as i64),
                decision.need,
                decision.signature,
                decision.fee_lamports.map(|fee| fee as i64),
                decision.balance.map(|balance| balance as i64),
                decision.detail,
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// A managed balance's decisions in a time window, oldest first (or newest first).
    pub fn decisions(
        &self,
        managed_balance: &str,
        window: (Option<i64>, Option<i64>),
        newest_first: bool,
        limit: u64,
    ) -> Result<Vec<Decision>> {
        let order = if newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT id, managed_balance, at, slot, keeper, outcome, reason, amount, need, signature, fee_lamports,
                    balance, detail
             FROM keeper_decision
             WHERE managed_balance = ?1 AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at <= ?3)
             ORDER BY at {order}, id {order} LIMIT ?4"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let limit = if limit == 0 { i64::MAX } else { limit as i64 };
        let rows = statement.query_map(params![managed_balance, window.0, window.1, limit], |row| {
            Ok(Decision {
                id: row.get(0)?,
                managed_balance: row.get(1)?,
                at: row.get(2)?,
                slot: row.get::<_, Option<i64>>(3)?.map(|slot| slot as u64),
                keeper: row.get(4)?,
                outcome: row.get(5)?,
                reason: row.get(6)?,
                amount: row.get::<_, Option<i64>>(7)?.map(|amount| amount as u64),
                need: row.get(8)?,
                signature: row.get(9)?,
                fee_lamports: row.get::<_, Option<i64>>(10)?.map(|fee| fee as u64),
                balance: row.get::<_, Option<i64>>(11)?.map(|balance| balance as u64),
                detail: row.get(12)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many decisions are recorded for a managed balance in a time window.
    pub fn decision_count(&self, managed_balance: &str, window: (Option<i64>, Option<i64>)) -> Result<u64> {
        let count: Option<i64> = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM keeper_decision
                 WHERE managed_balance = ?1 AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at <= ?3)",
                params![managed_balance, window.0, window.1],
                |row| row.get(0),
            )
            .optional()?;
        Ok(count.unwrap_or(0) as u64)
    }
}

use crate::store::Store;

fn decision(shared: &Shared, address: &Pubkey, outcome: DecisionOutcome, reason: &str, now: i64) -> Decision {
    Decision {
        id: 0,
        managed_balance: address.to_string(),
        at: now,
        slot: None,
        keeper: shared.keeper.to_string(),
        outcome: outcome.as_str().to_string(),
        reason: reason.to_string(),
        amount: None,
        need: None,
        signature: None,
        fee_lamports: None,
        balance: None,
        detail: None,
    }
}

/// Notes a cycle's plan: for each balance, a wait (or a hold) is recorded when its
/// reason changes (a decision to act is recorded when the crank ends, by [`finished`]),
/// and alerts are raised once per breach episode.
pub async fn note_plan(shared: &Shared, plan: &FleetPlan, now: i64) {
    let managed: Vec<Option<ManagedBalance>> = {
        let fleet = shared.fleet.read().await;
        plan.planned.iter().map(|planned| fleet.balances.get(&planned.address).map(|t| t.managed.clone())).collect()
    };
    for (planned, managed) in plan.planned.iter().zip(managed) {
        let Some(managed) = managed else { continue };
        let noted = note(
            shared,
            &planned.address,
            &managed,
            &planned.view,
            planned.outlook.as_ref(),
            &planned.action,
            planned.hold.as_ref(),
            now,
        );
        if let Err(error) = noted {
            tracing::warn!(%error, managed_balance = %planned.address, "could not record the keeper's decision");
        }
    }
}

fn hold_reason(hold: &Hold) -> (&'static str, Option<String>) {
    match hold {
        Hold::Paused => ("paused", Some("the treasury is paused".into())),
        Hold::NotOnAllowList => ("not_on_allow_list", Some("this keeper is not on the crank allow-list".into())),
        Hold::WatchOnly => ("watch_only", None),
    }
}

#[allow(clippy::too_many_arguments)]
fn note(
    shared: &Shared,
    address: &Pubkey,
    managed: &ManagedBalance,
    view: &BalanceView,
    outlook: Option<&BreachOutlook>,
    action: &Action,
    hold: Option<&Hold>,
    now: i64,
) -> Result<()> {
    if view.enabled && view.balance < view.thresholds.min {
        let detail = json!({
            "balance": view.balance,
            "min": view.thresholds.min,
            "target": view.thresholds.target,
            "healthBps": view.thresholds.health_bps(view.balance),
        });
        let id = episode(address, managed, "breach");
        for kind in ["balance.below_min", "balance.health_red"] {
            raise(shared, address, &id, kind, now, detail.clone())?;
        }
    }
    if let Some(outlook) = outlook {
        let likely = outlook.breach_probability >= shared.config.planner.min_breach_probability;
        if view.enabled && likely && view.balance >= view.thresholds.min && outlook.expected_buckets.is_some() {
            let seconds =
                |buckets: Option<f64>| buckets.map(|b| (b * shared.config.bucket_seconds as f64).round() as i64);
            let detail = json!({
                "balance": view.balance,
                "min": view.thresholds.min,
                "breachProbability": outlook.breach_probability,
                "expectedBreachInSeconds": seconds(outlook.expected_buckets),
                "pessimisticBreachInSeconds": seconds(outlook.pessimistic_buckets),
                "amountNeeded": outlook.amount_needed,
            });
            raise(shared, address, &episode(address, managed, "forecast"), "balance.forecast_breach", now, detail)?;
        }
    }
    if !shared.config.crank {
        return Ok(());
    }
    let (reason, detail) = match (hold, action) {
        (Some(hold), _) => hold_reason(hold),
        (None, Action::Wait(wait)) => wait_reason(wait),
        (None, _) => return Ok(()),
    };
    if !shared.decisions.changed(address, format!("waited:{reason}")) {
        return Ok(());
    }
    let mut waited = decision(shared, address, DecisionOutcome::Waited, reason, now);
    waited.balance = Some(view.balance);
    waited.detail = detail;
    shared.store().record_decision(&waited)?;
    Ok(())
}

fn raise(
    shared: &Shared,
    address: &Pubkey,
    episode: &str,
    kind: &'static str,
    now: i64,
    detail: serde_json::Value,
) -> Result<()> {
    let alert =
        Alert { id: format!("{episode}:{kind}"), kind, managed_balance: Some(*address), at: now, slot: None, detail };
    let balance = shared.store().balance_info(Some(address), None)?;
    let outbox = shared.outbox();
    let raised = shared.store().record_alert(&alert, balance.as_ref(), outbox.as_deref())?;
    if raised {
        tracing::warn!(alert = kind, managed_balance = %address, id = %alert.id, "alert");
        shared.metrics.add(&crate::metrics::ALERTS, &[kind], 1.0);
    }
    Ok(())
}

/// Records how a crank ended, and raises `keeper.action_failed` when it failed.
pub fn finished(shared: &Shared, crank: &Crank, outcome: &Outcome, now: i64) {
    let (kind, signature, fee, detail) = match outcome {
        Outcome::Landed { signature, fee_lamports, .. } => {
            (DecisionOutcome::Acted, Some(signature.clone()), *fee_lamports, None)
        }
        Outcome::Refused { reason, .. } => (DecisionOutcome::Refused, None, None, Some(reason.clone())),
        Outcome::TooExpensive { fee_lamports } => (
            DecisionOutcome::Failed,
            None,
            None,
            Some(format!("the fee would be {fee_lamports} lamports, above the configured maximum")),
        ),
        Outcome::GaveUp { reason, attempts } => {
            (DecisionOutcome::Failed, None, None, Some(format!("gave up after {attempts} attempts: {reason}")))
        }
    };
    let mut record = decision(shared, &crank.managed_balance, kind, crank.kind, now);
    record.amount = Some(crank.amount);
    record.need = Some(crank.need.clone());
    record.signature = signature;
    record.fee_lamports = fee;
    record.detail = detail.clone();
    // The next wait after an action is news again.
    shared.decisions.changed(&crank.managed_balance, format!("{}:{}", kind.as_str(), crank.need));
    // One store lock per statement: the store's mutex is not re-entrant.
    let recorded = shared.store().record_decision(&record);
    let result = recorded.and_then(|_| {
        if kind != DecisionOutcome::Failed {
            return Ok(());
        }
        let alert = Alert {
            id: format!("{}:keeper.action_failed", crank.need),
            kind: "keeper.action_failed",
            managed_balance: Some(crank.managed_balance),
            at: now,
            slot: None,
            detail: json!({ "need": crank.need, "kind": crank.kind, "amount": crank.amount, "reason": detail }),
        };
        let balance = shared.store().balance_info(Some(&crank.managed_balance), None)?;
        let outbox = shared.outbox();
        let raised = shared.store().record_alert(&alert, balance.as_ref(), outbox.as_deref());
        raised.map(|_| ())
    });
    if let Err(error) = result {
        tracing::warn!(%error, need = %crank.need, "could not record the crank's outcome for the activity log");
    }
}

/// Raises `keeper.payer_low` once per low-balance episode of the fee payer, named by
/// the payer's latest transaction (so a restart names the same episode the same).
pub async fn payer_low(shared: &Shared, lamports: u64) {
    let config =
        solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config { limit: Some(1), ..Default::default() };
    let latest = shared.rpc.get_signatures_for_address_with_config(&shared.keeper, config).await.ok();
    let signature = latest.as_ref().and_then(|page| page.first()).map(|entry| entry.signature.clone());
    let now = shared.chain_now().await;
    let alert = Alert {
        id: format!("{}:{}:keeper.payer_low", shared.keeper, signature.as_deref().unwrap_or("never-used")),
        kind: "keeper.payer_low",
        managed_balance: None,
        at: now,
        slot: None,
        detail: json!({
            "feePayer": shared.keeper.to_string(),
            "lamports": lamports,
            "thresholdLamports": shared.config.executor.low_balance_lamports,
        }),
    };
    let outbox = shared.outbox();
    let raised = shared.store().record_alert(&alert, None, outbox.as_deref());
    if let Err(error) = raised {
        tracing::warn!(%error, "could not record the fee payer alert");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_read_back_in_order() {
        let store = Store::in_memory().unwrap();
        for (at, outcome) in [(5, "waited"), (7, "acted")] {
            store.record_decision(&crate::test_fixtures::decision("mb", at, outcome)).unwrap();
        }
        let read = store.decisions("mb", (Some(6), None), false, 0).unwrap();
        assert_eq!((read.len(), read[0].outcome.as_str()), (1, "acted"));
        assert_eq!(store.decision_count("mb", (None, None)).unwrap(), 2);
        let newest = store.decisions("mb", (None, None), true, 1).unwrap();
        assert_eq!(newest[0].at, 7);
    }

    #[test]
    fn the_journal_notices_only_changes() {
        let journal = Journal::default();
        let balance = Pubkey::new_unique();
        assert!(journal.changed(&balance, "waited:healthy".into()));
        assert!(!journal.changed(&balance, "waited:healthy".into()));
        assert!(journal.changed(&balance, "waited:cooling_down".into()));
        assert!(journal.changed(&balance, "waited:healthy".into()));
    }
}
