//! A demo run on a running cluster: the hot wallet's recorded history, a keeper, the
//! narrator and the withdrawal workload together, until stopped. `local-cluster
//! --keeper --workload` runs it, and so does the test of its first minute.
//!
//! Simulated time starts at the afternoon rush of day 38 (a Thursday) with two weeks of
//! history behind it; with the default seed that day has a bank run from 20:07, about
//! three minutes in. The keeper's forecast buckets are one simulated hour, and its
//! daily and weekly seasons are the compressed day and week.

use super::{history, narrator, setup, workload};
use anchor_lang::prelude::Pubkey;
use smart_treasury_client::{
    keypair, pda, read,
    workload::{TimeScale, WorkloadModel, DAY_SECONDS},
    Change,
};
use smart_treasury_keeper::config::{resolve, FileConfig, KeeperConfig};
use smart_treasury_local_cluster::LocalCluster;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::path::Path;
use tokio::{sync::mpsc::UnboundedSender, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// Simulated seconds when the demo starts: day 38, 13:00.
pub const START: u64 = 38 * DAY_SECONDS + 13 * 3600;
/// The demo's customers withdraw 60 USDC on average, 480 times a day: about 29,000 USDC
/// a day, enough to move the hot wallet's 3,000 USDC band within a minute at the rush.
pub const MEAN_WITHDRAWAL: u64 = 60 * setup::UNIT;
/// What the demo's keeper key is given for fees.
const KEEPER_LAMPORTS: u64 = 10_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    pub keeper: bool,
    pub workload: bool,
    /// Real minutes per simulated day.
    pub day_minutes: f64,
    pub seed: u64,
    /// The operator API beside the keeper, on this loopback port (0: a free one).
    pub api_port: Option<u16>,
}

impl Options {
    pub fn model(&self) -> WorkloadModel {
        // Customers withdraw whole cents.
        let amount_step = setup::UNIT / 100;
        WorkloadModel { seed: self.seed, mean_amount: MEAN_WITHDRAWAL, amount_step, ..WorkloadModel::default() }
    }

    pub fn scale(&self) -> TimeScale {
        TimeScale::day_per_minutes(self.day_minutes)
    }

    /// The demo day in real seconds, its rate limits' period.
    pub fn day_seconds(&self) -> u32 {
        (self.day_minutes * 60.0).round().max(1.0) as u32
    }

    /// One simulated hour in real seconds, rounded to a length that divides a day (as the
    /// keeper requires).
    pub fn bucket_seconds(&self) -> u64 {
        let hour = self.day_minutes * 60.0 / 24.0;
        (1..=DAY_SECONDS)
            .filter(|length| DAY_SECONDS.is_multiple_of(*length))
            .min_by(|a, b| (*a as f64 - hour).abs().total_cmp(&(*b as f64 - hour).abs()))
            .unwrap_or(1)
    }
}

/// Runs the demo until `shutdown` fires, sending the narrator's lines (and the workload's
/// bank-run notices) to `lines`.
pub async fn run(
    cluster: &LocalCluster,
    demo: &setup::Demo,
    options: &Options,
    lines: UnboundedSender<String>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let rpc = read::connect(&cluster.rpc_url());
    // What people watch runs on the wall clock; the keeper counts in the chain's.
    let timeline = history::Timeline { start: START, started: unix_now(), scale: options.scale() };
    let keeper = match options.keeper {
        true => Some(start_keeper(&rpc, cluster, demo, options, shutdown.clone()).await?),
        false => None,
    };
    let narrator = {
        let (rpc, treasury, stop, lines) =
            (read::connect(&cluster.rpc_url()), demo.treasury, shutdown.clone(), lines.clone());
        let clock: narrator::Clock = Box::new(move || workload::clock(timeline.simulated(unix_now())));
        tokio::spawn(async move { narrator::run(&rpc, treasury, "USDC", clock, lines, stop).await })
    };
    if options.workload {
        let workload = workload::Workload {
            rpc: &rpc,
            spender: &demo.spender,
            hot_wallet: demo.hot_wallet(),
            recipient: demo.customer,
            model: options.model(),
            scale: options.scale(),
            start: START,
            announce: Some(lines),
        };
        workload.run(shutdown.clone().cancelled_owned()).await;
    } else {
        tracing::info!("running until Ctrl-C");
        shutdown.cancelled().await;
    }
    shutdown.cancel();
    if let Some(keeper) = keeper {
        keeper.await??;
    }
    narrator.await??;
    Ok(())
}

