//! `keeper run`'s key and URL handling, through the CLI's own parsing: the keeper's key
//! is its own and private, and a URL given on the command line beats the config file.

use smart_treasury_cli::{args::Command, args::KeeperCommand, commands::keeper, Cli};
use smart_treasury_client::keypair::save_keypair;
use smart_treasury_keeper::config::KeeperConfig;
use smart_treasury_tests::TempDir;
use solana_keypair::Keypair;
use std::os::unix::fs::PermissionsExt;

const TREASURY: &str = "HLXACGiPB9Px2XdETqEYgwCLqB3DtuMA9WMDsTDpbTnH";

/// The keeper's settings for `smart-treasury ARGS`, as `keeper run` resolves them.
fn settings(args: &[&str]) -> anyhow::Result<KeeperConfig> {
    let cli = Cli::try_parse_given(std::iter::once("smart-treasury").chain(args.iter().copied()))?;
    let Command::Keeper(KeeperCommand::Run(run)) = &cli.command else { panic!("not keeper run: {args:?}") };
    keeper::config(&cli.global, run)
}

/// A keeper run until it fails; it must fail before touching the network.
async fn refusal(args: &[&str]) -> String {
    let mut out = Vec::new();
    let error = smart_treasury_cli::run_args(args, &mut out).await.expect_err("the keeper must refuse to start");
    format!("{error:#}")
}

fn keeper_key(dir: &TempDir, mode: u32) -> String {
    let path = dir.0.join(format!("keeper-{mode:o}.json"));
    save_keypair(&Keypair::new(), &path).expect("keypair saved");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    path.display().to_string()
}

#[tokio::test]
async fn a_keeper_key_others_can_read_is_refused_with_the_chmod_that_fixes_it() {
    let dir = TempDir::new("smart-treasury-keeper-run");
    let shared = keeper_key(&dir, 0o644);
    let store = dir.0.join("keeper.sqlite");
    let args =
        ["keeper", "run", "--treasury", TREASURY, "--keeper-keypair", &shared, "--store", store.to_str().unwrap()];
    let error = refusal(&args).await;
    assert!(error.contains(&format!("chmod 600 {shared}")) && error.contains("0644"), "{error}");
    assert!(!store.exists(), "nothing was started: {}", store.display());

    let group = keeper_key(&dir, 0o640);
    let error = refusal(&["keeper", "run", "--treasury", TREASURY, "--keeper-keypair", &group]).await;
    assert!(error.contains(&format!("chmod 600 {group}")), "{error}");
}

#[test]
fn no_crank_watches_and_serves_without_cranking() {
    let cranking = settings(&["keeper", "run", "--treasury", TREASURY]).unwrap();
    assert!(cranking.crank);
    let watching = settings(&["keeper", "run", "--treasury", TREASURY, "--no-crank"]).unwrap();
    assert!(!watching.crank);
}

#[tokio::test]
async fn the_keeper_takes_its_own_key_and_never_the_authoritys() {
    let dir = TempDir::new("smart-treasury-keeper-run");
    let own = keeper_key(&dir, 0o600);
    let config = settings(&["keeper", "run", "--treasury", TREASURY, "--keeper-keypair", &own]).unwrap();
    assert_eq!(config.keypair.expect("a keypair").display().to_string(), own);

    // --keypair is the authority's key for operator commands: ambiguous here, refused.
    let authority = keeper_key(&dir, 0o600);
    for args in [
        vec!["--keypair", &authority, "keeper", "run", "--treasury", TREASURY, "--keeper-keypair", &own],
        vec!["keeper", "run", "--treasury", TREASURY, "--keypair", &authority],
    ] {
        let error = settings(&args).unwrap_err().to_string();
        assert!(error.contains("--keeper-keypair") && error.contains("authority"), "{args:?}: {error}");
    }
    let error = refusal(&["keeper", "run", "--treasury", TREASURY]).await;
    assert!(error.contains("keypair of its own") && error.contains("solana-keygen new"), "{error}");
}

#[tokio::test]
async fn an_explicit_url_beats_the_config_file_even_when_it_is_the_default() {
    let dir = TempDir::new("smart-treasury-keeper-run");
    let own = keeper_key(&dir, 0o600);
    let file = dir.0.join("keeper.toml");
    std::fs::write(
        &file,
        format!("rpc_url = \"http://10.1.2.3:7000\"\ntreasury = \"{TREASURY}\"\nkeypair = {own:?}\n"),
    )
    .unwrap();
    let file = file.display().to_string();

    let from_file = settings(&["keeper", "run", "--config", &file]).unwrap();
    if std::env::var_os("SMART_TREASURY_URL").is_none() {
        assert_eq!(from_file.rpc_url, "http://10.1.2.3:7000", "the default does not override the file");
        assert_eq!(from_file.ws_url, "ws://10.1.2.3:7001");
    }
    for args in [
        vec!["keeper", "run", "--config", &file, "--url", "http://127.0.0.1:8899"],
        vec!["--url", "http://127.0.0.1:8899", "keeper", "run", "--config", &file],
    ] {
        let explicit = settings(&args).unwrap();
        assert_eq!(explicit.rpc_url, "http://127.0.0.1:8899", "{args:?}");
        assert_eq!(explicit.ws_url, "ws://127.0.0.1:8900", "the PubSub URL follows the given URL: {args:?}");
    }
    let flag_wins = settings(&["keeper", "run", "--config", &file, "--cycle-ms", "250"]).unwrap();
    assert_eq!(flag_wins.cycle, std::time::Duration::from_millis(250));
}
