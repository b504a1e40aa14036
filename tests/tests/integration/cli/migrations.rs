use super::env;
use smart_treasury::state::{BalanceMode, ManagedBalance};
use smart_treasury_client::{pda, read, tx::decode_exported};
use solana_signer::Signer;

/// What the demo's treasury file takes from nothing: the treasury, three pools and a vault
/// each, two managed balances with three sources between them, and a spender.
const DEMO_FILE_CHANGES: usize = 13;

async fn balances(env: &super::Env) -> Vec<ManagedBalance> {
    read::managed_balances(&env.rpc, &env.world.treasury())
        .await
        .expect("balances")
        .into_iter()
        .map(|(_, m)| m)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_apply_and_a_second_plan_that_is_empty() {
    let env = env().await;
    let plan = env.json(&["migrate", "plan", "-f", &env.file()]).await;
    assert_eq!(plan["treasury"], env.treasury());
    assert_eq!(plan["authority"], env.world.authority.pubkey().to_string());
    assert_eq!(plan["creates_treasury"], true);
    let steps = plan["steps"].as_array().unwrap();
    assert_eq!(steps.len(), DEMO_FILE_CHANGES, "{plan:#}");
    assert_eq!(steps[0]["action"], "create");
    assert!(steps[0]["object"].as_str().unwrap().starts_with("treasury "));
    for step in steps {
        assert!(step["action"].is_string() && step["object"].is_string() && step["detail"].is_string(), "{step}");
    }

    let table = env.ok(&["migrate", "plan", "-f", &env.file()]).await;
    assert!(table.contains(&format!("{DEMO_FILE_CHANGES} change(s), applied in this order:")), "{table}");
    assert!(table.contains("ACTION  OBJECT"), "{table}");

    let applied = env.apply().await;
    assert_eq!(applied["applied"].as_array().unwrap().len(), DEMO_FILE_CHANGES, "{applied:#}");

    assert!(env.plan_steps().await.is_empty());
    let table = env.ok(&["migrate", "plan", "-f", &env.file()]).await;
    assert!(table.contains("no changes: the chain matches the file"), "{table}");
    let again = env.apply().await;
    assert_eq!(again["applied"].as_array().unwrap().len(), 0, "applying twice changes nothing");

    let treasury = read::treasury(&env.rpc, &env.world.treasury()).await.unwrap();
    assert_eq!(treasury.authority, env.world.authority.pubkey());
    assert_eq!(treasury.guardian, env.world.guardian.pubkey());
    let balances = balances(&env).await;
    assert_eq!(balances.len(), 2);
    assert_eq!((balances[0].min, balances[0].target, balances[0].max), (2_000_000_000, 5_000_000_000, 8_000_000_000));
    let sources = balances[0].linked_sources();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[0].token_account, env.world.vault(2));
    assert_eq!(sources[0].reserve_floor, 100_000_000_000);
    assert_eq!(sources[1].token_account, env.world.venue);
    assert_eq!(balances[1].mode, BalanceMode::Ratio { ratio_bps: 4_000, band_bps: 500 });
    let spenders = read::spenders(&env.rpc, &env.world.treasury()).await.unwrap();
    assert_eq!(spenders.len(), 1);
    assert_eq!(spenders[0].1.spender, env.world.spender.pubkey());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_file_plans_only_the_difference_and_sources_can_swap_priorities() {
    let env = env().await;
    env.apply().await;
    let text = env
        .treasury_text()
        .replace("min = 2_000_000_000", "min = 3_000_000_000")
        .replace("priority = 1\nreserve_floor = 100_000_000_000", "priority = 2\nreserve_floor = 100_000_000_000")
        .replace("pool = 2\nvenue = \"", "pool = 2\nenabled = false\nvenue = \"")
        .replacen("priority = 2\n\n", "priority = 1\n\n", 1)
        .replace("limit_per_period = 100000000000", "limit_per_period = 5000000000");
    std::fs::write(&env.world.treasury_file, &text).unwrap();
    let steps = env.plan_steps().await;
    let summary: Vec<String> =
        steps.iter().map(|s| format!("{} {}: {}", s["action"].as_str().unwrap(), s["object"], s["detail"])).collect();
    assert_eq!(steps.len(), 5, "{summary:#?}");
    assert_eq!(steps[0]["action"], "update");
    // Amounts in the mint's token units (6 decimals), as the file's base units mean them.
    assert!(steps[0]["detail"].as_str().unwrap().contains("2,000 / 5,000 / 8,000 -> 3,000 / 5,000 / 8,000"));
    assert!(summary[1].contains("for now"), "a swap parks one source first: {summary:#?}");
    assert!(steps[4]["object"].as_str().unwrap().starts_with("spender "), "{summary:#?}");
    assert!(
        steps[4]["detail"].as_str().unwrap().contains("limit 100,000 per 86400s -> 5,000 per 86400s"),
        "{summary:#?}"
    );

    let applied = env.json(&["migrate", "apply", "-f", &env.file()]).await;
    assert_eq!(applied["applied"].as_array().unwrap().len(), 5);
    assert!(env.plan_steps().await.is_empty());
    let hot = &balances(&env).await[0];
    assert_eq!(hot.min, 3_000_000_000);
    let sources = hot.linked_sources();
    assert_eq!((sources[0].token_account, sources[0].enabled), (env.world.venue, false));
    assert_eq!(sources[1].token_account, env.world.vault(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_signed_by_the_authority_reproduces_apply() {
    let env = env().await;
    let create_key = env.world.create_key_file.display().to_string();
    let exported = env.json(&["migrate", "export", "-f", &env.file(), "--create-key", &create_key]).await;
    let exported = exported["exported"].as_array().unwrap().clone();
    assert_eq!(exported.len(), DEMO_FILE_CHANGES);
    let authority = env.world.authority.pubkey().to_string();
    for change in &exported {
        assert_eq!(change["signers"], serde_json::json!([authority]), "only the authority still signs: {change}");
        assert!(change["message"].is_string() && change["summary"].is_string());
    }
    assert!(read::program_account::<smart_treasury::state::Treasury>(&env.rpc, "treasury", &env.world.treasury())
        .await
        .unwrap()
        .is_none());

    // The plain form: one base64 transaction per line, in the same order.
    let plain = env.ok(&["migrate", "export", "-f", &env.file(), "--create-key", &create_key]).await;
    assert_eq!(plain.lines().count(), DEMO_FILE_CHANGES);
    let out = env.dir.0.join("proposal.txt").display().to_string();
    let note = env.ok(&["migrate", "export", "-f", &env.file(), "--create-key", &create_key, "-o", &out]).await;
    assert!(note.contains(&format!("wrote {DEMO_FILE_CHANGES} unsigned transaction(s)")), "{note}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), DEMO_FILE_CHANGES);

    // What a multisig does once the proposal passes: the authority signs each in order.
    for change in &exported {
        let mut tx = decode_exported(change["transaction"].as_str().unwrap()).unwrap();
        let blockhash = tx.message.recent_blockhash;
        tx.try_partial_sign(&[&env.world.authority], blockhash).expect("the authority signs");
        env.rpc
            .send_and_confirm_transaction(&tx)
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", change["summary"]));
    }
    assert!(env.plan_steps().await.is_empty(), "the exported transactions did what apply does");
    assert_eq!(balances(&env).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_changes_nothing_without_the_right_keys() {
    let env = env().await;
    let error = env.err(&["migrate", "apply", "-f", &env.file()]).await;
    assert!(error.contains("pass --create-key FILE"), "{error}");

    let wrong_create_key = env.write("wrong.json", "");
    smart_treasury_client::keypair::save_keypair(&solana_keypair::Keypair::new(), wrong_create_key.as_ref()).unwrap();
    let error = env.err(&["migrate", "apply", "-f", &env.file(), "--create-key", &wrong_create_key]).await;
    assert!(error.contains("declares create_key"), "{error}");

    let spender_file = env.world.dir.join("spender.json").display().to_string();
    let create_key = env.world.create_key_file.display().to_string();
    let error = env
        .err(&["--keypair", &spender_file, "migrate", "apply", "-f", &env.file(), "--create-key", &create_key])
        .await;
    assert!(error.contains("is not the treasury's authority"), "{error}");
    assert!(error.contains("migrate export"), "{error}");

    let address = pda::treasury_pda(&env.world.create_key.pubkey());
    assert!(read::account(&env.rpc, &address).await.unwrap().is_none(), "nothing was created");
    assert_eq!(env.plan_steps().await.len(), DEMO_FILE_CHANGES);
}