/// The chain's clock now (the confirmed block's time), what the keeper's history is
/// stamped with.
async fn chain_now(rpc: &solana_rpc_client::nonblocking::rpc_client::RpcClient) -> anyhow::Result<i64> {
    let slot = rpc.get_slot().await.map_err(|error| read::rpc_error(rpc, error))?;
    Ok(rpc.get_block_time(slot).await.map_err(|error| read::rpc_error(rpc, error))?)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64)
}

/// A keeper for the demo treasury with its own funded key and a fresh store in the demo
/// directory, holding the hot wallet's recorded history; the operator API beside it.
async fn start_keeper(
    rpc: &solana_rpc_client::nonblocking::rpc_client::RpcClient,
    cluster: &LocalCluster,
    demo: &setup::Demo,
    options: &Options,
    shutdown: CancellationToken,
) -> anyhow::Result<JoinHandle<anyhow::Result<()>>> {
    let key = Keypair::new();
    let key_file = demo.dir.join("keeper.json");
    keypair::save_keypair(&key, &key_file)?;
    let fund = Change::new(
        "fund the keeper",
        super::tokens::transfer_sol(&cluster.faucet().pubkey(), &key.pubkey(), KEEPER_LAMPORTS),
    );
    smart_treasury_client::tx::send(rpc, &cluster.faucet(), vec![fund]).await?;

    let store = demo.dir.join("keeper.sqlite");
    remove_store(&store)?;
    let config = keeper_config(cluster, demo, options, key_file, store.clone())?;
    let hot = read::token_account(rpc, &demo.hot_vault).await?;
    let chain = history::Timeline { start: START, started: chain_now(rpc).await?, scale: options.scale() };
    let recorded = history::samples(&options.model(), &chain, config.bucket_seconds, hot.amount);
    history::import(&store, &hot_wallet(demo).to_string(), &recorded)?;
    tracing::info!(
        keeper = %key.pubkey(),
        bucket_seconds = config.bucket_seconds,
        recorded_days = history::DAYS,
        "starting the keeper with the hot wallet's recorded history"
    );
    let Some(port) = options.api_port else {
        return Ok(tokio::spawn(smart_treasury_keeper::service::run(config, shutdown)));
    };
    let shared = smart_treasury_keeper::service::Shared::new(config)?;
    let server = smart_treasury_api::ApiServer::start(shared.clone(), demo_api(demo, port)?).await?;
    let api = tokio::spawn(server.run(shutdown.clone()));
    Ok(tokio::spawn(async move {
        let result = smart_treasury_keeper::service::run_shared(shared, shutdown.clone()).await;
        shutdown.cancel();
        api.await??;
        result
    }))
}

/// The demo's API: loopback, changes signed with the demo authority's key, webhooks
/// to a receiver on this machine allowed, stress tests applicable for real.
fn demo_api(demo: &setup::Demo, port: u16) -> anyhow::Result<smart_treasury_api::ApiConfig> {
    let settings = smart_treasury_api::ApiFileConfig {
        listen: Some(format!("127.0.0.1:{port}")),
        authority_keypair: Some(demo.authority_file.clone()),
        stress_test_apply: Some(true),
        webhooks: Some(smart_treasury_api::config::WebhookFileConfig {
            allow_private_destinations: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    smart_treasury_api::config::resolve(settings, Default::default())
}

/// The demo treasury is new every run: so is the keeper's history of it.
fn remove_store(store: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", store.display()));
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => anyhow::bail!("cannot remove the previous demo's keeper store {}: {error}", file.display()),
        }
    }
    Ok(())
}

fn keeper_config(
    cluster: &LocalCluster,
    demo: &setup::Demo,
    options: &Options,
    keypair: std::path::PathBuf,
    store: std::path::PathBuf,
) -> anyhow::Result<KeeperConfig> {
    let overrides = FileConfig {
        rpc_url: Some(cluster.rpc_url()),
        ws_url: Some(cluster.ws_url()),
        keypair: Some(keypair),
        treasury: Some(demo.treasury.to_string()),
        store: Some(store),
        cycle_ms: Some(500),
        discovery_interval_s: Some(10),
        bucket_seconds: Some(options.bucket_seconds()),
        ..FileConfig::default()
    };
    let mut config = resolve(FileConfig::default(), overrides)?;
    // The workload's day is compressed: its seasons are that many buckets, not a real
    // day's and week's worth.
    let buckets_per_day =
        ((f64::from(options.day_seconds()) / options.bucket_seconds() as f64).round() as usize).max(1);
    config.forecast.daily_period = buckets_per_day;
    config.forecast.weekly_period = buckets_per_day * 7;
    Ok(config)
}

/// The hot wallet's managed balance.
pub fn hot_wallet(demo: &setup::Demo) -> Pubkey {
    pda::managed_balance_pda(&demo.treasury, setup::HOT_WALLET_ID)
}
