//! The webhook event types, which program events and keeper alerts become which, and
//! the payload each carries: id, type, timestamp, and data with the treasury, the
//! managed balance and its name, amounts in token and base units, signature and slot.
//! An event's id comes from the chain (signature and event index) or from the chain
//! state an alert is about, so a replay, a restart or a second server sends the same id.

use crate::{amount::Amount, core::describe, v1::common::rfc3339};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use smart_treasury::events::{MovementReason, TreasuryChange};
use smart_treasury_client::events::ProgramEvent;
use smart_treasury_keeper::event_log::{Alert, BalanceInfo, RecordedEvent};
use utoipa::ToSchema;

/// Every type a destination can subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "balance.below_min",
    "balance.health_red",
    "balance.forecast_breach",
    "balance.topped_up",
    "balance.top_up_shortfall",
    "balance.swept",
    "balance.rebalanced",
    "balance.adjusted",
    "balance.config_changed",
    "treasury.paused",
    "treasury.unpaused",
    "treasury.authority_changed",
    "keeper.action_failed",
    "keeper.payer_low",
];

/// `*` matches any run of characters; nothing else is special.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else { return false };
            (0..=tail.len()).any(|skip| tail.is_char_boundary(skip) && glob_matches(rest, &tail[skip..]))
        }
    }
}

/// Checks a subscription pattern: letters, `_`, `.` and `*`, matching a known type.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern.is_empty()
        || pattern.len() > 64
        || !pattern.bytes().all(|b| b.is_ascii_lowercase() || b"_.*".contains(&b))
    {
        return Err(format!(
            "{pattern:?}: use event types such as \"balance.topped_up\" or globs such as \"balance.*\""
        ));
    }
    if !EVENT_TYPES.iter().any(|kind| glob_matches(pattern, kind)) {
        return Err(format!("{pattern:?} matches no event type; known types: {}", EVENT_TYPES.join(", ")));
    }
    Ok(())
}

/// A webhook message as sent: the body of every delivery of it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload {
    /// Equals the `webhook-id` header: the same for every delivery and every server.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened (RFC 3339): the block time, or when the keeper noticed.
    pub timestamp: String,
    pub data: WebhookData,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookData {
    pub treasury: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_balance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_balance_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What happened, in words.
    pub description: String,
    /// The amount the event is about (moved, short, needed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_before: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_after: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_index: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<u64>,
    /// Type-specific facts (amounts as `{tokens, baseUnits}`).
    #[schema(value_type = Object)]
    pub details: Value,
}

/// A message to put in the outbox.
#[derive(Clone, Debug)]
pub struct Message {
    pub id: String,
    pub kind: &'static str,
    pub managed_balance: Option<String>,
    pub payload: WebhookPayload,
}

fn base(treasury: String, balance: Option<&BalanceInfo>, description: String) -> WebhookData {
    WebhookData {
        treasury,
        managed_balance: balance.map(|info| info.address.to_string()),
        managed_balance_id: balance.map(|info| info.id),
        name: balance.map(|info| info.name.clone()),
        description,
        amount: None,
        balance_before: None,
        balance_after: None,
        signature: None,
        event_index: None,
        slot: None,
        details: json!({}),
    }
}

