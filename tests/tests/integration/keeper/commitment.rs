//! Commitment on restart: a crank the chain shows only as processed has not landed yet
//! (its fork may still be dropped). A restarted keeper does not count it; it watches it,
//! and once it is confirmed records it as the one that met the need.

use super::*;
use smart_treasury::state::ManagedBalance;
use smart_treasury_client::{
    keypair::load_keypair,
    land::{LandConfig, Lander},
    read,
};
use smart_treasury_keeper::{
    crank::crank_for,
    cycle::STALE_CLAIM_SECONDS,
    dispatch,
    journal::Claim,
    observe::observe,
    planner::Action,
    store::{ActionStatus, Store},
};
use smart_treasury_local_cluster::FaultConfig;
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client_api::config::RpcSendTransactionConfig;

const MIN: u64 = 2_000_000_000;
const TARGET: u64 = 5_000_000_000;

#[tokio::test]
async fn a_crank_only_processed_at_restart_is_watched_not_counted() {
    let env = env().await;
    env.pay_out_to(MIN - 1).await;
    let config = env.keeper_config("keeper").await;
    let keeper = load_keypair(config.keypair.as_ref().expect("keypair"), "--keeper-keypair").expect("key");

    // What a keeper killed right after sending left behind: its claim, its signature,
    // and the crank itself on its way.
    let address = env.hot_wallet_balance_id();
    let managed: ManagedBalance = read::required(&env.rpc, "managed balance", &address).await.expect("balance");
    let action = Action::TopUp { forecast: false, amount: TARGET - MIN + 1, shortfall: 0 };
    let crank = crank_for(keeper.pubkey(), address, &managed, &action).expect("a crank");
    let lander = Lander::new(&env.rpc, &keeper, LandConfig::default());
    let (blockhash, _) = lander.blockhash().await.expect("blockhash");
    let tx = lander.build(std::slice::from_ref(&crank.instruction), 200_000, 0, blockhash);
    let signature = tx.signatures[0];
    {
        let store = Store::open(&config.store).expect("store");
        let keeper_key = keeper.pubkey().to_string();
        let claim = Claim {
            need: &crank.need,
            managed_balance: &address.to_string(),
            kind: crank.kind,
            amount: crank.amount,
            keeper: &keeper_key,
            now: smart_treasury_keeper::service::unix_now(),
            stale_after: STALE_CLAIM_SECONDS,
        };
        assert!(store.claim_action(&claim).expect("claimed"));
        store.record_send(&crank.need, &keeper_key, &signature.to_string(), claim.now).expect("recorded");
    }
    // Confirmation stalls until the restart is done: the crank stays processed however
    // long the restart takes on a loaded machine.
    env.cluster.faults().set(FaultConfig { stall_confirmation: true, ..FaultConfig::default() }).expect("faults");
    let skip = RpcSendTransactionConfig { skip_preflight: true, ..RpcSendTransactionConfig::default() };
    env.rpc.send_transaction_with_config(&tx, skip).await.expect("sent");
    let processed = || async {
        let status = env.rpc.get_signature_statuses(&[signature]).await.expect("status").value[0].clone();
        status.is_some_and(|status| !status.satisfies_commitment(CommitmentConfig::confirmed()))
    };
    eventually(Duration::from_secs(10), "the crank processed, not yet confirmed", processed).await;

    // The keeper restarts now.
    let shared = service::Shared::new(config.clone()).expect("the keeper's state");
    service::discover(&shared).await.expect("discovery");
    observe(&shared).await.expect("a first read");
    dispatch::recover(&shared).await.expect("recovery");
    assert!(processed().await, "still only processed when recovery looked");
    let store = Store::open(&config.store).expect("store");
    assert!(store.actions_with_status(ActionStatus::Confirmed).expect("actions").is_empty(), "counted as landed");
    assert!(store.actions_with_status(ActionStatus::Pending).expect("actions").is_empty(), "its claim is let go");

    // Running, it acts on the need (confirmed still shows the breach) with a copy of its
    // own, watching the earlier send too; then confirmation resumes and the earlier send,
    // processed first, is what lands.
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(service::run_shared(shared, shutdown.clone()));
    eventually(Duration::from_secs(30), "a second send for the need", || async {
        store.sends(&crank.need).expect("sends").len() >= 2
    })
    .await;
    env.cluster.faults().clear();
    eventually(Duration::from_secs(30), "the hot wallet back at target", || async {
        env.hot_balance().await == TARGET
    })
    .await;
    // Only this need: the keeper may meet the demo venue's own need (a rebalance) too.
    let met = || {
        let confirmed = store.actions_with_status(ActionStatus::Confirmed).expect("actions");
        confirmed.into_iter().find(|action| action.need == crank.need)
    };
    eventually(Duration::from_secs(30), "the need recorded as met", || async { met().is_some() }).await;
    assert_eq!(met().and_then(|action| action.signature), Some(signature.to_string()));
    env.settle().await;
    let movements = env.hot_wallet_movements().await;
    assert_eq!(movements.iter().filter(|movement| movement.kind == "threshold").count(), 1, "{movements:?}");
    shutdown.cancel();
    task.await.expect("keeper task").expect("keeper stops cleanly");
}
