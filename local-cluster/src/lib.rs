//! An embedded local Solana cluster: an in-process agave bank (solana-runtime, as
//! solana-program-test builds it) with the real SPL Token, Token-2022 and Associated Token
//! programs and Smart Treasury loaded, serving the standard JSON-RPC (HTTP, port 8899) and
//! PubSub (WebSocket, port 8900) APIs on loopback, so any Solana client works against it
//! unchanged, as against solana-test-validator, with nothing else installed.
//!
//! - Slots advance in real time (400 ms by default); each ends with a new blockhash and is
//!   rooted at once.
//! - Commitment on this single node: `processed` reads the working bank, where a sent
//!   transaction lands before `sendTransaction` returns; `confirmed` and `finalized` both read
//!   the last completed slot, so a transaction reaches them within one slot.
//! - Faults for tests (latency, 429/503 answers, JSON-RPC errors, dropped transactions,
//!   blockhash expiry, stalled subscriptions) are off by default and change at runtime
//!   through [`Faults`].
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use smart_treasury_local_cluster::{ClusterConfig, LocalCluster};
//! let cluster = LocalCluster::start(ClusterConfig::ephemeral()).await?;
//! println!("{} {}", cluster.rpc_url(), cluster.ws_url());
//! cluster.shutdown().await;
//! # Ok(()) }
//! ```

mod cluster;
mod config;
mod encoding;
mod faults;
mod node;
mod program;
mod pubsub;
mod rpc;

pub use cluster::{LocalCluster, Progress};
pub use config::{ClusterConfig, DEFAULT_RPC_PORT, DEFAULT_SLOT_DURATION, DEFAULT_WS_PORT, MIN_SLOT_DURATION};
pub use faults::{FaultConfig, FaultError, FaultStats, Faults};
pub use node::genesis::FAUCET_LAMPORTS;
pub use program::smart_treasury_entry;