/// The messages a recorded program event becomes (none for events no one subscribes to).
pub fn messages_of_event(recorded: &RecordedEvent<'_>) -> Vec<Message> {
    let balance = recorded.balance;
    let decimals = balance.map(|info| info.decimals);
    let amount = |units: u64| decimals.map(|decimals| Amount::new(units, decimals));
    let tokens = |units: u64| match decimals {
        Some(decimals) => describe::tokens(units, decimals),
        None => format!("{units} base units"),
    };
    let name = balance.map_or_else(|| "a managed balance".to_string(), |info| format!("\"{}\"", info.name));
    let treasury = recorded.event.treasury().to_string();
    let mut messages: Vec<(&'static str, WebhookData)> = Vec::new();
    match recorded.event {
        ProgramEvent::ToppedUp(e) => {
            let manual = e.reason == MovementReason::Manual;
            let kind = if manual { "balance.adjusted" } else { "balance.topped_up" };
            let reason = match e.reason {
                MovementReason::Manual => "manual",
                MovementReason::Forecast => "forecast",
                _ => "threshold",
            };
            let mut data = base(
                treasury,
                balance,
                format!(
                    "{name} topped up by {} ({reason}): {} -> {}",
                    tokens(e.received),
                    tokens(e.balance_before),
                    tokens(e.balance_after)
                ),
            );
            data.amount = amount(e.received);
            data.balance_before = amount(e.balance_before);
            data.balance_after = amount(e.balance_after);
            data.details = json!({
                "reason": reason,
                "needed": amount(e.needed),
                "allowed": amount(e.allowed),
                "shortfall": amount(e.shortfall),
                "sources": e.sources.iter().map(|leg| json!({
                    "sourceId": leg.source.to_string(),
                    "amount": amount(leg.sent),
                    "balanceAfter": amount(leg.source_after),
                })).collect::<Vec<_>>(),
                "configVersion": e.config_version,
            });
            messages.push((kind, data));
        }
        ProgramEvent::TopUpShortfall(e) => {
            let mut data = base(
                treasury,
                balance,
                format!("{name}'s sources were {} short of the {} allowed", tokens(e.shortfall), tokens(e.allowed)),
            );
            data.amount = amount(e.shortfall);
            data.details = json!({ "allowed": amount(e.allowed), "sent": amount(e.sent) });
            messages.push(("balance.top_up_shortfall", data));
        }
        ProgramEvent::ExcessSwept(e) => {
            let mut data = base(
                treasury,
                balance,
                format!(
                    "{name} swept {} back to {}: {} -> {}",
                    tokens(e.sent),
                    e.source,
                    tokens(e.balance_before),
                    tokens(e.balance_after)
                ),
            );
            data.amount = amount(e.sent);
            data.balance_before = amount(e.balance_before);
            data.balance_after = amount(e.balance_after);
            data.details =
                json!({ "sourceId": e.source.to_string(), "excess": amount(e.excess), "received": amount(e.received) });
            messages.push(("balance.swept", data));
        }
        ProgramEvent::RatioRebalanced(e) => {
            let direction = if e.to_local { "from its counterpart" } else { "to its counterpart" };
            let mut data = base(
                treasury,
                balance,
                format!(
                    "{name} rebalanced {} {direction}: {} -> {}",
                    tokens(e.sent),
                    tokens(e.local_before),
                    tokens(e.local_after)
                ),
            );
            data.amount = amount(e.sent);
            data.balance_before = amount(e.local_before);
            data.balance_after = amount(e.local_after);
            data.details = json!({
                "counterpart": e.counterpart.to_string(),
                "toLocal": e.to_local,
                "counterpartAfter": amount(e.counterpart_after),
            });
            messages.push(("balance.rebalanced", data));
        }
        ProgramEvent::ManagedBalanceChanged(e) => {
            let change = format!("{:?}", e.change);
            let what = change.split([' ', '{', '(']).next().unwrap_or("Changed").to_string();
            let mut data = base(treasury, balance, format!("{name} configuration changed: {what}"));
            data.details = json!({ "change": what, "configVersion": e.config_version });
            messages.push(("balance.config_changed", data));
        }
        ProgramEvent::TreasuryChanged(e) => {
            let (kind, description, details) = match &e.change {
                TreasuryChange::Paused { by } => {
                    ("treasury.paused", format!("treasury paused by {by}"), json!({ "by": by.to_string() }))
                }
                TreasuryChange::Unpaused { by } => {
                    ("treasury.unpaused", format!("treasury unpaused by {by}"), json!({ "by": by.to_string() }))
                }
                TreasuryChange::AuthorityAccepted { previous, authority } => (
                    "treasury.authority_changed",
                    format!("treasury authority changed from {previous} to {authority}"),
                    json!({ "previous": previous.to_string(), "authority": authority.to_string() }),
                ),
                _ => return Vec::new(),
            };
            let mut data = base(treasury, None, description);
            data.details = details;
            messages.push((kind, data));
        }
        _ => {}
    }
    let timestamp = rfc3339(recorded.block_time.unwrap_or_else(smart_treasury_keeper::service::unix_now));
    messages
        .into_iter()
        .map(|(kind, mut data)| {
            data.signature = Some(recorded.signature.to_string());
            data.event_index = Some(recorded.index);
            data.slot = Some(recorded.slot);
            let id = format!("{}:{}:{kind}", recorded.signature, recorded.index);
            Message {
                id: id.clone(),
                kind,
                managed_balance: data.managed_balance.clone(),
                payload: WebhookPayload { id, kind: kind.to_string(), timestamp: timestamp.clone(), data },
            }
        })
        .collect()
}

/// Base-unit fields of an alert's facts, shown as amounts.
const AMOUNT_FIELDS: &[&str] = &["balance", "min", "target", "amountNeeded", "amount"];

/// The message an alert becomes.
pub fn message_of_alert(treasury: &str, alert: &Alert, balance: Option<&BalanceInfo>) -> Message {
    let mut details = alert.detail.clone();
    if let (Some(info), Some(object)) = (balance, details.as_object_mut()) {
        for field in AMOUNT_FIELDS {
            if let Some(units) = object.get(*field).and_then(Value::as_u64) {
                object.insert((*field).to_string(), json!(Amount::new(units, info.decimals)));
            }
        }
    }
    let name = balance.map_or_else(|| "a managed balance".to_string(), |info| format!("\"{}\"", info.name));
    let description = match alert.kind {
        "balance.below_min" => format!("{name} fell below its min"),
        "balance.health_red" => format!("{name}'s health is below 50%"),
        "balance.forecast_breach" => format!("{name} is forecast to fall below its min"),
        "keeper.action_failed" => format!("a keeper crank for {name} failed"),
        "keeper.payer_low" => "a keeper's fee payer is running low on SOL".to_string(),
        other => other.to_string(),
    };
    let mut data = base(treasury.to_string(), balance, description);
    data.amount = alert
        .detail
        .get("balance")
        .and_then(Value::as_u64)
        .zip(balance)
        .map(|(units, info)| Amount::new(units, info.decimals));
    data.details = details;
    Message {
        id: alert.id.clone(),
        kind: alert.kind,
        managed_balance: data.managed_balance.clone(),
        payload: WebhookPayload {
            id: alert.id.clone(),
            kind: alert.kind.to_string(),
            timestamp: rfc3339(alert.at),
            data,
        },
    }
}

/// What a Slack incoming webhook shows for a message.
pub fn slack_text(payload: &WebhookPayload) -> String {
    let data = &payload.data;
    let mut text = format!("*{}* {}", payload.kind, data.description);
    if let Some(amount) = &data.amount {
        text.push_str(&format!("\nAmount: {} ({} base units)", amount.tokens, amount.base_units));
    }
    if let Some(after) = &data.balance_after {
        text.push_str(&format!("\nBalance after: {}", after.tokens));
    }
    if let Some(signature) = &data.signature {
        text.push_str(&format!("\nTransaction: {signature} (slot {})", data.slot.unwrap_or_default()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_types() {
        assert!(glob_matches("balance.*", "balance.topped_up"));
        assert!(glob_matches("*", "keeper.payer_low"));
        assert!(glob_matches("*.paused", "treasury.paused"));
        assert!(!glob_matches("balance.*", "treasury.paused"));
        assert!(!glob_matches("balance.swept", "balance.swept2"));
        assert!(check_pattern("balance.*").is_ok());
        assert!(check_pattern("treasury.unpaused").is_ok());
        assert!(check_pattern("balance.nothing").is_err());
        assert!(check_pattern("balance.[a]").is_err());
        assert!(check_pattern("").is_err());
    }
}
