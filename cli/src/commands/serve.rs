//! `serve` (the API without cranking), the API beside `keeper run`, and `api-token`.

use crate::args::{ApiTokenArgs, Global, KeeperRunArgs};
use anyhow::Result;
use smart_treasury_api::{config, ApiServer};
use smart_treasury_keeper::{config::KeeperConfig, service};
use std::io::Write;
use tokio_util::sync::CancellationToken;

/// The API's settings: the `[api]` table of the config file, then flags.
pub fn api_config(args: &KeeperRunArgs) -> Result<config::ApiConfig> {
    let file = match &args.config {
        Some(path) => config::read_file(path)?,
        None => config::ApiFileConfig::default(),
    };
    let overrides = config::ApiFileConfig {
        listen: args.api_addr.clone(),
        authority_keypair: args.api_authority_keypair.clone(),
        ..config::ApiFileConfig::default()
    };
    config::resolve(file, overrides)
}

/// Runs the keeper service (cranking or not, as `keeper.crank` says) with the API and
/// its webhook worker, until `shutdown`; writes the API's URL to `out` once listening.
pub async fn run_keeper_and_api(
    keeper: KeeperConfig,
    api: config::ApiConfig,
    out: &mut dyn Write,
    shutdown: CancellationToken,
) -> Result<()> {
    let shared = service::Shared::new(keeper)?;
    let server = ApiServer::start(shared.clone(), api).await?;
    if let Some(url) = server.url() {
        writeln!(out, "API        {url}/api/v1  (OpenAPI: {url}/api/v1/openapi.json)")?;
        writeln!(out, "Dashboard  {url}/")?;
        out.flush()?;
    }
    let api_task = tokio::spawn(server.run(shutdown.clone()));
    let result = service::run_shared(shared, shutdown.clone()).await;
    shutdown.cancel();
    api_task.await??;
    result
}

pub async fn run(global: &Global, args: &KeeperRunArgs, out: &mut dyn Write) -> Result<()> {
    let mut keeper = super::keeper::config(global, args)?;
    keeper.crank = false;
    let api = api_config(args)?;
    run_keeper_and_api(keeper, api, out, super::keeper::shutdown_on_signals()).await
}

pub fn api_token(args: &ApiTokenArgs, out: &mut dyn Write) -> Result<()> {
    let (token, hash) = smart_treasury_api::auth::new_token();
    writeln!(out, "token (give it to the client; it is not stored anywhere):\n  {token}\n")?;
    writeln!(
        out,
        "config (the server keeps only the hash):\n  [[api.tokens]]\n  name = {:?}\n  scope = {:?}\n  sha256 = {hash:?}",
        args.name, args.scope
    )?;
    Ok(())
}
