//! `GET /api/v1/managed-balance/{id}/predictions`: when the next top-up is expected
//! (expected and pessimistic), how much it moves, how likely a breach is, and the
//! forecast path with 80% and 95% intervals per bucket; the model and how much history
//! it had.

use crate::{
    amount::{Amount, SignedAmount},
    error::{ApiResult, Problem},
    extract::ApiPath,
    state::AppState,
    v1::{
        common::rfc3339,
        managed_balance::{self, method_name, IdPath},
    },
};
use axum::{extract::State, Json};
use serde::Serialize;
use smart_treasury_keeper::forecast::{normal_quantile, FlowForecast, Horizon};
use std::sync::Arc;
use utoipa::ToSchema;

/// A value with its 80% and 95% prediction intervals.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Interval {
    pub expected: SignedAmount,
    pub low80: SignedAmount,
    pub high80: SignedAmount,
    pub low95: SignedAmount,
    pub high95: SignedAmount,
}

/// One future bucket.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PathPoint {
    pub start: String,
    pub end: String,
    /// Organic net flow in the bucket (negative: outflow).
    pub net_flow: Interval,
    /// The balance at the bucket's end if nothing tops it up.
    pub balance: Interval,
}

/// The next top-up the forecast sees coming.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NextTopUp {
    /// When the expected path falls below min.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_at: Option<String>,
    /// When the pessimistic path (every bucket at its low bound) falls below min.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pessimistic_at: Option<String>,
    /// Probability of falling below min within the forecast's horizon.
    pub probability: f64,
    /// What a top-up back to target would move at the expected breach (at least).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// Tokens needed now so the pessimistic path stays at or above min.
    pub amount_needed: Amount,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Predictions {
    pub managed_balance_id: u32,
    /// `DAILY_WEEKLY`, `DAILY`, `MEAN` or `NONE` (no history yet).
    pub method: String,
    /// Buckets of recorded history the model had.
    pub history_buckets: u64,
    pub bucket_seconds: i64,
    pub made_at: String,
    pub balance: Amount,
    pub min: Amount,
    pub target: Amount,
    pub next_top_up: NextTopUp,
    pub path: Vec<PathPoint>,
}

fn interval(mean: f64, sigma: f64, z80: f64, z95: f64, decimals: u8) -> Interval {
    let value = |x: f64| SignedAmount::new(x.round() as i128, decimals);
    Interval {
        expected: value(mean),
        low80: value(mean - z80 * sigma),
        high80: value(mean + z80 * sigma),
        low95: value(mean - z95 * sigma),
        high95: value(mean + z95 * sigma),
    }
}

/// The forecast path from `balance`: each bucket's flow and the balance it leads to,
/// with intervals (bucket flows taken as independent normals).
pub fn forecast_path(
    forecast: &FlowForecast,
    balance: u64,
    start: i64,
    bucket_seconds: i64,
    decimals: u8,
) -> Vec<PathPoint> {
    let (z80, z95) = (normal_quantile(0.9), normal_quantile(0.975));
    let mut expected = balance as f64;
    let mut variance = 0.0;
    forecast
        .point
        .iter()
        .zip(forecast.bucket_sigma())
        .enumerate()
        .map(|(index, (point, sigma))| {
            expected += point;
            variance += sigma * sigma;
            let begins = start + index as i64 * bucket_seconds;
            PathPoint {
                start: rfc3339(begins),
                end: rfc3339(begins + bucket_seconds),
                net_flow: interval(*point, sigma, z80, z95, decimals),
                balance: interval(expected, variance.sqrt(), z80, z95, decimals),
            }
        })
        .collect()
}

/// The balance's forecast.
#[utoipa::path(
    get, path = "/api/v1/managed-balance/{id}/predictions", tag = "managed-balance", params(IdPath),
    responses(
        (status = 200, description = "The forecast", body = Predictions),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No forecast yet: the keeper has not read the balance", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(State(state): State<Arc<AppState>>, ApiPath(path): ApiPath<IdPath>) -> ApiResult<Json<Predictions>> {
    let snapshot = managed_balance::snapshot(&state, path.id).await?;
    let managed = snapshot.managed();
    let decimals = managed.decimals;
    let amount = |units: u64| Amount::new(units, decimals);
    let not_ready = || {
        Problem::conflict(format!(
            "managed balance {} has no forecast yet: the keeper forecasts each balance once it has read it; retry shortly",
            managed.id
        ))
    };
    let balance = snapshot.status.balance.ok_or_else(not_ready)?;
    let (bucket, forecast) =
        crate::core::balances::forecast(&state, &snapshot.address()).await.ok_or_else(not_ready)?;
    let bucket_seconds = state.keeper.config.bucket_seconds;
    let made_at = bucket * bucket_seconds;
    // Over the whole horizon, from where the current bucket already is.
    let now = state.keeper.chain_now().await;
    let horizon = Horizon { lead: f64::INFINITY, ..Horizon::at(now, bucket_seconds, bucket, 0.0) };
    let outlook = smart_treasury_keeper::forecast::breach_outlook(balance, managed.min, &forecast, &horizon);
    let path = forecast_path(&forecast, balance, made_at, bucket_seconds, decimals);
    let at = |buckets: Option<f64>| buckets.map(|b| rfc3339(now + (b * bucket_seconds as f64).round() as i64));
    Ok(Json(Predictions {
        managed_balance_id: managed.id,
        method: method_name(forecast.method).to_string(),
        history_buckets: forecast.history_buckets as u64,
        bucket_seconds,
        made_at: rfc3339(made_at),
        balance: amount(balance),
        min: amount(managed.min),
        target: amount(managed.target),
        next_top_up: NextTopUp {
            expected_at: at(outlook.expected_buckets),
            pessimistic_at: at(outlook.pessimistic_buckets),
            probability: outlook.breach_probability,
            amount: outlook.expected_buckets.map(|_| amount(managed_balance::expected_top_up(managed))),
            amount_needed: amount(outlook.amount_needed),
        },
        path,
    }))
}
