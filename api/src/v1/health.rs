//! `/healthz` (the process answers), `/readyz` (the cluster and the store answer too)
//! and `/metrics` (Prometheus).

use crate::{
    error::{ApiResult, Problem},
    state::AppState,
};
use axum::{extract::State, http::header, response::IntoResponse, Json};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    pub status: String,
    /// The cluster's slot at `confirmed`.
    pub slot: u64,
    pub treasury: String,
    /// Managed balances the keeper tracks.
    pub managed_balances: u64,
    /// Program events of the treasury recorded.
    pub events_recorded: u64,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

/// The cluster and the store answer, and the keeper has loaded the treasury.
#[utoipa::path(
    get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready: the detail says what is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn readyz(State(state): State<Arc<AppState>>) -> ApiResult<Json<Readiness>> {
    let slot = state.keeper.rpc.get_slot().await.map_err(|error| {
        Problem::unavailable(format!("the cluster at {} does not answer: {error}", state.keeper.rpc.url()))
    })?;
    let managed_balances = state.keeper.fleet.read().await.balances.len() as u64;
    let events_recorded =
        state.with_db(|db| db.event_count()).await.map_err(|_| Problem::unavailable("the store does not answer"))?;
    if events_recorded == 0 {
        return Err(Problem::unavailable("the treasury's events have not been read yet: retry shortly"));
    }
    Ok(Json(Readiness {
        status: "ready".into(),
        slot,
        treasury: state.keeper.treasury.to_string(),
        managed_balances,
        events_recorded,
    }))
}

/// Prometheus metrics: the keeper's and the API's.
#[utoipa::path(
    get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.keeper.metrics.render())
}
