//! The delivery worker, a subsystem of its own beside the HTTP API: claims due
//! deliveries from the outbox (a lease, so two servers on one store never send the same
//! attempt at once), sends them, and schedules what follows on the retry schedule:
//! `Retry-After` honoured, 410 disables the destination, the last failure is a dead
//! letter kept for replay.

use crate::{
    config::WebhookConfig,
    state::AppState,
    webhook::{
        catalogue::{slack_text, WebhookPayload},
        store::{self, AttemptResult, Due, Next},
    },
};
use std::{sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

/// Deliveries one pass claims, and sends at once.
const BATCH: usize = 32;

/// What follows an attempt that got `status` (or none), after `attempts` earlier ones.
pub fn next_step(
    config: &WebhookConfig,
    attempts_before: u32,
    status: Option<u16>,
    retry_after: Option<Duration>,
    now_ms: i64,
    jitter_unit: f64,
) -> Next {
    match status {
        Some(200..=299) => return Next::Delivered,
        Some(410) => return Next::DestinationGone,
        _ => {}
    }
    let made = attempts_before as usize + 1;
    let Some(delay) = config.retry_schedule.get(made) else { return Next::DeadLetter };
    // Up to 10% either way, so receivers that failed together are not retried together.
    let jittered = delay.as_secs_f64() * (0.9 + 0.2 * jitter_unit.clamp(0.0, 1.0));
    let wait = retry_after.map_or(jittered, |asked| asked.as_secs_f64().max(jittered));
    Next::RetryAt(now_ms + (wait * 1_000.0).round() as i64)
}

/// The body a destination gets: the message, or a readable text for Slack.
fn body_for(due: &Due) -> String {
    if due.destination.kind != "slack" {
        return due.payload.clone();
    }
    let text = serde_json::from_str::<WebhookPayload>(&due.payload)
        .map(|payload| slack_text(&payload))
        .unwrap_or_else(|_| due.payload.clone());
    serde_json::json!({ "text": text }).to_string()
}

async fn deliver(state: Arc<AppState>, due: Due) {
    let now = store::now_ms();
    let (result, next) = if !due.destination.enabled {
        let result =
            AttemptResult { response_status: None, error: Some("the destination is disabled".into()), duration_ms: 0 };
        (result, Next::DeadLetter)
    } else {
        let body = body_for(&due);
        let sent = state.hooks.client.send(&due.destination, &due.message_id, &body, now).await;
        let next = next_step(
            &state.config.webhooks,
            due.attempts,
            sent.status,
            sent.retry_after,
            store::now_ms(),
            rand::random(),
        );
        let result = AttemptResult {
            response_status: sent.status,
            error: sent.error,
            duration_ms: sent.duration.as_millis() as i64,
        };
        (result, next)
    };
    let outcome = match &next {
        Next::Delivered => "delivered",
        Next::RetryAt(_) => "retry",
        Next::DeadLetter => "dead_letter",
        Next::DestinationGone => "gone",
    };
    state.keeper.metrics.add(&crate::metrics::WEBHOOK_ATTEMPTS, &[outcome], 1.0);
    if next == Next::Delivered {
        let latency = (store::now_ms() - due.message_created_at).max(0) as f64 / 1_000.0;
        state.keeper.metrics.set(&crate::metrics::WEBHOOK_LAST_DELIVERY_SECONDS, &[], latency);
    } else {
        tracing::warn!(
            delivery = due.delivery,
            message = %due.message_id,
            destination = %due.destination.id,
            outcome,
            error = result.error.as_deref().unwrap_or(""),
            "webhook not delivered"
        );
    }
    let recorded = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            store::record_attempt(state.db().connection(), &due, &result, &next, store::now_ms())
        })
        .await
    };
    match recorded {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "could not record a webhook attempt"),
        Err(error) => tracing::error!(%error, "could not record a webhook attempt"),
    }
}

/// Runs until `shutdown`: claims due deliveries, sends them, sleeps until the next is
/// due, a new message wakes it, or the poll interval passes.
pub async fn run(state: Arc<AppState>, shutdown: CancellationToken) {
    // Twice the timeout: an attempt in flight is never claimed again by another worker.
    let lease = 2 * state.config.webhooks.timeout.as_millis() as i64 + 1_000;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let claim = {
            let state = state.clone();
            tokio::task::spawn_blocking(move || {
                let db = state.db();
                let due = store::claim_due(db.connection(), store::now_ms(), lease, BATCH)?;
                let next = if due.is_empty() { store::next_due(db.connection())? } else { None };
                anyhow::Ok((due, next))
            })
            .await
        };
        let (due, next) = match claim {
            Ok(Ok(claimed)) => claimed,
            Ok(Err(error)) => {
                tracing::warn!(%error, "could not read the webhook outbox; retrying");
                (Vec::new(), None)
            }
            Err(error) => {
                tracing::error!(%error, "the webhook outbox reader panicked");
                (Vec::new(), None)
            }
        };
        if due.is_empty() {
            let poll = state.config.webhooks.poll;
            let wait = next.map_or(poll, |at| {
                Duration::from_millis((at - store::now_ms()).clamp(0, poll.as_millis() as i64) as u64)
            });
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
                _ = state.hooks.wake.notified() => {}
            }
            continue;
        }
        let mut sending = tokio::task::JoinSet::new();
        for delivery in due {
            sending.spawn(deliver(state.clone(), delivery));
        }
        while sending.join_next().await.is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(schedule: &[u64]) -> WebhookConfig {
        WebhookConfig {
            retry_schedule: schedule.iter().map(|s| Duration::from_secs(*s)).collect(),
            ..WebhookConfig::default()
        }
    }

    #[test]
    fn retries_follow_the_schedule_then_dead_letter() {
        let config = config(&crate::config::STANDARD_RETRY_SCHEDULE_S);
        assert_eq!(next_step(&config, 0, Some(204), None, 0, 0.5), Next::Delivered);
        assert_eq!(next_step(&config, 0, Some(410), None, 0, 0.5), Next::DestinationGone);
        // The first retry comes 5 s after the immediate first attempt (no jitter at 0.5).
        assert_eq!(next_step(&config, 0, Some(500), None, 1_000, 0.5), Next::RetryAt(6_000));
        assert_eq!(next_step(&config, 1, None, None, 0, 0.5), Next::RetryAt(300_000));
        assert_eq!(next_step(&config, 9, Some(500), None, 0, 0.5), Next::DeadLetter);
        // Jitter stays within 10%.
        let Next::RetryAt(low) = next_step(&config, 2, Some(503), None, 0, 0.0) else { panic!() };
        let Next::RetryAt(high) = next_step(&config, 2, Some(503), None, 0, 1.0) else { panic!() };
        assert_eq!((low, high), (1_620_000, 1_980_000));
    }

    #[test]
    fn retry_after_can_only_delay() {
        let config = config(&[0, 1, 1]);
        assert_eq!(next_step(&config, 0, Some(429), Some(Duration::from_secs(30)), 0, 0.5), Next::RetryAt(30_000));
        assert_eq!(next_step(&config, 0, Some(503), Some(Duration::ZERO), 0, 0.5), Next::RetryAt(1_000));
    }
}
