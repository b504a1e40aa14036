//! The HTTP server: routes, the layers every request passes (tracing, request ids, body
//! limit, timeout, auth), and start-up beside the keeper (the webhook outbox hooked into
//! its store, the delivery worker as a subsystem of its own).

use crate::{
    auth::require_token,
    config::ApiConfig,
    error::Problem,
    extract::BodyLimit,
    openapi,
    state::AppState,
    v1::{
        activity_log, advice, balance_adjustment, funding_source, health, history, hook, keeper, managed_balance,
        predictions, recommendation, treasury,
    },
    webhook::{outbox::WebhookOutbox, worker},
};
use anyhow::{Context, Result};
use axum::{
    extract::{DefaultBodyLimit, Request},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{delete, get, patch, post, put},
    Extension, Json, Router,
};
use smart_treasury_keeper::service::Shared;
use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::{
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

/// `x-request-id` for requests that come without one: this process's prefix and a count.
#[derive(Clone)]
struct RequestIds {
    prefix: u32,
    next: Arc<AtomicU64>,
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = format!("{:08x}-{}", self.prefix, self.next.fetch_add(1, Ordering::Relaxed));
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

async fn not_found() -> Problem {
    Problem::not_found("no such route: the API is described at /api/v1/openapi.json")
}

async fn method_not_allowed() -> Problem {
    Problem::method_not_allowed()
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi::document())
}

/// Turns the bare error answers of lower layers (a timeout) into problems.
async fn problems_for_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let bare = response.status().is_client_error() || response.status().is_server_error();
    if !bare || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    if response.status() == StatusCode::GATEWAY_TIMEOUT {
        return Problem::unavailable(
            "the request took longer than the server's timeout; it may still complete: check before retrying",
        )
        .into_response();
    }
    response
}

/// Every route of the API.
pub fn router(state: Arc<AppState>) -> Router {
    let guarded = Router::new()
        .route("/api/v1/managed-balance", get(managed_balance::list).post(managed_balance::create))
        .route("/api/v1/managed-balance/{id}", get(managed_balance::get).delete(managed_balance::close))
        .route("/api/v1/managed-balance/{id}/thresholds", patch(managed_balance::update_thresholds))
        .route("/api/v1/managed-balance/{id}/settings", patch(managed_balance::update_settings))
        .route("/api/v1/managed-balance/{id}/enable", post(managed_balance::enable))
        .route("/api/v1/managed-balance/{id}/disable", post(managed_balance::disable))
        .route("/api/v1/managed-balance/{id}/funding-source", put(funding_source::put))
        .route("/api/v1/managed-balance/{id}/funding-source/{sourceId}", delete(funding_source::delete))
        .route("/api/v1/managed-balance/{id}/activity-log", get(activity_log::get))
        .route("/api/v1/managed-balance/{id}/history", get(history::get))
        .route("/api/v1/managed-balance/{id}/predictions", get(predictions::get))
        .route("/api/v1/managed-balance/{id}/advice", get(advice::get))
        .route("/api/v1/managed-balance/{id}/stress-test", post(advice::stress_test))
        .route("/api/v1/managed-balance/{id}/execute-advice", post(advice::execute))
        .route("/api/v1/managed-balance/{id}/recommendation", get(recommendation::get))
        .route("/api/v1/balance-adjustment", post(balance_adjustment::adjust))
        .route("/api/v1/treasury", get(treasury::get))
        .route("/api/v1/keeper", get(keeper::get))
        .route("/api/v1/treasury/pause", post(treasury::pause))
        .route("/api/v1/treasury/unpause", post(treasury::unpause))
        .route("/api/v1/hook/destination", get(hook::list_destinations).post(hook::create_destination))
        .route("/api/v1/hook/destination/{id}", delete(hook::delete_destination))
        .route("/api/v1/hook/destination/{id}/rotate-secret", post(hook::rotate_secret))
        .route("/api/v1/hook/delivery", get(hook::list_deliveries))
        .route("/api/v1/hook/delivery/{id}", get(hook::get_delivery))
        .route("/api/v1/hook/delivery/{id}/replay", post(hook::replay))
        .route("/metrics", get(health::metrics))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    let limit = state.config.body_limit;
    let timeout = state.config.request_timeout;
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/openapi.json", get(openapi_json))
        .merge(guarded)
        // The operator dashboard: its pages read and write through the routes above.
        .merge(smart_treasury_dashboard::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(problems_for_bare_errors))
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, timeout))
        .layer(DefaultBodyLimit::max(limit))
        .layer(Extension(BodyLimit(limit)))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(RequestIds {
            prefix: rand::random(),
            next: Arc::new(AtomicU64::new(1)),
        }))
        .with_state(state)
}

/// The API beside a keeper: bound, with its outbox hooked into the keeper's store.
pub struct ApiServer {
    pub state: Arc<AppState>,
    listener: Option<TcpListener>,
}

impl ApiServer {
    /// Prepares the API for `keeper` (call before the keeper runs, so every event it
    /// records also reaches the webhook outbox) and binds its address.
    pub async fn start(keeper: Arc<Shared>, config: ApiConfig) -> Result<Self> {
        let listen = config.listen;
        let state = Arc::new(AppState::new(keeper.clone(), config)?);
        keeper.set_outbox(Arc::new(WebhookOutbox {
            treasury: keeper.treasury.to_string(),
            wake: state.hooks.wake.clone(),
        }))?;
        let listener = match listen {
            Some(addr) => Some(TcpListener::bind(addr).await.with_context(|| {
                format!("cannot listen for the API on {addr}: pick another `api.listen` / --api-addr, or `off`")
            })?),
            None => None,
        };
        Ok(Self { state, listener })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().and_then(|listener| listener.local_addr().ok())
    }

    /// `http://127.0.0.1:8080`, when listening.
    pub fn url(&self) -> Option<String> {
        self.local_addr().map(|addr| format!("http://{addr}"))
    }

    /// Serves until `shutdown`, with the delivery worker beside it.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        let worker = tokio::spawn(worker::run(self.state.clone(), shutdown.clone()));
        if let Some(listener) = self.listener {
            let addr = listener.local_addr()?;
            tracing::info!(url = %format!("http://{addr}"), "operator API listening");
            axum::serve(listener, router(self.state.clone()).into_make_service())
                .with_graceful_shutdown(shutdown.clone().cancelled_owned())
                .await
                .context("the API server failed")?;
        } else {
            shutdown.cancelled().await;
        }
        worker.await.context("the webhook worker panicked")?;
        Ok(())
    }
}
