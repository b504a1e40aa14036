//! Keeps a subscription alive: runs one connection's life until shutdown, reconnecting
//! with backoff and jitter whenever it fails.

use crate::{fees::backoff, metrics::Metrics};
use std::{future::Future, time::Duration};
use tokio_util::sync::CancellationToken;

/// Calls `connect` until `shutdown` fires. A failure is counted under `kind`, logged,
/// and retried after a growing delay; a connection that ended cleanly resets it.
pub async fn keep_connected<F, Fut>(metrics: &Metrics, shutdown: &CancellationToken, kind: &'static str, mut connect: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut failures = 0u32;
    while !shutdown.is_cancelled() {
        match connect().await {
            Ok(()) => failures = 0,
            Err(error) => {
                failures += 1;
                metrics.add(&crate::metrics::FAILURES, &[kind], 1.0);
                let delay =
                    backoff(failures.min(6), Duration::from_millis(250), Duration::from_secs(10), 0.5, rand::random());
                tracing::warn!(%error, kind, retry_in_ms = delay.as_millis() as u64, "subscription dropped; reconnecting");
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}
