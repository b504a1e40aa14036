//! Starting, addressing and stopping a cluster.

use crate::{
    config::ClusterConfig,
    faults::Faults,
    node::{
        genesis::{self, ProgramBuild},
        Node,
    },
    pubsub, rpc,
};
use anyhow::Context;
use solana_clock::Slot;
use solana_keypair::Keypair;
use std::{
    fmt,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

/// A running cluster. Dropping it stops it too; `shutdown` also waits until it has stopped.
pub struct LocalCluster {
    node: Arc<Node>,
    rpc_addr: SocketAddr,
    ws_addr: SocketAddr,
    started_in: Duration,
    stop: watch::Sender<bool>,
    services: Vec<JoinHandle<()>>,
    bank_thread: Option<std::thread::JoinHandle<()>>,
}

/// The steps of a start, for a caller that shows progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    Listening { rpc: SocketAddr, ws: SocketAddr },
    LoadingRuntime,
    BuildingGenesis { native: bool },
    Ready,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Progress::Listening { rpc, ws } => write!(f, "listening on {rpc} (JSON-RPC) and {ws} (WebSocket)"),
            Progress::LoadingRuntime => write!(f, "loading the runtime"),
            Progress::BuildingGenesis { native: true } => write!(f, "building genesis with Smart Treasury (native)"),
            Progress::BuildingGenesis { native: false } => write!(f, "building genesis with Smart Treasury (SBF)"),
            Progress::Ready => write!(f, "ready"),
        }
    }
}

impl LocalCluster {
    pub async fn start(config: ClusterConfig) -> anyhow::Result<Self> {
        Self::start_with_progress(config, |_| {}).await
    }

    /// `start`, telling `progress` about each step.
    pub async fn start_with_progress(
        config: ClusterConfig,
        mut progress: impl FnMut(Progress),
    ) -> anyhow::Result<Self> {
        let begun = Instant::now();
        config.validate()?;
        let faults = Faults::new(config.faults.clone())?;
        let program = match &config.program_so {
            Some(path) => ProgramBuild::Sbf(crate::program::read_sbf(path)?),
            None => ProgramBuild::Native,
        };
        // Ports first: a clash is the likeliest failure, and it should not wait for genesis.
        let rpc_listener = listen(config.rpc_addr, "JSON-RPC", "--rpc-port").await?;
        let ws_listener = listen(config.ws_addr, "WebSocket", "--ws-port").await?;
        let (rpc_addr, ws_addr) = (rpc_listener.local_addr()?, ws_listener.local_addr()?);
        progress(Progress::Listening { rpc: rpc_addr, ws: ws_addr });

        progress(Progress::LoadingRuntime);
        genesis::install_syscall_stubs().await;
        progress(Progress::BuildingGenesis { native: matches!(program, ProgramBuild::Native) });
        let (slot_duration, clock_lag) = (config.slot_duration, config.clock_lag);
        let genesis = tokio::task::spawn_blocking(move || genesis::build(program, slot_duration, clock_lag))
            .await
            .context("building genesis failed")?;
        let (node, bank_thread) =
            Node::start(genesis, faults, slot_duration, config.confirmation, config.sample_period)
                .context("cannot start the bank thread")?;

        let (stop, stopped) = watch::channel(false);
        let services = vec![
            tokio::spawn(rpc::serve(
                rpc_listener,
                node.clone(),
                rpc::Contact { rpc: rpc_addr, pubsub: ws_addr },
                stopped.clone(),
            )),
            tokio::spawn(pubsub::serve(ws_listener, node.clone(), stopped)),
        ];
        let started_in = begun.elapsed();
        let confirmation = config.confirmation;
        tracing::info!(rpc = %rpc_addr, ws = %ws_addr, ?started_in, ?slot_duration, ?confirmation, "local cluster ready");
        progress(Progress::Ready);
        Ok(Self { node, rpc_addr, ws_addr, started_in, stop, services, bank_thread: Some(bank_thread) })
    }

    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc_addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.ws_addr)
    }

    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc_addr
    }

    pub fn ws_addr(&self) -> SocketAddr {
        self.ws_addr
    }

    /// The genesis mint: a key holding 500 million SOL, as solana-test-validator's faucet.
    pub fn faucet(&self) -> Keypair {
        self.node.faucet.insecure_clone()
    }

    /// The handle that changes fault injection while the cluster runs.
    pub fn faults(&self) -> Faults {
        self.node.faults.clone()
    }

    /// The working (processed) slot.
    pub fn slot(&self) -> Slot {
        self.node.slot()
    }

    /// The highest slot a `confirmed` read sees.
    pub fn confirmed_slot(&self) -> Slot {
        self.node.settled_slots().confirmed
    }

    /// The highest slot a `finalized` read sees (the root).
    pub fn finalized_slot(&self) -> Slot {
        self.node.settled_slots().finalized
    }

    /// When transactions land and how far the commitment levels trail.
    pub fn confirmation(&self) -> crate::config::Confirmation {
        self.node.confirmation
    }

    /// From `start` being called to the services answering.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// Live subscriptions over all WebSocket connections.
    pub fn subscription_count(&self) -> usize {
        self.node.subscriptions.count()
    }

    /// Stops the services and the bank thread, and waits for them.
    pub async fn shutdown(mut self) {
        self.signal_stop();
        for service in std::mem::take(&mut self.services) {
            let _ = service.await;
        }
        if let Some(thread) = self.bank_thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        tracing::info!("local cluster stopped");
    }

    fn signal_stop(&self) {
        let _ = self.stop.send(true);
        self.node.stop();
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        self.signal_stop();
    }
}

async fn listen(addr: SocketAddr, service: &str, flag: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!(
            "cannot listen for {service} on {addr}; if another validator or cluster is running, stop it or pass \
             {flag} 0 to pick a free port"
        )
    })
}
