//! `scale`: the keeper over the soak's fleet (10,000 managed balances, 10,000 venue
//! destinations, 1,000 sources) with four weeks of history, on the realistic cluster.
//! Starts `local-cluster` (400 ms slots, realistic confirmation) as its own process,
//! builds the fleet over RPC, writes four weeks of history into the keeper's store the
//! way the keeper records it (`history`), then measures in this process: full cycles
//! (time, RPC requests counted on the wire by a loopback proxy), resident memory, the
//! store's size, and, with the whole keeper running (subscriptions on every destination,
//! event follower), slots from a breach to its confirmed top-up.

use anyhow::{ensure, Context, Result};
use clap::Parser;
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};
use smart_treasury_client::{tx, workload::WorkloadModel};
use smart_treasury_keeper::{
    config::{resolve, FileConfig},
    cycle,
    event_log::BalanceInfo,
    service::{self, unix_now, Shared},
    store::Store,
};
use smart_treasury_keeper_live_bench::{
    chain::{self, UNIT},
    cluster::{self, proc_status_kib, ClusterProcess},
    count,
    fleet::{self, FleetSpec, MIN},
    history, machine,
    proxy::{CountingProxy, Counts},
    stats::{summarize, Summary},
};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::{nonblocking::rpc_client::RpcClient, rpc_client::GetConfirmedSignaturesForAddress2Config};
use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(
    about = "The keeper over 10,000 balances with four weeks of history: cycles, requests, memory, store, reaction"
)]
struct Args {
    #[arg(long, default_value_t = 10_000)]
    balances: usize,
    #[arg(long, default_value_t = 1_000)]
    sources: usize,
    /// Full cycles measured in each pass.
    #[arg(long, default_value_t = 20)]
    cycles: usize,
    #[arg(long, default_value_t = 400)]
    slot_ms: u64,
    /// Days of history in the keeper's store.
    #[arg(long, default_value_t = 28)]
    history_days: u64,
    /// Share of balances with withdrawals in that history.
    #[arg(long, default_value_t = 0.1)]
    active_share: f64,
    /// Breaches timed to their confirmed top-up.
    #[arg(long, default_value_t = 30)]
    breaches: usize,
    #[arg(long, default_value_t = 11)]
    seed: u64,
    #[arg(long)]
    cluster_bin: Option<PathBuf>,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-keeper/scale"))]
    work_dir: PathBuf,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-keeper/scale.md"))]
    out: PathBuf,
}

const TARGET_CYCLE_MS: f64 = 1_000.0;
const TARGET_REQUESTS: u64 = 120;
const TARGET_RSS_MB: f64 = 500.0;
const TARGET_STORE_GB: f64 = 1.0;
const TARGET_SLOTS: f64 = 2.0;

fn mib(kib: Option<u64>) -> f64 {
    kib.map_or(f64::NAN, |kib| kib as f64 / 1024.0)
}

fn remove_store(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn file_bytes(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|suffix| std::fs::metadata(format!("{}{suffix}", path.display())).map_or(0, |m| m.len()))
        .sum()
}

fn ms(summary: &Summary) -> String {
    format!("{:.0} / {:.0} / {:.0}", summary.median, summary.p95, summary.max)
}

/// `cycles` full cycles after discovery; the requests of each when `proxy` counts them.
async fn cycles(
    shared: &std::sync::Arc<Shared>,
    cycles: usize,
    proxy: Option<&CountingProxy>,
) -> Result<(Vec<f64>, Vec<Counts>)> {
    service::discover(shared).await?;
    let (mut times, mut counts) = (Vec::new(), Vec::new());
    let mut previous = proxy.map(CountingProxy::counts);
    for number in 1..=cycles {
        let started = Instant::now();
        cycle::cycle(shared).await?;
        let elapsed = started.elapsed().as_secs_f64() * 1e3;
        if let (Some(proxy), Some(before)) = (proxy, &previous) {
            let now = proxy.counts();
            counts.push(now.since(before));
            previous = Some(now);
        }
        eprintln!("  cycle {number}: {elapsed:.0} ms");
        times.push(elapsed);
    }
    Ok((times, counts))
}

