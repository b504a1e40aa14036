//! A crank the program refuses because its cooldown still runs is tried again when the
//! chain's cooldown ends, not after the keeper's fixed retry delay.

use super::*;
use smart_treasury::{error::TreasuryError, state::ManagedBalance};
use smart_treasury_client::read;
use smart_treasury_keeper::{
    crank::crank_for, dispatch, executor::Outcome, journal::Claim, metrics, observe, planner::Action,
};

const MIN: u64 = 2_000_000_000;
const TARGET: u64 = 5_000_000_000;
const COOLDOWN: u32 = 15;

#[tokio::test]
async fn a_cooldown_refusal_is_retried_when_the_chains_cooldown_ends() {
    let env = env().await;
    let address = env.hot_wallet_balance_id();
    env.set_hot_wallet_cooldown(COOLDOWN).await;
    let at_target = || async { env.hot_balance().await == TARGET };

    // A first keeper answers a breach, which starts the cooldown, and stops.
    let (task, stop) = start(env.keeper_config("first").await);
    env.pay_out_to(MIN - 1).await;
    eventually(Duration::from_secs(30), "the first top-up", at_target).await;
    stop.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");

    // A second breach inside the cooldown. A second keeper, whose fixed retry delay is a
    // minute, sends the top-up anyway: the program refuses it.
    env.pay_out_to(MIN - 1).await;
    let mut settings = env.keeper_settings("second").await;
    settings.retry_after_s = Some(60);
    let shared = service::Shared::new(resolve(settings, FileConfig::default()).expect("settings")).expect("state");
    service::discover(&shared).await.expect("discovery");
    let managed: ManagedBalance = read::required(&env.rpc, "managed balance", &address).await.expect("balance");
    observe::observe(&shared).await.expect("a read of the fleet");
    let balance = shared.fleet.read().await.view(&address).expect("the hot wallet's view").balance;
    assert!(balance < MIN, "the keeper sees the second breach");
    let action = Action::TopUp { forecast: false, amount: TARGET - balance, shortfall: 0 };
    let crank = crank_for(shared.keeper, address, &managed, &action).expect("a crank");
    let (need, keeper) = (crank.need.clone(), shared.keeper.to_string());
    let now = shared.chain_now().await;
    let claim = Claim {
        need: &need,
        managed_balance: &address.to_string(),
        kind: crank.kind,
        amount: crank.amount,
        keeper: &keeper,
        now,
        stale_after: 300,
    };
    assert!(shared.store().claim_action(&claim).expect("claim"));
    let outcome = dispatch::finish(&shared, crank).await.expect("an outcome");
    let cooldown_active = u32::from(TreasuryError::CooldownActive);
    assert!(matches!(outcome, Outcome::Refused { code: Some(code), .. } if code == cooldown_active), "{outcome:?}");

    // Planned again for when the chain's cooldown ends, not a minute after the refusal.
    let ready_at = managed.last_automation_at + i64::from(COOLDOWN);
    let retry_at: i64 = shared
        .store()
        .connection()
        .query_row("SELECT retry_at FROM action WHERE need = ?1 AND status = 'failed'", [need.as_str()], |row| {
            row.get(0)
        })
        .expect("the refused action");
    assert_eq!(retry_at, ready_at, "refused at {now}; the cooldown ends at {ready_at}");
    assert!(now < ready_at, "refused inside the cooldown, which ends before the fixed delay would");

    // Running, the keeper tops up when the cooldown ends.
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(service::run_shared(shared.clone(), shutdown.clone()));
    eventually(Duration::from_secs(60), "the second top-up", at_target).await;
    env.settle().await;
    let movements = env.hot_wallet_movements().await;
    let top_ups: Vec<&Movement> = movements.iter().filter(|movement| movement.kind == "threshold").collect();
    assert_eq!(top_ups.len(), 2, "{movements:?}");
    let waited = top_ups[1].unix_timestamp - top_ups[0].unix_timestamp;
    assert!(waited >= i64::from(COOLDOWN), "the program's cooldown held: {waited} s");
    assert!(waited <= i64::from(COOLDOWN) + 4, "acted {waited} s after the first top-up, not when the cooldown ended");
    assert_eq!(shared.metrics.value(&metrics::ACTIONS, &["threshold", "refused"]), Some(1.0));
    shutdown.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}
