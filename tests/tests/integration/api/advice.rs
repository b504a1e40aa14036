//! The advisor over HTTP: the keeper planner's next move in words, the stress test on
//! the same planner and policy (nothing moves, unless applied for real on this local
//! cluster), "execute recommended move" landing a crank (logged as manual) or exported
//! unsigned, the keeper's status, and bad input refused naming its field. The server
//! does not crank on its own, so only this test acts.

use super::*;
use anchor_lang::{prelude::Pubkey, Discriminator};
use anchor_spl::associated_token::get_associated_token_address_with_program_id;
use solana_signer::Signer;
use std::str::FromStr;

const ADVICE: &str = "/api/v1/managed-balance/1/advice";
const STRESS: &str = "/api/v1/managed-balance/1/stress-test";
const EXECUTE: &str = "/api/v1/managed-balance/1/execute-advice";

fn base_units(amount: &Value) -> u64 {
    amount["baseUnits"].as_str().expect("base units").parse().expect("an integer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_advisor_end_to_end() {
    let env = demo_env().await;
    let settings = ApiFileConfig { stress_test_apply: Some(true), ..api_settings(&env) };
    let server = Server::start(&env, "advisor", false, settings).await;

    the_dashboard_is_served(&server).await;
    keeper_status(&server).await;
    in_band_nothing_to_execute(&env, &server).await;
    stress_test_moves_nothing(&env, &server).await;
    bad_input_is_named(&env, &server).await;
    below_min_the_move_is_executed(&env, &server).await;
    a_stress_test_applied_for_real(&env, &server).await;
    server.stop().await;
    cranking_keeper_status(&env).await;
}

/// The pages at `/`, and their files under the versioned asset path.
async fn the_dashboard_is_served(server: &Server) {
    let page = server.http.get(format!("{}/balances/1/monitor", server.url)).send().await.expect("the page");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.expect("HTML");
    assert!(html.contains("Monitoring terminal") && html.contains("data-balance-id=\"1\""));
    let script = html.split('"').find(|part| part.ends_with("/monitor.js")).expect("the page's script").to_string();
    // (Compression is the dashboard crate's own test: this client may decompress.)
    let asset = server.http.get(format!("{}{script}", server.url)).send().await.expect("the script");
    assert_eq!(asset.status(), StatusCode::OK);
    assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(asset.text().await.expect("a script").contains("execute-advice"));
    let (status, _) = server.get("/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "other paths are still the API's problems");
}

/// `serve` watches and advises with a throwaway key: no key or fee payer to show.
async fn keeper_status(server: &Server) {
    let status =
        server.eventually("/api/v1/keeper", "a finished cycle", |status| status["lastCycleAt"].is_string()).await;
    assert_eq!(status["cranking"], false, "serve mode: {status:#}");
    assert_eq!(status["managedBalances"], 2);
    assert!(status.get("keeper").is_none() && status.get("feePayerLamports").is_none(), "{status:#}");
    assert_eq!(status["feePayerLow"], false);
    assert_eq!(status["pending"], 0);
}

/// A keeper that cranks shows its key and its fee payer's balance, read every cycle.
async fn cranking_keeper_status(env: &Env) {
    let server = Server::start(env, "cranking", true, api_settings(env)).await;
    let status = server
        .eventually("/api/v1/keeper", "a cycle that read the fee payer", |status| {
            status["feePayerLamports"].as_u64().is_some_and(|lamports| lamports > 0)
        })
        .await;
    assert_eq!(status["cranking"], true, "{status:#}");
    assert!(status["keeper"].as_str().is_some_and(|key| Pubkey::from_str(key).is_ok()), "{status:#}");
    assert_eq!(status["feePayerLow"], false);
    // This server's settings leave stress tests in figures: applying one is refused.
    let before = env.hot_balance().await;
    let stress = server.ok(Method::POST, STRESS, Some(json!({"outflow": "1"})), StatusCode::OK).await;
    assert_eq!(stress["applicable"], false, "{stress:#}");
    assert!(stress["notApplicable"].as_str().is_some_and(|why| why.contains("api.stress_test_apply")), "{stress:#}");
    let refused = server.call(Method::POST, STRESS, Some(json!({"outflow": "1", "apply": true}))).await;
    assert_problem(&refused, 409, None);
    assert_eq!(env.hot_balance().await, before, "a refused stress test moves nothing");
    server.stop().await;
}

async fn in_band_nothing_to_execute(env: &Env, server: &Server) {
    let advice = server.ok(Method::GET, ADVICE, None, StatusCode::OK).await;
    assert_eq!((advice["move"].as_str(), advice["wait"].as_str()), (Some("WAIT"), Some("HEALTHY")), "{advice:#}");
    assert_eq!(advice["executable"], false);
    assert_eq!(advice["headline"], "No move needed");
    assert!(advice["reason"].as_str().is_some_and(|reason| reason.contains("at or above min 2,000")), "{advice:#}");
    assert_eq!(base_units(&advice["balance"]), env.hot_balance().await);
    let refused = server.call(Method::POST, &format!("{EXECUTE}?changeMode=sign"), None).await;
    assert_problem(&refused, 409, None);
}

async fn stress_test_moves_nothing(env: &Env, server: &Server) {
    let before = env.hot_balance().await;
    let stress = server.ok(Method::POST, STRESS, Some(json!({"outflow": "4000"})), StatusCode::OK).await;
    assert_eq!(base_units(&stress["balanceBefore"]), before);
    assert_eq!(base_units(&stress["balanceAfter"]), before - 4_000 * UNIT);
    let health = |balance: u64| (balance * 10_000 / (2 * 2_000 * UNIT)).min(10_000);
    assert_eq!(stress["healthBefore"]["bps"], health(before));
    assert_eq!(stress["healthAfter"]["bps"], health(before - 4_000 * UNIT));
    assert_eq!(stress["healthAfter"]["level"], "CRITICAL");
    assert_eq!(stress["adviceBefore"]["move"], "WAIT");
    assert_eq!(stress["adviceAfter"]["move"], "TOP_UP", "{stress:#}");
    assert_eq!(base_units(&stress["adviceAfter"]["amount"]), 5_000 * UNIT - (before - 4_000 * UNIT));
    // An outflow larger than the balance empties it.
    let run = server.ok(Method::POST, STRESS, Some(json!({"outflow": 1_000_000 * UNIT})), StatusCode::OK).await;
    assert_eq!((base_units(&run["balanceAfter"]), run["healthAfter"]["bps"].as_u64()), (0, Some(0)));
    // The hot wallet is a pool vault on a local cluster: the test could be applied.
    assert_eq!((stress["applicable"].as_bool(), stress.get("notApplicable")), (Some(true), None), "{stress:#}");
    assert!(stress.get("applied").is_none());
    // A venue is a third party's account: no stress test is applied to it.
    let venue = server.ok(Method::GET, "/api/v1/managed-balance/2", None, StatusCode::OK).await;
    assert_eq!(venue["destinationType"], "VENUE");
    let venue_stress = "/api/v1/managed-balance/2/stress-test";
    let figures = server.ok(Method::POST, venue_stress, Some(json!({"outflow": "1"})), StatusCode::OK).await;
    assert_eq!(figures["applicable"], false);
    assert!(figures["notApplicable"].as_str().is_some_and(|why| why.contains("venue")), "{figures:#}");
    let venue_before = base_units(&venue["balance"]);
    let refused = server.call(Method::POST, venue_stress, Some(json!({"outflow": "1", "apply": true}))).await;
    assert_problem(&refused, 409, None);
    let venue_after = server.ok(Method::GET, "/api/v1/managed-balance/2", None, StatusCode::OK).await;
    assert_eq!(base_units(&venue_after["balance"]), venue_before);
    assert_eq!(env.hot_balance().await, before, "a stress test moves nothing");
}

async fn bad_input_is_named(env: &Env, server: &Server) {
    let before = env.hot_balance().await;
    for (body, field) in [
        (json!({"outflow": 12.5}), "outflow"),
        (json!({"outflow": "1.0000001"}), "outflow"),
        (json!({"outflow": "0"}), "outflow"),
        (json!({"outflow": "-3"}), "outflow"),
        (json!({"outflow": "5", "apply": "yes"}), "apply"),
        (json!({"outflow": "5", "dryRun": true}), "dryRun"),
        (json!({"outflow": "1000000", "apply": true}), "outflow"),
        (json!({}), "outflow"),
    ] {
        let answer = server.call(Method::POST, STRESS, Some(body.clone())).await;
        assert_problem(&answer, 422, Some(field));
    }
    assert_problem(&server.get("/api/v1/managed-balance/99/advice").await, 404, None);
    assert_problem(
        &server.call(Method::POST, "/api/v1/managed-balance/99/stress-test", Some(json!({"outflow": "1"}))).await,
        404,
        None,
    );
    assert_problem(&server.get("/api/v1/managed-balance/one/advice").await, 422, Some("id"));
    let bad_mode = server.call(Method::POST, &format!("{EXECUTE}?changeMode=maybe"), None).await;
    assert_problem(&bad_mode, 422, Some("changeMode"));
    assert_eq!(env.hot_balance().await, before);
}

async fn below_min_the_move_is_executed(env: &Env, server: &Server) {
    env.pay_out_to(1_500 * UNIT).await;
    let advice = server.eventually(ADVICE, "a top-up", |advice| advice["move"] == "TOP_UP").await;
    assert_eq!(base_units(&advice["amount"]), 3_500 * UNIT);
    assert_eq!(advice["headline"], "Top up 3,500");
    assert_eq!(advice["executable"], true);

    // Exported: the crank unsigned, paid by the authority; nothing is sent.
    let exported = server.ok(Method::POST, &format!("{EXECUTE}?changeMode=export"), None, StatusCode::ACCEPTED).await;
    assert_eq!(exported["status"], "EXPORTED", "{exported:#}");
    let bytes = bs58::decode(exported["export"]["squadsTransaction"].as_str().expect("base58")).into_vec().unwrap();
    let transaction: solana_transaction::Transaction = bincode::deserialize(&bytes).expect("a transaction");
    assert_eq!(transaction.message.account_keys[0], env.demo.authority.pubkey());
    let [instruction] = transaction.message.instructions.as_slice() else { panic!("one instruction") };
    assert_eq!(transaction.message.account_keys[usize::from(instruction.program_id_index)], smart_treasury::ID);
    assert!(instruction.data.starts_with(smart_treasury::instruction::TopUp::DISCRIMINATOR));
    assert_eq!(env.hot_balance().await, 1_500 * UNIT, "an export sends nothing");

    // Signed: beside `serve`, the authority's key sends the crank; the balance is back at target.
    let applied = server.ok(Method::POST, &format!("{EXECUTE}?changeMode=sign"), None, StatusCode::OK).await;
    assert_eq!(applied["status"], "APPLIED", "{applied:#}");
    let signature = applied["signature"].as_str().expect("a signature").to_string();
    assert_eq!(env.hot_balance().await, 5_000 * UNIT);
    let status =
        env.rpc.get_signature_status(&signature.parse().unwrap()).await.expect("status").expect("known to the cluster");
    assert!(status.is_ok());

    // The cooldown holds now: nothing to execute, and the activity log shows the crank.
    let after = server.ok(Method::GET, ADVICE, None, StatusCode::OK).await;
    assert_eq!(after["move"], "WAIT", "{after:#}");
    assert_problem(&server.call(Method::POST, &format!("{EXECUTE}?changeMode=sign"), None).await, 409, None);
    // Executed by hand: the log says manual, for the top-up and the server's decision alike.
    let log = server
        .eventually("/api/v1/managed-balance/1/activity-log", "the crank in the log", |log| {
            log["items"].as_array().into_iter().flatten().any(|entry| entry["signature"] == signature.as_str())
        })
        .await;
    let of_crank: Vec<&Value> =
        log["items"].as_array().unwrap().iter().filter(|entry| entry["signature"] == signature.as_str()).collect();
    assert!(of_crank.iter().any(|entry| entry["kind"] == "TOP_UP"), "{log:#}");
    for entry in of_crank {
        assert_eq!(entry["actionType"], "MANUAL", "{entry:#}");
    }
}

/// On this local cluster the outflow is withdrawn for real: the authority takes it into
/// its own token account, the operation log calls it a stress test, and the keeper's
/// planner now advises the top-up the figures predicted.
async fn a_stress_test_applied_for_real(env: &Env, server: &Server) {
    let before = env.hot_balance().await;
    let authority = env.demo.authority.pubkey();
    let sink =
        get_associated_token_address_with_program_id(&authority, &env.demo.mint, &env.demo.hot_wallet().token_program);
    let sink_before =
        smart_treasury_client::read::token_account(&env.rpc, &sink).await.map_or(0, |account| account.amount);
    let body = json!({"outflow": "4000", "apply": true});
    let stress = server.ok(Method::POST, STRESS, Some(body), StatusCode::OK).await;
    assert_eq!(stress["applied"]["status"], "APPLIED", "{stress:#}");
    let signature = stress["applied"]["signature"].as_str().expect("the withdrawal's signature").to_string();
    assert_eq!(env.hot_balance().await, before - 4_000 * UNIT);
    let sink_after = smart_treasury_client::read::token_account(&env.rpc, &sink).await.expect("the sink").amount;
    assert_eq!(sink_after - sink_before, 4_000 * UNIT);
    assert_eq!(base_units(&stress["balanceAfter"]), before - 4_000 * UNIT);
    let log = server
        .eventually("/api/v1/managed-balance/1/activity-log", "the withdrawal in the log", |log| {
            log["items"].as_array().into_iter().flatten().any(|entry| entry["signature"] == signature.as_str())
        })
        .await;
    let entry = log["items"].as_array().unwrap().iter().find(|entry| entry["signature"] == signature.as_str()).unwrap();
    assert_eq!((entry["kind"].as_str(), entry["actionType"].as_str()), (Some("WITHDRAWAL"), Some("STRESS_TEST")));
    assert!(entry["description"].as_str().is_some_and(|text| text.starts_with("Stress test applied")), "{entry:#}");
    assert_eq!(entry["amount"]["baseUnits"], format!("-{}", 4_000 * UNIT));
}
