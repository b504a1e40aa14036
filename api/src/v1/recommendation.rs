//! `GET /api/v1/managed-balance/{id}/recommendation`: thresholds sized from the
//! balance's recorded outflow, with the backtested effect of the current and the
//! recommended settings over the same record.

use crate::{
    amount::Amount,
    core::recommend::{self, Effect, Goals, Limits, Record},
    error::{ApiResult, Problem},
    extract::{ApiPath, ApiQuery},
    state::AppState,
    v1::{
        common::rfc3339,
        managed_balance::{self, IdPath},
    },
};
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use smart_treasury_policy::Thresholds;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

const MAX_DAYS: u32 = 28;
const MINUTE: i64 = 60;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct RecommendationQuery {
    /// Days of recorded outflow to size from and backtest over, 1 to 28; default 14.
    #[param(minimum = 1, maximum = 28)]
    pub days: Option<u32>,
    /// Seconds from a breach to the keeper's top-up landing, 1 to 3,600; default 120.
    #[param(minimum = 1, maximum = 3600)]
    pub landing_seconds: Option<u32>,
    /// Top-ups per day the target should keep to, 1 to 96; default 4.
    #[param(minimum = 1, maximum = 96)]
    pub top_ups_per_day: Option<u32>,
    /// Margin above the outflow quantile, in basis points of it, 0 to 10,000; default 2,500.
    #[param(minimum = 0, maximum = 10000)]
    pub margin_bps: Option<u32>,
}

fn within(field: &str, value: Option<u32>, low: u32, high: u32, default: u32) -> ApiResult<u32> {
    match value {
        None => Ok(default),
        Some(value) if (low..=high).contains(&value) => Ok(value),
        Some(value) => Err(Problem::invalid(field, format!("{value} is out of range: {low} to {high}"))),
    }
}

/// What a setting did in the backtest.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Backtest {
    /// Minutes replayed.
    pub minutes: u64,
    /// Minutes that ended below this setting's min.
    pub minutes_below_min: u64,
    /// Minutes that ended with a payout the balance could not cover.
    pub minutes_waiting: u64,
    /// Top-ups and sweeps.
    pub transfers: u64,
    /// The mean balance held in the destination.
    pub idle_capital: Amount,
}

/// Thresholds with their backtested effect.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Setting {
    pub min: Amount,
    pub target: Amount,
    pub max: Amount,
    pub backtest: Backtest,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub managed_balance_id: u32,
    /// True: the thresholds below are sized from recorded outflow.
    pub available: bool,
    /// The record sized from: its first minute with an outflow, and its end.
    pub from: String,
    pub to: String,
    pub recorded_minutes: u64,
    pub landing_seconds: u32,
    pub top_ups_per_day: u32,
    pub margin_bps: u32,
    /// The 99th percentile of the outflow over the landing time.
    pub landing_outflow: Amount,
    pub mean_daily_outflow: Amount,
    pub current: Setting,
    pub recommended: Setting,
    /// How the numbers were reached, in words.
    pub basis: String,
}

/// No recommendation yet: nothing flowed out in the days asked for. An expected state of
/// a new or quiet balance, answered 200 so a client (or the dashboard's console) need
/// not treat it as a failure.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoRecommendation {
    pub managed_balance_id: u32,
    /// False: see `reason`.
    pub available: bool,
    /// Why, and when to ask again.
    pub reason: String,
}

/// A recommendation, or why there is none yet (`available` tells which).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum RecommendationAnswer {
    Recommendation(Box<Recommendation>),
    NoRecommendation(NoRecommendation),
}

fn setting(thresholds: Thresholds, effect: Effect, decimals: u8) -> Setting {
    let amount = |units: u64| Amount::new(units, decimals);
    Setting {
        min: amount(thresholds.min),
        target: amount(thresholds.target),
        max: amount(thresholds.max),
        backtest: Backtest {
            minutes: effect.minutes,
            minutes_below_min: effect.minutes_below_min,
            minutes_waiting: effect.minutes_waiting,
            transfers: effect.transfers,
            idle_capital: amount(effect.idle_capital),
        },
    }
}

