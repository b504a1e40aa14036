//! The activity log's moves with their other side, over HTTP: a ratio rebalance and a
//! sweep landed by the keeper on the local cluster, each with the account it moved funds
//! to or from, the amount and that account's balance after, as the chain has them; and
//! the log narrowed to the moves of the treasury and its authority (`operations=true`),
//! which payouts, configuration and keeper decisions cannot crowd out of a page.

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

const OPERATION_KINDS: [&str; 7] =
    ["TOP_UP", "TOP_UP_SHORTFALL", "SWEEP", "REBALANCE", "ADJUSTMENT", "DEPOSIT", "WITHDRAWAL"];

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().expect("items").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operations_only_are_the_logs_moves_newest_first() {
    let env = demo_env().await;
    let server = Server::start(&env, "operations", false, api_settings(&env)).await;
    // The authority's withdrawal (as a stress test's would be) is a move too.
    env.pay_out_to(env.hot_balance().await - 10 * UNIT).await;
    let adjustment = json!({"managedBalanceId": 1, "amount": "10", "requestId": "operations-only-1"});
    let adjusted = server.ok(Method::POST, "/api/v1/balance-adjustment", Some(adjustment), StatusCode::OK).await;
    let signature = adjusted["signature"].as_str().expect("a signature").to_string();
    // A configuration change after it: the newest entry of the whole log.
    let thresholds = json!({"min": "2100"});
    server.ok(Method::PATCH, "/api/v1/managed-balance/1/thresholds", Some(thresholds), StatusCode::OK).await;
    let log = "/api/v1/managed-balance/1/activity-log";
    let newest = server
        .eventually(&format!("{log}?size=1"), "the threshold change", |page| {
            page["items"][0]["kind"] == "CONFIGURATION"
                && page["items"][0]["description"].as_str().is_some_and(|text| text.contains("2,100"))
        })
        .await;
    assert_ne!(newest["items"][0]["signature"], signature.as_str());

    let (status, first) = server.get(&format!("{log}?size=1&operations=true")).await;
    assert_eq!(status, StatusCode::OK, "{first:#}");
    let [entry] = items(&first).try_into().expect("one entry");
    assert_eq!((entry["kind"].as_str(), entry["signature"].as_str()), (Some("ADJUSTMENT"), Some(signature.as_str())));

    // The whole log's moves, in its order, are exactly what `operations=true` lists.
    let (_, everything) = server.get(&format!("{log}?size=1000")).await;
    let moves: Vec<Value> = items(&everything)
        .into_iter()
        .filter(|entry| OPERATION_KINDS.contains(&entry["kind"].as_str().unwrap_or_default()))
        .collect();
    let (_, operations) = server.get(&format!("{log}?size=1000&operations=true")).await;
    let ids = |entries: &[Value]| entries.iter().map(|entry| entry["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&items(&operations)), ids(&moves));
    assert_eq!(operations["total"].as_u64(), Some(moves.len() as u64));
    assert!(items(&everything).len() > moves.len(), "the whole log holds more than the moves");
    assert!(moves.iter().any(|entry| entry["kind"] == "WITHDRAWAL"), "{operations:#}");
    server.stop().await;
}
