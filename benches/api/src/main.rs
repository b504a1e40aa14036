//! `api-bench`: the operator API over 1,000 managed balances. Starts `local-cluster` and
//! `smart-treasury serve` as processes of their own, builds the treasury over RPC (each
//! balance with its own destination, all funded from one reserve), then measures over
//! real HTTP on loopback: the latency of listing all 1,000 and of getting one, requests
//! per second with 100 concurrent clients, the latency from a confirmed event to its
//! delivery at 10 webhook destinations, and the server's resident memory.

use anchor_lang::prelude::Pubkey;
use anyhow::{bail, ensure, Context, Result};
use axum::{extract::State, http::HeaderMap, routing::post, Router};
use clap::Parser;
use smart_treasury::state::AutomationSettings;
use smart_treasury_client::{ix, pda};
use smart_treasury_keeper_live_bench::{
    chain::{self, BalanceSettings, UNIT},
    cluster::{self, proc_status_kib, ClusterProcess},
    machine,
    stats::percentile,
};
use solana_commitment_config::CommitmentConfig;
use solana_signer::Signer;
use std::{
    collections::HashMap,
    fmt::Write as _,
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Debug, Parser)]
#[command(about = "The operator API over 1,000 managed balances: latency, throughput, webhook delivery, memory")]
struct Args {
    #[arg(long, default_value_t = 1_000)]
    balances: u32,
    /// Sequential list requests timed (each lists every balance).
    #[arg(long, default_value_t = 200)]
    lists: usize,
    /// Sequential get requests timed.
    #[arg(long, default_value_t = 2_000)]
    gets: usize,
    /// Concurrent clients of the throughput pass.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Seconds the throughput pass runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Webhook destinations.
    #[arg(long, default_value_t = 10)]
    destinations: usize,
    /// Events (manual adjustments) whose deliveries are timed.
    #[arg(long, default_value_t = 30)]
    events: usize,
    #[arg(long, default_value_t = 400)]
    slot_ms: u64,
    /// Setup transactions in flight at once.
    #[arg(long, default_value_t = 32)]
    in_flight: usize,
    /// The `local-cluster` and `smart-treasury` binaries' directory (default: this one's).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-api"))]
    work_dir: PathBuf,
    /// Where the report goes.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/api.md"))]
    out: PathBuf,
    /// The commit measured, for the report.
    #[arg(long, default_value = "unknown")]
    commit: String,
}

const TARGET_LIST_P99_MS: f64 = 100.0;
const TARGET_GET_P99_MS: f64 = 20.0;
const TARGET_DELIVERY_P95_MS: f64 = 1_000.0;
const MIN: u64 = 1_000 * UNIT;
const TARGET: u64 = 5_000 * UNIT;
const MAX: u64 = 1_000_000 * UNIT;

/// `smart-treasury serve` as a process of its own, killed when dropped.
struct Server {
    child: tokio::process::Child,
    url: String,
}

impl Server {
    async fn spawn(binary: &std::path::Path, config: &std::path::Path, log: &std::path::Path) -> Result<Self> {
        let log_file = std::fs::File::create(log)?;
        let mut child = tokio::process::Command::new(binary)
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}: build it with scripts/bench-api", binary.display()))?;
        let mut lines = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .context("the server printed no URL in 120 s")??
            .context("the server exited before printing its URL")?;
        let url = line
            .strip_prefix("API")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|url| url.strip_suffix("/api/v1"))
            .with_context(|| format!("unexpected first line {line:?}"))?
            .to_string();
        // Keep reading what it prints next (the dashboard's URL): a closed pipe would
        // fail its next write.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child, url })
    }

    fn pid(&self) -> String {
        self.child.id().map_or_else(String::new, |pid| pid.to_string())
    }
}

/// The milliseconds of each of `count` calls of `call`, one after another.
async fn timed<F, Fut>(count: usize, mut call: F) -> Result<Vec<f64>>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut times = Vec::with_capacity(count);
    for index in 0..count {
        let started = Instant::now();
        call(index).await?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok(times)
}

async fn get_ok(http: &reqwest::Client, url: &str) -> Result<reqwest::Response> {
    let response = http.get(url).send().await?;
    ensure!(response.status().is_success(), "GET {url}: {}", response.status());
    Ok(response)
}

