//! `/api/v1/hook`: webhook destinations (create, list, delete, rotate the secret) and
//! their deliveries (list by destination and status, replay one).

use crate::{
    error::{ApiResult, Problem},
    extract::{ApiJson, ApiPath, ApiQuery},
    state::AppState,
    v1::common::{page_bounds, Page},
    webhook::{self, catalogue, client::check_url, store},
};
use axum::{extract::State, http::StatusCode, Json};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DestinationType {
    /// Standard Webhooks: the JSON message, signed.
    Web,
    /// A Slack incoming webhook: a readable text message.
    Slack,
}

impl DestinationType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Slack => "slack",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateDestination {
    /// Where messages are POSTed (http or https).
    #[schema(example = "https://ops.example.com/hooks/treasury", pattern = "^https?://", max_length = 2048)]
    pub url: String,
    /// Event types or globs: `["balance.*", "treasury.paused"]`.
    #[schema(example = json!(["balance.*"]), min_items = 1, max_items = 32)]
    pub events: Vec<String>,
    /// `web` (default) or `slack`.
    #[serde(rename = "type")]
    pub kind: Option<DestinationType>,
    #[schema(max_length = 256)]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DestinationView {
    pub id: String,
    pub url: String,
    #[serde(rename = "type")]
    pub kind: DestinationType,
    pub events: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub created_at: String,
    /// The signing secret (`whsec_...`): shown when created or rotated, never after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn ms_time(ms: i64) -> String {
    crate::v1::common::rfc3339(ms.div_euclid(1_000))
}

fn view(destination: &store::Destination, secret: Option<String>) -> DestinationView {
    DestinationView {
        id: destination.id.clone(),
        url: destination.url.clone(),
        kind: if destination.kind == "slack" { DestinationType::Slack } else { DestinationType::Web },
        events: destination.events.clone(),
        description: destination.description.clone(),
        enabled: destination.enabled,
        disabled_reason: destination.disabled_reason.clone(),
        created_at: ms_time(destination.created_at),
        secret,
    }
}

