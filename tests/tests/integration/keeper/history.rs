//! The history a keeper keeps: a sample when the balance changes (and one per bucket),
//! not one per cycle.

use super::*;
use smart_treasury_keeper::store::Store;

#[tokio::test]
async fn an_idle_balance_costs_one_sample_per_bucket_not_one_per_cycle() {
    let env = env().await;
    let settings = env.keeper_settings("keeper").await;
    let store = settings.store.clone().expect("store");
    let config = resolve(settings, FileConfig::default()).expect("settings");
    let (task, stop) = start(config);
    let key = env.hot_wallet_balance_id().to_string();
    let samples = || Store::open(&store).and_then(|store| store.sample_count(&key)).unwrap_or(0);
    eventually(Duration::from_secs(30), "a first sample", || async { samples() >= 1 }).await;
    // Forty cycles (100 ms each) of the same balance: nothing new to keep.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(samples(), 1, "an unchanged balance was sampled again");
    // A payout changes it: one more sample, and no more while it stays.
    env.pay_out_to(4_000_000_000).await;
    eventually(Duration::from_secs(30), "the payout's sample", || async { samples() == 2 }).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(samples(), 2);
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}