/// Requests served per second by `clients` concurrent clients getting random balances.
async fn throughput(url: &str, balances: u32, clients: usize, seconds: u64) -> Result<(f64, u64)> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (http, url) = (http.clone(), url.to_string());
            tokio::spawn(async move {
                let (mut done, mut failed) = (0u64, 0u64);
                let mut id = client as u32;
                while Instant::now() < deadline {
                    id = id.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    let path = format!("{url}/api/v1/managed-balance/{}", id % balances + 1);
                    match get_ok(&http, &path).await {
                        Ok(response) => {
                            response.bytes().await?;
                            done += 1;
                        }
                        Err(_) => failed += 1,
                    }
                }
                anyhow::Ok((done, failed))
            })
        })
        .collect();
    let (mut done, mut failed) = (0, 0);
    for task in tasks {
        let (ok, bad) = task.await??;
        done += ok;
        failed += bad;
    }
    Ok((done as f64 / started.elapsed().as_secs_f64(), failed))
}

/// Arrivals at the receivers: message id and destination path, when.
type Arrivals = Arc<Mutex<HashMap<(String, String), Instant>>>;

async fn receive(State(arrivals): State<Arrivals>, uri: axum::http::Uri, headers: HeaderMap) -> &'static str {
    let id = headers.get("webhook-id").and_then(|value| value.to_str().ok()).unwrap_or_default().to_string();
    let mut arrivals = arrivals.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    arrivals.entry((id, uri.path().to_string())).or_insert_with(Instant::now);
    "ok"
}