/// Recommended thresholds for the balance, each setting's backtested effect beside.
#[utoipa::path(
    get, path = "/api/v1/managed-balance/{id}/recommendation", tag = "managed-balance",
    params(IdPath, RecommendationQuery),
    responses(
        (status = 200, description = "Recommended thresholds and the backtest of both settings, or (`available` false) why there are none yet: no outflow recorded to size from", body = RecommendationAnswer),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(query): ApiQuery<RecommendationQuery>,
) -> ApiResult<Json<RecommendationAnswer>> {
    let days = within("days", query.days, 1, MAX_DAYS, 14)?;
    let goals = Goals {
        landing_seconds: within("landingSeconds", query.landing_seconds, 1, 3_600, 120)?,
        top_ups_per_day: within("topUpsPerDay", query.top_ups_per_day, 1, 96, 4)?,
        margin_bps: within("marginBps", query.margin_bps, 0, 10_000, 2_500)?,
    };
    let snapshot = managed_balance::snapshot(&state, path.id).await?;
    let managed = snapshot.managed().clone();
    let decimals = managed.decimals;
    // The minute under way included, so a payout seen a moment ago already counts.
    let to = (state.keeper.chain_now().await / MINUTE + 1) * MINUTE;
    let from = to - i64::from(days) * 86_400;
    let address = snapshot.address().to_string();
    let flows = state.with_db(move |store| store.flow_history(&address, MINUTE, from, to)).await?;
    let record = Record::from_net_flows(from as u64, &flows);
    let Some(sizing) = recommend::size(&record, &goals, decimals) else {
        return Ok(Json(RecommendationAnswer::NoRecommendation(NoRecommendation {
            managed_balance_id: managed.id,
            available: false,
            reason: format!(
                "managed balance {} has no outflow recorded in the last {days} days to size thresholds from: the \
                 keeper records it as it watches the balance; ask again once payouts have been seen",
                managed.id
            ),
        })));
    };
    let limits = Limits {
        cooldown_seconds: managed.automation.cooldown_seconds,
        period_seconds: managed.automation.period_seconds,
        period_cap: managed.automation.period_cap,
        forecast_band_bps: managed.automation.forecast_band_bps,
        available: snapshot.status.sources.iter().map(|source| source.available).fold(0u64, u64::saturating_add),
    };
    let current = Thresholds { min: managed.min, target: managed.target, max: managed.max };
    let recommended = sizing.thresholds;
    let (current_effect, recommended_effect) = tokio::task::spawn_blocking(move || {
        (
            recommend::backtest(&record, current, &limits, &goals),
            recommend::backtest(&record, recommended, &limits, &goals),
        )
    })
    .await
    .map_err(Problem::internal)?;
    let recorded_from = to - sizing.recorded_minutes as i64 * MINUTE;
    let amount = |units: u64| Amount::new(units, decimals);
    let basis = format!(
        "Sized from {} minutes of recorded outflow: min covers the 99th percentile of what flows out in {} s (a \
         crank's landing time) plus {}%; target adds the mean day's outflow divided by {} top-ups a day; max leaves \
         as much room above target. Backtest: the same outflows replayed minute by minute through the keeper's \
         planner and the program's rules, threshold top-ups landing {} s after the decision, from sources holding \
         what they hold now; deposits are left out.",
        sizing.recorded_minutes,
        goals.landing_seconds,
        f64::from(goals.margin_bps) / 100.0,
        goals.top_ups_per_day,
        goals.landing_seconds,
    );
    Ok(Json(RecommendationAnswer::Recommendation(Box::new(Recommendation {
        managed_balance_id: managed.id,
        available: true,
        from: rfc3339(recorded_from),
        to: rfc3339(to),
        recorded_minutes: sizing.recorded_minutes as u64,
        landing_seconds: goals.landing_seconds,
        top_ups_per_day: goals.top_ups_per_day,
        margin_bps: goals.margin_bps,
        landing_outflow: amount(sizing.landing_outflow),
        mean_daily_outflow: amount(sizing.mean_daily_outflow),
        current: setting(current, current_effect, decimals),
        recommended: setting(recommended, recommended_effect, decimals),
        basis,
    }))))
}
