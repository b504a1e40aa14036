//! `GET /api/v1/keeper`: the keeper of this process: whether it cranks, its key and
//! fee payer balance, when it last ran its cycle, and how its cranks ended.

use crate::{error::ApiResult, state::AppState, v1::common::rfc3339};
use axum::{extract::State, Json};
use serde::Serialize;
use smart_treasury_keeper::{metrics, store::ActionStatus};
use std::sync::Arc;
use utoipa::ToSchema;

/// How this process's cranks ended since it started.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CrankCounts {
    pub landed: u64,
    /// Refused by the program (another keeper acted first, the cooldown holds, ...).
    pub refused: u64,
    /// Gave up after retries, or too expensive.
    pub failed: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeeperStatus {
    /// False for `smart-treasury serve`: it watches and records, and sends no crank of
    /// its own.
    pub cranking: bool,
    /// The key this process cranks with and pays fees from (when it cranks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keeper: Option<String>,
    /// The fee payer's balance at the last check (when it cranks; absent before the
    /// first check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_payer_lamports: Option<u64>,
    /// Below the keeper's low-balance warning: fund it or cranks stop.
    pub fee_payer_low: bool,
    /// When the last watch-and-plan cycle ended; absent before the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_cycle_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_cycle_seconds: Option<f64>,
    pub cranks: CrankCounts,
    /// Failed cycles and failed crank attempts since start.
    pub failures: u64,
    /// Cranks sent and not yet settled.
    pub pending: u64,
    /// Managed balances the keeper watches.
    pub managed_balances: u64,
}

/// The keeper in this process.
#[utoipa::path(
    get, path = "/api/v1/keeper", tag = "keeper",
    responses((status = 200, description = "The keeper's status", body = KeeperStatus))
)]
pub async fn get(State(state): State<Arc<AppState>>) -> ApiResult<Json<KeeperStatus>> {
    let keeper = &state.keeper;
    let recorded = &keeper.metrics;
    let count = |result: &str| recorded.total(&metrics::ACTIONS, Some(("result", result))) as u64;
    let cranking = keeper.config.crank;
    let fee_payer_lamports =
        recorded.value(&metrics::FEE_PAYER_LAMPORTS, &[]).map(|lamports| lamports as u64).filter(|_| cranking);
    let pending = state.with_db(|store| Ok(store.actions_with_status(ActionStatus::Pending)?.len() as u64)).await?;
    Ok(Json(KeeperStatus {
        cranking,
        keeper: cranking.then(|| keeper.keeper.to_string()),
        fee_payer_lamports,
        fee_payer_low: fee_payer_lamports
            .is_some_and(|lamports| lamports < keeper.config.executor.low_balance_lamports),
        last_cycle_at: recorded.value(&metrics::LAST_CYCLE, &[]).map(|unix| rfc3339(unix as i64)),
        last_cycle_seconds: recorded.value(&metrics::CYCLE_SECONDS, &[]),
        cranks: CrankCounts {
            landed: count("landed"),
            refused: count("refused"),
            failed: count("too_expensive") + count("gave_up"),
        },
        failures: recorded.total(&metrics::FAILURES, None) as u64,
        pending,
        managed_balances: keeper.fleet.read().await.balances.len() as u64,
    }))
}
