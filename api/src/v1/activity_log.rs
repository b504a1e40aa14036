//! `GET /api/v1/managed-balance/{id}/activity-log`: every on-chain event of the balance
//! (top-ups with what each source gave, shortfalls, sweeps, rebalances, adjustments,
//! configuration changes, payouts and deposits of its destination) and every keeper
//! decision (acted, waited and why, refused, failed), newest first.

use crate::{
    amount::{Amount, SignedAmount},
    core::{
        describe,
        operator_moves::{self, OperatorMove},
    },
    error::ApiResult,
    extract::{ApiPath, ApiQuery},
    state::AppState,
    v1::{
        common::{page_bounds, parse_time, rfc3339, Page},
        managed_balance::{self, IdPath},
    },
};
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use smart_treasury::events::{ManagedBalanceChange, MovementReason};
use smart_treasury_client::events::ProgramEvent;
use smart_treasury_keeper::{
    decisions::Decision,
    event_log::{EventQuery, StoredEvent},
};
use std::{collections::HashMap, sync::Arc};
use utoipa::{IntoParams, ToSchema};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivityKind {
    TopUp,
    TopUpShortfall,
    Sweep,
    Rebalance,
    Adjustment,
    Configuration,
    Payout,
    Deposit,
    Withdrawal,
    KeeperDecision,
}

/// Who moved: the operator by hand (a manual top-up, a withdrawal, a recommended move
/// executed from the API), automation on a breach, automation ahead of a forecast
/// breach, or a stress test's outflow applied for real on a local cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActionType {
    Manual,
    Automatic,
    Forecast,
    StressTest,
}

/// The other side of a move: a source that gave to a top-up, the source a sweep returned
/// the excess to, or the counterpart of a ratio rebalance.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceLeg {
    /// Its token account.
    pub source_id: String,
    /// What it gave, or what it received (the entry's `amount` says which way).
    pub amount: Amount,
    /// Its balance after the move.
    pub balance_after: Amount,
}

/// A keeper decision.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DecisionView {
    /// `acted`, `waited`, `refused` or `failed`.
    pub outcome: String,
    /// `healthy`, `cooling_down`, `cap_reached`, `no_funds`, `within_band`, `disabled`,
    /// or the crank's kind (`threshold`, `forecast`, `sweep`, `rebalance`).
    pub reason: String,
    pub keeper: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One line of the activity log.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    /// `{signature}:{eventIndex}` for an on-chain event, `decision:{n}` for a keeper decision.
    pub id: String,
    pub kind: ActivityKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_type: Option<ActionType>,
    /// What happened, in words.
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_index: Option<u32>,
    /// The program event's name, as the IDL spells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The fee the transaction paid, in lamports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_lamports: Option<u64>,
    /// The change of the balance (negative when it went down).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<SignedAmount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_after: Option<Amount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceLeg>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortfall: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionView>,
}

impl ActivityEntry {
    fn new(id: String, kind: ActivityKind, description: String) -> Self {
        Self {
            id,
            kind,
            action_type: None,
            description,
            at: None,
            slot: None,
            signature: None,
            event_index: None,
            event: None,
            fee_lamports: None,
            amount: None,
            balance_after: None,
            sources: Vec::new(),
            shortfall: None,
            decision: None,
        }
    }
}

fn action_type(reason: MovementReason) -> ActionType {
    match reason {
        MovementReason::Manual => ActionType::Manual,
        MovementReason::Forecast => ActionType::Forecast,
        _ => ActionType::Automatic,
    }
}

