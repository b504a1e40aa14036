//! `keeper run`: the keeper service, with settings from a file, the environment and
//! flags, until Ctrl-C or SIGTERM.

use crate::args::{Global, KeeperRunArgs};
use anyhow::{bail, Result};
use smart_treasury_keeper::config::{read_file, resolve, FileConfig, KeeperConfig};
use tokio_util::sync::CancellationToken;

/// Merges the config file with the environment and flags.
pub fn config(global: &Global, args: &KeeperRunArgs) -> Result<KeeperConfig> {
    if global.given.keypair_flag {
        bail!(
            "`keeper run` does not sign with --keypair, the treasury authority's key for operator commands: \
             give the keeper a key of its own with --keeper-keypair FILE (or `keypair` in the config file)"
        );
    }
    let file = match &args.config {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    let overrides = FileConfig {
        rpc_url: global.given.url.then(|| global.url.clone()),
        treasury: global.treasury.clone(),
        ..(*args.settings).clone()
    };
    let mut config = resolve(file, overrides)?;
    config.crank &= !args.no_crank;
    Ok(config)
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

/// The keeper, with the operator API beside it (unless `api.listen` is `off`).
pub async fn run(global: &Global, args: &KeeperRunArgs) -> Result<()> {
    let config = config(global, args)?;
    let api = super::serve::api_config(args)?;
    let mut sink = std::io::sink();
    super::serve::run_keeper_and_api(config, api, &mut sink, shutdown_on_signals()).await
}