/// A loopback receiver for every destination path; returns its base URL.
async fn receivers(arrivals: Arrivals) -> Result<String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = Router::new().route("/{destination}", post(receive)).with_state(arrivals);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// Sends a manual adjustment of balance `id` and returns its signature and when it was
/// seen confirmed (polled every 5 ms).
async fn adjust(
    rpc: &solana_rpc_client::nonblocking::rpc_client::RpcClient,
    base: &chain::Base,
    destinations: &[Pubkey],
    id: u32,
) -> Result<(String, Instant)> {
    let accounts = ix::BalanceAccounts {
        treasury: base.treasury,
        managed_balance: pda::managed_balance_pda(&base.treasury, id),
        destination: destinations[id as usize - 1],
        destination_pool: base.destination_pool,
        mint: base.mint,
        token_program: chain::SPL_TOKEN,
    };
    let instruction =
        ix::adjust_balance(base.authority.pubkey(), accounts, UNIT, &[(base.reserve_vault, base.reserve_pool)]);
    let blockhash = rpc.get_latest_blockhash().await?;
    let tx = solana_transaction::Transaction::new_signed_with_payer(
        &[instruction],
        Some(&base.authority.pubkey()),
        &[&base.authority],
        blockhash,
    );
    let signature = rpc.send_transaction(&tx).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = rpc.get_signature_statuses(&[signature]).await?.value.into_iter().next().flatten();
        if let Some(status) = status {
            if let Some(error) = status.err {
                bail!("adjustment {signature} failed: {error:?}");
            }
            if status.satisfies_commitment(CommitmentConfig::confirmed()) {
                return Ok((signature.to_string(), Instant::now()));
            }
        }
        ensure!(Instant::now() < deadline, "adjustment {signature} not confirmed in 60 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn ms_row(name: &str, values: &[f64], target: Option<f64>, p_high: f64) -> String {
    let p50 = percentile(values, 50.0).unwrap_or(f64::NAN);
    let high = percentile(values, p_high).unwrap_or(f64::NAN);
    let verdict = target.map_or_else(String::new, |target| {
        format!("{} (target <= {target:.0})", if high <= target { "met" } else { "MISSED" })
    });
    format!("| {name} | {} | {p50:.1} | {high:.1} | {verdict} |\n", values.len())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.work_dir)?;
    let bin_dir = args
        .bin_dir
        .clone()
        .unwrap_or_else(|| cluster::default_binary().parent().map(PathBuf::from).unwrap_or_default());
    let load_before = machine::load_average();
    let cluster = ClusterProcess::spawn(&bin_dir.join("local-cluster"), args.slot_ms, &args.work_dir)?;
    eprintln!("api-bench: cluster ready at {}", cluster.rpc_url);
    let rpc = chain::connect(&cluster.rpc_url);

    // The treasury: one reserve, `balances` destinations of the destination pool.
    let n = args.balances as usize;
    let settings = BalanceSettings {
        min: MIN,
        target: TARGET,
        max: MAX,
        automation: AutomationSettings {
            cooldown_seconds: 30,
            period_seconds: 86_400,
            period_cap: 50_000 * UNIT,
            forecast_band_bps: 0,
        },
        reserve_floor: 0,
    };
    let base = chain::base(&rpc, &cluster.faucet, 500, 100_000_000 * UNIT).await?;
    let a = base.authority.pubkey();
    let rent = chain::token_account_rent(&rpc).await?;
    let mut destinations = Vec::with_capacity(n);
    let mut groups = Vec::with_capacity(n);
    for i in 0..n {
        let (address, instructions) =
            chain::seeded_token_account(&base, &format!("dest-{i}"), &base.destination_pool, rent, TARGET)?;
        destinations.push(address);
        groups.push(instructions);
    }
    chain::send_all(&rpc, &base.authority, chain::pack(&a, groups)?, "destinations", args.in_flight).await?;
    let groups = destinations
        .iter()
        .enumerate()
        .map(|(i, destination)| {
            chain::managed_balance(&base, i as u32 + 1, &format!("balance {i}"), *destination, &settings)
        })
        .collect();
    chain::send_all(&rpc, &base.authority, chain::pack(&a, groups)?, "managed balances", args.in_flight).await?;

    // The server, on its own store, with changes exported (the benchmark moves nothing
    // through it) and deliveries to the loopback receivers allowed.
    let store = args.work_dir.join("serve.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", store.display()));
    }
    let config = args.work_dir.join("serve.toml");
    std::fs::write(
        &config,
        format!(
            "rpc_url = {:?}\nws_url = {:?}\ntreasury = {:?}\nstore = {:?}\n\n[api]\nlisten = \"127.0.0.1:0\"\n\
             change_mode = \"export\"\n\n[api.webhooks]\nallow_private_destinations = true\n",
            cluster.rpc_url,
            cluster.ws_url,
            base.treasury.to_string(),
            store.display().to_string()
        ),
    )?;
    let server = Server::spawn(&bin_dir.join("smart-treasury"), &config, &args.work_dir.join("serve.log")).await?;
    let url = server.url.clone();
    eprintln!("api-bench: server at {url}");
    let http = reqwest::Client::new();
    let list_url = format!("{url}/api/v1/managed-balance?size={n}");
    let started = Instant::now();
    loop {
        let ready = get_ok(&http, &list_url).await.ok();
        let body: Option<serde_json::Value> = match ready {
            Some(response) => response.json().await.ok(),
            None => None,
        };
        let listed = body.as_ref().and_then(|page| page["items"].as_array()).map_or(0, Vec::len);
        let with_balance = body
            .as_ref()
            .and_then(|page| page["items"].as_array())
            .map_or(0, |items| items.iter().filter(|item| item.get("balance").is_some()).count());
        if listed == n && with_balance == n {
            break;
        }
        ensure!(started.elapsed() < Duration::from_secs(180), "the server shows {listed} of {n} balances after 180 s");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!("api-bench: the server lists all {n} balances");

    // Latency, one request at a time.
    let list_body = get_ok(&http, &list_url).await?.bytes().await?.len();
    let lists = timed(args.lists, |_| {
        let (http, url) = (&http, &list_url);
        async move {
            get_ok(http, url).await?.bytes().await?;
            Ok(())
        }
    })
    .await?;
    let gets = timed(args.gets, |index| {
        let (http, url) = (&http, &url);
        async move {
            let id = (index as u32).wrapping_mul(7_919) % args.balances + 1;
            get_ok(http, &format!("{url}/api/v1/managed-balance/{id}")).await?.bytes().await?;
            Ok(())
        }
    })
    .await?;
    eprintln!("api-bench: {} lists and {} gets timed", lists.len(), gets.len());
    let (rps, failed) = throughput(&url, args.balances, args.clients, args.seconds).await?;
    eprintln!("api-bench: {rps:.0} requests/s with {} clients ({failed} failed)", args.clients);

    // Webhooks: 10 destinations, each adjustment's delivery timed from its confirmation.
    let arrivals: Arrivals = Arc::default();
    let receiver = receivers(arrivals.clone()).await?;
    for destination in 0..args.destinations {
        let body = serde_json::json!({"url": format!("{receiver}/d{destination}"), "events": ["balance.adjusted"]});
        let response = http.post(format!("{url}/api/v1/hook/destination")).json(&body).send().await?;
        ensure!(response.status().is_success(), "creating destination {destination}: {}", response.status());
    }
    let mut deliveries = Vec::new();
    for event in 0..args.events {
        let id = (event as u32 * 31) % args.balances + 1;
        let (signature, confirmed) = adjust(&rpc, &base, &destinations, id).await?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let arrived: Vec<Instant> = {
                let arrivals = arrivals.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                arrivals.iter().filter(|((id, _), _)| id.starts_with(&signature)).map(|(_, at)| *at).collect()
            };
            if arrived.len() == args.destinations {
                deliveries.extend(arrived.iter().map(|at| at.saturating_duration_since(confirmed).as_secs_f64() * 1e3));
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "event {signature}: {} of {} deliveries in 30 s",
                arrived.len(),
                args.destinations
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    eprintln!("api-bench: {} deliveries timed", deliveries.len());
    let pid = server.pid();
    let (rss, hwm) = (proc_status_kib(&pid, "VmRSS:"), proc_status_kib(&pid, "VmHWM:"));
    let mib = |kib: Option<u64>| kib.map_or(f64::NAN, |kib| kib as f64 / 1024.0);

    let mut report = String::new();
    writeln!(report, "# Operator API benchmark\n")?;
    writeln!(
        report,
        "`scripts/bench-api` at commit `{}`: builds `local-cluster`, `smart-treasury` and `benches/api` with \
         `--profile perf`, starts the cluster ({} ms slots, realistic confirmation) and `smart-treasury serve` as \
         processes of their own, builds a treasury of {n} managed balances over JSON-RPC (each with its own \
         destination, one reserve), and drives the server over HTTP on loopback from the benchmark process.\n",
        args.commit, args.slot_ms
    )?;
    writeln!(report, "- machine: {}", machine::summary())?;
    writeln!(report, "- load average before / after: {load_before} / {}\n", machine::load_average())?;
    writeln!(report, "| request | count | p50 ms | p99 ms | |\n|---|---|---|---|---|")?;
    report.push_str(&ms_row(
        &format!("GET /api/v1/managed-balance?size={n} (all {n}, {} KiB)", list_body / 1024),
        &lists,
        Some(TARGET_LIST_P99_MS),
        99.0,
    ));
    report.push_str(&ms_row("GET /api/v1/managed-balance/{id}", &gets, Some(TARGET_GET_P99_MS), 99.0));
    writeln!(
        report,
        "\nThroughput: **{rps:.0} requests/s** of `GET /api/v1/managed-balance/{{id}}` from {} concurrent clients \
         over {} s ({failed} failed).\n",
        args.clients, args.seconds
    )?;
    writeln!(
        report,
        "| webhook delivery, from the event's confirmation | count | p50 ms | p95 ms | |\n|---|---|---|---|---|"
    )?;
    report.push_str(&ms_row(
        &format!("{} events x {} destinations", args.events, args.destinations),
        &deliveries,
        Some(TARGET_DELIVERY_P95_MS),
        95.0,
    ));
    writeln!(
        report,
        "\nThe confirmation is when the benchmark, polling `getSignatureStatuses` every 5 ms, first saw the \
         adjustment at `confirmed`; the delivery is when the loopback receiver got the request. Between them the \
         server hears the transaction on its `confirmed` log subscription, fetches it, records its event with the \
         outbox rows in one SQLite transaction, wakes its delivery worker and sends.\n"
    )?;
    writeln!(report, "Server memory (`smart-treasury serve`, the keeper's watcher and history included): RSS {:.0} MiB, peak {:.0} MiB.", mib(rss), mib(hwm))?;
    std::fs::write(&args.out, &report)?;
    eprintln!("{report}");
    drop(server);
    drop(cluster);
    Ok(())
}
