use smart_treasury_cli::demo::{setup, workload::Workload};
use smart_treasury_client::{
    read,
    workload::{TimeScale, WorkloadModel},
};
use std::time::Duration;

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
