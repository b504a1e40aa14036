use super::*;
use smart_treasury_cli::demo::tokens;

const MIN: u64 = 2_000_000_000;
const TARGET: u64 = 5_000_000_000;

fn of_kind<'a>(movements: &'a [Movement], kind: &str) -> Vec<&'a Movement> {
    movements.iter().filter(|movement| movement.kind == kind).collect()
}

#[tokio::test]
async fn a_payout_below_min_is_topped_up_to_target_once() {
    let env = env().await;
    let (task, stop) = start(env.keeper_config("keeper").await);
    env.pay_out_to(MIN - 500_000_000).await;
    eventually(Duration::from_secs(30), "the hot wallet back at target", || async {
        env.hot_balance().await == TARGET
    })
    .await;
    env.settle().await;
    let movements = env.hot_wallet_movements().await;
    let top_ups = of_kind(&movements, "threshold");
    assert_eq!(top_ups.len(), 1, "{movements:?}");
    assert_eq!((top_ups[0].balance_before, top_ups[0].balance_after), (MIN - 500_000_000, TARGET));
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}

#[tokio::test]
async fn two_keepers_at_once_land_exactly_one_top_up() {
    let env = env().await;
    let (first, stop_first) = start(env.keeper_config("first").await);
    let (second, stop_second) = start(env.keeper_config("second").await);
    env.pay_out_to(MIN - 1).await;
    eventually(Duration::from_secs(30), "the hot wallet back at target", || async {
        env.hot_balance().await == TARGET
    })
    .await;
    // Let the slower keeper's attempt land or be refused.
    env.settle().await;
    env.settle().await;
    let movements = env.hot_wallet_movements().await;
    assert_eq!(of_kind(&movements, "threshold").len(), 1, "{movements:?}");
    assert_eq!(env.hot_balance().await, TARGET);
    for (task, stop) in [(first, stop_first), (second, stop_second)] {
        stop.cancel();
        task.await.expect("keeper task").expect("keeper stops cleanly");
    }
}

#[tokio::test]
async fn an_excess_above_max_is_swept_back_to_target() {
    let env = env().await;
    let (task, stop) = start(env.keeper_config("keeper").await);
    let mint = tokens::mint_to(&env.demo.mint, &env.demo.hot_vault, &env.demo.authority.pubkey(), 4_000_000_000)
        .expect("mint_to");
    tx::send(&env.rpc, &env.demo.authority, vec![Change::new("deposit", mint)]).await.expect("deposit lands");
    eventually(Duration::from_secs(30), "the excess swept", || async { env.hot_balance().await == TARGET }).await;
    env.settle().await;
    let movements = env.hot_wallet_movements().await;
    let sweeps = of_kind(&movements, "sweep");
    assert_eq!(sweeps.len(), 1, "{movements:?}");
    assert_eq!((sweeps[0].balance_before, sweeps[0].balance_after), (TARGET + 4_000_000_000, TARGET));
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}

/// Steady payouts: the forecast sees the breach coming and tops up inside the
/// on-chain forecast band, before the balance ever reaches min.
#[tokio::test]
async fn a_forecast_top_up_lands_before_the_breach() {
    let env = env().await;
    let mut settings = env.keeper_settings("keeper").await;
    // One-second buckets and a four-second lead compress hours into seconds.
    settings.bucket_seconds = Some(1);
    settings.lead_seconds = Some(4.0);
    let (task, stop) = start(resolve(settings, FileConfig::default()).expect("settings"));
    let step = 150_000_000;
    let started = Instant::now();
    loop {
        let movements = env.hot_wallet_movements().await;
        if let Some(forecast) = of_kind(&movements, "forecast").first() {
            assert!(forecast.balance_before >= MIN, "topped up at {} (min {MIN})", forecast.balance_before);
            assert!(
                forecast.balance_before < MIN + (TARGET - MIN) / 2,
                "outside the forecast band: {}",
                forecast.balance_before
            );
            assert_eq!(forecast.balance_after, TARGET);
            assert!(of_kind(&movements, "threshold").is_empty(), "a breach happened first: {movements:?}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no forecast top-up: {movements:?}");
        let balance = env.hot_balance().await;
        assert!(balance >= MIN + step, "the balance reached {balance} without a forecast top-up: {movements:?}");
        env.pay_out_to(balance - step).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}
