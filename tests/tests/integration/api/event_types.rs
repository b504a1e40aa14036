//! Every webhook event type the keeper and the chain raise, each caused for real on the
//! local cluster and received by the Python receiver, which verifies its Standard
//! Webhooks signature: a fee payer running low, a ratio rebalance, a sweep, a forecast
//! breach, a partial top-up's shortfall, a destination closed under the keeper, and a
//! change of authority. (Breaches, top-ups, adjustments, configuration changes and
//! pauses are the webhooks test's.)

use super::*;
use crate::keeper::eventually;
use anchor_lang::prelude::Pubkey;
use smart_treasury_cli::demo::tokens;
use smart_treasury_client::{ix, keypair::load_keypair, read, tx, Change};
use solana_keypair::Keypair;
use solana_signer::Signer;

const PATH: &str = "/all";
const WAIT: Duration = Duration::from_secs(90);
/// The keeper's fee payer counts as low under 1 SOL.
const LOW_LAMPORTS: u64 = 1_000_000_000;

/// The payload of the first verified delivery of `kind`, once it arrives.
async fn received(receiver: &Receiver, kind: &str) -> Value {
    let received = receiver
        .eventually(kind, WAIT, |received| {
            received.iter().any(|r| r["path"] == PATH && r["type"] == kind && r["verified"] == true)
        })
        .await;
    let delivery = received.iter().find(|r| r["path"] == PATH && r["type"] == kind && r["verified"] == true).unwrap();
    let body: Value = serde_json::from_str(delivery["body"].as_str().expect("a body")).expect("JSON");
    assert_eq!(body["type"], kind);
    assert_eq!(body["id"], delivery["id"], "the webhook-id header is the payload's id");
    body["data"].clone()
}

