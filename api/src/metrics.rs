//! The API's own metrics, defined once here and served on `/metrics` beside the keeper's.

use smart_treasury_keeper::metrics::{Kind, Metric};

pub const WEBHOOK_ATTEMPTS: Metric = Metric {
    name: "smart_treasury_webhook_attempts_total",
    help: "Webhook delivery attempts by outcome (delivered, retry, dead_letter, gone)",
    kind: Kind::Counter,
    labels: &["outcome"],
};

pub const WEBHOOK_LAST_DELIVERY_SECONDS: Metric = Metric {
    name: "smart_treasury_webhook_last_delivery_seconds",
    help: "Seconds from a message entering the outbox to its last delivery",
    kind: Kind::Gauge,
    labels: &[],
};

/// Every metric of the API.
pub const ALL: &[&Metric] = &[&WEBHOOK_ATTEMPTS, &WEBHOOK_LAST_DELIVERY_SECONDS];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_apis_own() {
        for metric in ALL {
            assert!(smart_treasury_keeper::metrics::ALL.iter().all(|keeper| keeper.name != metric.name));
            assert!(metric.name.starts_with("smart_treasury_webhook_"));
        }
    }
}
