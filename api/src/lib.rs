//! The Smart Treasury operator API: the REST API of the product (managed balances,
//! funding sources, adjustments, the activity log, history, predictions, the treasury)
//! with changes turned into transactions, and Standard Webhooks from a persistent
//! outbox. Served by the keeper process, or alone (`smart-treasury serve`).

pub mod amount;
pub mod auth;
pub mod config;
pub mod core;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod openapi;
pub mod server;
pub mod state;
pub mod v1;
pub mod webhook;

pub use config::{ApiConfig, ApiFileConfig};
pub use server::ApiServer;
