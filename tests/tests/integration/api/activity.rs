//! The activity log's moves with their other side, over HTTP: a ratio rebalance and a
//! sweep landed by the keeper on the local cluster, each with the account it moved funds
//! to or from, the amount and that account's balance after, as the chain has them.

use super::*;
use anchor_lang::prelude::Pubkey;
use smart_treasury_cli::demo::tokens;
use smart_treasury_client::{read, tx, Change};
use solana_signer::Signer;

fn base_units(amount: &Value) -> u64 {
    amount["baseUnits"].as_str().expect("base units").parse().expect("an integer")
}

async fn token_balance(env: &Env, account: &Pubkey) -> u64 {
    read::token_account(&env.rpc, account).await.expect("a token account").amount
}

/// The newest activity entry of `kind` for balance `id`, once there is one.
async fn newest_of_kind(server: &Server, id: u32, kind: &str) -> Value {
    let path = format!("/api/v1/managed-balance/{id}/activity-log?size=100");
    let log = server
        .eventually(&path, kind, |log| {
            log["items"].as_array().is_some_and(|items| items.iter().any(|e| e["kind"] == kind))
        })
        .await;
    log["items"].as_array().expect("items").iter().find(|entry| entry["kind"] == kind).expect("the entry").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sweeps_and_rebalances_show_their_other_side() {
    let env = demo_env().await;
    let (reserve, venue, hot) = (env.demo.reserve_vault, env.demo.venue, env.demo.hot_vault);
    let (reserve_before, venue_before) = (token_balance(&env, &reserve).await, token_balance(&env, &venue).await);
    let server = Server::start(&env, "activity", true, api_settings(&env)).await;

    // The demo's venue holds less than its 40% share of venue + reserve: the keeper moves
    // the difference from the reserve, its counterpart.
    let rebalance = newest_of_kind(&server, 2, "REBALANCE").await;
    let venue_after = token_balance(&env, &venue).await;
    let reserve_after = token_balance(&env, &reserve).await;
    assert!(venue_after > venue_before, "the venue received funds");
    assert_eq!(rebalance["amount"]["baseUnits"], (venue_after - venue_before).to_string(), "{rebalance:#}");
    assert_eq!(rebalance["balanceAfter"]["baseUnits"], venue_after.to_string(), "{rebalance:#}");
    let [leg] = rebalance["sources"].as_array().expect("the counterpart's leg").as_slice() else {
        panic!("one leg: {rebalance:#}")
    };
    assert_eq!(leg["sourceId"], reserve.to_string(), "{rebalance:#}");
    assert_eq!(base_units(&leg["amount"]), reserve_before - reserve_after, "what the reserve gave");
    assert_eq!(base_units(&leg["balanceAfter"]), reserve_after, "the reserve's balance after, as on chain");

    // A deposit lifts the hot wallet above max: the keeper sweeps the excess over target
    // back to its first source, the reserve.
    let hot_before = token_balance(&env, &hot).await;
    let deposit = tokens::mint_to(&env.demo.mint, &hot, &env.demo.authority.pubkey(), 4_000 * UNIT).expect("mint_to");
    tx::send(&env.rpc, &env.demo.authority, vec![Change::new("deposit", deposit)]).await.expect("deposit lands");
    let sweep = newest_of_kind(&server, 1, "SWEEP").await;
    let hot_after = token_balance(&env, &hot).await;
    let reserve_swept = token_balance(&env, &reserve).await;
    assert_eq!(hot_after, hot_before, "swept back to target");
    assert_eq!(sweep["amount"]["baseUnits"], format!("-{}", 4_000 * UNIT), "{sweep:#}");
    let [leg] = sweep["sources"].as_array().expect("the source's leg").as_slice() else { panic!("one leg: {sweep:#}") };
    assert_eq!(leg["sourceId"], reserve.to_string(), "{sweep:#}");
    assert_eq!(base_units(&leg["amount"]), reserve_swept - reserve_after, "what the reserve received");
    assert_eq!(base_units(&leg["balanceAfter"]), reserve_swept, "the reserve's balance after, as on chain");
    server.stop().await;
}
