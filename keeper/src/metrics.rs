//! Prometheus metrics: every metric defined once below (name, help, labels), a small
//! registry of their series and one latency histogram, rendered in the text exposition
//! format and served on `/metrics`.

use anyhow::{Context, Result};
use http_body_util::Full;
use hyper::{body::Bytes, server::conn::http1, service::service_fn, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::{
    collections::BTreeMap,
    fmt::Write,
    net::SocketAddr,
    sync::{Arc, Mutex},
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A metric's kind, as the exposition format names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

/// One metric: its name, help text and label names, defined once here; call sites pass
/// a definition and label values, never a name.
#[derive(Debug, PartialEq, Eq)]
pub struct Metric {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    pub labels: &'static [&'static str],
}

const fn gauge(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Metric {
    Metric { name, help, kind: Kind::Gauge, labels }
}

const fn counter(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Metric {
    Metric { name, help, kind: Kind::Counter, labels }
}

/// The label every per-balance series carries: removing a closed balance's series
/// removes every series with its address here.
pub const MANAGED_BALANCE: &str = "managed_balance";
const PER_BALANCE: &[&str] = &[MANAGED_BALANCE, "name"];

pub const BALANCE: Metric = gauge("smart_treasury_balance", "Managed balance (base units)", PER_BALANCE);
pub const HEALTH_BPS: Metric =
    gauge("smart_treasury_health_bps", "Health in basis points (10,000 at twice min)", PER_BALANCE);
pub const BREACH_PROBABILITY: Metric = gauge(
    "smart_treasury_forecast_breach_probability",
    "Forecast probability of falling below min within the lead time",
    PER_BALANCE,
);
pub const AMOUNT_NEEDED: Metric = gauge(
    "smart_treasury_forecast_amount_needed",
    "Tokens needed to stay above min over the horizon (pessimistic, base units)",
    PER_BALANCE,
);
pub const DEGRADED: Metric = gauge(
    "smart_treasury_balance_degraded",
    "1 while a managed balance cannot be acted on (its destination closed or no token account)",
    PER_BALANCE,
);
pub const CYCLE_SECONDS: Metric = gauge("smart_treasury_cycle_seconds", "Duration of the last cycle", &[]);
pub const LAST_CYCLE: Metric =
    gauge("smart_treasury_last_cycle_timestamp_seconds", "When the last cycle ended (unix seconds)", &[]);
pub const FEE_PAYER_LAMPORTS: Metric =
    gauge("smart_treasury_fee_payer_lamports", "The keeper's fee payer balance (lamports)", &[]);
pub const PAUSED: Metric = gauge("smart_treasury_paused", "1 while the treasury is paused (no cranks are sent)", &[]);
pub const ACTIONS: Metric = counter("smart_treasury_actions_total", "Cranks by kind and result", &["kind", "result"]);
pub const CRANK_ATTEMPT_FAILURES: Metric = counter(
    "smart_treasury_crank_attempt_failures_total",
    "Crank attempts that failed on an RPC error and were retried",
    &["kind"],
);
pub const FAILURES: Metric = counter(
    "smart_treasury_failures_total",
    "Failures of the keeper's own work by kind (cycle, websocket, program_logs, batch_read)",
    &["kind"],
);
pub const ALERTS: Metric = counter("smart_treasury_alerts_total", "Alerts raised", &["alert"]);
pub const EVENTS_RECORDED: Metric =
    counter("smart_treasury_events_recorded_total", "Program events of the treasury recorded", &[]);

/// Every metric, for the checks that keep them distinct.
pub const ALL: &[&Metric] = &[
    &BALANCE,
    &HEALTH_BPS,
    &BREACH_PROBABILITY,
    &AMOUNT_NEEDED,
    &DEGRADED,
    &CYCLE_SECONDS,
    &LAST_CYCLE,
    &FEE_PAYER_LAMPORTS,
    &PAUSED,
    &ACTIONS,
    &CRANK_ATTEMPT_FAILURES,
    &FAILURES,
    &ALERTS,
    &EVENTS_RECORDED,
];

const RPC_LATENCY: &str = "smart_treasury_rpc_latency_seconds";

/// Upper bounds (seconds) of the RPC latency histogram.
const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Series by metric name, each keyed by its label values in the metric's label order.
#[derive(Default)]
struct Registry {
    series: BTreeMap<&'static str, (&'static Metric, BTreeMap<Vec<String>, f64>)>,
    latency: BTreeMap<String, Histogram>,
}

/// Shared by every subsystem; cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<Registry>>,
}

impl Metrics {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, metric: &'static Metric, labels: &[&str], apply: impl FnOnce(&mut f64)) {
        debug_assert_eq!(labels.len(), metric.labels.len(), "label values of {}", metric.name);
        let mut registry = self.registry();
        let (_, series) = registry.series.entry(metric.name).or_insert_with(|| (metric, BTreeMap::new()));
        let key = labels.iter().map(|value| value.to_string()).collect();
        apply(series.entry(key).or_insert(0.0));
    }

    pub fn set(&self, metric: &'static Metric, labels: &[&str], value: f64) {
        debug_assert_eq!(metric.kind, Kind::Gauge, "{} is not a gauge", metric.name);
        self.update(metric, labels, |slot| *slot = value);
    }

    pub fn add(&self, metric: &'static Metric, labels: &[&str], by: f64) {
        debug_assert_eq!(metric.kind, Kind::Counter, "{} is not a counter", metric.name);
        self.update(metric, labels, |slot| *slot += by);
    }

    pub fn observe_rpc(&self, method: &str, seconds: f64) {
        let mut registry = self.registry();
        let histogram = registry.latency.entry(method.to_string()).or_default();
        for (bound, count) in LATENCY_BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// Drops every series whose `label` is `value` (a managed balance that was closed).
    pub fn forget(&self, label: &str, value: &str) {
        let mut registry = self.registry();
        for (metric, series) in registry.series.values_mut() {
            if let Some(position) = metric.labels.iter().position(|name| *name == label) {
                series.retain(|values, _| values[position] != value);
            }
        }
    }

    /// A series' current value, for tests and the live view.
    pub fn value(&self, metric: &Metric, labels: &[&str]) -> Option<f64> {
        let registry = self.registry();
        let (_, series) = registry.series.get(metric.name)?;
        series.iter().find(|(values, _)| values.iter().map(String::as_str).eq(labels.iter().copied())).map(|(_, v)| *v)
    }

    /// The sum of a metric's series whose `label` has `value` (all of them for `None`):
    /// the cranks that landed, whatever their kind.
    pub fn total(&self, metric: &Metric, filter: Option<(&str, &str)>) -> f64 {
        let registry = self.registry();
        let Some((_, series)) = registry.series.get(metric.name) else { return 0.0 };
        let position = filter.and_then(|(label, _)| metric.labels.iter().position(|name| *name == label));
        series
            .iter()
            .filter(|(values, _)| match (filter, position) {
                (None, _) => true,
                (Some((_, wanted)), Some(at)) => values[at] == wanted,
                (Some(_), None) => false,
            })
            .map(|(_, value)| value)
            .sum()
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let registry = self.registry();
        let mut out = String::new();
        for (metric, series) in registry.series.values() {
            if series.is_empty() {
                continue;
            }
            let kind = if metric.kind == Kind::Gauge { "gauge" } else { "counter" };
            let _ = writeln!(out, "# HELP {} {}\n# TYPE {} {kind}", metric.name, escape_help(metric.help), metric.name);
            for (values, value) in series {
                let labels: Vec<(&str, &str)> =
                    metric.labels.iter().copied().zip(values.iter().map(String::as_str)).collect();
                let _ = writeln!(out, "{}{} {value}", metric.name, format_labels(&labels));
            }
        }
        if !registry.latency.is_empty() {
            let _ = writeln!(out, "# HELP {RPC_LATENCY} RPC request latency by method\n# TYPE {RPC_LATENCY} histogram");
            for (method, histogram) in &registry.latency {
                let labels = [("method", method.as_str())];
                for (bound, count) in LATENCY_BUCKETS.iter().zip(histogram.counts) {
                    let bound = bound.to_string();
                    let _ =
                        writeln!(out, "{RPC_LATENCY}_bucket{} {count}", format_labels(&[labels[0], ("le", &bound)]));
                }
                let _ = writeln!(
                    out,
                    "{RPC_LATENCY}_bucket{} {}",
                    format_labels(&[labels[0], ("le", "+Inf")]),
                    histogram.count
                );
                let _ = writeln!(out, "{RPC_LATENCY}_sum{} {}", format_labels(&labels), histogram.sum);
                let _ = writeln!(out, "{RPC_LATENCY}_count{} {}", format_labels(&labels), histogram.count);
            }
        }
        out
    }
}

/// A label value as the exposition format writes it: backslash, double quote and line
/// feed escaped.
fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Help text escapes backslash and line feed.
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

fn format_labels(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = labels.iter().map(|(key, value)| format!("{key}=\"{}\"", escape_label(value))).collect();
    format!("{{{}}}", parts.join(","))
}

/// Serves `/metrics` until `shutdown` fires; returns the bound address.
pub async fn serve(addr: SocketAddr, metrics: Metrics, shutdown: CancellationToken) -> Result<SocketAddr> {
    let listener =
        TcpListener::bind(addr).await.with_context(|| format!("cannot bind the metrics endpoint on {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let (stream, _) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(connection) => connection,
                    Err(error) => { tracing::warn!(%error, "metrics accept failed"); continue; }
                },
            };
            let metrics = metrics.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                    let metrics = metrics.clone();
                    async move {
                        let response = if request.uri().path() == "/metrics" {
                            Response::builder()
                                .header("content-type", "text/plain; version=0.0.4")
                                .body(Full::new(Bytes::from(metrics.render())))
                        } else {
                            Response::builder()
                                .status(StatusCode::NOT_FOUND)
                                .body(Full::new(Bytes::from("try /metrics\n")))
                        };
                        response
                    }
                });
                if let Err(error) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                    tracing::debug!(%error, "metrics connection ended");
                }
            });
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_exposition_format() {
        let metrics = Metrics::default();
        metrics.set(&BALANCE, &["mb", "hot \"wallet\""], 42.0);
        metrics.add(&ACTIONS, &["threshold", "landed"], 1.0);
        metrics.add(&ACTIONS, &["threshold", "landed"], 1.0);
        metrics.observe_rpc("getMultipleAccounts", 0.003);
        let text = metrics.render();
        assert!(text.contains(
            "# TYPE smart_treasury_balance gauge\nsmart_treasury_balance{managed_balance=\"mb\",name=\"hot \\\"wallet\\\"\"} 42"
        ));
        assert!(text.contains("smart_treasury_actions_total{kind=\"threshold\",result=\"landed\"} 2"));
        assert!(
            text.contains("smart_treasury_rpc_latency_seconds_bucket{method=\"getMultipleAccounts\",le=\"0.0025\"} 0")
        );
        assert!(
            text.contains("smart_treasury_rpc_latency_seconds_bucket{method=\"getMultipleAccounts\",le=\"0.005\"} 1")
        );
        assert_eq!(metrics.value(&ACTIONS, &["threshold", "landed"]), Some(2.0));
    }

    #[test]
    fn every_metric_is_defined_once_with_its_help() {
        let mut names: Vec<&str> = ALL.iter().map(|metric| metric.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "a metric name is defined twice");
        assert!(ALL.iter().all(|metric| metric.name.starts_with("smart_treasury_") && !metric.help.is_empty()));
        assert!(ALL.iter().filter(|metric| metric.kind == Kind::Counter).all(|metric| metric.name.ends_with("_total")));
        // One HELP and one TYPE line per metric, whatever the call sites did.
        let metrics = Metrics::default();
        metrics.add(&FAILURES, &["cycle"], 1.0);
        metrics.add(&FAILURES, &["websocket"], 1.0);
        metrics.add(&CRANK_ATTEMPT_FAILURES, &["threshold"], 1.0);
        let text = metrics.render();
        assert_eq!(text.matches("# HELP smart_treasury_failures_total ").count(), 1, "{text}");
    }

    #[test]
    fn label_values_with_line_feeds_and_backslashes_stay_on_one_line() {
        let metrics = Metrics::default();
        metrics.set(&BALANCE, &["mb", "line one\nline two \\ end"], 1.0);
        let text = metrics.render();
        let line = text.lines().find(|line| line.starts_with("smart_treasury_balance{")).expect("the series");
        assert_eq!(line, "smart_treasury_balance{managed_balance=\"mb\",name=\"line one\\nline two \\\\ end\"} 1");
        assert_eq!(text.lines().filter(|line| !line.starts_with('#')).count(), 1, "{text}");
    }

    #[test]
    fn a_closed_balance_loses_every_series() {
        let metrics = Metrics::default();
        for metric in [&BALANCE, &HEALTH_BPS, &DEGRADED] {
            metrics.set(metric, &["closed", "old"], 1.0);
            metrics.set(metric, &["open", "kept"], 2.0);
        }
        metrics.add(&ACTIONS, &["threshold", "landed"], 1.0);
        metrics.forget(MANAGED_BALANCE, "closed");
        let text = metrics.render();
        assert!(!text.contains("managed_balance=\"closed\""), "{text}");
        assert_eq!(text.matches("managed_balance=\"open\"").count(), 3, "{text}");
        assert_eq!(metrics.value(&ACTIONS, &["threshold", "landed"]), Some(1.0));
    }

    #[tokio::test]
    async fn serves_metrics_over_http() {
        let metrics = Metrics::default();
        metrics.set(&PAUSED, &[], 0.0);
        let shutdown = CancellationToken::new();
        let addr = serve("127.0.0.1:0".parse().unwrap(), metrics, shutdown.clone()).await.unwrap();
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains("smart_treasury_paused 0"));
        shutdown.cancel();
    }

    #[test]
    fn totals_add_up_the_series_a_label_picks() {
        let metrics = Metrics::default();
        metrics.add(&ACTIONS, &["threshold", "landed"], 2.0);
        metrics.add(&ACTIONS, &["sweep", "landed"], 1.0);
        metrics.add(&ACTIONS, &["sweep", "refused"], 4.0);
        assert_eq!(metrics.total(&ACTIONS, Some(("result", "landed"))), 3.0);
        assert_eq!(metrics.total(&ACTIONS, Some(("kind", "sweep"))), 5.0);
        assert_eq!(metrics.total(&ACTIONS, None), 7.0);
        assert_eq!(metrics.total(&ACTIONS, Some(("no such label", "x"))), 0.0);
        assert_eq!(metrics.total(&FAILURES, None), 0.0);
    }
}
