//! `cluster-bench`: measures the local cluster over loopback as a client sees it and writes
//! `reports/local-cluster.md`. Run it optimised:
//! `cargo run -p smart-treasury-local-cluster --profile perf --bin cluster-bench`.

use anyhow::Context;
use clap::Parser;
use smart_treasury_local_cluster::{ClusterConfig, Confirmation, LocalCluster};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_types::config::{RpcAccountInfoConfig, RpcSendTransactionConfig};
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::{
    fmt::Write as _,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

#[derive(Debug, Parser)]
#[command(about = "Benchmarks the local cluster over loopback and writes a report")]
struct Args {
    /// Seconds each read measurement runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Transactions sent in the throughput measurement.
    #[arg(long, default_value_t = 4000)]
    transactions: usize,
    /// Clusters started for the start-to-ready measurement.
    #[arg(long, default_value_t = 5)]
    starts: usize,
    /// Where the report goes [default: reports/local-cluster.md in the workspace].
    #[arg(long)]
    report: Option<PathBuf>,
}

const ACCOUNTS: usize = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");

    let load = std::fs::read_to_string("/proc/loadavg").ok().and_then(|line| line.split(' ').next().map(str::to_owned));
    let starts = start_times(args.starts).await?;
    let process_start = process_start_time().await?;
    // Instant landing: this measures how fast the node executes, not how a real cluster's
    // slots pace a client.
    let cluster =
        LocalCluster::start(ClusterConfig { confirmation: Confirmation::INSTANT, ..ClusterConfig::ephemeral() })
            .await?;
    let client = Arc::new(RpcClient::new_with_commitment(cluster.rpc_url(), CommitmentConfig::processed()));
    let faucet = cluster.faucet();

    let accounts = fund(&client, &faucet, ACCOUNTS).await?;
    let reads = read_many(&client, &accounts, &args).await?;
    let sends = send_many(&client, &faucet, &args).await?;
    cluster.shutdown().await;

    let report = render(&args, load.as_deref(), &starts, process_start, &reads, &sends);
    let path = args.report.clone().unwrap_or_else(|| {
        let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the crate is in a workspace");
        workspace.join("reports").join("local-cluster.md")
    });
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, &report).with_context(|| format!("cannot write {}", path.display()))?;
    print!("{report}");
    println!("written to {}", path.display());
    Ok(())
}

/// Spawning the `local-cluster` binary built beside this one until it prints `ready`: what a
/// newcomer waits for. `None` when that binary has not been built.
async fn process_start_time() -> anyhow::Result<Option<Duration>> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let binary = std::env::current_exe()?.with_file_name("local-cluster");
    if !binary.exists() {
        return Ok(None);
    }
    let begun = Instant::now();
    let mut child = tokio::process::Command::new(&binary)
        .args(["--rpc-port", "0", "--ws-port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    while let Some(line) = lines.next_line().await? {
        if line.starts_with("ready") {
            let elapsed = begun.elapsed();
            child.kill().await?;
            return Ok(Some(elapsed));
        }
    }
    anyhow::bail!("{} exited before it was ready", binary.display())
}

/// Start-to-ready for `count` clusters in one process: the first pays for loading the
/// runtime, the rest show a warm start.
async fn start_times(count: usize) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(count);
    for _ in 0..count.max(1) {
        let cluster = LocalCluster::start(ClusterConfig::ephemeral()).await?;
        times.push(cluster.started_in());
        cluster.shutdown().await;
    }
    Ok(times)
}

/// `count` fresh accounts holding some lamports each.
async fn fund(client: &RpcClient, faucet: &Keypair, count: usize) -> anyhow::Result<Vec<Pubkey>> {
    let accounts: Vec<Pubkey> = (0..count).map(|_| Pubkey::new_unique()).collect();
    let blockhash = client.get_latest_blockhash().await?;
    for chunk in accounts.chunks(20) {
        let transfers: Vec<_> = chunk
            .iter()
            .map(|account| solana_system_interface::instruction::transfer(&faucet.pubkey(), account, 1_000_000_000))
            .collect();
        let tx = Transaction::new_signed_with_payer(&transfers, Some(&faucet.pubkey()), &[faucet], blockhash);
        client.send_and_confirm_transaction(&tx).await?;
    }
    Ok(accounts)
}

struct Latencies {
    count: usize,
    elapsed: Duration,
    sorted: Vec<Duration>,
}

impl Latencies {
    fn new(mut samples: Vec<Duration>, elapsed: Duration) -> Self {
        samples.sort();
        Self { count: samples.len(), elapsed, sorted: samples }
    }

    fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, share: f64) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.sorted.len() as f64 * share).ceil() as usize).clamp(1, self.sorted.len()) - 1;
        self.sorted[index]
    }
}

/// getMultipleAccounts for the 100 accounts (base64), from `concurrency` clients at once.
async fn read_many(client: &Arc<RpcClient>, accounts: &[Pubkey], args: &Args) -> anyhow::Result<Latencies> {
    let config = RpcAccountInfoConfig {
        encoding: Some(solana_rpc_client_types::config::UiAccountEncoding::Base64),
        commitment: Some(CommitmentConfig::processed()),
        ..RpcAccountInfoConfig::default()
    };
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let begun = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (client, accounts, config) = (client.clone(), accounts.to_vec(), config.clone());
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                let found = client.get_multiple_ui_accounts_with_config(&accounts, config.clone()).await?;
                samples.push(sent.elapsed());
                anyhow::ensure!(found.value.iter().all(Option::is_some), "an account is missing");
            }
            Ok::<_, anyhow::Error>(samples)
        }));
    }
    let mut samples = Vec::new();
    for worker in workers {
        samples.extend(worker.await??);
    }
    Ok(Latencies::new(samples, begun.elapsed()))
}

