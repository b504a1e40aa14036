use super::env;
use smart_treasury_client::{read, tx::decode_exported};
use solana_signer::Signer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn treasury_show_and_balance_list_report_the_chain() {
    let env = env().await;
    env.funded_treasury().await;

    let shown = env.treasury_json(&["treasury", "show"]).await;
    assert_eq!(shown["address"], env.treasury());
    assert_eq!(shown["authority"], env.world.authority.pubkey().to_string());
    assert_eq!(shown["guardian"], env.world.guardian.pubkey().to_string());
    assert_eq!(shown["paused"], false);
    assert_eq!(shown["crank_access"], "permissionless");
    assert_eq!(shown["managed_balances"], 2);
    assert_eq!(shown["pools"][1]["name"], "reserve");
    assert_eq!(shown["spenders"][0]["spender"], env.world.spender.pubkey().to_string());
    let table = env.treasury_cli(&["treasury", "show"]).await.unwrap();
    let access = table.lines().find(|line| line.starts_with("crank access")).expect("a crank access line");
    assert!(access.ends_with(" permissionless") && table.contains("hot wallet"), "{table}");

    let list = env.treasury_json(&["balance", "list"]).await;
    let hot = &list[0];
    assert_eq!(hot["id"], 1);
    assert_eq!(hot["name"], "hot wallet USDC");
    assert_eq!(hot["balance"], 5_000_000_000u64);
    assert_eq!(hot["health_bps"], 10_000);
    assert_eq!(hot["health"], "healthy");
    assert_eq!(hot["position"], "within_band");
    assert_eq!(hot["mode"], "threshold");
    assert_eq!(hot["sources"][0]["available"], 900_000_000_000u64, "above the reserve floor");
    assert_eq!(hot["sources"][1]["kind"], "venue");
    assert_eq!(hot["sources"][1]["allowance"], 100_000_000_000u64, "what the venue delegated");
    assert_eq!(list[1]["mode"], "ratio 4000/500 bps");
    let table = env.treasury_cli(&["balance", "list"]).await.unwrap();
    assert!(table.contains("100.0% healthy") && table.contains("sources of 1 \"hot wallet USDC\":"), "{table}");
    // Tables show token units (grouped); --base-units shows the integers.
    let hot_row = table.lines().find(|line| line.contains("hot wallet USDC") && line.starts_with('1')).expect("a row");
    assert!(hot_row.contains("5,000") && hot_row.contains("2,000") && hot_row.contains("8,000"), "{hot_row}");
    let base = env.treasury_cli(&["--base-units", "balance", "list"]).await.unwrap();
    assert!(base.contains("5000000000") && !base.contains("5,000 "), "{base}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balances_are_created_updated_disabled_and_enabled() {
    let env = env().await;
    env.funded_treasury().await;
    let mint = env.world.mint.to_string();
    let created = env
        .treasury_json(&[
            "balance",
            "create",
            "--id",
            "3",
            "--name",
            "payouts",
            "--mint",
            &mint,
            "--pool",
            "2",
            "--base-units",
            "--min",
            "100",
            "--target",
            "200",
            "--max",
            "300",
            "--disabled",
        ])
        .await;
    assert_eq!(created["applied"].as_array().unwrap().len(), 1, "{created}");
    let list = env.treasury_json(&["balance", "list"]).await;
    let payouts = &list[2];
    assert_eq!((payouts["id"].as_u64(), payouts["enabled"].as_bool()), (Some(3), Some(false)));
    assert_eq!(payouts["destination"], env.world.vault(2).to_string());

    // Token units: 0.0004 of a 6-decimal mint is 400 base units.
    let updated =
        env.treasury_json(&["balance", "update", "--id", "3", "--max", "0.0004", "--cooldown-seconds", "5"]).await;
    assert_eq!(updated["applied"].as_array().unwrap().len(), 2, "thresholds and settings: {updated}");
    env.treasury_json(&["balance", "enable", "--id", "3"]).await;
    let again = env.treasury_cli(&["balance", "enable", "--id", "3"]).await.unwrap();
    assert!(again.contains("already enabled: nothing to change"), "{again}");
    let address = smart_treasury_client::pda::managed_balance_pda(&env.world.treasury(), 3);
    let managed: smart_treasury::state::ManagedBalance =
        read::required(&env.rpc, "managed balance", &address).await.unwrap();
    assert_eq!((managed.max, managed.automation.cooldown_seconds, managed.enabled), (400, 5, true));
    env.treasury_json(&["balance", "disable", "--id", "3"]).await;
    let managed: smart_treasury::state::ManagedBalance =
        read::required(&env.rpc, "managed balance", &address).await.unwrap();
    assert!(!managed.enabled);

    let error =
        env.treasury_cli(&["--base-units", "balance", "update", "--id", "3", "--min", "500"]).await.unwrap_err();
    assert!(format!("{error:#}").contains("--min: min (500) must not be above target (200)"), "{error:#}");
    let error = env.treasury_cli(&["balance", "update", "--id", "3", "--min", "0.0000001"]).await.unwrap_err();
    assert!(format!("{error:#}").contains("--min: \"0.0000001\" has 7 decimal places; this mint has 6"), "{error:#}");
    let error = env.treasury_cli(&["balance", "update", "--id", "3", "--min", "1e3"]).await.unwrap_err();
    assert!(format!("{error:#}").contains("is not an amount"), "{error:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_are_unlinked_and_linked_and_a_top_up_draws_from_them() {
    let env = env().await;
    env.funded_treasury().await;
    let venue = env.world.venue.to_string();
    env.treasury_json(&["source", "unlink", "--balance", "1", "--account", &venue]).await;
    let list = env.treasury_json(&["balance", "list"]).await;
    assert_eq!(list[0]["sources"].as_array().unwrap().len(), 1);
    let error = env.treasury_cli(&["source", "unlink", "--balance", "1", "--account", &venue]).await.unwrap_err();
    assert!(format!("{error:#}").contains("is not a source of managed balance 1"), "{error:#}");

    env.treasury_json(&[
        "source",
        "link",
        "--balance",
        "1",
        "--pool",
        "2",
        "--venue",
        &venue,
        "--priority",
        "3",
        "--base-units",
        "--floor",
        "7",
    ])
    .await;
    let list = env.treasury_json(&["balance", "list"]).await;
    assert_eq!(list[0]["sources"][1]["priority"], 3);
    assert_eq!(list[0]["sources"][1]["reserve_floor"], 7);
    let error =
        env.treasury_cli(&["source", "link", "--balance", "1", "--pool", "1", "--priority", "3"]).await.unwrap_err();
    assert!(format!("{error:#}").contains("is the destination of managed balance 1"), "{error:#}");

    let before = read::token_account(&env.rpc, &env.world.vault(1)).await.unwrap().amount;
    env.treasury_json(&["top-up", "--balance", "1", "--amount", "1"]).await;
    let after = read::token_account(&env.rpc, &env.world.vault(1)).await.unwrap().amount;
    assert_eq!(after, before + 1_000_000);
    let reserve = read::token_account(&env.rpc, &env.world.vault(2)).await.unwrap().amount;
    assert_eq!(reserve, smart_treasury_cli::demo::setup::RESERVE_FUNDS - 1_000_000, "drawn from priority 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guardian_pauses_the_authority_unpauses_and_changes_export_unsigned() {
    let env = env().await;
    env.apply().await;
    let guardian = env.world.dir.join("guardian.json").display().to_string();
    let paused = env.treasury_json(&["--keypair", &guardian, "pause"]).await;
    assert_eq!(paused["applied"].as_array().unwrap().len(), 1);
    assert!(read::treasury(&env.rpc, &env.world.treasury()).await.unwrap().paused);

    let error = env.treasury_cli(&["--keypair", &guardian, "unpause"]).await.unwrap_err();
    assert!(format!("{error:#}").contains("is not the authority"), "{error:#}");

    // Exported: one unsigned transaction the authority signs, and nothing sent.
    let exported = env.treasury_cli(&["unpause", "--export"]).await.unwrap();
    assert_eq!(exported.lines().count(), 1, "{exported}");
    let mut tx = decode_exported(exported.trim()).unwrap();
    assert_eq!(tx.message.account_keys[0], env.world.authority.pubkey(), "the authority pays and signs");
    assert_eq!(tx.message.header.num_required_signatures, 1);
    assert!(read::treasury(&env.rpc, &env.world.treasury()).await.unwrap().paused, "nothing was sent");
    let blockhash = tx.message.recent_blockhash;
    tx.try_partial_sign(&[&env.world.authority], blockhash).unwrap();
    env.rpc.send_and_confirm_transaction(&tx).await.expect("the signed export lands");
    assert!(!read::treasury(&env.rpc, &env.world.treasury()).await.unwrap().paused);

    let note = env.treasury_cli(&["unpause"]).await.unwrap();
    assert!(note.contains("is not paused: nothing to change"), "{note}");
    let exported = env.treasury_json(&["--export", "balance", "update", "--id", "1", "--target", "6000"]).await;
    assert_eq!(exported["exported"][0]["signers"][0], env.world.authority.pubkey().to_string());
}
