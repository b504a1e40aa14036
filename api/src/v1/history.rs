//! `GET /api/v1/managed-balance/{id}/history`: the balance over time in buckets, with
//! what moved it (payouts, deposits, top-ups, sweeps) and the organic net flow the
//! forecast learns from, ready to chart.

use crate::{
    amount::{Amount, SignedAmount},
    error::{ApiResult, Problem},
    extract::{ApiPath, ApiQuery},
    state::AppState,
    v1::{
        common::{parse_time, rfc3339},
        managed_balance::{self, IdPath},
    },
};
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use smart_treasury_client::events::ProgramEvent;
use smart_treasury_keeper::{event_log::EventQuery, series::Sample, service::unix_now};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Buckets one request may ask for.
pub const MAX_POINTS: i64 = 10_000;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Start (RFC 3339); default one day before `to`.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// End (RFC 3339); default now.
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// Seconds per point, 1 to 86,400; default the keeper's forecast bucket.
    #[param(minimum = 1, maximum = 86400)]
    pub resolution: Option<u32>,
}

/// One bucket of history.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPoint {
    pub start: String,
    /// The balance at the end of the bucket (the last one known before it, when nothing
    /// was recorded in it); absent before the first record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<Amount>,
    /// Paid out of the destination (spender payouts and withdrawals; pool vaults only).
    pub payouts: Amount,
    /// Deposited into the destination (pool vaults only).
    pub deposits: Amount,
    /// What the program's top-ups added.
    pub top_ups: Amount,
    /// What the program's sweeps and rebalances took out (or added, for a rebalance
    /// towards it: counted in `topUps`).
    pub sweeps: Amount,
    /// The balance's change without the program's own movements: what payouts and
    /// deposits did, as the forecast sees it.
    pub organic_net_flow: SignedAmount,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct History {
    pub managed_balance_id: u32,
    pub decimals: u8,
    pub from: String,
    pub to: String,
    pub resolution_seconds: u32,
    pub min: Amount,
    pub target: Amount,
    pub max: Amount,
    pub points: Vec<HistoryPoint>,
}

#[derive(Default, Clone, Copy)]
struct Bucket {
    close: Option<u64>,
    low: Option<u64>,
    high: Option<u64>,
    payouts: u64,
    deposits: u64,
    top_ups: u64,
    sweeps: u64,
    program_net: i128,
}

impl Bucket {
    fn see(&mut self, balance: u64) {
        self.close = Some(balance);
        self.low = Some(self.low.map_or(balance, |low| low.min(balance)));
        self.high = Some(self.high.map_or(balance, |high| high.max(balance)));
    }
}

/// The balance's history in buckets.
#[utoipa::path(
    get, path = "/api/v1/managed-balance/{id}/history", tag = "managed-balance", params(IdPath, HistoryQuery),
    responses(
        (status = 200, description = "The balance over time", body = History),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<History>> {
    let to = query.to.as_deref().map(|text| parse_time("to", text)).transpose()?.unwrap_or_else(unix_now);
    let from = query.from.as_deref().map(|text| parse_time("from", text)).transpose()?.unwrap_or(to - 86_400);
    if from >= to {
        return Err(Problem::invalid("from", "must be before `to`"));
    }
    let resolution = query.resolution.unwrap_or(state.keeper.config.bucket_seconds.clamp(1, 86_400) as u32);
    if resolution == 0 || resolution > 86_400 {
        return Err(Problem::invalid("resolution", "seconds per point: 1 to 86400"));
    }
    let step = i64::from(resolution);
    let count = (to - from + step - 1) / step;
    if count > MAX_POINTS {
        return Err(Problem::invalid(
            "resolution",
            format!("{count} points asked for; at most {MAX_POINTS}: narrow the window or coarsen the resolution"),
        ));
    }
    let snapshot = managed_balance::snapshot(&state, path.id).await?;
    let managed = snapshot.managed().clone();
    let (address, destination) = (snapshot.address().to_string(), managed.destination.to_string());
    let (before, samples, events) = state
        .with_db(move |store| {
            let (before, samples) = store.samples_between(&address, from, to)?;
            let events = store.events(&EventQuery {
                managed_balance: Some(address),
                vault: Some(destination),
                from_time: Some(from),
                to_time: Some(to - 1),
                ..EventQuery::default()
            })?;
            Ok((before, samples, events))
        })
        .await?;
    let mut buckets = vec![Bucket::default(); count as usize];
    let index = |at: i64| ((at - from) / step).clamp(0, count - 1) as usize;
    for Sample { unix_timestamp, balance, .. } in &samples {
        buckets[index(*unix_timestamp)].see(*balance);
    }
    for event in &events {
        let Some(at) = event.block_time else { continue };
        let bucket = &mut buckets[index(at)];
        if let Some(after) = event.balance_after {
            bucket.see(after);
        }
        match event.decode() {
            Some(ProgramEvent::Spent(e)) => bucket.payouts += e.amount,
            Some(ProgramEvent::VaultFlow(e)) if e.deposit => bucket.deposits += e.received,
            Some(ProgramEvent::VaultFlow(e)) => bucket.payouts += e.sent,
            Some(ProgramEvent::ToppedUp(e)) => {
                bucket.top_ups += e.balance_after.saturating_sub(e.balance_before);
                bucket.program_net += i128::from(e.balance_after) - i128::from(e.balance_before);
            }
            Some(ProgramEvent::ExcessSwept(e)) => {
                bucket.sweeps += e.balance_before.saturating_sub(e.balance_after);
                bucket.program_net += i128::from(e.balance_after) - i128::from(e.balance_before);
            }
            Some(ProgramEvent::RatioRebalanced(e)) => {
                let delta = i128::from(e.local_after) - i128::from(e.local_before);
                if delta >= 0 {
                    bucket.top_ups += delta as u64;
                } else {
                    bucket.sweeps += delta.unsigned_abs() as u64;
                }
                bucket.program_net += delta;
            }
            _ => {}
        }
    }
    let decimals = managed.decimals;
    let amount = |units: u64| Amount::new(units, decimals);
    let mut open = before.map(|sample| sample.balance);
    let points = buckets
        .iter()
        .enumerate()
        .map(|(position, bucket)| {
            let close = bucket.close.or(open);
            let organic = match (open, close) {
                (Some(open), Some(close)) => i128::from(close) - i128::from(open) - bucket.program_net,
                _ => 0,
            };
            open = close;
            HistoryPoint {
                start: rfc3339(from + position as i64 * step),
                balance: close.map(amount),
                low: bucket.low.or(close).map(amount),
                high: bucket.high.or(close).map(amount),
                payouts: amount(bucket.payouts),
                deposits: amount(bucket.deposits),
                top_ups: amount(bucket.top_ups),
                sweeps: amount(bucket.sweeps),
                organic_net_flow: SignedAmount::new(organic, decimals),
            }
        })
        .collect();
    Ok(Json(History {
        managed_balance_id: managed.id,
        decimals,
        from: rfc3339(from),
        to: rfc3339(to),
        resolution_seconds: resolution,
        min: amount(managed.min),
        target: amount(managed.target),
        max: amount(managed.max),
        points,
    }))
}