fn config_words(change: &ManagedBalanceChange, decimals: u8) -> String {
    let t = |units: u64| describe::tokens(units, decimals);
    match change {
        ManagedBalanceChange::Created { name, min, target, max, .. } => {
            format!("Created \"{name}\": min {} / target {} / max {}", t(*min), t(*target), t(*max))
        }
        ManagedBalanceChange::ThresholdsUpdated { old_min, old_target, old_max, min, target, max } => format!(
            "Thresholds {} / {} / {} -> {} / {} / {}",
            t(*old_min),
            t(*old_target),
            t(*old_max),
            t(*min),
            t(*target),
            t(*max)
        ),
        ManagedBalanceChange::SettingsUpdated { mode, automation } => format!(
            "Settings: mode {}, cooldown {} s, cap {} per {} s, forecast band {}%",
            describe::mode_text(mode),
            automation.cooldown_seconds,
            t(automation.period_cap),
            automation.period_seconds,
            describe::percent(automation.forecast_band_bps)
        ),
        ManagedBalanceChange::EnabledSet { enabled } => {
            format!("Automation turned {}", if *enabled { "on" } else { "off" })
        }
        ManagedBalanceChange::SourceLinked { source } => format!(
            "Linked funding source {} at priority {}, floor {}",
            source.token_account,
            source.priority,
            t(source.reserve_floor)
        ),
        ManagedBalanceChange::SourceUpdated { previous, source } => format!(
            "Funding source {}: priority {} -> {}, floor {} -> {}, {}",
            source.token_account,
            previous.priority,
            source.priority,
            t(previous.reserve_floor),
            t(source.reserve_floor),
            if source.enabled { "enabled" } else { "disabled" }
        ),
        ManagedBalanceChange::SourceUnlinked { source } => format!("Unlinked funding source {}", source.token_account),
        ManagedBalanceChange::Closed => "Closed".to_string(),
        ManagedBalanceChange::TransferFeeAccepted { previous, accepted } => format!(
            "Accepted transfer fee {}% (at most {}) -> {}% (at most {})",
            describe::percent(previous.basis_points),
            t(previous.maximum_fee),
            describe::percent(accepted.basis_points),
            t(accepted.maximum_fee)
        ),
    }
}

/// The activity entry of one stored event.
pub fn event_entry(stored: &StoredEvent, decimals: u8) -> ActivityEntry {
    let t = |units: u64| describe::tokens(units, decimals);
    let amount = |units: u64| Amount::new(units, decimals);
    let id = format!("{}:{}", stored.signature, stored.index);
    let mut entry = match stored.decode() {
        Some(ProgramEvent::ToppedUp(e)) => {
            let kind = if e.reason == MovementReason::Manual { ActivityKind::Adjustment } else { ActivityKind::TopUp };
            let what = match e.reason {
                MovementReason::Manual => "Manual top-up",
                MovementReason::Forecast => "Forecast top-up",
                _ => "Top-up below min",
            };
            let mut entry = ActivityEntry::new(
                id,
                kind,
                format!(
                    "{what}: +{} from {} source(s); balance {} -> {}",
                    t(e.received),
                    e.sources.len(),
                    t(e.balance_before),
                    t(e.balance_after)
                ),
            );
            entry.action_type = Some(action_type(e.reason));
            entry.sources = e
                .sources
                .iter()
                .map(|leg| SourceLeg {
                    source_id: leg.source.to_string(),
                    amount: amount(leg.sent),
                    balance_after: amount(leg.source_after),
                })
                .collect();
            entry.shortfall = (e.shortfall > 0).then(|| amount(e.shortfall));
            entry
        }
        Some(ProgramEvent::TopUpShortfall(e)) => {
            let mut entry = ActivityEntry::new(
                id,
                ActivityKind::TopUpShortfall,
                format!("Sources were {} short: {} allowed, {} sent", t(e.shortfall), t(e.allowed), t(e.sent)),
            );
            entry.action_type = Some(action_type(e.reason));
            entry.shortfall = Some(amount(e.shortfall));
            entry
        }
        Some(ProgramEvent::ExcessSwept(e)) => {
            let mut entry = ActivityEntry::new(
                id,
                ActivityKind::Sweep,
                format!(
                    "Swept {} back to {}; balance {} -> {}",
                    t(e.sent),
                    e.source,
                    t(e.balance_before),
                    t(e.balance_after)
                ),
            );
            entry.action_type = Some(ActionType::Automatic);
            entry.sources = vec![SourceLeg {
                source_id: e.source.to_string(),
                amount: amount(e.received),
                balance_after: amount(e.source_after),
            }];
            entry
        }
        Some(ProgramEvent::RatioRebalanced(e)) => {
            let direction = if e.to_local { "from the counterpart" } else { "to the counterpart" };
            let mut entry = ActivityEntry::new(
                id,
                ActivityKind::Rebalance,
                format!("Rebalanced {} {direction}; balance {} -> {}", t(e.sent), t(e.local_before), t(e.local_after)),
            );
            entry.action_type = Some(ActionType::Automatic);
            // The counterpart sent `sent` when funds came in, and received `received`
            // when they went out.
            entry.sources = vec![SourceLeg {
                source_id: e.counterpart.to_string(),
                amount: amount(if e.to_local { e.sent } else { e.received }),
                balance_after: amount(e.counterpart_after),
            }];
            entry
        }
        Some(ProgramEvent::ManagedBalanceChanged(e)) => {
            ActivityEntry::new(id, ActivityKind::Configuration, config_words(&e.change, decimals))
        }
        Some(ProgramEvent::Spent(e)) => ActivityEntry::new(
            id,
            ActivityKind::Payout,
            format!(
                "Spender {} paid {} to {}; balance {} -> {}",
                e.spender,
                t(e.amount),
                e.recipient,
                t(e.vault_before),
                t(e.vault_after)
            ),
        ),
        Some(ProgramEvent::VaultFlow(e)) if e.deposit => ActivityEntry::new(
            id,
            ActivityKind::Deposit,
            format!(
                "Deposit of {} from {}; balance {} -> {}",
                t(e.received),
                e.counterparty,
                t(e.vault_before),
                t(e.vault_after)
            ),
        ),
        Some(ProgramEvent::VaultFlow(e)) => {
            let mut entry = ActivityEntry::new(
                id,
                ActivityKind::Withdrawal,
                format!(
                    "Authority withdrew {} to {}; balance {} -> {}",
                    t(e.sent),
                    e.counterparty,
                    t(e.vault_before),
                    t(e.vault_after)
                ),
            );
            entry.action_type = Some(ActionType::Manual);
            entry
        }
        Some(other) => {
            ActivityEntry::new(id, ActivityKind::Configuration, format!("{} (treasury configuration)", other.name()))
        }
        None => ActivityEntry::new(
            id,
            ActivityKind::Configuration,
            format!("{} event this server cannot read", stored.kind),
        ),
    };
    entry.at = stored.block_time.map(rfc3339);
    entry.slot = Some(stored.slot);
    entry.signature = Some(stored.signature.clone());
    entry.event_index = Some(stored.index);
    entry.event = Some(stored.kind.clone());
    entry.fee_lamports = Some(stored.fee_lamports);
    entry.amount = stored.amount.map(|delta| SignedAmount::new(i128::from(delta), decimals));
    entry.balance_after = stored.balance_after.map(amount);
    entry
}