/// Pays venue `index` out below min, waits for the keeper's top-up to be confirmed, and
/// returns (slots from the breach to the top-up, ms from seeing the breach confirmed to
/// seeing the top-up confirmed).
async fn breach(rpc: &RpcClient, fleet: &fleet::Fleet, index: usize) -> Result<(u64, f64)> {
    let managed = fleet.managed_balances[index];
    let held = smart_treasury_client::read::token_account(rpc, &fleet.venues[index]).await?.amount;
    let payout = fleet.payout(index, held - (MIN - 500 * UNIT))?;
    let sent = tx::send(rpc, &fleet.exchange, vec![payout]).await?;
    let confirmed_at = Instant::now();
    let signature = sent[0].signature.parse()?;
    let status = rpc.get_signature_statuses(&[signature]).await?.value[0].clone().context("the payout's status")?;
    let config = || GetConfirmedSignaturesForAddress2Config {
        limit: Some(1),
        commitment: Some(CommitmentConfig::confirmed()),
        ..Default::default()
    };
    loop {
        ensure!(confirmed_at.elapsed() < Duration::from_secs(60), "no top-up of balance {index} within a minute");
        if let Some(newest) = rpc.get_signatures_for_address_with_config(&managed, config()).await?.first() {
            if newest.slot > status.slot && newest.err.is_none() {
                return Ok((newest.slot - status.slot, confirmed_at.elapsed().as_secs_f64() * 1e3));
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    let rpc = chain::connect(&cluster.rpc_url);
    let spec = FleetSpec {
        balances: args.balances,
        sources: args.sources,
        source_funds: 10_000_000 * UNIT,
        cooldown_seconds: 30,
    };
    let build_started = Instant::now();
    let fleet = fleet::build(&rpc, &cluster.faucet, &spec, 32).await?;
    let build_s = build_started.elapsed().as_secs_f64();
    let keypair = args.work_dir.join("keeper.json");
    chain::funded_keypair(&rpc, &cluster.faucet, 100 * chain::SOL, &keypair).await?;
    let settings_for = |rpc_url: &str, store: &Path| FileConfig {
        rpc_url: Some(rpc_url.to_string()),
        ws_url: Some(cluster.ws_url.clone()),
        keypair: Some(keypair.clone()),
        treasury: Some(fleet.base.treasury.to_string()),
        store: Some(store.to_path_buf()),
        ..FileConfig::default()
    };

    // Four weeks of history, written as the keeper records it.
    let store_path = args.work_dir.join("keeper-history.sqlite");
    remove_store(&store_path);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut order: Vec<usize> = (0..args.balances).collect();
    order.shuffle(&mut rng);
    let active: std::collections::BTreeSet<usize> =
        order.iter().copied().take((args.balances as f64 * args.active_share).round() as usize).collect();
    let balances: Vec<history::Balance> = (0..args.balances)
        .map(|index| history::Balance {
            info: BalanceInfo {
                address: fleet.managed_balances[index],
                id: index as u32 + 1,
                name: format!("venue {index}"),
                mint: fleet.base.mint,
                decimals: 6,
                destination: fleet.venues[index],
            },
            source: fleet.sources[index % fleet.sources.len()],
            workload: active
                .contains(&index)
                .then(|| WorkloadModel { seed: args.seed + index as u64, ..WorkloadModel::default() }),
        })
        .collect();
    eprintln!(
        "scale: writing {} days of history for {} balances ({} with withdrawals)",
        args.history_days,
        args.balances,
        active.len()
    );
    let written_started = Instant::now();
    let written = {
        let store = Store::open(&store_path)?;
        history::write(&store, &fleet.base.treasury, &balances, args.history_days, unix_now(), |day, written| {
            eprintln!("  day {day}: {} samples, {} top-ups so far", count(written.samples), count(written.top_ups));
        })?
    };
    let written_s = written_started.elapsed().as_secs_f64();
    let store_written = file_bytes(&store_path);

    // Cycles on that store, then requests counted on a fresh keeper behind the proxy.
    let me = "self";
    let rss_before = mib(proc_status_kib(me, "VmRSS:"));
    let config = resolve(settings_for(&cluster.rpc_url, &store_path), FileConfig::default())?;
    let shared = Shared::new(config)?;
    eprintln!("scale: {} cycles with four weeks of history", args.cycles);
    let (direct, _) = cycles(&shared, args.cycles, None).await?;
    let rss_after = mib(proc_status_kib(me, "VmRSS:"));
    let store_after = file_bytes(&store_path);
    let forecasts = shared.fleet.read().await.balances.values().filter(|tracked| tracked.forecast.is_some()).count();

    let proxy = CountingProxy::start(cluster.rpc_url.clone(), Duration::ZERO).await?;
    let counted_store = args.work_dir.join("keeper-counted.sqlite");
    remove_store(&counted_store);
    let counted = Shared::new(resolve(settings_for(&proxy.url, &counted_store), FileConfig::default())?)?;
    eprintln!("scale: {} cycles behind the counting proxy", args.cycles);
    let (_, requests) = cycles(&counted, args.cycles, Some(&proxy)).await?;
    drop(counted);
    drop(proxy);

    // The whole keeper on the history store, and breaches of idle balances.
    eprintln!("scale: the keeper running; {} breaches", args.breaches);
    let shutdown = CancellationToken::new();
    let keeper = tokio::spawn(service::run_shared(shared.clone(), shutdown.clone()));
    tokio::time::sleep(Duration::from_secs(10)).await;
    let mut reactions = Vec::new();
    for &index in order.iter().filter(|index| !active.contains(index)).take(args.breaches) {
        let (slots, millis) = breach(&rpc, &fleet, index).await?;
        eprintln!("  balance {index}: {slots} slots, {millis:.0} ms");
        reactions.push((slots as f64, millis));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let hwm = mib(proc_status_kib(me, "VmHWM:"));
    let cluster_rss = mib(proc_status_kib(&cluster.pid().to_string(), "VmRSS:"));
    shutdown.cancel();
    keeper.await??;
    let load_after = machine::load_average();

    let all = summarize(&direct).context("no cycles")?;
    let per_cycle: Vec<u64> = requests.iter().map(|counts| counts.http_requests).collect();
    let max_requests = per_cycle.iter().copied().max().unwrap_or(0);
    let slots = summarize(&reactions.iter().map(|(slots, _)| *slots).collect::<Vec<_>>()).context("no breaches")?;
    let millis = summarize(&reactions.iter().map(|(_, millis)| *millis).collect::<Vec<_>>()).context("no breaches")?;
    let within = reactions.iter().filter(|(slots, _)| *slots <= TARGET_SLOTS).count();
    let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
    let gb = |bytes: u64| bytes as f64 / 1e9;
    let per_balance_day = store_after as f64 / (args.balances as f64 * args.history_days as f64);
    let n = count(args.balances as u64);

    let mut out = String::new();
    writeln!(out, "## Scale: {n} managed balances with four weeks of history\n")?;
    writeln!(
        out,
        "The soak's fleet on `local-cluster` ({} ms slots, realistic confirmation: a transaction lands in the slot \
         after it is sent, `confirmed` one slot behind) running as a separate process: one treasury, {n} managed \
         balances keeping {n} distinct venue accounts (owned by an exchange) topped up from {} distinct reserve \
         accounts, built over RPC in {build_s:.0} s. The keeper runs in this process with its default settings \
         (1 s cycles, `confirmed`, logging at `info` to a file).\n",
        args.slot_ms,
        count(args.sources as u64)
    )?;
    writeln!(
        out,
        "**History.** {} days written into the keeper's store before it starts, through the keeper's own code \
         (`benches/keeper-live/src/history.rs`): its sampler keeps a sample when a balance changes and one per hour \
         otherwise, and every top-up goes through the store's event path as a `ToppedUp` event (which records the \
         forecast's movement with it). {} balances (a tenth) were paid out of with the demo's withdrawal model (480 \
         withdrawals a day on average, seasonal, with bank runs) and topped up to target whenever below min; the \
         rest sat at target. Written: {} samples ({} withdrawals, {} top-ups) in {written_s:.0} s.\n",
        args.history_days,
        count(active.len() as u64),
        count(written.samples),
        count(written.withdrawals),
        count(written.top_ups)
    )?;
    writeln!(out, "| measurement | result | target |\n|---|---|---|")?;
    writeln!(
        out,
        "| full cycle (median / p95 / max, {} cycles) | {} ms | p95 <= {TARGET_CYCLE_MS:.0} ms: {} |",
        all.count,
        ms(&all),
        verdict(all.p95 <= TARGET_CYCLE_MS)
    )?;
    writeln!(
        out,
        "| RPC requests per cycle (max over {} cycles; {}) | {max_requests} | <= {TARGET_REQUESTS}: {} |",
        requests.len(),
        requests.last().map(Counts::by_method).unwrap_or_default(),
        verdict(max_requests <= TARGET_REQUESTS)
    )?;
    writeln!(out, "| resident memory after the cycles (VmRSS; before the keeper: {rss_before:.0} MiB) | {rss_after:.0} MiB | <= {TARGET_RSS_MB:.0} MB: {} |", verdict(rss_after * 1.048_576 <= TARGET_RSS_MB))?;
    writeln!(out, "| peak resident memory, with the whole keeper running (VmHWM) | {hwm:.0} MiB | |")?;
    writeln!(out, "| store after four weeks (file and WAL) | {:.2} GB ({:.0} bytes per balance-day) | <= {TARGET_STORE_GB} GB: {} |", gb(store_after), per_balance_day, verdict(gb(store_after) <= TARGET_STORE_GB))?;
    writeln!(out, "| store as written, before the keeper ran | {:.2} GB | |", gb(store_written))?;
    writeln!(out, "| breach to confirmed top-up, slots (median / p95 / max, {} breaches) | {:.0} / {:.0} / {:.0} ({within} within 2) | p95 <= {TARGET_SLOTS:.0}: {} |", slots.count, slots.median, slots.p95, slots.max, verdict(slots.p95 <= TARGET_SLOTS))?;
    writeln!(
        out,
        "| breach confirmed (as the payer saw it) to top-up seen confirmed, ms (median / p95 / max) | {} | |",
        ms(&millis)
    )?;
    writeln!(out, "| forecasts made by the end of the cycles | {} of {n} | |", count(forecasts as u64))?;
    writeln!(out, "| `local-cluster` process VmRSS (for scale, not counted above) | {cluster_rss:.0} MiB | |")?;
    writeln!(out, "\nCycles (ms): {}.\n", direct.iter().map(|ms| format!("{ms:.0}")).collect::<Vec<_>>().join(", "))?;
    writeln!(
        out,
        "Requests were counted by a second keeper (a fresh store) pointed at a counting HTTP proxy on loopback in front \
         of the cluster: each request is one JSON-RPC call; a cycle reads the Clock sysvar, the treasury, the fee \
         payer and every watched token account, 100 to a getMultipleAccounts request. Breaches: the exchange pays \
         an idle venue down to 500 tokens (min 1,000); slots run from the payout's slot to the top-up's (both \
         confirmed one slot after they land, so this is also confirmation to confirmation). The keeper, told by its \
         confirmed subscription, acts on that balance at once rather than at its next full cycle.\n"
    )?;
    writeln!(out, "Load average (1, 5, 15 min): {load_before} before, {load_after} after.\n")?;
    std::fs::write(&args.out, &out)?;
    eprintln!("scale: wrote {}", args.out.display());
    Ok(())
}
