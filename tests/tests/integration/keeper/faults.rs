//! A misbehaving cluster: rate limits, outages, RPC errors, sends that never land,
//! blockhashes that expire early, a WebSocket that stops delivering. One need still
//! ends in exactly one landed top-up.

use super::*;
use smart_treasury_local_cluster::FaultConfig;

const MIN: u64 = 2_000_000_000;
const TARGET: u64 = 5_000_000_000;

#[tokio::test]
async fn flaky_rpc_dropped_sends_and_expiring_blockhashes_still_land_one_top_up() {
    let env = env().await;
    // A need the keeper gave up on under faults re-opens after a second, not thirty.
    let settings = FileConfig { retry_after_s: Some(1), ..env.keeper_settings("keeper").await };
    let config = resolve(settings, FileConfig::default()).expect("settings");
    // The breach happens before the faults and the keeper start: a payout retried through
    // the faults could land twice and make a second, legitimate need.
    env.pay_out_to(MIN - 1).await;
    let faults = env.cluster.faults();
    faults
        .set(FaultConfig {
            rate_limited: 0.15,
            unavailable: 0.1,
            rpc_errors: 0.1,
            dropped_transactions: 1.0,
            blockhash_expiry_slots: Some(3),
            ..FaultConfig::default()
        })
        .expect("valid faults");
    let (task, stop) = start(config);
    // Every send is lost until the keeper has met each kind of fault (nothing can land
    // before, so the need is still open); then half of them, for the rest of the run.
    eventually(Duration::from_secs(60), "every kind of fault met by the keeper", || async {
        let stats = faults.stats();
        stats.dropped_transactions > 0 && stats.rate_limited > 0 && stats.unavailable > 0 && stats.rpc_errors > 0
    })
    .await;
    assert_ne!(env.hot_balance().await, TARGET, "nothing lands while every send is dropped");
    faults.update(|config| config.dropped_transactions = 0.5).expect("valid faults");
    eventually(Duration::from_secs(120), "the hot wallet back at target", || async {
        env.hot_balance().await == TARGET
    })
    .await;
    faults.clear();
    env.settle().await;
    let movements = env.hot_wallet_movements().await;
    assert_eq!(movements.iter().filter(|movement| movement.kind == "threshold").count(), 1, "{movements:?}");
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}

#[tokio::test]
async fn a_stalled_websocket_does_not_stop_the_keeper() {
    let env = env().await;
    env.cluster.faults().set(FaultConfig { stall_websocket: true, ..FaultConfig::default() }).expect("valid faults");
    let (task, stop) = start(env.keeper_config("keeper").await);
    env.pay_out_to(MIN - 1).await;
    // No notification arrives: the cycle's batched reads find the breach.
    eventually(Duration::from_secs(30), "the hot wallet back at target", || async {
        env.hot_balance().await == TARGET
    })
    .await;
    env.cluster.faults().clear();
    env.settle().await;
    let movements = env.hot_wallet_movements().await;
    assert_eq!(movements.iter().filter(|movement| movement.kind == "threshold").count(), 1, "{movements:?}");
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}
