//! The operator API over real HTTP on loopback, served beside a keeper against the local
//! cluster with the demo treasury: every endpoint, auth, bad input, changes signed here
//! or exported and signed elsewhere, and webhooks received and verified by the Python
//! `standardwebhooks` package. Each test is one group sharing one cluster.

mod activity;
mod advice;
mod event_types;
mod operator;
mod restart;
mod webhooks;

use crate::keeper::{env, Env};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use smart_treasury_api::{config, ApiFileConfig, ApiServer};
use smart_treasury_keeper::{config::FileConfig, service};
use std::{
    path::PathBuf,
    sync::OnceLock,
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

/// One decimal place of the demo mint: amounts in tests are written in whole tokens.
pub const UNIT: u64 = 1_000_000;

/// An API server (with its keeper) running in this process.
pub struct Server {
    pub url: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Settings for a test server: loopback on a free port, the demo authority signing,
/// deliveries to loopback allowed, a fast retry schedule.
pub fn api_settings(env: &Env) -> ApiFileConfig {
    ApiFileConfig {
        listen: Some("127.0.0.1:0".into()),
        authority_keypair: Some(env.demo.authority_file.clone()),
        webhooks: Some(config::WebhookFileConfig {
            allow_private_destinations: Some(true),
            retry_schedule_s: Some(vec![0.0, 1.0, 1.0, 1.0]),
            timeout_s: Some(2.0),
            poll_ms: Some(50),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl Server {
    /// Starts a keeper named `name` (cranking or not) and the API beside it.
    pub async fn start(env: &Env, name: &str, crank: bool, api: ApiFileConfig) -> Self {
        Self::start_with(env.keeper_settings(name).await, crank, api).await
    }

    /// Starts a keeper with `settings` (cranking or not) and the API beside it.
    pub async fn start_with(settings: FileConfig, crank: bool, api: ApiFileConfig) -> Self {
        let settings = FileConfig { backfill_interval_s: Some(2), ..settings };
        let mut keeper =
            smart_treasury_keeper::config::resolve(settings, FileConfig::default()).expect("keeper settings");
        keeper.crank = crank;
        let api = config::resolve(api, ApiFileConfig::default()).expect("API settings");
        let shared = service::Shared::new(keeper).expect("keeper state");
        let server = ApiServer::start(shared.clone(), api).await.expect("the API starts");
        let url = server.url().expect("listening");
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let task = tokio::spawn(async move {
            let api = tokio::spawn(server.run(stop.clone()));
            let result = service::run_shared(shared, stop.clone()).await;
            stop.cancel();
            api.await??;
            result
        });
        let server = Self { url, http: reqwest::Client::new(), token: None, shutdown, task };
        server.wait_ready().await;
        server
    }

    /// Waits until `/readyz` says the keeper has loaded the treasury and its events.
    async fn wait_ready(&self) {
        let started = Instant::now();
        loop {
            let (status, body) = self.call(Method::GET, "/readyz", None).await;
            if status == StatusCode::OK {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "not ready after 60 s: {body}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("server task").expect("the server stops cleanly");
    }

    /// A request with a JSON body (or none); the answer's status and JSON (`Null` when
    /// the body is empty or not JSON).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the API answers");
        let status = response.status();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    /// A request that must succeed with `expected`; returns its JSON.
    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>, expected: StatusCode) -> Value {
        let (status, json) = self.call(method.clone(), path, body).await;
        assert_eq!(status, expected, "{method} {path}: {json:#}");
        json
    }

    /// Polls GET `path` until `condition` holds on its JSON.
    pub async fn eventually(&self, path: &str, what: &str, condition: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let (status, json) = self.get(path).await;
            if status == StatusCode::OK && condition(&json) {
                return json;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for {what}: {status} {json:#}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Asserts `answer` is an RFC 9457 problem with `status` naming `field`.
pub fn assert_problem(answer: &(StatusCode, Value), status: u16, field: Option<&str>) {
    let (got, json) = answer;
    assert_eq!(got.as_u16(), status, "{json:#}");
    assert_eq!(json["status"], status, "a problem document: {json:#}");
    assert!(json["type"].as_str().is_some_and(|kind| kind.starts_with("urn:smart-treasury:problem:")), "{json:#}");
    assert!(json["detail"].as_str().is_some_and(|detail| !detail.is_empty()), "{json:#}");
    if let Some(field) = field {
        let fields: Vec<&str> =
            json["errors"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str()).collect();
        assert!(fields.contains(&field), "{field} should be named in {json:#}");
    }
}

/// The venv's python with the pinned PyPI packages, made once per test process by the
/// project's own script.
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
            let output = std::process::Command::new(root.join("scripts/python-api-env"))
                .output()
                .expect("scripts/python-api-env runs");
            assert!(
                output.status.success(),
                "scripts/python-api-env failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            PathBuf::from(String::from_utf8(output.stdout).expect("a path").trim())
        })
        .clone()
}

/// The Python webhook receiver (`tests/python/api/webhook_receiver.py`), killed on drop.
pub struct Receiver {
    pub url: String,
    pub log: PathBuf,
    child: std::process::Child,
    http: reqwest::Client,
}

impl Receiver {
    pub async fn start(dir: &std::path::Path) -> Self {
        use std::io::BufRead;
        let log = dir.join("received.jsonl");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/api/webhook_receiver.py");
        let mut child = std::process::Command::new(python())
            .arg(script)
            .arg(&log)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("the receiver starts");
        let stdout = child.stdout.take().expect("stdout");
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await
        .expect("reader")
        .expect("the receiver prints its address");
        let url = line.trim().strip_prefix("listening on ").expect("listening on URL").to_string();
        Self { url, log, child, http: reqwest::Client::new() }
    }

    pub async fn control(&self, settings: Value) {
        let response = self.http.post(format!("{}/control", self.url)).json(&settings).send().await.expect("control");
        assert!(response.status().is_success());
    }

    /// Every delivery received so far, in order.
    pub fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }

    /// Waits until `condition` holds on what was received.
    pub async fn eventually(&self, what: &str, timeout: Duration, condition: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if condition(&received) {
                return received;
            }
            assert!(started.elapsed() < timeout, "timed out waiting for {what}; received: {received:#?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn demo_env() -> Env {
    env().await
}
