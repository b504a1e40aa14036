use smart_treasury::events::MovementReason;
use smart_treasury_cli::demo::{session, setup, workload::Workload};
use smart_treasury_client::{
    events::{self, ProgramEvent},
    read,
    workload::{TimeScale, WorkloadModel},
};
use smart_treasury_local_cluster::{ClusterConfig, LocalCluster};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_treasury_matches_its_file_and_the_workload_pays_out_through_the_spender() {
    let (cluster, rpc) =
        smart_treasury_tests::start_cluster(super::SLOT, smart_treasury_local_cluster::Confirmation::INSTANT).await;
    let dir = super::TempDir::new("smart-treasury-cli");
    let demo = setup::build(&rpc, &cluster.faucet(), &dir.0).await.expect("the demo builds");

    let url = cluster.rpc_url();
    let file = demo.treasury_file.display().to_string();
    let mut out = Vec::new();
    smart_treasury_cli::run_args(["--url", &url, "--json", "migrate", "plan", "-f", &file], &mut out).await.unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(plan["steps"].as_array().unwrap().len(), 0, "{plan:#}");
    let hot = read::token_account(&rpc, &demo.hot_vault).await.unwrap();
    assert_eq!(hot.amount, setup::HOT_FUNDS);
    let venue = read::token_account(&rpc, &demo.venue).await.unwrap();
    assert_eq!(venue.delegated_amount, setup::VENUE_ALLOWANCE);

    // About one withdrawal per real second for three seconds.
    let workload = Workload {
        rpc: &rpc,
        spender: &demo.spender,
        hot_wallet: demo.hot_wallet(),
        recipient: demo.customer,
        model: WorkloadModel { withdrawals_per_day: 120.0, burst_probability: 0.0, ..WorkloadModel::default() },
        scale: TimeScale::day_per_minutes(2.0),
        start: 0,
        announce: None,
    };
    workload.run(tokio::time::sleep(Duration::from_secs(3))).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let paid = read::token_account(&rpc, &demo.customer).await.unwrap().amount;
    let hot_after = read::token_account(&rpc, &demo.hot_vault).await.unwrap().amount;
    assert!(paid > 0, "the customer received withdrawals");
    assert_eq!(hot_after, setup::HOT_FUNDS - paid, "every payout came out of the hot wallet");
    let spenders = read::spenders(&rpc, &demo.treasury).await.unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert_eq!(spenders[0].1.spent_in_period(now), paid, "through the spender role, within its limit");
}

/// What the chain recorded for the demo's managed balances: (threshold top-ups, forecast
/// top-ups, ratio rebalances).
async fn cranks(
    rpc: &solana_rpc_client::nonblocking::rpc_client::RpcClient,
    demo: &setup::Demo,
) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for id in [setup::HOT_WALLET_ID, setup::VENUE_ID] {
        let address = smart_treasury_client::pda::managed_balance_pda(&demo.treasury, id);
        let signatures = rpc.get_signatures_for_address(&address).await.expect("signatures");
        for entry in signatures.iter().filter(|entry| entry.err.is_none()) {
            let Some(transaction) = events::fetch(rpc, &entry.signature).await.expect("transaction") else { continue };
            for (_, event) in transaction.decoded() {
                match event {
                    ProgramEvent::ToppedUp(top_up) if top_up.reason == MovementReason::Threshold => counts.0 += 1,
                    ProgramEvent::ToppedUp(top_up) if top_up.reason == MovementReason::Forecast => counts.1 += 1,
                    ProgramEvent::RatioRebalanced(_) => counts.2 += 1,
                    _ => {}
                }
            }
        }
    }
    counts
}

/// The demo as the README runs it (realistic confirmation, 400 ms slots, a day in ten
/// minutes): within its first minute the chain records a threshold top-up, a forecast
/// top-up and a ratio rebalance, decided by the keeper's own forecaster and planner, and
/// the narrator tells each in a line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_minute_shows_a_threshold_top_up_a_forecast_top_up_and_a_ratio_rebalance() {
    let cluster = LocalCluster::start(ClusterConfig::ephemeral()).await.expect("the cluster starts");
    let rpc = smart_treasury_client::connect(&cluster.rpc_url());
    let dir = super::TempDir::new("smart-treasury-demo");
    let options = session::Options { keeper: true, workload: true, day_minutes: 10.0, seed: 1, api_port: Some(0) };
    let scenario = setup::Scenario::opening(options.day_seconds());
    let demo = setup::build_scenario(&rpc, &cluster.faucet(), &dir.0, scenario).await.expect("the demo builds");

    let (lines, mut told) = tokio::sync::mpsc::unbounded_channel();
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let watch = async {
        // Stop as soon as the chain shows all three, or at the end of the minute.
        while started.elapsed() < FIRST_MINUTE {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let (threshold, forecast, rebalance) = cranks(&rpc, &demo).await;
            if threshold > 0 && forecast > 0 && rebalance > 0 {
                break;
            }
        }
        shutdown.cancel();
    };
    let (result, ()) = tokio::join!(session::run(&cluster, &demo, &options, lines, shutdown.clone()), watch);
    result.expect("the demo runs until stopped");
    let elapsed = started.elapsed();

    let (threshold, forecast, rebalance) = cranks(&rpc, &demo).await;
    assert!(
        threshold >= 1 && forecast >= 1 && rebalance >= 1,
        "after {elapsed:?}: {threshold} threshold top-ups, {forecast} forecast top-ups, {rebalance} rebalances"
    );
    assert!(elapsed <= FIRST_MINUTE + Duration::from_secs(5), "{elapsed:?}");
    let mut told_lines = Vec::new();
    while let Ok(line) = told.try_recv() {
        told_lines.push(line);
    }
    let text = told_lines.join("\n");
    for expected in [
        "hot wallet USDC fell below min 2,000 USDC",
        "hot wallet USDC is forecast to fall below min 2,000 USDC",
        "venue USDC drifted to",
        "(target 40% ± 5%): moved",
    ] {
        assert!(text.contains(expected), "no line with {expected:?} in:\n{text}");
    }
    assert!(told_lines.iter().all(|line| line.starts_with("day 38 ")), "each line tells the simulated time:\n{text}");
    cluster.shutdown().await;
}

const FIRST_MINUTE: Duration = Duration::from_secs(60);