fn tokens_of(amount: &Value) -> f64 {
    amount["tokens"].as_str().expect("an amount").parse().expect("a decimal")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_type_reaches_a_standard_receiver() {
    let env = demo_env().await;
    let receiver = Receiver::start(&env.dir.0).await;
    let mut settings = env.keeper_settings("events").await;
    let keeper = load_keypair(settings.keypair.as_ref().expect("a keeper key"), "keypair").expect("the keeper key");
    settings.low_balance_lamports = Some(LOW_LAMPORTS);
    // One-second buckets and a four-second lead: a forecast within seconds of payouts.
    settings.bucket_seconds = Some(1);
    settings.lead_seconds = Some(4.0);
    // The destination first, through a server that does not crank, so what the keeper
    // does from its first cycle on is delivered.
    let setup = Server::start_with(settings.clone(), false, api_settings(&env)).await;
    let created = setup
        .ok(
            Method::POST,
            "/api/v1/hook/destination",
            Some(json!({"url": format!("{}{PATH}", receiver.url), "events": ["*"]})),
            StatusCode::CREATED,
        )
        .await;
    receiver.control(json!({"secrets": {PATH: created["secret"]}})).await;
    setup.stop().await;
    let server = Server::start_with(settings, true, api_settings(&env)).await;

    // The keeper's fee payer (5 SOL) spends down below the threshold.
    let spend = solana_system_interface::instruction::transfer(&keeper.pubkey(), &Pubkey::new_unique(), 4_500_000_000);
    tx::send(&env.rpc, &keeper, vec![Change::new("spend the fee payer down", spend)]).await.expect("spent");
    let low = received(&receiver, "keeper.payer_low").await;
    assert!(low["description"].as_str().is_some_and(|text| text.contains("fee payer")), "{low:#}");
    assert_eq!(low["details"]["feePayer"], keeper.pubkey().to_string());
    assert!(low["details"]["lamports"].as_u64().is_some_and(|lamports| lamports < LOW_LAMPORTS), "{low:#}");

    // The demo's venue opens short of its 40% share: the keeper rebalances it.
    let rebalanced = received(&receiver, "balance.rebalanced").await;
    assert_eq!(
        (rebalanced["name"].as_str(), rebalanced["details"]["toLocal"].as_bool()),
        (Some("venue USDC"), Some(true))
    );
    assert_eq!(rebalanced["details"]["counterpart"], env.demo.reserve_vault.to_string());

    // First, while the hot wallet's history is nothing but payouts.
    forecast_breach(&env, &receiver).await;
    swept(&env, &receiver).await;
    shortfall(&env, &server, &receiver).await;

    // The venue's owner closes it under the keeper: managed balance 2 cannot be acted on.
    env.close_venue().await;
    let failed = received(&receiver, "keeper.action_failed").await;
    assert_eq!(failed["managedBalanceId"], 2, "{failed:#}");
    assert_eq!(failed["details"]["destination"], env.demo.venue.to_string());

    authority_changed(&env, &receiver).await;
    server.stop().await;
}

/// Tokens minted into the hot wallet take it to 9,000, past max (8,000): swept back to
/// target (5,000). (A forecast top-up landing meanwhile only adds to the excess.)
async fn swept(env: &Env, receiver: &Receiver) {
    let excess = 9_000 * UNIT - env.hot_balance().await;
    let mint =
        tokens::mint_to(&env.demo.mint, &env.demo.hot_vault, &env.demo.authority.pubkey(), excess).expect("mint");
    tx::send(&env.rpc, &env.demo.authority, vec![Change::new("deposit", mint)]).await.expect("the deposit lands");
    let swept = received(receiver, "balance.swept").await;
    assert_eq!(swept["name"], "hot wallet USDC");
    assert!(tokens_of(&swept["balanceBefore"]) >= 9_000.0, "{swept:#}");
    assert_eq!(tokens_of(&swept["balanceAfter"]), 5_000.0, "back to target");
    assert_eq!(swept["details"]["sourceId"], env.demo.reserve_vault.to_string());
}

/// Steady payouts: the forecast sees min coming before the balance reaches it.
async fn forecast_breach(env: &Env, receiver: &Receiver) {
    let step = 150 * UNIT;
    let started = Instant::now();
    while !receiver.received().iter().any(|r| r["type"] == "balance.forecast_breach" && r["verified"] == true) {
        assert!(started.elapsed() < WAIT, "no forecast breach after {WAIT:?}");
        let balance = env.hot_balance().await;
        assert!(balance >= 2_000 * UNIT + step, "the balance reached {balance} with no forecast breach raised");
        env.pay_out_to(balance - step).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let breach = received(receiver, "balance.forecast_breach").await;
    assert_eq!(breach["name"], "hot wallet USDC");
    assert!(breach["details"]["breachProbability"].as_f64().is_some_and(|p| p >= 0.5), "{breach:#}");
    assert!(tokens_of(&breach["details"]["balance"]) >= 2_000.0, "raised before the breach: {breach:#}");
}

/// A manual top-up of 1,000 when the sources can give only 100: the venue is turned
/// off and the reserve may go no lower than 100 below what it holds.
async fn shortfall(env: &Env, server: &Server, receiver: &Receiver) {
    let path = "/api/v1/managed-balance/1/funding-source";
    let venue = json!({"sourceType": "VENUE", "sourceId": env.demo.venue.to_string(), "priority": 2, "enabled": false});
    server.ok(Method::PUT, path, Some(venue), StatusCode::OK).await;
    let reserve = read::token_account(&env.rpc, &env.demo.reserve_vault).await.expect("the reserve").amount;
    let floor = json!({"sourceType": "ASSET_POOL", "sourceId": env.demo.reserve_vault.to_string(), "priority": 1,
                       "reserveFloor": reserve - 100 * UNIT});
    server.ok(Method::PUT, path, Some(floor), StatusCode::OK).await;
    let adjustment = json!({"managedBalanceId": 1, "amount": "1000", "requestId": "event-types-shortfall"});
    server.ok(Method::POST, "/api/v1/balance-adjustment", Some(adjustment), StatusCode::OK).await;
    let short = received(receiver, "balance.top_up_shortfall").await;
    assert_eq!(short["name"], "hot wallet USDC");
    assert_eq!((tokens_of(&short["amount"]), tokens_of(&short["details"]["sent"])), (900.0, 100.0), "{short:#}");
}

/// The authority proposes a new key, which accepts.
async fn authority_changed(env: &Env, receiver: &Receiver) {
    let next = Keypair::new();
    let treasury = env.demo.treasury;
    let change = Change {
        summary: "hand over the treasury".into(),
        instructions: vec![
            ix::propose_authority(env.demo.authority.pubkey(), treasury, Some(next.pubkey())),
            ix::accept_authority(next.pubkey(), treasury),
        ],
        co_signers: vec![next.insecure_clone()],
    };
    tx::send(&env.rpc, &env.demo.authority, vec![change]).await.expect("the hand-over lands");
    let changed = received(receiver, "treasury.authority_changed").await;
    assert_eq!(changed["details"]["previous"], env.demo.authority.pubkey().to_string());
    assert_eq!(changed["details"]["authority"], next.pubkey().to_string());
    eventually(Duration::from_secs(10), "the chain to hold the new authority", || async {
        read::treasury(&env.rpc, &treasury).await.is_ok_and(|state| state.authority == next.pubkey())
    })
    .await;
}
