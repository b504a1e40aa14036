//! `local-cluster`: the embedded cluster, optionally with the demo treasury, its keeper
//! and its withdrawal workload, until Ctrl-C.

use crate::{
    args::LocalClusterArgs,
    demo::{session, setup},
};
use smart_treasury_client::read;
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

    let shutdown = super::keeper::shutdown_on_signals();
    if args.demo || args.workload || args.keeper {
        let options = session::Options {
            keeper: args.keeper,
            workload: args.workload,
            day_minutes: args.day_minutes,
            seed: args.seed,
            api_port: Some(args.api_port),
        };
        let rpc = read::connect(&cluster.rpc_url());
        let scenario = setup::Scenario::opening(options.day_seconds());
        let demo = setup::build_scenario(&rpc, &cluster.faucet(), &args.demo_dir, scenario).await?;
        writeln!(
            out,
            "\ndemo treasury {treasury} (files in {dir})\n\n  export SMART_TREASURY_URL={url}\n  \
             export SMART_TREASURY_TREASURY={treasury}\n  export SMART_TREASURY_KEYPAIR={keypair}\n  \
             smart-treasury balance list\n  smart-treasury migrate plan -f {file}\n",
            treasury = demo.treasury,
            dir = demo.dir.display(),
            url = cluster.rpc_url(),
            keypair = demo.authority_file.display(),
            file = demo.treasury_file.display(),
        )?;
        if args.keeper && args.api_port != 0 {
            let url = format!("http://127.0.0.1:{}", args.api_port);
            writeln!(
                out,
                "dashboard    {url}/\noperator API {url}/api/v1 (OpenAPI: {url}/api/v1/openapi.json)\n  curl {url}/api/v1/managed-balance\n"
            )?;
        }
        out.flush()?;
        let (lines, told) = tokio::sync::mpsc::unbounded_channel();
        narrate(out, session::run(&cluster, &demo, &options, lines, shutdown.clone()), told).await?;
    } else {
        tracing::info!("running until Ctrl-C");
        shutdown.cancelled().await;
    }
    cluster.shutdown().await;
    Ok(())
}

/// Runs `run`, writing each line it tells (through `told`) to `out` as it comes.
async fn narrate(
    out: &mut dyn Write,
    run: impl std::future::Future<Output = anyhow::Result<()>>,
    mut told: tokio::sync::mpsc::UnboundedReceiver<String>,
) -> anyhow::Result<()> {
    tokio::pin!(run);
    loop {
        tokio::select! {
            result = &mut run => {
                while let Ok(line) = told.try_recv() {
                    writeln!(out, "{line}")?;
                }
                out.flush()?;
                return result;
            }
            Some(line) = told.recv() => {
                writeln!(out, "{line}")?;
                out.flush()?;
            }
        }
    }
}
