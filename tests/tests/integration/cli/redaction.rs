//! An RPC URL's credentials and API key never reach a log line or an error: the keeper
//! talks to a real cluster through such a URL while its log is captured with the CLI's
//! own subscriber, and the same URL, unreachable, fails a command and the keeper's
//! start-up retries.

use smart_treasury_cli::{
    args::{Command, KeeperCommand},
    commands::keeper,
    demo::setup,
    logging, Cli,
};
use smart_treasury_client::{keypair::save_keypair, tx, Change};
use smart_treasury_keeper::service;
use smart_treasury_tests::TempDir;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::util::SubscriberInitExt;

const PASSWORD: &str = "hunter2pw";
const API_KEY: &str = "k3y0f7h3pr0v1d3r";

/// Everything the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    async fn wait_for(&self, needle: &str) {
        let started = Instant::now();
        while !self.text().contains(needle) {
            assert!(started.elapsed() < Duration::from_secs(60), "no `{needle}` in the log:\n{}", self.text());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn assert_no_secret(&self) {
        let text = self.text();
        for secret in [PASSWORD, API_KEY] {
            assert!(!text.contains(secret), "`{secret}` leaked into the log:\n{text}");
        }
    }
}

/// `keeper run`'s settings for a command line, as the CLI resolves them.
fn keeper_settings(args: &[&str]) -> smart_treasury_keeper::config::KeeperConfig {
    let cli = Cli::try_parse_given(std::iter::once("smart-treasury").chain(args.iter().copied())).expect("parses");
    let Command::Keeper(KeeperCommand::Run(run)) = &cli.command else { panic!("not keeper run") };
    keeper::config(&cli.global, run).expect("valid settings")
}

/// Current-thread runtime: the capturing subscriber is this thread's, and so is every
/// task the keeper spawns.
#[tokio::test]
async fn an_rpc_url_with_credentials_and_a_key_is_masked_in_every_log_line_and_error() {
    let captured = Captured::default();
    let writer = captured.clone();
    let _logging = logging::subscriber(move || writer.clone(), false).set_default();

    let (cluster, rpc) = smart_treasury_tests::start_cluster(
        Duration::from_millis(50),
        smart_treasury_local_cluster::Confirmation::REALISTIC,
    )
    .await;
    let dir = TempDir::new("smart-treasury-redaction");
    let demo = setup::build(&rpc, &cluster.faucet(), &dir.0).await.expect("the demo treasury is built");
    let keeper_key = Keypair::new();
    let key_file = dir.0.join("keeper.json");
    save_keypair(&keeper_key, &key_file).unwrap();
    let fund =
        solana_system_interface::instruction::transfer(&cluster.faucet().pubkey(), &keeper_key.pubkey(), 1 << 30);
    tx::send(&rpc, &cluster.faucet(), vec![Change::new("fund keeper", fund)]).await.unwrap();

    // The cluster ignores credentials and query strings, as a provider would check them.
    let port = cluster.rpc_url().rsplit_once(':').expect("a port").1.to_string();
    let secret_url = format!("http://ops:{PASSWORD}@127.0.0.1:{port}/?api-key={API_KEY}");
    let secret_ws = format!("{}/?api-key={API_KEY}", cluster.ws_url());
    let treasury = demo.treasury.to_string();
    let (key_file, store) = (key_file.display().to_string(), dir.0.join("keeper.sqlite").display().to_string());
    let config = keeper_settings(&[
        "--url",
        &secret_url,
        "--treasury",
        &treasury,
        "keeper",
        "run",
        "--keeper-keypair",
        &key_file,
        "--ws-url",
        &secret_ws,
        "--store",
        &store,
        "--cycle-ms",
        "100",
    ]);
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(service::run(config, shutdown.clone()));
    captured.wait_for("keeper started").await;
    // It works through that URL: the demo's venue sits far below its ratio, so it acts.
    captured.wait_for("landed").await;
    shutdown.cancel();
    running.await.unwrap().expect("the keeper stops cleanly");
    assert!(captured.text().contains(&format!("rpc=http://***@127.0.0.1:{port}/?***")), "{}", captured.text());
    captured.assert_no_secret();

    // Unreachable: the HTTP client's error names the URL, keys and all.
    let unreachable = format!("http://ops:{PASSWORD}@127.0.0.1:1/?api-key={API_KEY}");
    let mut out = Vec::new();
    let error =
        smart_treasury_cli::run_args(["--url", &unreachable, "--treasury", &treasury, "balance", "list"], &mut out)
            .await
            .expect_err("nothing listens on port 1");
    let printed = logging::error_line(&error);
    assert!(printed.contains("http://***@127.0.0.1:1/?***"), "{printed}");
    for secret in [PASSWORD, API_KEY] {
        assert!(!printed.contains(secret) && !format!("{error:#}").contains(secret), "{printed}");
    }

    let store = dir.0.join("unreachable.sqlite").display().to_string();
    let config = keeper_settings(&[
        "--url",
        &unreachable,
        "--treasury",
        &treasury,
        "keeper",
        "run",
        "--keeper-keypair",
        &key_file,
        "--store",
        &store,
    ]);
    let shutdown = CancellationToken::new();
    let retrying = tokio::spawn(service::run(config, shutdown.clone()));
    captured.wait_for("retrying").await;
    shutdown.cancel();
    retrying.await.unwrap().expect("the keeper stops cleanly");
    assert!(captured.text().contains("127.0.0.1:1"), "the failing endpoint is still named");
    captured.assert_no_secret();
    cluster.shutdown().await;
}
