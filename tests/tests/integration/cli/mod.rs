//! The operator CLI, called in-process through its library entry, against a local cluster
//! each test starts: migrations (plan, apply, export, idempotence), the commands end to
//! end, the demo and its workload, and bad input.

mod commands;
mod demo;
mod errors;
mod keeper_run;
mod migrations;
mod redaction;

use serde_json::Value;
use smart_treasury_cli::demo::setup::{self, World};
use smart_treasury_local_cluster::LocalCluster;
use smart_treasury_tests::TempDir;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use std::time::Duration;

/// Short slots keep the tests quick; confirmation still takes a real slot.
const SLOT: Duration = Duration::from_millis(50);

/// A cluster, and the demo's keys, mint, venue and treasury file, with no treasury yet.
pub struct Env {
    pub cluster: LocalCluster,
    pub rpc: RpcClient,
    pub world: World,
    pub dir: TempDir,
}

pub async fn env() -> Env {
    let (cluster, rpc) =
        smart_treasury_tests::start_cluster(SLOT, smart_treasury_local_cluster::Confirmation::INSTANT).await;
    let dir = TempDir::new("smart-treasury-cli");
    let world = setup::prepare(&rpc, &cluster.faucet(), &dir.0).await.expect("the demo world is prepared");
    Env { cluster, rpc, world, dir }
}

impl Env {
    /// Runs the CLI with `--url` and `--keypair` (the authority) set, as the environment
    /// would set them; later flags win.
    pub async fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let url = self.cluster.rpc_url();
        let keypair = self.world.authority_file.display().to_string();
        let mut all = vec!["--url", &url, "--keypair", &keypair];
        all.extend_from_slice(args);
        let mut out = Vec::new();
        smart_treasury_cli::run_args(all, &mut out).await?;
        Ok(String::from_utf8(out).expect("UTF-8 output"))
    }

    pub async fn ok(&self, args: &[&str]) -> String {
        self.cli(args).await.unwrap_or_else(|error| panic!("`{}` failed: {error:#}", args.join(" ")))
    }

    /// The command's error, as the binary prints it.
    pub async fn err(&self, args: &[&str]) -> String {
        match self.cli(args).await {
            Ok(out) => panic!("`{}` should fail, printed:\n{out}", args.join(" ")),
            Err(error) => format!("{error:#}"),
        }
    }

    pub async fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all).await;
        serde_json::from_str(&out).unwrap_or_else(|error| panic!("not JSON ({error}):\n{out}"))
    }

    pub fn file(&self) -> String {
        self.world.treasury_file.display().to_string()
    }

    pub fn treasury(&self) -> String {
        self.world.treasury().to_string()
    }

    /// `migrate apply` of the world's treasury file, creating the treasury.
    pub async fn apply(&self) -> Value {
        let create_key = self.world.create_key_file.display().to_string();
        self.json(&["migrate", "apply", "-f", &self.file(), "--create-key", &create_key]).await
    }

    /// The applied treasury, funded as the demo funds it.
    pub async fn funded_treasury(&self) {
        self.apply().await;
        setup::fund(&self.rpc, &self.world).await.expect("funds");
    }

    /// A command against the world's treasury.
    pub async fn treasury_cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let treasury = self.treasury();
        let mut all = vec!["--treasury", &treasury];
        all.extend_from_slice(args);
        self.cli(&all).await
    }

    pub async fn treasury_json(&self, args: &[&str]) -> Value {
        let treasury = self.treasury();
        let mut all = vec!["--treasury", &treasury];
        all.extend_from_slice(args);
        self.json(&all).await
    }

    pub async fn plan_steps(&self) -> Vec<Value> {
        let plan = self.json(&["migrate", "plan", "-f", &self.file()]).await;
        plan["steps"].as_array().expect("steps").clone()
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.0.join(name);
        std::fs::write(&path, text).expect("write the file");
        path.display().to_string()
    }

    pub fn treasury_text(&self) -> String {
        std::fs::read_to_string(&self.world.treasury_file).expect("the treasury file")
    }
}
