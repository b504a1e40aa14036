//! What the keeper reads besides balances: the treasury's pause and crank allow-list,
//! its own fee payer, and the chain's clock, every cycle.

use super::*;
use smart_treasury::state::CrankAccess;
use smart_treasury_client::{keypair::load_keypair, read};
use smart_treasury_keeper::{
    metrics,
    store::{ActionStatus, Store},
};

const MIN: u64 = 2_000_000_000;
const TARGET: u64 = 5_000_000_000;

/// The keeper's actions on the hot wallet (the demo's venue balance may be rebalanced
/// the moment a keeper starts).
fn hot_wallet_actions(env: &Env, store: &std::path::Path) -> usize {
    let store = Store::open(store).expect("store");
    let hot_wallet = env.hot_wallet_balance_id().to_string();
    [ActionStatus::Pending, ActionStatus::Confirmed, ActionStatus::Failed]
        .into_iter()
        .flat_map(|status| store.actions_with_status(status).expect("actions"))
        .filter(|action| action.managed_balance == hot_wallet)
        .count()
}

async fn as_authority(env: &Env, summary: &str, instruction: anchor_lang::solana_program::instruction::Instruction) {
    tx::send(&env.rpc, &env.demo.authority, vec![Change::new(summary, instruction)]).await.expect(summary);
}

fn threshold_top_ups(movements: &[Movement]) -> Vec<&Movement> {
    movements.iter().filter(|movement| movement.kind == "threshold").collect()
}

#[tokio::test]
async fn a_paused_treasury_gets_no_cranks_and_the_keeper_says_so() {
    let env = env().await;
    let settings = env.keeper_settings("keeper").await;
    let store = settings.store.clone().expect("store");
    let (shared, task, stop) = start_shared(resolve(settings, FileConfig::default()).expect("settings"));
    let authority = env.demo.authority.pubkey();
    as_authority(&env, "pause", ix::pause(authority, env.demo.treasury)).await;
    env.pay_out_to(MIN - 1).await;
    let paused = || async { shared.metrics.value(&metrics::PAUSED, &[]) == Some(1.0) };
    eventually(Duration::from_secs(30), "the keeper to see the pause", paused).await;
    // Thirty cycles with a breach in plain view: the program would refuse every crank.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(hot_wallet_actions(&env, &store), 0, "the keeper acted while the treasury was paused");
    assert!(env.hot_balance().await < MIN);

    as_authority(&env, "unpause", ix::unpause(authority, env.demo.treasury)).await;
    eventually(Duration::from_secs(30), "the hot wallet back at target", || async {
        env.hot_balance().await == TARGET
    })
    .await;
    assert_eq!(shared.metrics.value(&metrics::PAUSED, &[]), Some(0.0));
    env.settle().await;
    assert_eq!(threshold_top_ups(&env.hot_wallet_movements().await).len(), 1);
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}

#[tokio::test]
async fn a_keeper_off_the_allow_list_sends_nothing_until_it_is_added() {
    let env = env().await;
    let settings = env.keeper_settings("keeper").await;
    let store = settings.store.clone().expect("store");
    let keeper = load_keypair(settings.keypair.as_ref().expect("keypair"), "--keeper-keypair").expect("key");
    let authority = env.demo.authority.pubkey();
    let other = Keypair::new().pubkey();
    let only = |keepers: Vec<_>| ix::set_crank_access(authority, env.demo.treasury, CrankAccess::AllowList, keepers);
    as_authority(&env, "allow another keeper only", only(vec![other])).await;
    env.pay_out_to(MIN - 1).await;
    let (task, stop) = start(resolve(settings, FileConfig::default()).expect("settings"));
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(hot_wallet_actions(&env, &store), 0, "a keeper the program would refuse sent cranks");

    as_authority(&env, "allow this keeper too", only(vec![other, keeper.pubkey()])).await;
    eventually(Duration::from_secs(30), "the hot wallet back at target", || async {
        env.hot_balance().await == TARGET
    })
    .await;
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}

#[tokio::test]
async fn the_fee_payer_is_checked_every_cycle_not_only_at_start() {
    let env = env().await;
    let settings = env.keeper_settings("keeper").await;
    let keeper = load_keypair(settings.keypair.as_ref().expect("keypair"), "--keeper-keypair").expect("key");
    let (shared, task, stop) = start_shared(resolve(settings, FileConfig::default()).expect("settings"));
    let lamports = || shared.metrics.value(&metrics::FEE_PAYER_LAMPORTS, &[]);
    eventually(Duration::from_secs(30), "the fee payer's balance", || async { lamports() > Some(4e9) }).await;
    assert_eq!(shared.metrics.value(&metrics::ALERTS, &["fee_payer_low"]), None);
    // Its balance falls below the 0.1 SOL threshold while the keeper runs.
    let spend = Keypair::new().pubkey();
    let held = env.rpc.get_balance(&keeper.pubkey()).await.expect("balance");
    let drain = solana_system_interface::instruction::transfer(&keeper.pubkey(), &spend, held - 50_000_000);
    tx::send(&env.rpc, &keeper, vec![Change::new("spend the keeper's SOL", drain)]).await.expect("sent");
    eventually(Duration::from_secs(30), "the low balance noticed", || async { lamports() < Some(1e8) }).await;
    assert_eq!(shared.metrics.value(&metrics::ALERTS, &["fee_payer_low"]), Some(1.0));
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}

#[tokio::test]
async fn cooldowns_run_on_the_chains_clock_not_the_hosts() {
    // The cluster's clock an hour behind this host's: by the host's clock every cooldown
    // has long ended; by the program's, it has not.
    let env = env_on(ClusterConfig { clock_lag: Duration::from_secs(3_600), ..realistic_cluster() }).await;
    let address = env.hot_wallet_balance_id();
    let cooldown = 6;
    env.set_hot_wallet_cooldown(cooldown).await;
    let (shared, task, stop) = start_shared(env.keeper_config("keeper").await);
    let at_target = || async { env.hot_balance().await == TARGET };

    env.pay_out_to(MIN - 1).await;
    eventually(Duration::from_secs(30), "the first top-up", at_target).await;
    // A second breach at once: the keeper waits out the cooldown on the chain's clock and
    // then acts, without a refused crank in between.
    env.pay_out_to(MIN - 1).await;
    eventually(Duration::from_secs(60), "the second top-up", at_target).await;
    env.settle().await;
    let movements = env.hot_wallet_movements().await;
    let top_ups = threshold_top_ups(&movements);
    assert_eq!(top_ups.len(), 2, "{movements:?}");
    let waited = top_ups[1].unix_timestamp - top_ups[0].unix_timestamp;
    assert!(waited >= i64::from(cooldown), "the program's cooldown held: {waited} s");
    assert!(waited <= i64::from(cooldown) + 3, "acted {waited} s after the first top-up, not when the cooldown ended");
    assert_eq!(shared.metrics.value(&metrics::ACTIONS, &["threshold", "refused"]), None, "a crank was refused");
    let managed: smart_treasury::state::ManagedBalance =
        read::required(&env.rpc, "managed balance", &address).await.expect("balance");
    assert!(managed.last_automation_at < smart_treasury_keeper::service::unix_now() - 3_000, "the chain's clock lags");
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}
