//! Standard Webhooks to a real loopback receiver that verifies every signature with the
//! Python `standardwebhooks` package: ids from the chain, 500s retried on schedule,
//! `Retry-After` honoured, 410 disabling a destination, dead letters and replay, Slack
//! text, and secret rotation with overlap.

use super::*;
use smart_treasury_client::events;

const PAYOUT_FLOOR: u64 = 1_500 * UNIT;

fn of_type<'a>(received: &'a [Value], path: &str, kind: &str) -> Vec<&'a Value> {
    received.iter().filter(|r| r["path"] == path && r["type"] == kind).collect()
}

fn delivered(received: &[Value], path: &str, kind: &str) -> bool {
    of_type(received, path, kind).iter().any(|r| r["verified"] == true && r["status"] == 204)
}

async fn destination(server: &Server, receiver: &Receiver, path: &str, events: Value, kind: &str) -> (String, String) {
    let created = server
        .ok(
            Method::POST,
            "/api/v1/hook/destination",
            Some(json!({"url": format!("{}{path}", receiver.url), "events": events, "type": kind})),
            StatusCode::CREATED,
        )
        .await;
    let secret = created["secret"].as_str().expect("a secret").to_string();
    assert!(secret.starts_with("whsec_"));
    receiver.control(json!({"secrets": {path: secret}})).await;
    (created["id"].as_str().expect("an id").to_string(), secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhooks_reach_a_standard_receiver() {
    let env = demo_env().await;
    let receiver = Receiver::start(&env.dir.0).await;
    let server = Server::start(&env, "hooks", true, api_settings(&env)).await;
    // Everything the test itself causes (not the demo venue's rebalancing, which the
    // keeper may do at any moment and would take the receiver's scripted answers).
    let watched = json!([
        "balance.below_min",
        "balance.health_red",
        "balance.topped_up",
        "balance.adjusted",
        "balance.config_changed",
        "treasury.*"
    ]);
    let (main, _) = destination(&server, &receiver, "/a", watched, "web").await;
    let (gone, _) = destination(&server, &receiver, "/gone", json!(["treasury.paused"]), "web").await;
    let (dead, _) = destination(&server, &receiver, "/dead", json!(["treasury.unpaused"]), "web").await;
    destination(&server, &receiver, "/slack", json!(["balance.adjusted"]), "slack").await;
    let listed = server.ok(Method::GET, "/api/v1/hook/destination", None, StatusCode::OK).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(4));
    assert!(listed[0].get("secret").is_none(), "secrets are shown once");

    // A breach: the keeper alerts and tops up; the first two deliveries to /a fail.
    receiver.control(json!({"respond": {"/a": [500, 500]}})).await;
    env.pay_out_to(PAYOUT_FLOOR).await;
    let received = receiver
        .eventually("the breach and its top-up, delivered", Duration::from_secs(60), |received| {
            ["balance.below_min", "balance.health_red", "balance.topped_up"]
                .iter()
                .all(|kind| delivered(received, "/a", kind))
        })
        .await;
    let retried: Vec<&Value> = received.iter().filter(|r| r["path"] == "/a" && r["status"] == 500).collect();
    assert_eq!(retried.len(), 2, "two 500s answered");
    for failure in &retried {
        let again: Vec<&Value> = received.iter().filter(|r| r["id"] == failure["id"] && r["status"] == 204).collect();
        assert_eq!(again.len(), 1, "a failed delivery is retried with the same id: {failure}");
        let gap = again[0]["received_at"].as_f64().unwrap() - failure["received_at"].as_f64().unwrap();
        assert!(gap >= 0.85, "retried after the schedule's 1 s (±10%), not {gap:.2} s");
    }

    // The top-up's id and payload come from the chain.
    let top_up = of_type(&received, "/a", "balance.topped_up")[0];
    let body: Value = serde_json::from_str(top_up["body"].as_str().unwrap()).unwrap();
    let signature = body["data"]["signature"].as_str().expect("a signature");
    let chain = events::fetch(&env.rpc, signature).await.expect("fetch").expect("served");
    let (index, _) = chain.decoded().find(|(_, event)| event.name() == "ToppedUp").expect("a ToppedUp event");
    assert_eq!(top_up["id"], format!("{signature}:{index}:balance.topped_up"));
    assert_eq!(body["id"], top_up["id"]);
    assert_eq!(body["data"]["slot"], chain.slot);
    assert_eq!(body["data"]["name"], "hot wallet USDC");
    assert_eq!(body["data"]["amount"]["tokens"], "3500");
    assert_eq!(body["data"]["balanceAfter"], json!({"tokens": "5000", "baseUnits": "5000000000"}));

    let deliveries = server
        .ok(Method::GET, &format!("/api/v1/hook/delivery?destination={main}&status=DELIVERED"), None, StatusCode::OK)
        .await;
    let retried_delivery = deliveries["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|delivery| delivery["attempts"] == 2)
        .expect("a delivery that took two attempts");
    let detail = server
        .ok(Method::GET, &format!("/api/v1/hook/delivery/{}", retried_delivery["id"]), None, StatusCode::OK)
        .await;
    let statuses: Vec<&Value> = detail["attemptLog"].as_array().unwrap().iter().map(|a| &a["responseStatus"]).collect();
    assert_eq!(statuses, [&json!(500), &json!(204)]);

    // Retry-After holds the next attempt back beyond the schedule.
    receiver.control(json!({"respond": {"/a": [503]}, "retry_after": "3"})).await;
    let adjust = json!({"managedBalanceId": 1, "amount": "100", "requestId": "hooks-adjust"});
    server.ok(Method::POST, "/api/v1/balance-adjustment", Some(adjust), StatusCode::OK).await;
    let received = receiver
        .eventually("the adjustment, after Retry-After", Duration::from_secs(30), |r| {
            delivered(r, "/a", "balance.adjusted")
        })
        .await;
    let attempts = of_type(&received, "/a", "balance.adjusted");
    let gap = attempts[1]["received_at"].as_f64().unwrap() - attempts[0]["received_at"].as_f64().unwrap();
    assert!(gap >= 2.9, "Retry-After: 3 waited {gap:.2} s");
    receiver.control(json!({"retry_after": null})).await;
    // The Slack destination got a readable text, signed like any other.
    let received = receiver
        .eventually("the slack text", Duration::from_secs(30), |r| {
            r.iter().any(|d| d["path"] == "/slack" && d["verified"] == true)
        })
        .await;
    let slack = received.iter().find(|d| d["path"] == "/slack").unwrap();
    let text: Value = serde_json::from_str(slack["body"].as_str().unwrap()).unwrap();
    assert!(text["text"].as_str().is_some_and(|t| t.contains("balance.adjusted") && t.contains("100")), "{text}");

    // 410 Gone disables a destination.
    receiver.control(json!({"respond": {"/gone": [410], "/dead": [500, 500, 500, 500]}})).await;
    server.ok(Method::POST, "/api/v1/treasury/pause", None, StatusCode::OK).await;
    receiver.eventually("the pause", Duration::from_secs(30), |r| delivered(r, "/a", "treasury.paused")).await;
    let listed = server
        .eventually("/api/v1/hook/destination", "the gone destination disabled", |list| {
            list.as_array().unwrap().iter().any(|d| d["id"] == gone.as_str() && d["enabled"] == false)
        })
        .await;
    let disabled = listed.as_array().unwrap().iter().find(|d| d["id"] == gone.as_str()).unwrap();
    assert!(disabled["disabledReason"].as_str().unwrap().contains("410"));

    // The unpause fails at /dead on every try: a dead letter, then replayed.
    server.ok(Method::POST, "/api/v1/treasury/unpause", None, StatusCode::OK).await;
    let dead_letters = server
        .eventually(&format!("/api/v1/hook/delivery?destination={dead}&status=FAILED"), "a dead letter", |page| {
            page["total"] == 1
        })
        .await;
    let letter = &dead_letters["items"][0];
    assert_eq!(letter["attempts"], 4, "every try of the schedule: {letter:#}");
    let replayed = server
        .ok(Method::POST, &format!("/api/v1/hook/delivery/{}/replay", letter["id"]), None, StatusCode::ACCEPTED)
        .await;
    assert_eq!(replayed["status"], "PENDING");
    let received = receiver
        .eventually("the replayed letter", Duration::from_secs(30), |r| delivered(r, "/dead", "treasury.unpaused"))
        .await;
    let ids: Vec<&Value> = of_type(&received, "/dead", "treasury.unpaused").iter().map(|r| &r["id"]).collect();
    assert_eq!(ids.len(), 5);
    assert!(ids.iter().all(|id| **id == letter["messageId"]), "a replay keeps the message id: {ids:?}");
    // The gone destination received the pause once (the 410) and nothing since.
    assert_eq!(received.iter().filter(|r| r["path"] == "/gone").count(), 1);
    let (status, _) = server.call(Method::POST, &format!("/api/v1/hook/delivery/{}/replay", letter["id"]), None).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // Rotation: both secrets sign during the overlap, so either verifies.
    let rotated =
        server.ok(Method::POST, &format!("/api/v1/hook/destination/{main}/rotate-secret"), None, StatusCode::OK).await;
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    server
        .ok(Method::PATCH, "/api/v1/managed-balance/1/thresholds", Some(json!({"max": "8500"})), StatusCode::OK)
        .await;
    receiver
        .eventually("a change signed with both secrets", Duration::from_secs(30), |r| {
            delivered(r, "/a", "balance.config_changed")
        })
        .await;
    receiver.control(json!({"secrets": {"/a": new_secret}})).await;
    server
        .ok(Method::PATCH, "/api/v1/managed-balance/1/thresholds", Some(json!({"max": "8000"})), StatusCode::OK)
        .await;
    receiver
        .eventually("a change verified with the new secret", Duration::from_secs(30), |r| {
            of_type(r, "/a", "balance.config_changed").iter().filter(|d| d["verified"] == true).count() >= 2
        })
        .await;
    let received = receiver.received();
    let unverified: Vec<&Value> = received.iter().filter(|r| r["verified"] != true).collect();
    assert!(unverified.is_empty(), "every delivery verified: {unverified:#?}");
    server.stop().await;
}

/// Two API servers on one store (a standby beside the active one, or several keepers'
/// servers sharing a file): both ingest the same events and both keepers raise the same
/// alerts, yet every message reaches a destination once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_store_deliver_each_message_once() {
    let env = demo_env().await;
    let receiver = Receiver::start(&env.dir.0).await;
    let first_settings = env.keeper_settings("first").await;
    let second_settings = FileConfig { store: first_settings.store.clone(), ..env.keeper_settings("second").await };
    let first = Server::start_with(first_settings, false, api_settings(&env)).await;
    let second = Server::start_with(second_settings, false, api_settings(&env)).await;
    let watched = json!(["balance.adjusted", "balance.below_min", "balance.health_red"]);
    destination(&first, &receiver, "/shared", watched, "web").await;
    let listed = second.ok(Method::GET, "/api/v1/hook/destination", None, StatusCode::OK).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "one store, one list");

    // An event both servers ingest, then a breach both keepers see.
    let adjust = json!({"managedBalanceId": 1, "amount": "10", "requestId": "two-servers"});
    second.ok(Method::POST, "/api/v1/balance-adjustment", Some(adjust), StatusCode::OK).await;
    env.pay_out_to(PAYOUT_FLOOR).await;
    let kinds = ["balance.adjusted", "balance.below_min", "balance.health_red"];
    receiver
        .eventually("each kind delivered", Duration::from_secs(60), |received| {
            kinds.iter().all(|kind| delivered(received, "/shared", kind))
        })
        .await;
    // Both servers keep polling their outbox: give a duplicate time to arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = receiver.received();
    for kind in kinds {
        let deliveries = of_type(&received, "/shared", kind);
        assert_eq!(deliveries.len(), 1, "{kind} delivered once: {deliveries:#?}");
        assert_eq!(deliveries[0]["verified"], true);
    }
    first.stop().await;
    second.stop().await;
}