/// The activity entry of one keeper decision.
pub fn decision_entry(decision: &Decision, decimals: u8) -> ActivityEntry {
    let t = |units: u64| describe::tokens(units, decimals);
    let action = |reason: &str| match reason {
        "forecast" => Some(ActionType::Forecast),
        "threshold" | "sweep" | "rebalance" => Some(ActionType::Automatic),
        _ => None,
    };
    let amount = decision.amount.map(t).unwrap_or_default();
    let description = match decision.outcome.as_str() {
        "acted" => format!("Keeper's {} crank of {amount} landed", decision.reason),
        "refused" => format!("Keeper's {} crank of {amount} was refused by the program", decision.reason),
        "failed" => format!("Keeper's {} crank of {amount} failed", decision.reason),
        _ => format!("Keeper waits: {}", decision.reason.replace('_', " ")),
    };
    let mut entry = ActivityEntry::new(format!("decision:{}", decision.id), ActivityKind::KeeperDecision, description);
    entry.action_type = action(&decision.reason);
    entry.at = Some(rfc3339(decision.at));
    entry.slot = decision.slot;
    entry.signature = decision.signature.clone();
    entry.fee_lamports = decision.fee_lamports;
    entry.balance_after = decision.balance.map(|units| Amount::new(units, decimals));
    entry.decision = Some(DecisionView {
        outcome: decision.outcome.clone(),
        reason: decision.reason.clone(),
        keeper: decision.keeper.clone(),
        detail: decision.detail.clone(),
    });
    entry
}

