//! A keeper killed with SIGKILL while acting, then restarted: it keeps its history,
//! settles what it left pending, and the need ends in exactly one top-up.

use super::*;
use smart_treasury_keeper::{
    config::read_file,
    store::{ActionStatus, Store},
};
use smart_treasury_local_cluster::FaultConfig;
use std::process::{Child, Command};

const MIN: u64 = 2_000_000_000;
const TARGET: u64 = 5_000_000_000;
const CHILD_CONFIG: &str = "SMART_TREASURY_KEEPER_CHILD_CONFIG";

/// A keeper process, killed when dropped so a failing test leaves none behind.
struct KeeperProcess(Child);

impl KeeperProcess {
    /// SIGKILL, as a crash or an operator's `kill -9` would.
    fn kill(&mut self) -> std::io::Result<()> {
        self.0.kill()
    }

    fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.0.wait()
    }
}

impl Drop for KeeperProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The keeper as a separate process: this test binary, running only `keeper_child`,
/// its output appended to `log`.
fn spawn_keeper(config: &std::path::Path, log: &std::path::Path) -> KeeperProcess {
    let output = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("log file");
    Command::new(std::env::current_exe().expect("test binary"))
        .args(["keeper::restart::keeper_child", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_CONFIG, config)
        .stdout(output.try_clone().expect("log file"))
        .stderr(output)
        .spawn()
        .map(KeeperProcess)
        .expect("the keeper process starts")
}

fn toml_config(settings: &FileConfig) -> String {
    let text = |value: &Option<String>| value.clone().expect("set");
    let path = |value: &Option<PathBuf>| value.clone().expect("set").display().to_string();
    format!(
        "rpc_url = {:?}\nws_url = {:?}\nkeypair = {:?}\ntreasury = {:?}\nstore = {:?}\ncycle_ms = 100\ndiscovery_interval_s = 1\n\
         retry_after_s = 3600\n",
        text(&settings.rpc_url),
        text(&settings.ws_url),
        path(&settings.keypair),
        text(&settings.treasury),
        path(&settings.store),
    )
}

#[tokio::test]
async fn a_keeper_killed_mid_flight_and_restarted_does_not_duplicate_and_keeps_its_history() {
    let env = env().await;
    let settings = env.keeper_settings("keeper").await;
    let store_path = settings.store.clone().expect("store");
    let config_path = env.dir.0.join("keeper.toml");
    std::fs::write(&config_path, toml_config(&settings)).expect("config written");
    let balance_key = env.hot_wallet_balance_id().to_string();
    let log = env.dir.0.join("keeper.log");
    let output = || std::fs::read_to_string(&log).unwrap_or_default();
    let samples = || Store::open(&store_path).and_then(|store| store.sample_count(&balance_key)).unwrap_or(0);

    // A first run records the balance (history keeps a sample per change and per bucket), then dies.
    let mut keeper = spawn_keeper(&config_path, &log);
    let started = Instant::now();
    while samples() < 1 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the keeper recorded no samples; its output:\n{}",
            output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    keeper.kill().expect("SIGKILL");
    keeper.wait().expect("reaped");

    // A breach while it is down; its next run's sends never land, so a send is
    // certainly in flight when it is killed again.
    env.pay_out_to(MIN - 1).await;
    let faults = env.cluster.faults();
    faults.set(FaultConfig { dropped_transactions: 1.0, ..FaultConfig::default() }).expect("valid faults");
    let mut keeper = spawn_keeper(&config_path, &log);
    let started = Instant::now();
    loop {
        let in_flight = Store::open(&store_path)
            .and_then(|store| store.actions_with_status(ActionStatus::Pending))
            .is_ok_and(|pending| {
                pending.iter().any(|action| action.managed_balance == balance_key && action.signature.is_some())
            });
        // Its signature is recorded before it goes out: wait until a send was dropped too.
        if in_flight && faults.stats().dropped_transactions > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the keeper never sent a top-up; its output:\n{}",
            output()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    keeper.kill().expect("SIGKILL");
    keeper.wait().expect("reaped");
    let samples_before = samples();
    assert!(faults.stats().dropped_transactions > 0, "no send was in flight");
    faults.clear();

    // Nothing of the interrupted crank landed: the need is free at once. A keeper that
    // waited for the retry delay (an hour here) would never get there.
    let mut keeper = spawn_keeper(&config_path, &log);
    eventually(Duration::from_secs(90), "the hot wallet back at target", || async {
        env.hot_balance().await == TARGET
    })
    .await;
    env.settle().await;
    env.settle().await;
    let movements = env.hot_wallet_movements().await;
    assert_eq!(movements.iter().filter(|movement| movement.kind == "threshold").count(), 1, "{movements:?}");

    let store = Store::open(&store_path).expect("store");
    assert!(store.sample_count(&balance_key).expect("samples") > samples_before, "history was not kept and extended");
    let confirmed = store.actions_with_status(ActionStatus::Confirmed).expect("actions");
    assert!(confirmed.iter().any(|action| action.managed_balance == balance_key), "no confirmed top-up recorded");
    let recorded = store.movements(&balance_key).expect("movements");
    assert_eq!(recorded.iter().filter(|movement| movement.kind == "threshold").count(), 1, "{recorded:?}");
    keeper.kill().expect("SIGKILL");
    keeper.wait().expect("reaped");
}

/// Runs the keeper until killed, when started by the test above.
#[tokio::test]
#[ignore = "started as a child process by the restart test"]
async fn keeper_child() {
    let Some(path) = std::env::var_os(CHILD_CONFIG) else { return };
    let filter = tracing_subscriber::EnvFilter::new("info,solana=warn,agave=warn");
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).init();
    let config =
        resolve(read_file(std::path::Path::new(&path)).expect("config"), FileConfig::default()).expect("settings");
    service::run(config, CancellationToken::new()).await.expect("the keeper runs");
}