/// SOL transfers from `concurrency` payers at once, each waited for until it landed.
async fn send_many(client: &Arc<RpcClient>, faucet: &Keypair, args: &Args) -> anyhow::Result<Latencies> {
    let payers: Vec<Keypair> = (0..args.concurrency).map(|_| Keypair::new()).collect();
    let blockhash = client.get_latest_blockhash().await?;
    for payer in &payers {
        let transfer =
            solana_system_interface::instruction::transfer(&faucet.pubkey(), &payer.pubkey(), 1_000_000_000_000);
        let tx = Transaction::new_signed_with_payer(&[transfer], Some(&faucet.pubkey()), &[faucet], blockhash);
        client.send_and_confirm_transaction(&tx).await?;
    }
    let per_payer = args.transactions.div_ceil(args.concurrency);
    let config = RpcSendTransactionConfig {
        preflight_commitment: Some(solana_commitment_config::CommitmentLevel::Processed),
        ..RpcSendTransactionConfig::default()
    };
    let begun = Instant::now();
    let mut workers = Vec::new();
    for payer in payers {
        let client = client.clone();
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut sent = Vec::new();
            let destination = Pubkey::new_unique();
            let mut blockhash = client.get_latest_blockhash().await?;
            for index in 0..per_payer as u64 {
                // A fresh blockhash now and then keeps every transaction inside its window;
                // the amount alone already makes each one unique (and the first rent-exempt).
                if index % 200 == 199 {
                    blockhash = client.get_latest_blockhash().await?;
                }
                let lamports = 1_000_000 + index;
                let transfer = solana_system_interface::instruction::transfer(&payer.pubkey(), &destination, lamports);
                let tx = Transaction::new_signed_with_payer(&[transfer], Some(&payer.pubkey()), &[&payer], blockhash);
                let started = Instant::now();
                sent.push(client.send_transaction_with_config(&tx, config).await?);
                samples.push(started.elapsed());
            }
            // Landed: every signature has a successful status.
            for chunk in sent.chunks(256) {
                let statuses = client.get_signature_statuses(chunk).await?.value;
                anyhow::ensure!(
                    statuses.iter().all(|status| status.as_ref().is_some_and(|status| status.err.is_none())),
                    "a transaction did not land"
                );
            }
            Ok::<_, anyhow::Error>(samples)
        }));
    }
    let mut samples = Vec::new();
    for worker in workers {
        samples.extend(worker.await??);
    }
    Ok(Latencies::new(samples, begun.elapsed()))
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn render(
    args: &Args,
    load: Option<&str>,
    starts: &[Duration],
    process_start: Option<Duration>,
    reads: &Latencies,
    sends: &Latencies,
) -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let warm: Vec<Duration> = starts.iter().skip(1).copied().collect();
    let warm_median = Latencies::new(warm, Duration::from_secs(1)).percentile(0.5);
    let mut out = String::new();
    let _ = writeln!(out, "# Local cluster benchmark\n");
    let _ = writeln!(
        out,
        "`cargo run -p smart-treasury-local-cluster --profile perf --bin cluster-bench`: one process, \
         clients over loopback HTTP with solana-rpc-client, {cores} cores (load average {} when it \
         started), {} clients in flight, default 400 ms slots, Smart Treasury native.\n",
        load.unwrap_or("unknown"),
        args.concurrency
    );
    let _ = writeln!(out, "| measurement | result |\n|---|---|");
    let _ = writeln!(
        out,
        "| getMultipleAccounts, 100 accounts, base64 | {:.0} requests/s; p50 {}, p95 {} ({} requests in {:.1} s) |",
        reads.per_second(),
        millis(reads.percentile(0.5)),
        millis(reads.percentile(0.95)),
        reads.count,
        reads.elapsed.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "| sendTransaction, SOL transfers, preflight on (processed) | {:.0} transactions/s landed; p50 {}, p95 {} per send ({} transactions in {:.1} s) |",
        sends.per_second(),
        millis(sends.percentile(0.5)),
        millis(sends.percentile(0.95)),
        sends.count,
        sends.elapsed.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "| start to ready, first in the process | {} |",
        millis(starts.first().copied().unwrap_or_default())
    );
    if starts.len() > 1 {
        let _ = writeln!(
            out,
            "| start to ready, later starts (median of {}) | {} |",
            starts.len() - 1,
            millis(warm_median)
        );
    }
    let process = process_start.map_or_else(
        || {
            "not measured: build it first (`cargo build -p smart-treasury-local-cluster --profile perf --bins`)"
                .to_string()
        },
        millis,
    );
    let _ = writeln!(out, "| `local-cluster` process spawned until it prints `ready` | {process} |");
    let _ = writeln!(
        out,
        "\nThe cluster runs with instant confirmation. A transaction counts as landed when \
         `sendTransaction` has returned (the cluster answers once it has executed the transaction in the working bank) and `getSignatureStatuses` reports it \
         successful. Start to ready runs from `LocalCluster::start` to both services answering; the \
         first start also builds solana-program-test's throwaway bank that installs the native \
         syscall stubs, as does every new `local-cluster` process. Figures are from a shared \
         machine; the load average above says how busy it was."
    );
    out
}
