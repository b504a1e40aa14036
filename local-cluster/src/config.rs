//! How a cluster is started: addresses, slot time, faults and which program build to load.

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
/// Below this, ticks (64 a slot) would be shorter than the timer can resolve.
pub const MIN_SLOT_DURATION: Duration = Duration::from_millis(10);

#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// JSON-RPC over HTTP; port 0 picks a free port.
    pub rpc_addr: SocketAddr,
    /// PubSub over WebSocket; port 0 picks a free port.
    pub ws_addr: SocketAddr,
    /// How long each slot lasts, in real time.
    pub slot_duration: Duration,
    pub faults: FaultConfig,
    /// The SBF build of Smart Treasury to load; `None` runs the program natively.
    pub program_so: Option<PathBuf>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            rpc_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_RPC_PORT)),
            ws_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_WS_PORT)),
            slot_duration: DEFAULT_SLOT_DURATION,
            faults: FaultConfig::default(),
            program_so: None,
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
        self.faults.validate()?;
        Ok(())
    }
}
