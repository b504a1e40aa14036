//! An operator's back office over HTTP: reads, the seed flow (create a managed balance
//! with a funding source, tune it, adjust it, close it), changes exported for a DAO and
//! signed elsewhere, every class of bad input refused with nothing changed on chain,
//! and bearer-token auth.

use super::*;
use anchor_lang::{prelude::Pubkey, AccountDeserialize};
use base64::Engine;
use smart_treasury::state::ManagedBalance;
use smart_treasury_cli::demo::setup::PAYOUTS_POOL;
use smart_treasury_client::{ix, pda, read};
use solana_signer::Signer;

async fn account_bytes(env: &Env, address: &Pubkey) -> Vec<u8> {
    read::account(&env.rpc, address).await.expect("read").expect("exists").1
}

async fn managed(env: &Env, id: u32) -> ManagedBalance {
    let data = account_bytes(env, &pda::managed_balance_pda(&env.demo.treasury, id)).await;
    ManagedBalance::try_deserialize(&mut data.as_slice()).expect("a managed balance")
}

/// Signature of an applied change.
fn applied(answer: &Value) -> String {
    assert_eq!(answer["status"], "APPLIED", "{answer:#}");
    assert!(answer["effects"].as_array().is_some_and(|effects| !effects.is_empty()), "{answer:#}");
    answer["signature"].as_str().expect("a signature").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_operator_api_end_to_end() {
    let env = demo_env().await;
    let destination = env.demo.payouts_vault;
    let server = Server::start(&env, "api", true, api_settings(&env)).await;

    reads(&env, &server).await;
    let created = seed_flow(&env, &server, &destination).await;
    exported_changes_land_the_same_as_signed(&env, &server).await;
    bad_inputs_change_nothing(&env, &server).await;
    recommended_thresholds(&env, &server).await;
    activity_history_and_predictions(&server, created).await;
    treasury_pause_and_close(&env, &server, created).await;
    server.stop().await;

    tokens_guard_the_api(&env).await;
}

async fn reads(env: &Env, server: &Server) {
    let (status, health) = server.get("/healthz").await;
    assert_eq!((status, &health["status"]), (StatusCode::OK, &json!("ok")));
    let document = server.ok(Method::GET, "/api/v1/openapi.json", None, StatusCode::OK).await;
    assert!(document["openapi"].as_str().is_some_and(|version| version.starts_with("3.1")), "{}", document["openapi"]);
    for path in [
        "/api/v1/managed-balance",
        "/api/v1/managed-balance/{id}/thresholds",
        "/api/v1/managed-balance/{id}/funding-source",
        "/api/v1/balance-adjustment",
        "/api/v1/managed-balance/{id}/activity-log",
        "/api/v1/managed-balance/{id}/predictions",
        "/api/v1/managed-balance/{id}/recommendation",
        "/api/v1/hook/destination",
        "/api/v1/hook/delivery/{id}/replay",
    ] {
        assert!(document["paths"].get(path).is_some(), "{path} is documented");
    }

    let list = server.ok(Method::GET, "/api/v1/managed-balance", None, StatusCode::OK).await;
    assert_eq!(list["total"], 2, "{list:#}");
    let hot = &list["items"][0];
    assert_eq!((hot["id"].as_u64(), hot["name"].as_str()), (Some(1), Some("hot wallet USDC")));
    assert_eq!(hot["min"], json!({"tokens": "2000", "baseUnits": "2000000000"}));
    assert_eq!(hot["balance"]["tokens"], "5000");
    assert_eq!(hot["health"]["level"], "HEALTHY");
    assert_eq!(hot["bandPosition"], "WITHIN_BAND");
    assert_eq!(hot["fundingSources"].as_array().map(Vec::len), Some(2));
    assert_eq!(hot["fundingSources"][0]["sourceId"], env.demo.reserve_vault.to_string());
    assert_eq!(hot["fundingSources"][1]["allowance"]["tokens"], "100000");
    assert_eq!(hot["automation"]["remainingInPeriod"]["tokens"], "50000");
    assert_eq!(list["items"][1]["mode"], json!({"type": "RATIO", "ratioBps": 4000, "bandBps": 500}));

    let filtered = server.ok(Method::GET, "/api/v1/managed-balance?name=venue&size=1", None, StatusCode::OK).await;
    assert_eq!((filtered["total"].as_u64(), filtered["items"][0]["id"].as_u64()), (Some(1), Some(2)));
    let one = server.ok(Method::GET, "/api/v1/managed-balance/1", None, StatusCode::OK).await;
    assert_eq!(one["address"], pda::managed_balance_pda(&env.demo.treasury, 1).to_string());
    assert_problem(&server.get("/api/v1/managed-balance/999").await, 404, None);
    assert_problem(&server.get("/api/v1/managed-balance/abc").await, 422, Some("id"));
    assert_problem(&server.get("/api/v1/managed-balance?size=5000").await, 422, Some("size"));
    assert_problem(&server.get("/api/v1/managed-balance?health=PURPLE").await, 422, Some("health"));
    assert_problem(&server.get("/api/v1/managed-balance?colour=red").await, 422, Some("colour"));
    assert_problem(&server.get("/api/v1/nothing-here").await, 404, None);

    let treasury = server.ok(Method::GET, "/api/v1/treasury", None, StatusCode::OK).await;
    assert_eq!(treasury["authority"], env.demo.authority.pubkey().to_string());
    assert_eq!(treasury["paused"], false);
    assert_eq!(treasury["crankAccess"], "PERMISSIONLESS");
    let pools = treasury["pools"].as_array().expect("pools");
    assert_eq!(pools.len(), 3);
    assert_eq!(pools[0]["vaults"][0]["address"], env.demo.hot_vault.to_string());
    assert_eq!(pools[0]["vaults"][0]["balance"]["tokens"], "5000");
    // The demo's empty pool, where the seed flow creates a managed balance.
    assert_eq!((pools[2]["id"].as_u64(), pools[2]["name"].as_str()), (Some(3), Some("payouts")));
    assert_eq!(pools[2]["vaults"][0]["address"], env.demo.payouts_vault.to_string());
    assert_eq!(pools[2]["vaults"][0]["balance"]["tokens"], "0");
    assert_eq!(treasury["spenders"][0]["limitPerPeriod"]["tokens"], "100000");

    let metrics = server.http.get(format!("{}/metrics", server.url)).send().await.expect("metrics");
    assert!(metrics.text().await.expect("text").contains("smart_treasury_events_recorded_total"));

    // Request ids: a caller's is echoed, and one is made for a request without.
    let url = format!("{}/api/v1/treasury", server.url);
    let echoed = server.http.get(&url).header("x-request-id", "back-office-42").send().await.expect("answer");
    assert_eq!(echoed.headers()["x-request-id"], "back-office-42");
    let made = server.http.get(&url).send().await.expect("answer");
    let (first, second) = (made.headers()["x-request-id"].clone(), {
        server.http.get(&url).send().await.expect("answer").headers()["x-request-id"].clone()
    });
    assert!(!first.is_empty() && first != second, "{first:?} {second:?}");
}

/// Create a managed balance with a source, watch the keeper fill it, tune it, adjust it.
async fn seed_flow(env: &Env, server: &Server, destination: &Pubkey) -> u32 {
    let reserve = env.demo.reserve_vault.to_string();
    let created = server
        .ok(
            Method::POST,
            "/api/v1/managed-balance",
            Some(json!({
                "name": "payouts USDC",
                "mint": env.demo.mint.to_string(),
                "destinationType": "ASSET_POOL",
                "poolId": PAYOUTS_POOL,
                "min": "1000",
                "target": "2500",
                "max": 4_000 * UNIT,
                "cooldownSeconds": 0,
                "fundingSources": [{"sourceType": "ASSET_POOL", "sourceId": reserve, "priority": 1, "reserveFloor": "100000"}],
            })),
            StatusCode::OK,
        )
        .await;
    applied(&created);
    let id = 3;
    let on_chain = managed(env, id).await;
    assert_eq!((on_chain.min, on_chain.target, on_chain.max), (1_000 * UNIT, 2_500 * UNIT, 4_000 * UNIT));
    assert_eq!(on_chain.destination, *destination);
    assert_eq!(on_chain.linked_sources()[0].reserve_floor, 100_000 * UNIT);

    // Empty and below min: the keeper fills it to target from the reserve.
    let path = format!("/api/v1/managed-balance/{id}");
    server.eventually(&path, "the keeper's top-up", |json| json["balance"]["tokens"] == "2500").await;

    let thresholds = server
        .ok(Method::PATCH, &format!("{path}/thresholds"), Some(json!({"min": "1500", "max": "4500.5"})), StatusCode::OK)
        .await;
    applied(&thresholds);
    let after = server.ok(Method::GET, &path, None, StatusCode::OK).await;
    assert_eq!(
        (after["min"]["tokens"].as_str(), after["max"]["baseUnits"].as_str()),
        (Some("1500"), Some("4500500000"))
    );
    assert_eq!(after["configVersion"].as_u64(), Some(on_chain.config_version + 1));

    let settings = json!({"cooldownSeconds": 120, "periodCap": "60000", "forecastBandBps": 2500});
    applied(&server.ok(Method::PATCH, &format!("{path}/settings"), Some(settings), StatusCode::OK).await);
    let automation = managed(env, id).await.automation;
    assert_eq!(
        (automation.cooldown_seconds, automation.period_cap, automation.forecast_band_bps),
        (120, 60_000 * UNIT, 2_500)
    );

    // The venue's pool comes from its delegation; then the reserve's floor changes.
    let venue = json!({"sourceType": "VENUE", "sourceId": env.demo.venue.to_string(), "priority": 2});
    applied(&server.ok(Method::PUT, &format!("{path}/funding-source"), Some(venue), StatusCode::OK).await);
    let floor = json!({"sourceType": "ASSET_POOL", "sourceId": reserve, "priority": 1, "reserveFloor": 200_000 * UNIT});
    applied(&server.ok(Method::PUT, &format!("{path}/funding-source"), Some(floor), StatusCode::OK).await);
    let sources = managed(env, id).await;
    assert_eq!(sources.linked_sources().len(), 2);
    assert_eq!(sources.linked_sources()[0].reserve_floor, 200_000 * UNIT);
    assert_eq!(sources.linked_sources()[1].pool, pda::pool_pda(&env.demo.treasury, 2));

    // A manual top-up, idempotent by request id.
    let adjustment = json!({"managedBalanceId": id, "amount": "500", "requestId": "adjust-payouts-1"});
    let first = server.ok(Method::POST, "/api/v1/balance-adjustment", Some(adjustment.clone()), StatusCode::OK).await;
    applied(&first);
    let again = server.ok(Method::POST, "/api/v1/balance-adjustment", Some(adjustment), StatusCode::OK).await;
    assert_eq!(first, again, "a repeated request id answers as the first did");
    let other = json!({"managedBalanceId": id, "amount": "700", "requestId": "adjust-payouts-1"});
    assert_problem(&server.call(Method::POST, "/api/v1/balance-adjustment", Some(other)).await, 422, Some("requestId"));
    let balance = read::token_account(&env.rpc, destination).await.expect("destination").amount;
    assert_eq!(balance, 3_000 * UNIT, "one adjustment of 500 on top of 2,500");

    applied(&server.ok(Method::POST, &format!("{path}/disable"), None, StatusCode::OK).await);
    assert!(!managed(env, id).await.enabled);
    assert_problem(&server.call(Method::POST, &format!("{path}/disable"), None).await, 409, None);
    applied(&server.ok(Method::POST, &format!("{path}/enable"), None, StatusCode::OK).await);
    let unlinked =
        server.ok(Method::DELETE, &format!("{path}/funding-source/{}", env.demo.venue), None, StatusCode::OK).await;
    applied(&unlinked);
    assert_eq!(managed(env, id).await.linked_sources().len(), 1);
    id
}

/// A thresholds change exported for a DAO decodes back to its instructions in every form,
/// and, signed by another client, lands as `sign` would have.
async fn exported_changes_land_the_same_as_signed(env: &Env, server: &Server) {
    let before = managed(env, 1).await;
    let exported = server
        .ok(
            Method::PATCH,
            "/api/v1/managed-balance/1/thresholds?changeMode=export",
            Some(json!({"target": "5500"})),
            StatusCode::ACCEPTED,
        )
        .await;
    assert_eq!(exported["status"], "EXPORTED", "{exported:#}");
    assert_eq!(managed(env, 1).await.config_version, before.config_version, "an export changes nothing");
    let export = &exported["export"];
    let authority = env.demo.authority.pubkey();
    assert_eq!(export["signers"], json!([authority.to_string()]));

    // Squads: the base58 wire transaction.
    let wire = bs58::decode(export["squadsTransaction"].as_str().expect("squads")).into_vec().expect("base58");
    let mut transaction: solana_transaction::Transaction = bincode::deserialize(&wire).expect("a wire transaction");
    assert_eq!(transaction.message.account_keys[0], authority);
    let managed_balance = pda::managed_balance_pda(&env.demo.treasury, 1);
    // A version guard first, so a proposal executed after the settings moved on fails.
    let guard = ix::expect_balance_version(env.demo.treasury, managed_balance, before.config_version);
    let expected =
        ix::update_thresholds(authority, env.demo.treasury, managed_balance, before.min, 5_500 * UNIT, before.max);
    assert_eq!(transaction.message.instructions.len(), 2);
    let keys = transaction.message.account_keys.clone();
    for (compiled, wanted) in transaction.message.instructions.iter().zip([&guard, &expected]) {
        assert_eq!(keys[usize::from(compiled.program_id_index)], wanted.program_id);
        assert_eq!(compiled.data, wanted.data);
        let accounts: Vec<Pubkey> = compiled.accounts.iter().map(|index| keys[usize::from(*index)]).collect();
        assert_eq!(accounts, wanted.accounts.iter().map(|meta| meta.pubkey).collect::<Vec<_>>());
    }

    // Realms: SPL Governance InstructionData, read field by field.
    let realms = base64::engine::general_purpose::STANDARD
        .decode(export["realmsInstructions"][1].as_str().expect("realms"))
        .expect("base64");
    let (program, rest) = realms.split_at(32);
    assert_eq!(program, expected.program_id.as_ref());
    let count = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
    assert_eq!(count, expected.accounts.len());
    let mut at = 4;
    for meta in &expected.accounts {
        assert_eq!(&rest[at..at + 32], meta.pubkey.as_ref());
        assert_eq!((rest[at + 32] == 1, rest[at + 33] == 1), (meta.is_signer, meta.is_writable));
        at += 34;
    }
    let data_len = u32::from_le_bytes(rest[at..at + 4].try_into().unwrap()) as usize;
    assert_eq!(&rest[at + 4..at + 4 + data_len], expected.data.as_slice());
    assert_eq!(at + 4 + data_len, rest.len());
    // Plain JSON.
    assert_eq!(export["realmsInstructions"].as_array().map(Vec::len), Some(2));
    assert_eq!(export["instructions"][1]["programId"], expected.program_id.to_string());
    assert_eq!(export["instructions"][1]["accounts"][0]["isSigner"], true);

    // Another client signs the exported transaction and sends it.
    let blockhash = env.rpc.get_latest_blockhash().await.expect("blockhash");
    transaction.sign(&[&env.demo.authority], blockhash);
    env.rpc.send_and_confirm_transaction(&transaction).await.expect("the exported change lands");
    let after = managed(env, 1).await;
    assert_eq!((after.min, after.target, after.max), (before.min, 5_500 * UNIT, before.max));
    assert_eq!(after.config_version, before.config_version + 1);
    server
        .eventually("/api/v1/managed-balance/1", "the keeper sees the new target", |json| {
            json["target"]["tokens"] == "5500"
        })
        .await;

    // The same change through `sign` lands the same way.
    let signed = server
        .ok(Method::PATCH, "/api/v1/managed-balance/1/thresholds", Some(json!({"target": "5000"})), StatusCode::OK)
        .await;
    applied(&signed);
    let back = managed(env, 1).await;
    assert_eq!((back.target, back.config_version), (5_000 * UNIT, after.config_version + 1));
}

/// A request that must be refused: method, path, body, status, the field it names.
type BadRequest = (Method, String, Option<Value>, u16, Option<&'static str>);

/// Every class of bad input is a 4xx problem naming the field, and nothing changes.
async fn bad_inputs_change_nothing(env: &Env, server: &Server) {
    let balance_1 = pda::managed_balance_pda(&env.demo.treasury, 1);
    let (before_balance, before_treasury) =
        (account_bytes(env, &balance_1).await, account_bytes(env, &env.demo.treasury).await);
    let thresholds = "/api/v1/managed-balance/1/thresholds";
    let mint = env.demo.mint.to_string();
    let create = |extra: Value| {
        let mut body = json!({"name": "x", "mint": mint, "destinationType": "ASSET_POOL", "poolId": 1, "min": "1", "target": "2", "max": "3"});
        for (key, value) in extra.as_object().expect("object") {
            body[key] = value.clone();
        }
        body
    };
    let cases: Vec<BadRequest> = vec![
        (Method::POST, "/api/v1/managed-balance".into(), Some(create(json!({"colour": "red"}))), 422, Some("colour")),
        (Method::PATCH, thresholds.into(), Some(json!({"min": true})), 422, Some("min")),
        (Method::PATCH, thresholds.into(), Some(json!({"min": 12.5})), 422, Some("min")),
        (Method::PATCH, thresholds.into(), Some(json!({"min": "1.0000001"})), 422, Some("min")),
        (Method::PATCH, thresholds.into(), Some(json!({"min": "6000"})), 422, Some("min")),
        (Method::PATCH, thresholds.into(), Some(json!({"min": "100", "expectedConfigVersion": 1})), 409, None),
        (
            Method::PATCH,
            "/api/v1/managed-balance/1/settings".into(),
            Some(json!({"forecastBandBps": 20000})),
            422,
            Some("forecastBandBps"),
        ),
        (
            Method::PATCH,
            "/api/v1/managed-balance/1/settings".into(),
            Some(json!({"periodSeconds": 0})),
            422,
            Some("periodSeconds"),
        ),
        (
            Method::PATCH,
            "/api/v1/managed-balance/1/settings".into(),
            Some(json!({"mode": {"type": "RATIO", "ratioBps": 4000}})),
            422,
            Some("mode.bandBps"),
        ),
        (Method::PATCH, "/api/v1/managed-balance/999/thresholds".into(), Some(json!({"min": "1"})), 404, None),
        (
            Method::PUT,
            "/api/v1/managed-balance/1/funding-source".into(),
            Some(json!({"sourceType": "VENUE", "sourceId": "not-an-address", "priority": 3})),
            422,
            Some("sourceId"),
        ),
        (
            Method::PUT,
            "/api/v1/managed-balance/1/funding-source".into(),
            Some(json!({"sourceType": "VENUE", "sourceId": env.demo.customer.to_string(), "poolId": 2, "priority": 1})),
            422,
            Some("priority"),
        ),
        (
            Method::PUT,
            "/api/v1/managed-balance/1/funding-source".into(),
            Some(json!({"sourceType": "VENUE", "sourceId": env.demo.customer.to_string(), "priority": 300})),
            422,
            Some("priority"),
        ),
        (Method::POST, "/api/v1/managed-balance".into(), Some(create(json!({"poolId": 77}))), 422, Some("poolId")),
        (
            Method::POST,
            "/api/v1/managed-balance".into(),
            Some(create(json!({"mint": "11111111111111111111111111111111"}))),
            422,
            Some("mint"),
        ),
        (Method::POST, "/api/v1/managed-balance".into(), Some(create(json!({"id": 1}))), 409, None),
        (Method::POST, "/api/v1/managed-balance".into(), Some(create(json!({"name": ""}))), 422, Some("name")),
        (
            Method::POST,
            "/api/v1/balance-adjustment".into(),
            Some(json!({"managedBalanceId": 1, "amount": "0", "requestId": "zero"})),
            422,
            Some("amount"),
        ),
        (
            Method::POST,
            "/api/v1/balance-adjustment".into(),
            Some(json!({"managedBalanceId": 1, "amount": "1", "requestId": "no spaces"})),
            422,
            Some("requestId"),
        ),
        (Method::DELETE, format!("/api/v1/managed-balance/1/funding-source/{}", env.demo.customer), None, 404, None),
        (
            Method::POST,
            "/api/v1/hook/destination".into(),
            Some(json!({"url": "ftp://x", "events": ["*"]})),
            422,
            Some("url"),
        ),
        (
            Method::POST,
            "/api/v1/hook/destination".into(),
            Some(json!({"url": "https://example.com", "events": ["balance.nope"]})),
            422,
            Some("events[0]"),
        ),
        (Method::POST, "/api/v1/hook/delivery/12345/replay".into(), None, 404, None),
    ];
    for (method, path, body, status, field) in cases {
        let answer = server.call(method.clone(), &path, body.clone()).await;
        assert_problem(&answer, status, field);
        eprintln!("refused as expected: {method} {path} {body:?} -> {status} {field:?}");
    }

    // Not JSON, the wrong content type, and a body over the limit.
    let raw = |body: &'static str, content_type: &'static str| {
        server.http.patch(format!("{}{thresholds}", server.url)).header("content-type", content_type).body(body).send()
    };
    let answer = raw("{\"min\": ", "application/json").await.expect("answer");
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert_eq!(answer.headers()["content-type"], "application/problem+json");
    let answer = raw("min=1", "application/x-www-form-urlencoded").await.expect("answer");
    assert_eq!(answer.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = json!({"name": "x".repeat(100_000)});
    assert_problem(&server.call(Method::POST, "/api/v1/managed-balance", Some(huge)).await, 413, None);

    assert_eq!(account_bytes(env, &balance_1).await, before_balance, "no bad request changed the managed balance");
    assert_eq!(account_bytes(env, &env.demo.treasury).await, before_treasury, "nor the treasury");
    let list = server.ok(Method::GET, "/api/v1/managed-balance", None, StatusCode::OK).await;
    assert_eq!(list["total"], 3, "no managed balance was created by a bad request");
}

/// A payout recorded by the keeper is outflow to size from: min covers it over the
/// landing time plus the margin, and both settings come with their backtest.
async fn recommended_thresholds(env: &Env, server: &Server) {
    // The venue has paid nothing out (the keeper's own moves are not outflow): no
    // recommendation yet, said as a normal answer with its reason.
    let none = server.ok(Method::GET, "/api/v1/managed-balance/2/recommendation", None, StatusCode::OK).await;
    assert_eq!((none["managedBalanceId"].as_u64(), none["available"].as_bool()), (Some(2), Some(false)), "{none:#}");
    assert!(none["reason"].as_str().is_some_and(|reason| reason.contains("no outflow recorded")), "{none:#}");
    assert!(none.get("recommended").is_none(), "{none:#}");

    env.pay_out_to(4_900 * UNIT).await;
    let path = "/api/v1/managed-balance/1/recommendation";
    let answer = server.eventually(path, "a recommendation", |json| json["recordedMinutes"].is_u64()).await;
    assert_eq!(answer["available"], true, "{answer:#}");
    assert_eq!(answer["landingOutflow"], json!({"tokens": "100", "baseUnits": "100000000"}), "{answer:#}");
    let recommended = &answer["recommended"];
    assert_eq!(recommended["min"]["tokens"], "125", "100 and the 25% margin: {answer:#}");
    let units = |value: &Value| value["baseUnits"].as_str().unwrap().parse::<u64>().unwrap();
    let (min, target, max) = (units(&recommended["min"]), units(&recommended["target"]), units(&recommended["max"]));
    assert!(min < target && target - min == max - target, "{answer:#}");
    assert_eq!(answer["current"]["min"]["tokens"], "2000");
    for setting in [&answer["current"], recommended] {
        let backtest = &setting["backtest"];
        assert_eq!(backtest["minutes"], answer["recordedMinutes"], "{answer:#}");
        assert!(backtest["transfers"].is_u64() && backtest["minutesBelowMin"].is_u64(), "{answer:#}");
        assert!(units(&backtest["idleCapital"]) > 0, "{answer:#}");
    }
    assert!(answer["basis"].as_str().is_some_and(|basis| basis.contains("99th percentile")));

    let tuned = server.ok(Method::GET, &format!("{path}?landingSeconds=600&marginBps=0"), None, StatusCode::OK).await;
    assert_eq!(tuned["recommended"]["min"]["tokens"], "100", "{tuned:#}");
    assert_problem(&server.get(&format!("{path}?topUpsPerDay=0")).await, 422, Some("topUpsPerDay"));
    assert_problem(&server.get(&format!("{path}?quantile=0.5")).await, 422, Some("quantile"));
    assert_problem(&server.get("/api/v1/managed-balance/999/recommendation").await, 404, None);
}

async fn activity_history_and_predictions(server: &Server, id: u32) {
    let log = server
        .ok(Method::GET, &format!("/api/v1/managed-balance/{id}/activity-log?size=100"), None, StatusCode::OK)
        .await;
    let entries = log["items"].as_array().expect("entries");
    let kinds: Vec<&str> = entries.iter().filter_map(|entry| entry["kind"].as_str()).collect();
    for kind in ["CONFIGURATION", "TOP_UP", "ADJUSTMENT", "KEEPER_DECISION"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let top_up = entries.iter().find(|entry| entry["kind"] == "TOP_UP").expect("the keeper's top-up");
    assert_eq!(top_up["actionType"], "AUTOMATIC");
    assert_eq!(top_up["amount"]["tokens"], "2500");
    assert_eq!(top_up["balanceAfter"]["tokens"], "2500");
    assert!(top_up["signature"].is_string() && top_up["slot"].is_u64() && top_up["feeLamports"].is_u64());
    assert_eq!(top_up["sources"][0]["amount"]["tokens"], "2500");
    let adjustment = entries.iter().find(|entry| entry["kind"] == "ADJUSTMENT").expect("the adjustment");
    assert_eq!(adjustment["actionType"], "MANUAL");
    let acted = entries.iter().find(|entry| entry["decision"]["outcome"] == "acted").expect("the keeper's decision");
    assert_eq!(acted["decision"]["reason"], "threshold");
    // Newest first.
    let times: Vec<&str> = entries.iter().filter_map(|entry| entry["at"].as_str()).collect();
    assert!(times.windows(2).all(|pair| pair[0] >= pair[1]), "{times:?}");
    let paged = server
        .ok(Method::GET, &format!("/api/v1/managed-balance/{id}/activity-log?size=2&page=2"), None, StatusCode::OK)
        .await;
    assert_eq!(paged["items"][0], entries[2]);
    assert_eq!(paged["total"], log["total"]);
    assert_problem(
        &server.get(&format!("/api/v1/managed-balance/{id}/activity-log?from=yesterday")).await,
        422,
        Some("from"),
    );

    let history = server
        .ok(Method::GET, &format!("/api/v1/managed-balance/{id}/history?resolution=60"), None, StatusCode::OK)
        .await;
    let points = history["points"].as_array().expect("points");
    assert_eq!(points.len(), 24 * 60);
    let top_ups: u64 =
        points.iter().map(|point| point["topUps"]["baseUnits"].as_str().unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(top_ups, 3_000 * UNIT, "the keeper's 2,500 and the adjustment's 500");
    assert_eq!(points.last().unwrap()["balance"]["tokens"], "3000");
    assert_problem(
        &server.get(&format!("/api/v1/managed-balance/{id}/history?resolution=1")).await,
        422,
        Some("resolution"),
    );

    let predictions =
        server.eventually("/api/v1/managed-balance/1/predictions", "a forecast", |json| json["path"].is_array()).await;
    assert_eq!(predictions["path"].as_array().map(Vec::len), Some(48));
    let first = &predictions["path"][0]["balance"];
    for bound in ["low95", "low80", "expected", "high80", "high95"] {
        assert!(first[bound]["baseUnits"].is_string(), "{bound} in {first:#}");
    }
    assert!(predictions["nextTopUp"]["probability"].is_number());
}

async fn treasury_pause_and_close(env: &Env, server: &Server, id: u32) {
    applied(&server.ok(Method::POST, "/api/v1/treasury/pause", None, StatusCode::OK).await);
    assert!(read::treasury(&env.rpc, &env.demo.treasury).await.expect("treasury").paused);
    assert_problem(&server.call(Method::POST, "/api/v1/treasury/pause", None).await, 409, None);
    applied(&server.ok(Method::POST, "/api/v1/treasury/unpause", None, StatusCode::OK).await);
    assert!(!read::treasury(&env.rpc, &env.demo.treasury).await.expect("treasury").paused);

    applied(&server.ok(Method::DELETE, &format!("/api/v1/managed-balance/{id}"), None, StatusCode::OK).await);
    assert!(read::account(&env.rpc, &pda::managed_balance_pda(&env.demo.treasury, id)).await.expect("read").is_none());
    assert_problem(&server.get(&format!("/api/v1/managed-balance/{id}")).await, 404, None);
    // Its history stays readable through the activity of its destination... but the
    // balance itself is gone from the list.
    let list = server.ok(Method::GET, "/api/v1/managed-balance", None, StatusCode::OK).await;
    assert_eq!(list["total"], 2);
}

/// Read and write tokens: no token, a wrong one, and a read token on a write are refused.
async fn tokens_guard_the_api(env: &Env) {
    let (read_token, read_hash) = smart_treasury_api::auth::new_token();
    let (write_token, write_hash) = smart_treasury_api::auth::new_token();
    let settings = ApiFileConfig {
        listen: Some("127.0.0.1:0".into()),
        change_mode: Some("export".into()),
        tokens: Some(vec![
            config::TokenEntry { name: "dashboard".into(), scope: "read".into(), sha256: read_hash },
            config::TokenEntry { name: "back-office".into(), scope: "write".into(), sha256: write_hash },
        ]),
        ..Default::default()
    };
    let mut server = Server::start(env, "guarded", false, settings).await;
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, StatusCode::OK, "health needs no token");
    let answer = server.get("/api/v1/managed-balance").await;
    assert_problem(&answer, 401, None);
    server.token = Some("st_not-a-token".into());
    assert_problem(&server.get("/api/v1/managed-balance").await, 401, None);
    server.token = Some(read_token);
    server.ok(Method::GET, "/api/v1/managed-balance", None, StatusCode::OK).await;
    let write = json!({"min": "1500"});
    assert_problem(
        &server.call(Method::PATCH, "/api/v1/managed-balance/1/thresholds", Some(write.clone())).await,
        403,
        None,
    );
    server.token = Some(write_token);
    let exported =
        server.ok(Method::PATCH, "/api/v1/managed-balance/1/thresholds", Some(write), StatusCode::ACCEPTED).await;
    assert_eq!(exported["status"], "EXPORTED");
    // Deliveries to loopback or private addresses need the config's consent.
    for url in ["http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://localhost:8080/hook"] {
        let hook = json!({"url": url, "events": ["balance.*"]});
        let refused = server.call(Method::POST, "/api/v1/hook/destination", Some(hook)).await;
        assert_problem(&refused, 422, Some("url"));
        assert!(
            refused.1["errors"][0]["detail"].as_str().unwrap().contains("allow_private_destinations"),
            "{refused:?}"
        );
    }
    assert_eq!(server.ok(Method::GET, "/api/v1/hook/destination", None, StatusCode::OK).await, json!([]));
    server.stop().await;

    // Listening beyond loopback without a token is refused at start-up, saying what to set.
    let open = ApiFileConfig { listen: Some("0.0.0.0:0".into()), ..Default::default() };
    let error = config::resolve(open, ApiFileConfig::default()).unwrap_err().to_string();
    assert!(error.contains("[[api.tokens]]"), "{error}");
}
