//! Prometheus metrics: a small registry of gauges, counters and one latency histogram,
//! rendered in the text exposition format and served on `/metrics`.

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

type Labels = Vec<(&'static str, String)>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gauge,
    Counter,
}

/// Upper bounds (seconds) of the RPC latency histogram.
const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Registry {
    series: BTreeMap<&'static str, (Kind, &'static str, BTreeMap<Labels, f64>)>,
    latency: BTreeMap<String, Histogram>,
}

/// Shared by every subsystem; cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Mutex<Registry>>,
}

impl Metrics {
    fn update(&self, name: &'static str, help: &'static str, kind: Kind, labels: Labels, apply: impl FnOnce(&mut f64)) {
        let mut registry = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (_, _, series) = registry.series.entry(name).or_insert_with(|| (kind, help, BTreeMap::new()));
        apply(series.entry(labels).or_insert(0.0));
    }

    pub fn set_gauge(&self, name: &'static str, help: &'static str, labels: Labels, value: f64) {
        self.update(name, help, Kind::Gauge, labels, |slot| *slot = value);
    }

    pub fn add_counter(&self, name: &'static str, help: &'static str, labels: Labels, by: f64) {
        self.update(name, help, Kind::Counter, labels, |slot| *slot += by);
    }

    pub fn observe_rpc(&self, method: &str, seconds: f64) {
        let mut registry = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let histogram = registry.latency.entry(method.to_string()).or_default();
        for (bound, count) in LATENCY_BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// A counter's or gauge's current value, for tests and the live view.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let registry = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (_, _, series) = registry.series.get(name)?;
        series
            .iter()
            .find(|(have, _)| {
                have.len() == labels.len() && have.iter().zip(labels).all(|((k, v), (k2, v2))| k == k2 && v == v2)
            })
            .map(|(_, value)| *value)
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let registry = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = String::new();
        for (name, (kind, help, series)) in &registry.series {
            let kind = if *kind == Kind::Gauge { "gauge" } else { "counter" };
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in series {
                let _ = writeln!(out, "{name}{} {value}", format_labels(labels, None));
            }
        }
        if !registry.latency.is_empty() {
            let name = "smart_treasury_rpc_latency_seconds";
            let _ = writeln!(out, "# HELP {name} RPC request latency by method\n# TYPE {name} histogram");
            for (method, histogram) in &registry.latency {
                let labels = vec![("method", method.clone())];
                for (bound, count) in LATENCY_BUCKETS.iter().zip(histogram.counts) {
                    let _ = writeln!(out, "{name}_bucket{} {count}", format_labels(&labels, Some(&bound.to_string())));
                }
                let _ = writeln!(out, "{name}_bucket{} {}", format_labels(&labels, Some("+Inf")), histogram.count);
                let _ = writeln!(out, "{name}_sum{} {}", format_labels(&labels, None), histogram.sum);
                let _ = writeln!(out, "{name}_count{} {}", format_labels(&labels, None), histogram.count);
            }
        }
        out
    }
}

fn format_labels(labels: &[(&'static str, String)], le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(key, value)| format!("{key}=\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
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
        metrics.set_gauge("smart_treasury_balance", "Managed balance", vec![("name", "hot \"wallet\"".into())], 42.0);
        metrics.add_counter("smart_treasury_actions_total", "Actions", vec![("kind", "threshold".into())], 1.0);
        metrics.add_counter("smart_treasury_actions_total", "Actions", vec![("kind", "threshold".into())], 1.0);
        metrics.observe_rpc("getMultipleAccounts", 0.003);
        let text = metrics.render();
        assert!(text
            .contains("# TYPE smart_treasury_balance gauge\nsmart_treasury_balance{name=\"hot \\\"wallet\\\"\"} 42"));
        assert!(text.contains("smart_treasury_actions_total{kind=\"threshold\"} 2"));
        assert!(
            text.contains("smart_treasury_rpc_latency_seconds_bucket{method=\"getMultipleAccounts\",le=\"0.0025\"} 0")
        );
        assert!(
            text.contains("smart_treasury_rpc_latency_seconds_bucket{method=\"getMultipleAccounts\",le=\"0.005\"} 1")
        );
        assert_eq!(metrics.value("smart_treasury_actions_total", &[("kind", "threshold")]), Some(2.0));
    }

    #[tokio::test]
    async fn serves_metrics_over_http() {
        let metrics = Metrics::default();
        metrics.set_gauge("smart_treasury_up", "Keeper running", vec![], 1.0);
        let shutdown = CancellationToken::new();
        let addr = serve("127.0.0.1:0".parse().unwrap(), metrics, shutdown.clone()).await.unwrap();
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains("smart_treasury_up 1"));
        shutdown.cancel();
    }
}
