//! How a cluster is started: addresses, slot time, how it confirms, faults and which
//! program build to load.

use crate::faults::FaultConfig;
use std::{
    net::{Ipv4Addr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

/// solana-test-validator's ports, so tools that assume them work unchanged.
pub const DEFAULT_RPC_PORT: u16 = 8899;
pub const DEFAULT_WS_PORT: u16 = 8900;
/// Mainnet's target slot time.
pub const DEFAULT_SLOT_DURATION: Duration = Duration::from_millis(400);
/// A validator's performance sample period.
pub const DEFAULT_SAMPLE_PERIOD: Duration = Duration::from_secs(60);
/// Below this, ticks (64 a slot) would be shorter than the timer can resolve.
pub const MIN_SLOT_DURATION: Duration = Duration::from_millis(10);

/// When a sent transaction lands, and how far `confirmed` and `finalized` trail the
/// working (`processed`) slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Confirmation {
    /// `sendTransaction` only queues the transaction; it lands at the start of the next
    /// slot, as on a real cluster. Otherwise it lands before the call returns.
    pub deferred_landing: bool,
    /// Slots `confirmed` trails the working slot (at least 1: a slot is confirmed once
    /// complete).
    pub confirmed_lag_slots: u64,
    /// Slots `finalized` (rooted) trails the working slot; at least `confirmed_lag_slots`.
    pub finalized_lag_slots: u64,
}

impl Confirmation {
    /// As a real cluster: a transaction lands in a later slot than the one it was sent in,
    /// `confirmed` one slot behind and `finalized` 32 behind (mainnet's usual distances).
    pub const REALISTIC: Self = Self { deferred_landing: true, confirmed_lag_slots: 1, finalized_lag_slots: 32 };
    /// For suites where timing is not the point: a transaction lands inside
    /// `sendTransaction`, and the last completed slot is both confirmed and final.
    pub const INSTANT: Self = Self { deferred_landing: false, confirmed_lag_slots: 1, finalized_lag_slots: 1 };

    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.confirmed_lag_slots >= 1,
            "the confirmed lag must be at least 1 slot (a slot is confirmed once complete)"
        );
        anyhow::ensure!(
            self.finalized_lag_slots >= self.confirmed_lag_slots,
            "the finalized lag ({} slots) cannot be shorter than the confirmed lag ({} slots)",
            self.finalized_lag_slots,
            self.confirmed_lag_slots
        );
        anyhow::ensure!(
            self.finalized_lag_slots <= MAX_FINALIZED_LAG_SLOTS,
            "the finalized lag must be at most {MAX_FINALIZED_LAG_SLOTS} slots, got {}",
            self.finalized_lag_slots
        );
        Ok(())
    }
}

/// Unrooted slots keep their writes in memory and a blockhash lives 150 slots: a longer
/// lag would leave the finalized blockhash already expired.
pub const MAX_FINALIZED_LAG_SLOTS: u64 = 100;

#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// JSON-RPC over HTTP; port 0 picks a free port.
    pub rpc_addr: SocketAddr,
    /// PubSub over WebSocket; port 0 picks a free port.
    pub ws_addr: SocketAddr,
    /// How long each slot lasts, in real time.
    pub slot_duration: Duration,
    /// When transactions land and how the commitment levels trail (realistic by default).
    pub confirmation: Confirmation,
    /// How far the cluster's clock (block times, the Clock sysvar) runs behind the host's.
    /// Real clusters' clocks drift from wall-clock time; a program's cooldowns count in
    /// the cluster's.
    pub clock_lag: Duration,
    pub faults: FaultConfig,
    /// The SBF build of Smart Treasury to load; `None` runs the program natively.
    pub program_so: Option<PathBuf>,
    /// How often the node takes a performance sample (getRecentPerformanceSamples), a
    /// minute as a validator's.
    pub sample_period: Duration,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            rpc_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_RPC_PORT)),
            ws_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_WS_PORT)),
            slot_duration: DEFAULT_SLOT_DURATION,
            confirmation: Confirmation::REALISTIC,
            clock_lag: Duration::ZERO,
            faults: FaultConfig::default(),
            program_so: None,
            sample_period: DEFAULT_SAMPLE_PERIOD,
        }
    }
}

impl ClusterConfig {
    /// Both services on free loopback ports: what tests and parallel runs want.
    pub fn ephemeral() -> Self {
        Self {
            rpc_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ws_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ..Self::default()
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.slot_duration >= MIN_SLOT_DURATION,
            "slot duration must be at least {} ms, got {} ms",
            MIN_SLOT_DURATION.as_millis(),
            self.slot_duration.as_millis()
        );
        anyhow::ensure!(
            self.rpc_addr.port() == 0 || self.rpc_addr != self.ws_addr,
            "the RPC and WebSocket services cannot share the address {}",
            self.rpc_addr
        );
        anyhow::ensure!(
            self.sample_period >= Duration::from_secs(1),
            "the performance sample period must be at least 1 s, got {} ms",
            self.sample_period.as_millis()
        );
        self.confirmation.validate()?;
        self.faults.validate()?;
        Ok(())
    }
}
