//! JSON-RPC 2.0 over HTTP, shaped as the Solana RPC shapes its answers, with the HTTP-level
//! faults (latency, 429, 503, JSON-RPC errors) applied in front.

mod accounts;
mod blocks;
mod cluster;
mod context;
mod economics;
mod history;
mod network;
pub(crate) mod params;
mod send;
mod simulate;
mod tokens;
mod transaction;

use crate::{
    faults::{Faults, Fired},
    node::Node,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, header, server::conn::http1, service::service_fn, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use jsonrpc_core::MetaIoHandler;
use solana_rpc_client_api::custom_error::RpcCustomError;
use std::{convert::Infallible, net::SocketAddr, sync::Arc};
use tokio::{net::TcpListener, sync::watch, task::JoinSet};

/// The RPC's own limit on a request body.
const MAX_REQUEST_BODY: usize = 50 * 1024;

pub(crate) type Handler = MetaIoHandler<Arc<Node>>;

/// Where the node serves, as getClusterNodes reports it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Contact {
    pub rpc: SocketAddr,
    pub pubsub: SocketAddr,
}

/// Every method the cluster answers.
pub(crate) fn handler(contact: Contact) -> Handler {
    let mut io = MetaIoHandler::default();
    cluster::register(&mut io);
    blocks::register(&mut io);
    network::register(&mut io, contact);
    economics::register(&mut io);
    accounts::register(&mut io);
    tokens::register(&mut io);
    send::register(&mut io);
    simulate::register(&mut io);
    history::register(&mut io);
    io
}

/// Serves until `shutdown` turns true; open connections are closed then.
pub(crate) async fn serve(
    listener: TcpListener,
    node: Arc<Node>,
    contact: Contact,
    mut shutdown: watch::Receiver<bool>,
) {
    let io = Arc::new(handler(contact));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let (io, node) = (io.clone(), node.clone());
                    connections.spawn(async move {
                        let service = service_fn(move |request| answer(io.clone(), node.clone(), request));
                        if let Err(err) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                            tracing::debug!(%err, "RPC connection ended with an error");
                        }
                    });
                }
                Err(err) => tracing::warn!(%err, "cannot accept an RPC connection"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

async fn answer(
    io: Arc<Handler>,
    node: Arc<Node>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let faults = node.faults.config();
    if !faults.latency.is_zero() {
        node.faults.record(Fired::Delayed);
        tokio::time::sleep(faults.latency).await;
    }
    match (request.method(), request.uri().path()) {
        (&Method::POST, _) => {}
        (&Method::GET, "/health") => return Ok(reply(StatusCode::OK, "text/plain", "ok")),
        (&Method::OPTIONS, _) => return Ok(reply(StatusCode::OK, "text/plain", "")),
        _ => {
            let message = "Used HTTP Method is not allowed. POST or OPTIONS is required";
            return Ok(reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", message));
        }
    }
    if Faults::roll(faults.rate_limited) {
        node.faults.record(Fired::RateLimited);
        tracing::debug!("injected fault: 429");
        return Ok(reply(StatusCode::TOO_MANY_REQUESTS, "text/plain", "Too many requests (injected fault)"));
    }
    if Faults::roll(faults.unavailable) {
        node.faults.record(Fired::Unavailable);
        tracing::debug!("injected fault: 503");
        return Ok(reply(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "Service unavailable (injected fault)"));
    }
    let body = match Limited::new(request.into_body(), MAX_REQUEST_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            let message = format!("the request body is larger than {MAX_REQUEST_BODY} bytes, or it broke off");
            return Ok(reply(StatusCode::PAYLOAD_TOO_LARGE, "text/plain", &message));
        }
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return Ok(reply(StatusCode::BAD_REQUEST, "text/plain", "the request body is not UTF-8"));
    };
    if Faults::roll(faults.rpc_errors) {
        if let Some(failure) = unhealthy(text) {
            node.faults.record(Fired::RpcError);
            tracing::debug!("injected fault: node unhealthy");
            return Ok(reply(StatusCode::OK, "application/json", &failure));
        }
    }
    let response = io.handle_request(text, node).await.unwrap_or_default();
    Ok(reply(StatusCode::OK, "application/json", &response))
}

/// A "node is unhealthy" error for each call in a request, with the calls' ids; `None` for
/// a body that is not JSON-RPC (the handler answers that with its own error).
fn unhealthy(text: &str) -> Option<String> {
    let error: jsonrpc_core::Error = RpcCustomError::NodeUnhealthy { num_slots_behind: None }.into();
    let failure = |call: &serde_json::Value| serde_json::json!({ "jsonrpc": "2.0", "error": error, "id": call.get("id").cloned().unwrap_or_default() });
    match serde_json::from_str::<serde_json::Value>(text).ok()? {
        serde_json::Value::Array(calls) if !calls.is_empty() => {
            Some(serde_json::Value::Array(calls.iter().map(failure).collect()).to_string())
        }
        call @ serde_json::Value::Object(_) => Some(failure(&call).to_string()),
        _ => None,
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        // Browser dashboards call the RPC from their own origin, as they may a public one.
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type")
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("a response from valid parts")
}