/// An entry of a transaction an operator sent through this server says so: the chain
/// records the crank, not who asked for it.
fn mark_operator_move(entry: &mut ActivityEntry, moves: &HashMap<String, OperatorMove>) {
    let Some(kind) = entry.signature.as_ref().and_then(|signature| moves.get(signature)) else { return };
    if entry.action_type.is_none() {
        return;
    }
    match kind {
        OperatorMove::Manual => entry.action_type = Some(ActionType::Manual),
        OperatorMove::StressTest => {
            entry.action_type = Some(ActionType::StressTest);
            entry.description = format!("Stress test applied: {}", entry.description);
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Only entries at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Only entries at or before this time (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 1000)]
    pub size: Option<u32>,
    /// Only the moves of the treasury and its authority (top-ups, manual ones included,
    /// shortfalls, sweeps, rebalances, and the authority's deposits and withdrawals, a
    /// stress test's among them): no payouts, configuration or keeper decisions, which
    /// on a busy balance would fill every page.
    pub operations: Option<bool>,
}

/// The program events that are moves of the treasury and its authority.
const OPERATION_EVENTS: [&str; 5] = ["ToppedUp", "TopUpShortfall", "ExcessSwept", "RatioRebalanced", "VaultFlow"];

/// The balance's activity, newest first.
#[utoipa::path(
    get, path = "/api/v1/managed-balance/{id}/activity-log", tag = "managed-balance", params(IdPath, ActivityQuery),
    responses(
        (status = 200, description = "A page of the activity log, newest first", body = Page<ActivityEntry>),
        (status = 404, description = "No managed balance has this id", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is invalid", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(query): ApiQuery<ActivityQuery>,
) -> ApiResult<Json<Page<ActivityEntry>>> {
    let (page, size) = page_bounds(query.page, query.size)?;
    let from = query.from.as_deref().map(|text| parse_time("from", text)).transpose()?;
    let to = query.to.as_deref().map(|text| parse_time("to", text)).transpose()?;
    let snapshot = managed_balance::snapshot(&state, path.id).await?;
    let decimals = snapshot.managed().decimals;
    let address = snapshot.address().to_string();
    let destination = snapshot.managed().destination.to_string();
    let operations = query.operations.unwrap_or(false);
    // Newest first from both sources, enough of each to fill this page, merged.
    let wanted = u64::from(page) * u64::from(size);
    let (events, decisions, total, moves) = state
        .with_db(move |store| {
            let events_query = EventQuery {
                managed_balance: Some(address.clone()),
                vault: Some(destination),
                from_time: from,
                to_time: to,
                kinds: if operations { OPERATION_EVENTS.map(String::from).to_vec() } else { Vec::new() },
                newest_first: true,
                limit: wanted,
                ..EventQuery::default()
            };
            let events = store.events(&events_query)?;
            let (decisions, decision_count) = if operations {
                (Vec::new(), 0)
            } else {
                (store.decisions(&address, (from, to), true, wanted)?, store.decision_count(&address, (from, to))?)
            };
            let total = store.count_events(&events_query)? + decision_count;
            let signatures = events
                .iter()
                .map(|event| event.signature.as_str())
                .chain(decisions.iter().filter_map(|decision| decision.signature.as_deref()));
            let moves = operator_moves::of(store, signatures)?;
            Ok((events, decisions, total, moves))
        })
        .await?;
    let mut entries: Vec<(i64, u64, ActivityEntry)> = events
        .iter()
        .map(|event| (event.block_time.unwrap_or(i64::MAX), event.slot, event_entry(event, decimals)))
        .chain(
            decisions
                .iter()
                .map(|decision| (decision.at, decision.slot.unwrap_or(0), decision_entry(decision, decimals))),
        )
        .collect();
    for (_, _, entry) in &mut entries {
        mark_operator_move(entry, &moves);
    }
    entries.sort_by_key(|(at, slot, _)| std::cmp::Reverse((*at, *slot)));
    let start = (u64::from(page - 1) * u64::from(size)) as usize;
    let items = entries.into_iter().skip(start).take(size as usize).map(|(_, _, entry)| entry).collect();
    Ok(Json(Page { items, page, size, total }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_program_events_by_their_idl_names() {
        for name in OPERATION_EVENTS {
            assert!(ProgramEvent::NAMES.contains(&name), "{name} is not a program event");
        }
    }
}
