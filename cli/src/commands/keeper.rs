//! `keeper run`: the keeper service, with settings from a file, the environment and
//! flags, until Ctrl-C or SIGTERM.

use crate::args::{Global, KeeperRunArgs};
use anyhow::Result;
use smart_treasury_keeper::{
    config::{read_file, resolve, FileConfig, KeeperConfig},
    service,
};
use tokio_util::sync::CancellationToken;

/// The global options' defaults; a default does not override the config file.
const DEFAULT_URL: &str = "http://127.0.0.1:8899";
const DEFAULT_KEYPAIR: &str = "~/.config/solana/id.json";

/// Merges the config file with the environment and flags.
pub fn config(global: &Global, args: &KeeperRunArgs) -> Result<KeeperConfig> {
    let file = match &args.config {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    let overrides = FileConfig {
        rpc_url: (global.url != DEFAULT_URL).then(|| global.url.clone()),
        keypair: (global.keypair.as_os_str() != DEFAULT_KEYPAIR).then(|| global.keypair.clone()),
        treasury: global.treasury.clone(),
        ws_url: args.ws_url.clone(),
        store: args.store.clone(),
        metrics_addr: args.metrics_addr.clone(),
        commitment: args.commitment.clone(),
        cycle_ms: args.cycle_ms,
        bucket_seconds: args.bucket_seconds,
        lead_seconds: args.lead_seconds,
        max_fee_lamports: args.max_fee_lamports,
        ..FileConfig::default()
    };
    resolve(file, overrides)
}

/// Stops on Ctrl-C or SIGTERM.
pub fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match terminate.as_mut() { Some(signal) => { signal.recv().await; } None => std::future::pending().await } } => {}
        }
        tracing::info!("shutting down");
        cancel.cancel();
    });
    token
}

pub async fn run(global: &Global, args: &KeeperRunArgs) -> Result<()> {
    let config = config(global, args)?;
    service::run(config, shutdown_on_signals()).await
}
