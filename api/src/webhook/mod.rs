//! Standard Webhooks: the event catalogue and payloads, the outbox the keeper's store
//! writes into, the tables, the guarded HTTP client and the delivery worker.

pub mod catalogue;
pub mod client;
pub mod outbox;
pub mod store;
pub mod worker;

use crate::config::WebhookConfig;
use std::sync::Arc;
use tokio::sync::Notify;

/// What the API and the worker share for webhooks.
pub struct Hooks {
    /// Woken when messages commit to the outbox, or a delivery is replayed.
    pub wake: Arc<Notify>,
    pub client: client::DeliveryClient,
}

impl Hooks {
    pub fn new(config: &WebhookConfig) -> anyhow::Result<Self> {
        Ok(Self { wake: Arc::new(Notify::new()), client: client::DeliveryClient::new(config)? })
    }
}

/// A fresh `whsec_` secret: 24 random bytes, base64.
pub fn new_secret() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}
