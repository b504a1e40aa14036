//! The one ingestion path: every program event of the treasury reaches the store once,
//! whether it happened while the keeper was down or while its subscription was cut.

use super::*;
use smart_treasury_tests::TcpProxy;

const UNIT: u64 = 1_000_000;

/// Settings whose periodic back-fill never fires during a test, so only start-up and
/// reconnects can fill a gap.
async fn settings(env: &Env, name: &str) -> FileConfig {
    FileConfig { backfill_interval_s: Some(3_600), ..env.keeper_settings(name).await }
}

/// A keeper that records and never cranks: nothing but the test's payouts happens on
/// chain (the demo's venue would otherwise be rebalanced at some point of the run).
fn recorder(settings: FileConfig) -> smart_treasury_keeper::config::KeeperConfig {
    let mut config = resolve(settings, FileConfig::default()).expect("valid settings");
    config.crank = false;
    config
}

async fn all_recorded(env: &Env, store: &std::path::Path) {
    let started = Instant::now();
    loop {
        let chain = env.treasury_events_on_chain().await;
        let stored = stored_event_ids(store);
        if stored == chain {
            assert!(chain.len() > 10, "the demo's set-up alone emits more events: {chain:?}");
            return;
        }
        let missing: Vec<_> = chain.difference(&stored).collect();
        assert!(started.elapsed() < Duration::from_secs(30), "not recorded after 30 s: {missing:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn events_that_happened_while_it_was_down_are_back_filled() {
    let env = env().await;
    let settings = settings(&env, "keeper").await;
    let store = settings.store.clone().expect("store");
    let config = recorder(settings);

    // The first start back-fills the demo's whole set-up.
    let (task, stop) = start(config.clone());
    all_recorded(&env, &store).await;
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");

    // Payouts while it is down (above min: nothing for a keeper to answer).
    let before = stored_event_ids(&store);
    env.pay_out_to(4_000 * UNIT).await;
    env.pay_out_to(3_500 * UNIT).await;
    let missed: BTreeSet<_> = env.treasury_events_on_chain().await.difference(&before).cloned().collect();
    assert_eq!(missed.len(), 2, "two payouts, one event each: {missed:?}");

    let (task, stop) = start(config);
    all_recorded(&env, &store).await;
    let recorded =
        smart_treasury_keeper::store::Store::open(&store).expect("store").events(&Default::default()).expect("events");
    for (signature, index) in &missed {
        let event =
            recorded.iter().find(|event| &event.signature == signature && event.index == *index).expect("recorded");
        assert_eq!(event.kind, "VaultFlow");
        assert!(event.amount.is_some_and(|amount| amount < 0), "a payout lowers the vault: {event:?}");
    }
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}

#[tokio::test]
async fn a_dropped_subscription_loses_nothing() {
    let env = env().await;
    let proxy = TcpProxy::start(env.cluster.ws_addr()).await;
    let settings = FileConfig { ws_url: Some(proxy.ws_url()), ..settings(&env, "keeper").await };
    let store = settings.store.clone().expect("store");
    let (task, stop) = start(recorder(settings));
    all_recorded(&env, &store).await;

    // Live: a payout arrives over the subscription.
    env.pay_out_to(4_000 * UNIT).await;
    all_recorded(&env, &store).await;

    // Cut: the subscription drops and reconnecting fails for a while.
    proxy.cut();
    env.pay_out_to(3_500 * UNIT).await;
    tokio::time::sleep(SLOT * 20).await;
    let chain = env.treasury_events_on_chain().await;
    assert_ne!(stored_event_ids(&store), chain, "the payout during the cut cannot have arrived live");

    // Reconnected, the keeper back-fills what it missed.
    proxy.restore();
    all_recorded(&env, &store).await;
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}
