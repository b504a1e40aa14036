use super::env;
use smart_treasury_client::read;

async fn treasury_exists(env: &super::Env) -> bool {
    read::account(&env.rpc, &env.world.treasury()).await.unwrap().is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_treasury_file_names_file_line_and_field_and_changes_nothing() {
    let env = env().await;
    let text = env.treasury_text();
    let create_key = env.world.create_key_file.display().to_string();
    let line = |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;

    let malformed = text.replace("name = \"reserve\"", "name = \"reserve");
    let path = env.write("malformed.toml", &malformed);
    let error = env.err(&["migrate", "apply", "-f", &path, "--create-key", &create_key]).await;
    assert!(error.starts_with(&format!("{path}:{}:", line(&malformed, "name = \"reserve"))), "{error}");

    let unknown = text.replace("cooldown_seconds = 30\n", "cooldown_seconds = 30\ncooldown_minuts = 1\n");
    let path = env.write("unknown.toml", &unknown);
    let error = env.err(&["migrate", "plan", "-f", &path]).await;
    let at =
        format!("{path}:{}:1: managed_balances[0].automation.cooldown_minuts: unknown field", line(&unknown, "minuts"));
    assert!(error.starts_with(&at), "{error}");

    let out_of_range = text.replace("band_bps = 500", "band_bps = 10_500").replace("max = 8_000_000_000", "max = 1");
    let path = env.write("range.toml", &out_of_range);
    let error = env.err(&["migrate", "export", "-f", &path, "--create-key", &create_key]).await;
    let lines: Vec<&str> = error.lines().collect();
    assert_eq!(lines.len(), 2, "both problems at once: {error}");
    let at = format!(
        "{path}:{}:1: managed_balances[0].target: target (5000000000) must not be above max (1)",
        line(&out_of_range, "target = 5_000")
    );
    assert!(lines[0].starts_with(&at), "{error}");
    assert!(
        lines[1].starts_with(&format!(
            "{path}:{}:1: managed_balances[1].band_bps: 10500",
            line(&out_of_range, "band_bps = 10_500")
        )),
        "{error}"
    );

    let nobody = solana_signer::Signer::pubkey(&solana_keypair::Keypair::new()).to_string();
    let missing_mint = text.replace(&env.world.mint.to_string(), &nobody);
    let path = env.write("mint.toml", &missing_mint);
    let error = env.err(&["migrate", "plan", "-f", &path]).await;
    assert!(error.contains("pools[0].mints[0]"), "{error}");

    assert!(!treasury_exists(&env).await, "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_flags_missing_keys_and_missing_accounts_are_named() {
    let env = env().await;
    env.apply().await;

    for (args, expected) in [
        (vec!["balance", "list", "--bogus"], "unexpected argument '--bogus'"),
        (vec!["source", "link", "--balance", "1", "--pool", "2", "--priority", "0"], "--priority <PRIORITY>"),
        (vec!["top-up", "--balance", "1"], "--amount <AMOUNT>"),
        (vec!["local-cluster", "--slot-ms", "1"], "--slot-ms"),
        (vec!["local-cluster", "--day-minutes", "0"], "not a positive number of minutes"),
        (vec!["balance", "disable", "--id", "x"], "invalid value 'x' for '--id <ID>'"),
    ] {
        let error = env.err(&args).await;
        assert!(error.contains(expected), "{args:?}: {error}");
    }

    let missing = env.dir.0.join("nobody.json").display().to_string();
    let error = env.treasury_cli(&["--keypair", &missing, "pause"]).await.unwrap_err();
    assert!(
        format!("{error:#}").contains(&format!("keypair file {missing} not found: pass --keypair FILE")),
        "{error:#}"
    );

    let error = env.err(&["balance", "list"]).await;
    assert!(error.contains("pass --treasury ADDRESS or set SMART_TREASURY_TREASURY"), "{error}");
    let nowhere = solana_keypair::Keypair::new();
    let nowhere = solana_signer::Signer::pubkey(&nowhere).to_string();
    let error = env.err(&["--treasury", &nowhere, "treasury", "show"]).await;
    assert!(error.contains(&format!("treasury {nowhere} not found")), "{error}");
    let error = env.treasury_cli(&["balance", "enable", "--id", "99"]).await.unwrap_err();
    assert!(format!("{error:#}").contains("managed balance 99 not found"), "{error:#}");

    let spender = env.world.dir.join("spender.json").display().to_string();
    let error = env.treasury_cli(&["--keypair", &spender, "balance", "disable", "--id", "1"]).await.unwrap_err();
    assert!(format!("{error:#}").contains("is not the authority"), "{error:#}");

    let mut out = Vec::new();
    let error = smart_treasury_cli::run_args(
        ["--url", "http://127.0.0.1:9", "--treasury", &nowhere, "balance", "list"],
        &mut out,
    )
    .await
    .unwrap_err();
    assert!(format!("{error:#}").contains("cannot reach the RPC endpoint http://127.0.0.1:9"), "{error:#}");

    let managed = read::managed_balances(&env.rpc, &env.world.treasury()).await.unwrap();
    assert!(managed[0].1.enabled, "nothing changed");
}
