//! The webhook outbox as the keeper's store sees it: every event and alert it records
//! becomes messages and deliveries in the same SQLite transaction, and the delivery
//! worker is woken once they commit; the store's pruning reaches the API's tables
//! through it.

use crate::{
    core::{idempotency, operator_moves},
    webhook::{catalogue, store},
};
use anyhow::Result;
use rusqlite::Transaction;
use smart_treasury_keeper::event_log::{Alert, BalanceInfo, Outbox, RecordedEvent};
use std::sync::Arc;
use tokio::sync::Notify;

pub struct WebhookOutbox {
    pub treasury: String,
    pub wake: Arc<Notify>,
}

impl Outbox for WebhookOutbox {
    fn on_event(&self, tx: &Transaction<'_>, event: &RecordedEvent<'_>) -> Result<()> {
        for message in catalogue::messages_of_event(event) {
            store::enqueue(tx, &message, store::now_ms())?;
        }
        Ok(())
    }

    fn on_alert(&self, tx: &Transaction<'_>, alert: &Alert, balance: Option<&BalanceInfo>) -> Result<()> {
        store::enqueue(tx, &catalogue::message_of_alert(&self.treasury, alert, balance), store::now_ms())?;
        Ok(())
    }

    fn committed(&self) {
        self.wake.notify_one();
    }

    /// The API's other tables age out with the outbox: idempotency keys and operator
    /// moves older than the keeper's history window.
    fn prune(&self, tx: &Transaction<'_>, host_cutoff: i64, limit: usize) -> Result<u64> {
        Ok(store::prune(tx, host_cutoff.saturating_mul(1_000), limit)?
            + idempotency::prune(tx, host_cutoff, limit)?
            + operator_moves::prune(tx, host_cutoff, limit)?)
    }
}
