//! `scale`: the keeper over a 10,000-balance treasury. Starts `local-cluster` as its own
//! process, builds the treasury over RPC (each balance with its own destination token
//! account of one pool, all linked to one reserve), then runs the keeper's discovery and
//! full watch + plan cycles in this process: cycle time, RPC requests per cycle (counted
//! on the wire by a loopback proxy) and this process's resident memory; then the same
//! cycles behind a slow RPC, and with four weeks of history to forecast.

use anchor_lang::prelude::Pubkey;
use anyhow::{ensure, Context, Result};
use clap::Parser;
use smart_treasury::state::AutomationSettings;
use smart_treasury_keeper::{
    config::{resolve, FileConfig},
    service::{self, unix_now, Shared},
    store::{ActionStatus, Store},
};
use smart_treasury_keeper_live_bench::{
    chain::{self, BalanceSettings, UNIT},
    cluster::{self, proc_status_kib, ClusterProcess},
    count, machine,
    proxy::{CountingProxy, Counts},
    stats::{summarize, Summary},
};
use solana_signer::Signer;
use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

#[derive(Debug, Parser)]
#[command(about = "The keeper over a 10,000-balance treasury: cycle time, RPC requests per cycle, memory")]
struct Args {
    #[arg(long, default_value_t = 10_000)]
    balances: u32,
    /// Full watch + plan cycles measured in each pass.
    #[arg(long, default_value_t = 10)]
    cycles: usize,
    /// Setup transactions in flight at once.
    #[arg(long, default_value_t = 32)]
    in_flight: usize,
    #[arg(long, default_value_t = 400)]
    slot_ms: u64,
    /// Latency the slow-RPC pass adds to every answer.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Days of hourly history per balance in the forecasting pass (0 skips the pass).
    #[arg(long, default_value_t = 28)]
    history_days: u64,
    /// The `local-cluster` binary (default: next to this one).
    #[arg(long)]
    cluster_bin: Option<PathBuf>,
    /// Scratch files: the cluster's log and faucet, the keeper's stores and log.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-keeper/scale"))]
    work_dir: PathBuf,
    /// Where the report section goes.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-keeper/scale.md"))]
    out: PathBuf,
}

const TARGET_CYCLE_MS: f64 = 1_000.0;
const TARGET_REQUESTS: u64 = 120;
const TARGET_RSS_MB: f64 = 500.0;
const MIN: u64 = 1_000 * UNIT;
const TARGET: u64 = 5_000 * UNIT;
const MAX: u64 = 10_000 * UNIT;

fn mib(kib: Option<u64>) -> f64 {
    kib.map_or(f64::NAN, |kib| kib as f64 / 1024.0)
}

