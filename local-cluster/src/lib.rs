//! An embedded local Solana cluster: an in-process agave bank (solana-runtime, as
//! solana-program-test builds it) with the real SPL Token, Token-2022 and Associated Token
//! programs and Smart Treasury loaded, serving the standard JSON-RPC (HTTP, port 8899) and
//! PubSub (WebSocket, port 8900) APIs on loopback, so any Solana client works against it
//! unchanged, as against solana-test-validator, with nothing else installed.
//!
//! - Slots advance in real time (400 ms by default); each ends with a new blockhash.
//! - Commitment, realistic by default ([`Confirmation::REALISTIC`]): a sent transaction lands
//!   at the start of the next slot, `confirmed` trails the working slot by one slot and
//!   `finalized` by 32 (both configurable). [`Confirmation::INSTANT`] lands a transaction
//!   inside `sendTransaction` and makes the last completed slot both confirmed and final,
//!   for suites where timing is not the point.
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
pub use config::{
    ClusterConfig, Confirmation, DEFAULT_RPC_PORT, DEFAULT_SAMPLE_PERIOD, DEFAULT_SLOT_DURATION, DEFAULT_WS_PORT,
    MAX_FINALIZED_LAG_SLOTS, MIN_SLOT_DURATION,
};
pub use faults::{FaultConfig, FaultError, FaultStats, Faults};
pub use node::genesis::FAUCET_LAMPORTS;
