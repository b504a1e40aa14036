//! A counting HTTP proxy on loopback in front of the cluster's JSON-RPC: every request
//! is forwarded unchanged and counted, by HTTP request and by JSON-RPC method (a batch
//! counts each call), so RPC use is measured on the wire rather than inferred from code.
//! It can also hold every answer back, to stand in for a remote RPC node.

use anyhow::Result;
use http_body_util::{BodyExt, Full};
use hyper::{body::Bytes, server::conn::http1, service::service_fn, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub http_requests: u64,
    pub calls: BTreeMap<String, u64>,
}

impl Counts {
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Counts) -> Counts {
        let calls = self
            .calls
            .iter()
            .map(|(method, count)| (method.clone(), count - earlier.calls.get(method).copied().unwrap_or(0)))
            .filter(|(_, count)| *count > 0)
            .collect();
        Counts { http_requests: self.http_requests - earlier.http_requests, calls }
    }

    /// `getMultipleAccounts 101, getSlot 1`.
    pub fn by_method(&self) -> String {
        let mut methods: Vec<_> = self.calls.iter().collect();
        methods.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        methods.iter().map(|(method, count)| format!("{method} {count}")).collect::<Vec<_>>().join(", ")
    }
}

pub struct CountingProxy {
    pub url: String,
    counts: Arc<Mutex<Counts>>,
    shutdown: CancellationToken,
}

impl CountingProxy {
    /// Listens on a free loopback port and forwards to `upstream`, answering `latency` late.
    pub async fn start(upstream: String, latency: Duration) -> Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let counts = Arc::new(Mutex::new(Counts::default()));
        let shutdown = CancellationToken::new();
        let client = reqwest::Client::new();
        let (task_counts, task_shutdown) = (counts.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                let stream = tokio::select! {
                    _ = task_shutdown.cancelled() => break,
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => stream,
                        Err(_) => continue,
                    },
                };
                let (client, upstream, counts) = (client.clone(), upstream.clone(), task_counts.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                        forward(request, client.clone(), upstream.clone(), counts.clone(), latency)
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Ok(Self { url, counts, shutdown })
    }

    pub fn counts(&self) -> Counts {
        self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn methods(body: &[u8]) -> Vec<String> {
    let name = |call: &serde_json::Value| call["method"].as_str().unwrap_or("(no method)").to_string();
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Array(calls)) => calls.iter().map(name).collect(),
        Ok(call) => vec![name(&call)],
        Err(_) => vec!["(not JSON)".to_string()],
    }
}

async fn forward(
    request: Request<hyper::body::Incoming>,
    client: reqwest::Client,
    upstream: String,
    counts: Arc<Mutex<Counts>>,
    latency: Duration,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let content_type = request.headers().get(hyper::header::CONTENT_TYPE).cloned();
    let body = request.into_body().collect().await?.to_bytes();
    {
        let mut counts = counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.http_requests += 1;
        for method in methods(&body) {
            *counts.calls.entry(method).or_default() += 1;
        }
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut outgoing = client.post(&upstream).body(body);
    if let Some(content_type) = content_type {
        outgoing = outgoing.header(reqwest::header::CONTENT_TYPE, content_type.as_bytes());
    }
    let reply = match outgoing.send().await {
        Ok(answer) => {
            let status = answer.status().as_u16();
            match answer.bytes().await {
                Ok(bytes) => Response::builder()
                    .status(status)
                    .header(hyper::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(bytes)),
                Err(error) => bad_gateway(&error.to_string()),
            }
        }
        Err(error) => bad_gateway(&error.to_string()),
    };
    Ok(reply.unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}

fn bad_gateway(reason: &str) -> Result<Response<Full<Bytes>>, hyper::http::Error> {
    Response::builder().status(StatusCode::BAD_GATEWAY).body(Full::new(Bytes::from(reason.to_string())))
}