fn remove_store(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

struct Pass {
    discovery_ms: f64,
    discovery_counts: Option<Counts>,
    cycles_ms: Vec<f64>,
    cycle_counts: Vec<Counts>,
    /// Balances whose forecast is of the current bucket, after each cycle.
    fresh_forecasts: Vec<usize>,
}

/// Discovery then `cycles` cycles on a fresh keeper; counts requests when `proxy` is given.
async fn pass(
    label: &str,
    config: FileConfig,
    cycles: usize,
    proxy: Option<&CountingProxy>,
    expected: usize,
) -> Result<Pass> {
    eprintln!("scale: {label}: discovery and {cycles} cycles");
    let config = resolve(config, FileConfig::default())?;
    let bucket = config.bucket_seconds;
    let shared = Shared::new(config)?;
    let counts = || proxy.map(CountingProxy::counts);
    let before = counts();
    let started = Instant::now();
    service::discover(&shared).await?;
    let discovery_ms = started.elapsed().as_secs_f64() * 1e3;
    let after_discovery = counts();
    let discovery_counts = before.zip(after_discovery.clone()).map(|(before, after)| after.since(&before));
    let found = shared.fleet.read().await.balances.len();
    ensure!(found == expected, "discovery found {found} managed balances, expected {expected}");
    let (mut cycles_ms, mut cycle_counts, mut fresh_forecasts) = (Vec::new(), Vec::new(), Vec::new());
    let mut previous = after_discovery;
    for cycle in 1..=cycles {
        let started = Instant::now();
        smart_treasury_keeper::cycle::cycle(&shared).await?;
        let elapsed = started.elapsed().as_secs_f64() * 1e3;
        let now = counts();
        if let (Some(previous), Some(now)) = (&previous, &now) {
            cycle_counts.push(now.since(previous));
        }
        previous = now;
        let current_bucket = unix_now().div_euclid(bucket);
        let fresh = shared
            .fleet
            .read()
            .await
            .balances
            .values()
            .filter(|tracked| tracked.forecast.as_ref().is_some_and(|(made, _)| *made == current_bucket))
            .count();
        eprintln!("  cycle {cycle}: {elapsed:.0} ms, {fresh} forecasts of this hour");
        cycles_ms.push(elapsed);
        fresh_forecasts.push(fresh);
    }
    let fleet = shared.fleet.read().await;
    ensure!(fleet.accounts.len() == expected + 1, "the fleet holds {} token accounts", fleet.accounts.len());
    drop(fleet);
    let store = shared.store();
    let actions: usize = [ActionStatus::Pending, ActionStatus::Confirmed, ActionStatus::Failed]
        .into_iter()
        .map(|status| store.actions_with_status(status).map(|actions| actions.len()))
        .sum::<Result<usize>>()?;
    ensure!(actions == 0, "every balance is healthy, yet the keeper acted {actions} times");
    Ok(Pass { discovery_ms, discovery_counts, cycles_ms, cycle_counts, fresh_forecasts })
}

/// Writes `days` of hourly balance samples per managed balance into a keeper store, as a
/// keeper running that long would have: a daily swing of +-20 tokens around the target
/// with a little noise, so every forecast is a full daily + weekly fit and every balance
/// stays healthy. Returns the number of samples.
fn seed_history(path: &Path, balances: &[Pubkey], days: u64) -> Result<u64> {
    drop(Store::open(path)?);
    let mut conn = rusqlite::Connection::open(path)?;
    let tx = conn.transaction()?;
    let hours = days * 24;
    let now_hour = unix_now().div_euclid(3_600);
    let mut written = 0;
    {
        let mut insert = tx.prepare("INSERT INTO balance_sample VALUES (?1, ?2, ?3, ?4)")?;
        let mut noise: u64 = 0x9E37_79B9_7F4A_7C15;
        for balance in balances {
            let key = balance.to_string();
            for hour in 0..hours {
                noise ^= noise << 13;
                noise ^= noise >> 7;
                noise ^= noise << 17;
                let jitter = (noise % 2_001) as f64 - 1_000.0;
                let swing = 20.0 * UNIT as f64 * (hour as f64 / 24.0 * std::f64::consts::TAU).sin();
                let amount = (TARGET as f64 + swing + jitter * 1_000.0) as i64;
                // Mid-hour, one sample per hour: slots are only a tie-breaker in the store.
                let at = (now_hour - hours as i64 + hour as i64) * 3_600 + 1_800;
                insert.execute(rusqlite::params![key, hour as i64, at, amount])?;
                written += 1;
            }
        }
    }
    tx.commit()?;
    Ok(written)
}

fn ms(summary: &Summary) -> String {
    format!("{:.0} / {:.0} / {:.0}", summary.median, summary.p95, summary.max)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.work_dir)?;
    smart_treasury_keeper_live_bench::log_to_file(&args.work_dir.join("keeper.log"))?;
    let load_before = machine::load_average();
    let binary = args.cluster_bin.clone().unwrap_or_else(cluster::default_binary);
    eprintln!("scale: starting {}", binary.display());
    let cluster = ClusterProcess::spawn(&binary, args.slot_ms, &args.work_dir)?;
    eprintln!("scale: cluster ready at {} in {} ms", cluster.rpc_url, cluster.started_in.as_millis());
    let rpc = chain::connect(&cluster.rpc_url);

    let setup_started = Instant::now();
    let n = args.balances as usize;
    let settings = BalanceSettings {
        min: MIN,
        target: TARGET,
        max: MAX,
        automation: AutomationSettings {
            cooldown_seconds: 30,
            period_seconds: 86_400,
            period_cap: 50_000 * UNIT,
            forecast_band_bps: 5_000,
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
    let transactions = chain::pack(&a, groups)?;
    let (token_txs, accounts_per_tx) = (transactions.len(), n.div_ceil(transactions.len()));
    eprintln!("scale: {n} destination token accounts in {token_txs} transactions");
    chain::send_all(&rpc, &base.authority, transactions, "destination accounts", args.in_flight).await?;
    let groups = destinations
        .iter()
        .enumerate()
        .map(|(i, destination)| {
            chain::managed_balance(&base, i as u32 + 1, &format!("balance {i}"), *destination, &settings)
        })
        .collect();
    let transactions = chain::pack(&a, groups)?;
    let (balance_txs, balances_per_tx) = (transactions.len(), n.div_ceil(transactions.len()));
    eprintln!("scale: {n} managed balances in {balance_txs} transactions");
    chain::send_all(&rpc, &base.authority, transactions, "managed balances", args.in_flight).await?;
    let setup_s = setup_started.elapsed().as_secs_f64();

    let keypair = args.work_dir.join("keeper.json");
    chain::funded_keypair(&rpc, &cluster.faucet, 10 * chain::SOL, &keypair).await?;
    let settings_for = |rpc_url: &str, store: &str| {
        let store = args.work_dir.join(store);
        remove_store(&store);
        FileConfig {
            rpc_url: Some(rpc_url.to_string()),
            ws_url: Some(cluster.ws_url.clone()),
            keypair: Some(keypair.clone()),
            treasury: Some(base.treasury.to_string()),
            store: Some(store),
            ..FileConfig::default()
        }
    };
    drop(rpc);
    // What `keeper run` waits between cycles unless a watched balance changes.
    let default_pause = resolve(settings_for(&cluster.rpc_url, "unused.sqlite"), FileConfig::default())?.cycle;

    let me = "self";
    let rss_before = proc_status_kib(me, "VmRSS:");
    let direct = pass("direct", settings_for(&cluster.rpc_url, "keeper-direct.sqlite"), args.cycles, None, n).await?;
    let (rss_after, hwm_after) = (proc_status_kib(me, "VmRSS:"), proc_status_kib(me, "VmHWM:"));
    let cluster_rss = proc_status_kib(&cluster.pid().to_string(), "VmRSS:");

    let proxy = CountingProxy::start(cluster.rpc_url.clone(), Duration::ZERO).await?;
    let counted =
        pass("counting proxy", settings_for(&proxy.url, "keeper-counted.sqlite"), args.cycles, Some(&proxy), n).await?;
    drop(proxy);
    let latency = Duration::from_millis(args.latency_ms);
    let slow_proxy = CountingProxy::start(cluster.rpc_url.clone(), latency).await?;
    let slow = pass("slow RPC", settings_for(&slow_proxy.url, "keeper-slow.sqlite"), args.cycles, None, n).await?;
    drop(slow_proxy);

    let history = if args.history_days > 0 {
        let config = settings_for(&cluster.rpc_url, "keeper-history.sqlite");
        let store = config.store.clone().context("store")?;
        let managed: Vec<Pubkey> =
            (1..=args.balances).map(|id| smart_treasury_client::pda::managed_balance_pda(&base.treasury, id)).collect();
        eprintln!("scale: writing {} days of hourly history for {n} balances", args.history_days);
        let seeded_at = Instant::now();
        let samples = seed_history(&store, &managed, args.history_days)?;
        let seeded_s = seeded_at.elapsed().as_secs_f64();
        let pass = pass("four weeks of history", config, args.cycles, None, n).await?;
        remove_store(&store);
        Some((samples, seeded_s, pass))
    } else {
        None
    };
    let hwm_end = proc_status_kib(me, "VmHWM:");
    let load_after = machine::load_average();

    let all = summarize(&direct.cycles_ms).context("no cycles")?;
    let steady = summarize(&direct.cycles_ms[1..]).unwrap_or(all);
    let proxied = summarize(&counted.cycles_ms).context("no cycles")?;
    let slowed = summarize(&slow.cycles_ms).context("no cycles")?;
    let requests: Vec<u64> = counted.cycle_counts.iter().map(|counts| counts.http_requests).collect();
    let max_requests = requests.iter().copied().max().unwrap_or(0);
    let sent: u64 =
        counted.cycle_counts.iter().map(|counts| counts.calls.get("sendTransaction").copied().unwrap_or(0)).sum();
    ensure!(sent == 0, "the keeper sent {sent} transactions over healthy balances");
    let rss_mb = mib(rss_after);
    let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
    let megabytes = |mib: f64| mib * 1.048_576;

    let batched = counted.cycle_counts.iter().any(|counts| counts.http_requests != counts.total_calls());
    let n_text = count(n as u64);
    let mut out = String::new();
    writeln!(out, "## Scale: {n_text} managed balances\n")?;
    writeln!(
        out,
        "One treasury with {n_text} managed balances, each with its own destination token account (owned by one \
         pool, holding its target) and all linked to one shared reserve vault, built over RPC on `local-cluster` \
         ({} ms slots) running as a separate process: {n_text} token accounts in {} transactions (about \
         {accounts_per_tx} per transaction) and {n_text} managed balances in {} transactions (about \
         {balances_per_tx} per transaction), {} in flight, {setup_s:.0} s in all. The keeper then ran in the \
         benchmark process (`keeper::service::Shared::new` with the keeper's default settings, logging at `info` \
         to a file as `smart-treasury keeper run` does): discovery, then {} full watch + plan cycles \
         (`service::cycle`) back to back. Every balance is healthy, so no crank is sent (checked: no action \
         recorded, no `sendTransaction`).\n",
        args.slot_ms,
        count(token_txs as u64),
        count(balance_txs as u64),
        args.in_flight,
        args.cycles
    )?;
    writeln!(out, "| measurement | result | target |\n|---|---|---|")?;
    writeln!(
        out,
        "| cycle time, all {} cycles (median / p95 / max) | {} ms | <= {TARGET_CYCLE_MS:.0} ms: {} |",
        all.count,
        ms(&all),
        verdict(all.max <= TARGET_CYCLE_MS)
    )?;
    writeln!(
        out,
        "| first cycle (makes {} of the {n_text} first forecasts, from no history) | {:.0} ms | |",
        count(direct.fresh_forecasts[0] as u64),
        direct.cycles_ms[0]
    )?;
    writeln!(out, "| cycles 2 to {} (median / p95 / max) | {} ms | |", all.count, ms(&steady))?;
    writeln!(
        out,
        "| RPC requests per cycle (max over {} cycles) | {max_requests} | <= {TARGET_REQUESTS}: {} |",
        requests.len(),
        verdict(max_requests <= TARGET_REQUESTS)
    )?;
    writeln!(
        out,
        "| resident memory of the benchmark process after the cycles (VmRSS; VmHWM) | {rss_mb:.0} MiB; {:.0} MiB | \
         <= {TARGET_RSS_MB:.0} MB: {} |",
        mib(hwm_after),
        verdict(megabytes(rss_mb) <= TARGET_RSS_MB && megabytes(mib(hwm_after)) <= TARGET_RSS_MB)
    )?;
    writeln!(out, "| VmRSS before the keeper was created | {:.0} MiB | |", mib(rss_before))?;
    writeln!(out, "| VmHWM at the end of all passes below | {:.0} MiB | |", mib(hwm_end))?;
    writeln!(out, "| discovery (one getProgramAccounts, {n_text} accounts) | {:.0} ms | |", direct.discovery_ms)?;
    writeln!(
        out,
        "| `local-cluster` process VmRSS (for scale, not counted above) | {:.0} MiB | |\n",
        mib(cluster_rss)
    )?;

    writeln!(
        out,
        "Requests were counted in a second pass, by a fresh keeper (new store) pointed at a counting HTTP proxy \
         on loopback in front of the cluster; {}. Discovery: {}. A third pass put {} ms of latency on every \
         answer, as a remote RPC node would.\n",
        if batched { "some requests were JSON-RPC batches" } else { "each request was one JSON-RPC call (no batches)" },
        counted.discovery_counts.as_ref().map_or_else(String::new, Counts::by_method),
        args.latency_ms
    )?;
    writeln!(
        out,
        "| cycle | direct (ms) | through the counting proxy (ms) | RPC requests | by method | {} ms RPC latency (ms) |\n\
         |---|---|---|---|---|---|",
        args.latency_ms
    )?;
    for (i, counts) in counted.cycle_counts.iter().enumerate() {
        writeln!(
            out,
            "| {} | {:.0} | {:.0} | {} | {} | {:.0} |",
            i + 1,
            direct.cycles_ms[i],
            counted.cycles_ms[i],
            counts.http_requests,
            counts.by_method(),
            slow.cycles_ms[i]
        )?;
    }
    writeln!(out, "| median / p95 / max | {} | {} | | | {} |\n", ms(&all), ms(&proxied), ms(&slowed))?;

    if let Some((samples, seeded_s, pass)) = &history {
        let cycles = summarize(&pass.cycles_ms).context("no cycles")?;
        let made = pass.fresh_forecasts.last().copied().unwrap_or(0);
        let spent_s = pass.cycles_ms.iter().sum::<f64>() / 1e3;
        writeln!(out, "### With four weeks of history\n")?;
        writeln!(
            out,
            "A fourth keeper started on a store holding {} days of hourly balance samples per managed balance \
             ({} samples, written in {seeded_s:.1} s), as a keeper that has run that long would: each \
             forecast is then a full daily + weekly fit. A keeper refits a balance's forecast once per hour \
             bucket, so a fresh start, and every hour boundary after it, makes all {n_text} forecasts stale at once. \
             A cycle spends at most {} ms on refits; the other balances keep their previous forecast (or, at \
             start, none: threshold top-ups never wait for a forecast) until a later cycle refits them.\n",
            args.history_days,
            count(*samples),
            smart_treasury_keeper::cycle::FORECAST_BUDGET.as_millis()
        )?;
        writeln!(out, "| measurement | result | target |\n|---|---|---|")?;
        writeln!(
            out,
            "| cycle time, {} cycles (median / p95 / max) | {} ms | <= {TARGET_CYCLE_MS:.0} ms: {} |",
            cycles.count,
            ms(&cycles),
            verdict(cycles.max <= TARGET_CYCLE_MS)
        )?;
        writeln!(
            out,
            "| forecasts refitted in those cycles | {made} of {n_text} ({:.1} per second of cycling) | |",
            made as f64 / spent_s
        )?;
        let per_cycle = made as f64 / pass.cycles_ms.len() as f64;
        let period_s = cycles.median / 1e3 + default_pause.as_secs_f64();
        writeln!(
            out,
            "| time to refit all {n_text} at that rate, with the default {} ms between cycles | about {:.1} minutes | |",
            default_pause.as_millis(),
            n as f64 / per_cycle.max(f64::MIN_POSITIVE) * period_s / 60.0
        )?;
        writeln!(
            out,
            "| forecasts refitted per cycle | {} | |\n",
            pass.fresh_forecasts
                .iter()
                .scan(0, |before, &now| {
                    let made = now.saturating_sub(*before);
                    *before = now;
                    Some(made.to_string())
                })
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    writeln!(
        out,
        "Machine: {}; load average (1, 5, 15 min) {load_before} before the run, {load_after} after. \
         Cluster started (spawned to `ready`) in {} ms.\n",
        machine::summary(),
        cluster.started_in.as_millis()
    )?;
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, &out).with_context(|| format!("writing {}", args.out.display()))?;
    print!("{out}");
    drop(cluster);
    Ok(())
}
