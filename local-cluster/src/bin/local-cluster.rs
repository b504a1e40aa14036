//! `local-cluster`: a Solana cluster on loopback with Smart Treasury loaded, for trying the
//! project with nothing installed. Any Solana client works against it unchanged.

use clap::Parser;
use smart_treasury_local_cluster::{ClusterConfig, Confirmation, FaultConfig, LocalCluster, Progress};
use solana_signer::Signer;
use std::{
    io::Write,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "A local Solana cluster with Smart Treasury loaded, serving JSON-RPC and PubSub on loopback"
)]
struct Args {
    /// JSON-RPC (HTTP) port; 0 picks a free one.
    #[arg(long, env = "LOCAL_CLUSTER_RPC_PORT", default_value_t = 8899)]
    rpc_port: u16,
    /// PubSub (WebSocket) port; 0 picks a free one.
    #[arg(long, env = "LOCAL_CLUSTER_WS_PORT", default_value_t = 8900)]
    ws_port: u16,
    /// Address both services listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind_address: IpAddr,
    /// Slot time in milliseconds (at least 10).
    #[arg(long, env = "LOCAL_CLUSTER_SLOT_MS", default_value_t = 400, value_name = "MS")]
    slot_ms: u64,
    /// Land a sent transaction inside sendTransaction and make the last completed slot both
    /// confirmed and finalized, instead of landing it in the next slot with `confirmed`
    /// and `finalized` trailing as on a real cluster.
    #[arg(long, env = "LOCAL_CLUSTER_INSTANT", conflicts_with_all = ["confirmed_lag_slots", "finalized_lag_slots"])]
    instant: bool,
    /// Slots `confirmed` trails the working slot.
    #[arg(long, default_value_t = Confirmation::REALISTIC.confirmed_lag_slots, value_name = "SLOTS")]
    confirmed_lag_slots: u64,
    /// Slots `finalized` trails the working slot.
    #[arg(long, default_value_t = Confirmation::REALISTIC.finalized_lag_slots, value_name = "SLOTS")]
    finalized_lag_slots: u64,
    /// Run the cluster's clock (block times, the Clock sysvar) this many seconds behind
    /// the host's, as real clusters' clocks drift.
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    clock_lag_s: u64,
    /// Load this SBF build of Smart Treasury instead of running it natively.
    #[arg(long, env = "LOCAL_CLUSTER_PROGRAM_SO", value_name = "PATH")]
    program_so: Option<PathBuf>,
    /// Seconds between performance samples (getRecentPerformanceSamples), 60 as a
    /// validator's.
    #[arg(long, env = "LOCAL_CLUSTER_SAMPLE_SECS", default_value_t = 60, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=3_600))]
    sample_secs: u64,
    /// Write the faucet keypair (500M SOL) here, in the Solana CLI's JSON format.
    #[arg(long, value_name = "PATH")]
    faucet_keypair: Option<PathBuf>,

    /// Fault: milliseconds added before every HTTP response.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    fault_latency_ms: u64,
    /// Fault: share (0-1) of requests answered 429 Too Many Requests.
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    fault_rate_limited: f64,
    /// Fault: share of requests answered 503 Service Unavailable.
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    fault_unavailable: f64,
    /// Fault: share of requests answered with a JSON-RPC "node is unhealthy" error.
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    fault_rpc_errors: f64,
    /// Fault: share of sent transactions accepted but never landed.
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    fault_dropped_transactions: f64,
    /// Fault: blockhashes expire after this many slots.
    #[arg(long, value_name = "SLOTS")]
    fault_blockhash_expiry_slots: Option<u64>,
    /// Fault: subscriptions deliver nothing while their sockets stay open.
    #[arg(long)]
    fault_stall_websocket: bool,
    /// Fault: no slot becomes confirmed or finalized.
    #[arg(long)]
    fault_stall_confirmation: bool,
}

impl Args {
    fn config(&self) -> ClusterConfig {
        ClusterConfig {
            rpc_addr: SocketAddr::new(self.bind_address, self.rpc_port),
            ws_addr: SocketAddr::new(self.bind_address, self.ws_port),
            slot_duration: Duration::from_millis(self.slot_ms),
            confirmation: if self.instant {
                Confirmation::INSTANT
            } else {
                Confirmation {
                    confirmed_lag_slots: self.confirmed_lag_slots,
                    finalized_lag_slots: self.finalized_lag_slots,
                    ..Confirmation::REALISTIC
                }
            },
            clock_lag: Duration::from_secs(self.clock_lag_s),
            faults: FaultConfig {
                latency: Duration::from_millis(self.fault_latency_ms),
                rate_limited: self.fault_rate_limited,
                unavailable: self.fault_unavailable,
                rpc_errors: self.fault_rpc_errors,
                dropped_transactions: self.fault_dropped_transactions,
                blockhash_expiry_slots: self.fault_blockhash_expiry_slots,
                stall_websocket: self.fault_stall_websocket,
                stall_confirmation: self.fault_stall_confirmation,
            },
            program_so: self.program_so.clone(),
            sample_period: Duration::from_secs(self.sample_secs),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,tarpc=error,smart_treasury_local_cluster=info,local_cluster=info".into()),
        )
        .init();

    let say = |line: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    let cluster = LocalCluster::start_with_progress(args.config(), |step| {
        if step != Progress::Ready {
            say(&format!("local-cluster: {step}"));
        }
    })
    .await?;
    if let Some(path) = &args.faucet_keypair {
        let bytes: Vec<u8> = cluster.faucet().to_bytes().to_vec();
        std::fs::write(path, serde_json::to_string(&bytes)?)
            .map_err(|err| anyhow::anyhow!("cannot write the faucet keypair to {}: {err}", path.display()))?;
    }
    say(&format!("JSON RPC URL: {}", cluster.rpc_url()));
    say(&format!("WebSocket URL: {}", cluster.ws_url()));
    say(&format!("Faucet: {}", cluster.faucet().pubkey()));
    say(&format!("Smart Treasury: {}", smart_treasury::ID));
    say(&format!("ready in {} ms", cluster.started_in().as_millis()));

    wait_for_signal().await?;
    say("local-cluster: shutting down");
    cluster.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted?,
        _ = terminate.recv() => {}
    }
    Ok(())
}
