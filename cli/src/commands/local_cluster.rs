//! `local-cluster`: the embedded cluster, optionally with the demo treasury and its
//! withdrawal workload, until Ctrl-C.

use crate::{
    args::LocalClusterArgs,
    demo::{setup, workload::Workload},
};
use smart_treasury_client::{
    read,
    workload::{TimeScale, WorkloadModel},
};
use smart_treasury_local_cluster::{ClusterConfig, LocalCluster};
use std::{
    io::Write,
    net::{Ipv4Addr, SocketAddr},
    time::Duration,
};

pub async fn run(out: &mut dyn Write, args: &LocalClusterArgs) -> anyhow::Result<()> {
    let config = ClusterConfig {
        rpc_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, args.rpc_port)),
        ws_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, args.ws_port)),
        slot_duration: Duration::from_millis(args.slot_ms),
        ..ClusterConfig::default()
    };
    let cluster = LocalCluster::start_with_progress(config, |step| tracing::info!("local cluster: {step}")).await?;
    writeln!(out, "JSON-RPC   {}\nWebSocket  {}", cluster.rpc_url(), cluster.ws_url())?;
    out.flush()?;

    let demo = if args.demo || args.workload || args.keeper {
        let rpc = read::connect(&cluster.rpc_url());
        let demo = setup::build(&rpc, &cluster.faucet(), &args.demo_dir).await?;
        writeln!(
            out,
            "\ndemo treasury {treasury} (files in {dir})\n\n  export SMART_TREASURY_URL={url}\n  \
             export SMART_TREASURY_TREASURY={treasury}\n  export SMART_TREASURY_KEYPAIR={keypair}\n  \
             smart-treasury balance list\n  smart-treasury migrate plan -f {file}",
            treasury = demo.treasury,
            dir = demo.dir.display(),
            url = cluster.rpc_url(),
            keypair = demo.authority_file.display(),
            file = demo.treasury_file.display(),
        )?;
        out.flush()?;
        Some((rpc, demo))
    } else {
        None
    };

    let shutdown = super::keeper::shutdown_on_signals();
    let keeper = match (&demo, args.keeper) {
        (Some((rpc, demo)), true) => Some(start_keeper(rpc, demo, &cluster, args, shutdown.clone()).await?),
        _ => None,
    };
    let stop = shutdown.clone().cancelled_owned();
    match (&demo, args.workload) {
        (Some((rpc, demo)), true) => {
            let workload = Workload {
                rpc,
                spender: &demo.spender,
                hot_wallet: demo.hot_wallet(),
                recipient: demo.customer,
                model: WorkloadModel { seed: args.seed, ..WorkloadModel::default() },
                scale: TimeScale::day_per_minutes(args.day_minutes),
            };
            workload.run(stop).await;
        }
        _ => {
            tracing::info!("running until Ctrl-C");
            stop.await;
        }
    }
    shutdown.cancel();
    if let Some(keeper) = keeper {
        keeper.await??;
    }
    cluster.shutdown().await;
    Ok(())
}

/// A keeper for the demo treasury, with its own funded key and a store in the demo
/// directory; its forecast buckets follow the workload's compressed day.
async fn start_keeper(
    rpc: &solana_rpc_client::nonblocking::rpc_client::RpcClient,
    demo: &setup::Demo,
    cluster: &LocalCluster,
    args: &LocalClusterArgs,
    shutdown: tokio_util::sync::CancellationToken,
) -> anyhow::Result<tokio::task::JoinHandle<anyhow::Result<()>>> {
    use solana_signer::Signer;
    let keeper = solana_keypair::Keypair::new();
    let keypair_file = demo.dir.join("keeper.json");
    smart_treasury_client::keypair::save_keypair(&keeper, &keypair_file)?;
    let fund = smart_treasury_client::Change::new(
        "fund the keeper",
        crate::demo::tokens::transfer_sol(&cluster.faucet().pubkey(), &keeper.pubkey(), 10_000_000_000),
    );
    smart_treasury_client::tx::send(rpc, &cluster.faucet(), vec![fund]).await?;
    let bucket_seconds = ((args.day_minutes * 60.0 / 24.0).round() as u64).max(1);
    let overrides = smart_treasury_keeper::config::FileConfig {
        rpc_url: Some(cluster.rpc_url()),
        ws_url: Some(cluster.ws_url()),
        keypair: Some(keypair_file),
        treasury: Some(demo.treasury.to_string()),
        store: Some(demo.dir.join("keeper.sqlite")),
        cycle_ms: Some(500),
        discovery_interval_s: Some(10),
        bucket_seconds: Some(bucket_seconds),
        ..Default::default()
    };
    let config = smart_treasury_keeper::config::resolve(Default::default(), overrides)?;
    tracing::info!(keeper = %keeper.pubkey(), bucket_seconds, "starting the keeper");
    Ok(tokio::spawn(smart_treasury_keeper::service::run(config, shutdown)))
}