/// Adds a destination; its signing secret is in the answer (and only there).
#[utoipa::path(
    post, path = "/api/v1/hook/destination", tag = "hook", request_body = CreateDestination,
    responses(
        (status = 201, description = "Created; keep the secret", body = DestinationView),
        (status = 422, description = "A field is invalid (a private address, an unknown event type)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_destination(
    State(state): State<Arc<AppState>>,
    ApiJson(body): ApiJson<CreateDestination>,
) -> ApiResult<(StatusCode, Json<DestinationView>)> {
    let url = check_url(&body.url, state.config.webhooks.allow_private_destinations)
        .map_err(|detail| Problem::invalid("url", detail))?;
    if body.events.is_empty() {
        return Err(Problem::invalid("events", "name at least one event type or glob, e.g. \"balance.*\""));
    }
    if body.events.len() > 32 {
        return Err(Problem::invalid("events", "at most 32 patterns"));
    }
    for (index, pattern) in body.events.iter().enumerate() {
        catalogue::check_pattern(pattern).map_err(|detail| Problem::invalid(format!("events[{index}]"), detail))?;
    }
    if body.description.as_ref().is_some_and(|text| text.len() > 256) {
        return Err(Problem::invalid("description", "at most 256 bytes"));
    }
    let now = store::now_ms();
    let mut events = body.events.clone();
    events.sort();
    events.dedup();
    let destination = store::Destination {
        id: format!("dst_{}", bs58::encode(rand::random::<[u8; 12]>()).into_string()),
        url: url.to_string(),
        kind: body.kind.unwrap_or(DestinationType::Web).as_str().to_string(),
        description: body.description.clone(),
        secret: webhook::new_secret(),
        previous_secret: None,
        previous_secret_until: None,
        enabled: true,
        disabled_reason: None,
        events,
        created_at: now,
        updated_at: now,
    };
    let stored = destination.clone();
    state.with_db(move |db| store::insert_destination(db.connection(), &stored)).await?;
    tracing::info!(destination = %destination.id, url = %destination.url, "webhook destination added");
    Ok((StatusCode::CREATED, Json(view(&destination, Some(destination.secret.clone())))))
}

/// Every destination.
#[utoipa::path(
    get, path = "/api/v1/hook/destination", tag = "hook",
    responses((status = 200, description = "The destinations (without secrets)", body = Vec<DestinationView>))
)]
pub async fn list_destinations(State(state): State<Arc<AppState>>) -> ApiResult<Json<Vec<DestinationView>>> {
    let destinations = state.with_db(|db| store::destinations(db.connection())).await?;
    Ok(Json(destinations.iter().map(|destination| view(destination, None)).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DestinationPath {
    /// The destination's id (`dst_...`).
    pub id: String,
}

fn unknown_destination(id: &str) -> Problem {
    Problem::not_found(format!("no webhook destination {id:?}: GET /api/v1/hook/destination lists them"))
}

/// Deletes a destination and its deliveries.
#[utoipa::path(
    delete, path = "/api/v1/hook/destination/{id}", tag = "hook", params(DestinationPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such destination", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_destination(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<DestinationPath>,
) -> ApiResult<StatusCode> {
    let id = path.id.clone();
    if !state.with_db(move |db| store::delete_destination(db.connection(), &id)).await? {
        return Err(unknown_destination(&path.id));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the signing secret. The old one keeps signing beside the new one for the
/// configured overlap (a day by default), so receivers can switch without losing a message.
#[utoipa::path(
    post, path = "/api/v1/hook/destination/{id}/rotate-secret", tag = "hook", params(DestinationPath),
    responses(
        (status = 200, description = "The destination with its new secret", body = DestinationView),
        (status = 404, description = "No such destination", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rotate_secret(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<DestinationPath>,
) -> ApiResult<Json<DestinationView>> {
    let secret = webhook::new_secret();
    let now = store::now_ms();
    let until = now + state.config.webhooks.secret_overlap.as_millis() as i64;
    let (id, new) = (path.id.clone(), secret.clone());
    let rotated = state
        .with_db(move |db| {
            if !store::rotate_secret(db.connection(), &id, &new, until, now)? {
                return Ok(None);
            }
            store::destination(db.connection(), &id)
        })
        .await?
        .ok_or_else(|| unknown_destination(&path.id))?;
    Ok(Json(view(&rotated, Some(secret))))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    Delivered,
    /// A dead letter: the last attempt failed, or the destination was disabled.
    Failed,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub id: i64,
    /// The message's id: the `webhook-id` header.
    pub message_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub destination: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_response_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Every attempt, oldest first (on a single delivery's page).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attempt_log: Vec<AttemptView>,
}

fn delivery_view(row: &store::DeliveryRow, attempts: Vec<store::AttemptRow>) -> DeliveryView {
    DeliveryView {
        id: row.id,
        message_id: row.message_id.clone(),
        kind: row.kind.clone(),
        destination: row.destination.clone(),
        status: DeliveryStatus::parse(&row.status),
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at.map(ms_time),
        last_response_status: row.last_response_status,
        last_error: row.last_error.clone(),
        created_at: ms_time(row.created_at),
        updated_at: ms_time(row.updated_at),
        attempt_log: attempts
            .into_iter()
            .map(|attempt| AttemptView {
                at: ms_time(attempt.at),
                response_status: attempt.response_status,
                error: attempt.error,
                duration_ms: attempt.duration_ms,
            })
            .collect(),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only deliveries to this destination.
    pub destination: Option<String>,
    pub status: Option<DeliveryStatus>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 1000)]
    pub size: Option<u32>,
}

/// Deliveries, newest first.
#[utoipa::path(
    get, path = "/api/v1/hook/delivery", tag = "hook", params(DeliveryQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<DeliveryView>),
        (status = 422, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_deliveries(
    State(state): State<Arc<AppState>>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Page<DeliveryView>>> {
    let (page, size) = page_bounds(query.page, query.size)?;
    let offset = u64::from(page - 1) * u64::from(size);
    let (destination, status) = (query.destination.clone(), query.status.map(DeliveryStatus::as_str));
    let (rows, total) = state
        .with_db(move |db| store::deliveries(db.connection(), destination.as_deref(), status, offset, u64::from(size)))
        .await?;
    let items = rows.iter().map(|row| delivery_view(row, Vec::new())).collect();
    Ok(Json(Page { items, page, size, total }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    /// The delivery's id.
    pub id: i64,
}

/// One delivery with its attempts.
#[utoipa::path(
    get, path = "/api/v1/hook/delivery/{id}", tag = "hook", params(DeliveryPath),
    responses(
        (status = 200, description = "The delivery and every attempt", body = DeliveryView),
        (status = 404, description = "No such delivery", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_delivery(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<DeliveryPath>,
) -> ApiResult<Json<DeliveryView>> {
    let id = path.id;
    let found = state
        .with_db(move |db| {
            let Some(row) = store::delivery(db.connection(), id)? else { return Ok(None) };
            let attempts = store::attempts(db.connection(), id)?;
            Ok(Some(delivery_view(&row, attempts)))
        })
        .await?;
    found.map(Json).ok_or_else(|| Problem::not_found(format!("no webhook delivery {id}")))
}

/// Sends a delivery again from the start of the retry schedule, with the same message
/// id (a dead letter included).
#[utoipa::path(
    post, path = "/api/v1/hook/delivery/{id}/replay", tag = "hook", params(DeliveryPath),
    responses(
        (status = 202, description = "Queued for delivery", body = DeliveryView),
        (status = 404, description = "No such delivery", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Its destination is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn replay(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<DeliveryPath>,
) -> ApiResult<(StatusCode, Json<DeliveryView>)> {
    let id = path.id;
    let outcome = state
        .with_db(move |db| {
            let conn = db.connection();
            let Some(row) = store::delivery(conn, id)? else {
                return Ok(Err(Problem::not_found(format!("no webhook delivery {id}"))));
            };
            let enabled = store::destination(conn, &row.destination)?.is_some_and(|destination| destination.enabled);
            if !enabled {
                return Ok(Err(Problem::conflict(format!(
                    "destination {} is disabled (or deleted): add it again to receive messages",
                    row.destination
                ))));
            }
            store::replay(conn, id, store::now_ms())?;
            let row = store::delivery(conn, id)?.ok_or_else(|| anyhow::anyhow!("delivery {id} vanished"))?;
            Ok(Ok(delivery_view(&row, Vec::new())))
        })
        .await??;
    state.hooks.wake.notify_one();
    Ok((StatusCode::ACCEPTED, Json(outcome)))
}
