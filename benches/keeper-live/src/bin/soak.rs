//! `soak`: the keeper on a 10,000-balance fleet under faults for half an hour or more.
//! Starts `local-cluster` (realistic confirmation, 5% of requests failing, 20% of sends
//! dropped) as its own process, builds the fleet over RPC (10,000 venue accounts of an
//! exchange, each a managed balance drawing on one of 1,000 reserve accounts), runs the
//! whole keeper in this process (watcher subscriptions, event follower, cycles), and has
//! the exchange pay customers out of a random tenth of the venues. Then it reads every
//! paying venue's history back from the chain and checks that each breach below min was
//! topped up exactly once and that none is left open; RSS and store size are sampled
//! every minute.

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use clap::Parser;
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use smart_treasury_client::{events, read, tx};
use smart_treasury_keeper::{
    config::{resolve, FileConfig},
    metrics,
    service::{self, Shared},
    store::{ActionStatus, Store},
};
use smart_treasury_keeper_live_bench::{
    chain::{self, UNIT},
    cluster::{self, proc_status_kib, ClusterProcess},
    count,
    fleet::{self, Fleet, FleetSpec, MIN},
    machine,
};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::{nonblocking::rpc_client::RpcClient, rpc_client::GetConfirmedSignaturesForAddress2Config};
use solana_signature::Signature;
use std::{
    collections::{BinaryHeap, HashMap},
    fmt::Write as _,
    path::{Path, PathBuf},
    str::FromStr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(about = "The keeper on a 10,000-balance fleet under faults for half an hour")]
struct Args {
    #[arg(long, default_value_t = 10_000)]
    balances: usize,
    #[arg(long, default_value_t = 1_000)]
    sources: usize,
    /// Minutes of payouts (cluster time: slots run in real time).
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    #[arg(long, default_value_t = 400)]
    slot_ms: u64,
    /// Share of JSON-RPC requests the cluster answers with an error.
    #[arg(long, default_value_t = 0.05)]
    rpc_errors: f64,
    /// Share of sent transactions the cluster accepts and drops.
    #[arg(long, default_value_t = 0.2)]
    dropped: f64,
    /// Share of venues the exchange pays out of.
    #[arg(long, default_value_t = 0.1)]
    active_share: f64,
    /// Mean seconds between two payouts of one paying venue.
    #[arg(long, default_value_t = 60.0)]
    payout_interval_s: f64,
    /// Smallest and largest payout, in tokens (a venue holds 5,000 at target, 1,000 at min).
    #[arg(long, default_value_t = 300)]
    payout_min: u64,
    #[arg(long, default_value_t = 1_200)]
    payout_max: u64,
    /// Payouts in flight at once.
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
    /// Seconds the keeper gets to answer the last breaches once payouts stop.
    #[arg(long, default_value_t = 120)]
    settle_s: u64,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    #[arg(long)]
    cluster_bin: Option<PathBuf>,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-keeper/soak"))]
    work_dir: PathBuf,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/soak.md"))]
    out: PathBuf,
}

/// One row of the timeline, taken every minute.
struct Tick {
    minute: u64,
    slot: u64,
    payouts: u64,
    failed_payouts: u64,
    top_ups: f64,
    refused: f64,
    keeper_rss_mib: f64,
    cluster_rss_mib: f64,
    store_mib: f64,
    cycle_ms: f64,
}

/// What the exchange did.
#[derive(Default)]
struct PayoutCounts {
    sent: AtomicU64,
    failed: AtomicU64,
    skipped: AtomicU64,
}

fn mib(kib: Option<u64>) -> f64 {
    kib.map_or(f64::NAN, |kib| kib as f64 / 1024.0)
}

fn store_mib(path: &Path) -> f64 {
    let size = |suffix: &str| std::fs::metadata(format!("{}{suffix}", path.display())).map_or(0, |meta| meta.len());
    (size("") + size("-wal")) as f64 / 1_048_576.0
}

/// Reads with retries: the cluster fails one request in twenty on purpose.
async fn retried<T, F, Fut>(what: &str, mut call: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut attempt: u64 = 0;
    loop {
        attempt += 1;
        match call().await {
            Ok(value) => return Ok(value),
            Err(error) if attempt >= 20 => return Err(error.context(format!("{what}: gave up after {attempt} tries"))),
            Err(_) => tokio::time::sleep(Duration::from_millis(50 * attempt)).await,
        }
    }
}

/// Marks a venue free again when its payout task ends, however it ends.
struct Done(Arc<std::sync::Mutex<std::collections::HashSet<usize>>>, usize);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&self.1);
    }
}

/// Pays out of paying venues until `stop`: each venue's payouts a Poisson process (a
/// payout due while the venue's last one is still landing is skipped).
async fn pay_out(
    rpc: Arc<RpcClient>,
    fleet: Arc<Fleet>,
    paying: Vec<usize>,
    args: Arc<Args>,
    stop: CancellationToken,
    counts: Arc<PayoutCounts>,
) {
    let mut rng = StdRng::seed_from_u64(args.seed ^ 0xC0FFEE);
    let exponential = |rng: &mut StdRng| -(1.0 - rng.gen::<f64>()).ln() * args.payout_interval_s;
    let started = tokio::time::Instant::now();
    // Min-heap of (due in ms since start, venue).
    let mut due: BinaryHeap<std::cmp::Reverse<(u64, usize)>> =
        paying.iter().map(|&index| std::cmp::Reverse(((exponential(&mut rng) * 1e3) as u64, index))).collect();
    let slots = Arc::new(Semaphore::new(args.in_flight));
    let mut tasks = tokio::task::JoinSet::new();
    // One payout per venue at a time: two at once could both read the same balance.
    let busy: Arc<std::sync::Mutex<std::collections::HashSet<usize>>> = Arc::default();
    while let Some(std::cmp::Reverse((at_ms, index))) = due.pop() {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep_until(started + Duration::from_millis(at_ms)) => {}
        }
        let amount = rng.gen_range(args.payout_min..=args.payout_max) * UNIT;
        due.push(std::cmp::Reverse((at_ms + (exponential(&mut rng) * 1e3) as u64, index)));
        if !busy.lock().expect("busy venues").insert(index) {
            counts.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let permit = slots.clone().acquire_owned().await.expect("the semaphore stays open");
        let (rpc, fleet, counts, busy) = (rpc.clone(), fleet.clone(), counts.clone(), busy.clone());
        tasks.spawn(async move {
            let _permit = permit;
            let _done = Done(busy, index);
            let venue = fleet.venues[index];
            let held = retried("venue balance", || async { Ok(read::token_account(&rpc, &venue).await?.amount) }).await;
            let amount = match held {
                Ok(held) if held > 0 => amount.min(held),
                _ => {
                    counts.skipped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            };
            let payout = fleet.payout(index, amount).expect("a transfer");
            match tx::send(&rpc, &fleet.exchange, vec![payout]).await {
                Ok(_) => counts.sent.fetch_add(1, Ordering::Relaxed),
                Err(error) => {
                    tracing::warn!(%error, venue = index, "payout failed");
                    counts.failed.fetch_add(1, Ordering::Relaxed)
                }
            };
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// One paying venue's history as the chain tells it.
#[derive(Default, Debug)]
struct VenueHistory {
    breaches: usize,
    top_ups: usize,
    /// Top-ups that did not answer a breach (the balance was not below min).
    spurious: usize,
    final_balance: u64,
}

/// Every confirmed transaction touching the venue, oldest first: its balance after each,
/// which of them were top-ups of its managed balance, and the breaches (a balance going
/// from at or above min to below it).
async fn venue_history(rpc: &RpcClient, venue: Pubkey, managed: Pubkey) -> Result<VenueHistory> {
    let mut signatures = Vec::new();
    let mut before = None;
    loop {
        let config = || GetConfirmedSignaturesForAddress2Config {
            before,
            commitment: Some(CommitmentConfig::confirmed()),
            ..Default::default()
        };
        let page =
            retried("signatures", || async { Ok(rpc.get_signatures_for_address_with_config(&venue, config()).await?) })
                .await?;
        let Some(last) = page.last() else { break };
        before = Some(Signature::from_str(&last.signature)?);
        let full = page.len() == 1_000;
        signatures.extend(page.into_iter().filter(|entry| entry.err.is_none()).map(|entry| entry.signature));
        if !full {
            break;
        }
    }
    signatures.reverse();
    let mut history = VenueHistory::default();
    let mut previous: Option<u64> = None;
    for signature in signatures {
        let parsed = Signature::from_str(&signature)?;
        let tx = retried("transaction", || async {
            Ok(rpc.get_transaction_with_config(&parsed, events::transaction_config()).await?)
        })
        .await?;
        let Some(meta) = tx.transaction.meta.as_ref() else { continue };
        let keys = tx
            .transaction
            .transaction
            .decode()
            .context("a decodable transaction")?
            .message
            .static_account_keys()
            .to_vec();
        let Some(index) = keys.iter().position(|key| *key == venue) else { continue };
        let balance_of = |balances: &solana_transaction_status_client_types::option_serializer::OptionSerializer<
            Vec<solana_transaction_status_client_types::UiTransactionTokenBalance>,
        >| {
            let balances: Option<&Vec<_>> = balances.as_ref().into();
            balances
                .and_then(|balances| balances.iter().find(|balance| usize::from(balance.account_index) == index))
                .and_then(|balance| balance.ui_token_amount.amount.parse::<u64>().ok())
        };
        let (Some(pre), Some(post)) = (balance_of(&meta.pre_token_balances), balance_of(&meta.post_token_balances))
        else {
            continue;
        };
        let topped_up = events::transaction_events(&signature, &tx).is_some_and(|events| {
            events
                .decoded()
                .any(|(_, event)| matches!(event, events::ProgramEvent::ToppedUp(e) if e.managed_balance == managed))
        });
        if topped_up {
            history.top_ups += 1;
            if pre >= MIN {
                history.spurious += 1;
            }
        }
        if previous.unwrap_or(pre) >= MIN && post < MIN {
            history.breaches += 1;
        }
        previous = Some(post);
        history.final_balance = post;
    }
    Ok(history)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Arc::new(Args::parse());
    // The commit the run starts from, not whatever the tree holds half an hour later.
    let commit = smart_treasury_keeper_live_bench::commit();
    std::fs::create_dir_all(&args.work_dir)?;
    smart_treasury_keeper_live_bench::log_to_file(&args.work_dir.join("keeper.log"))?;
    let load_before = machine::load_average();
    let binary = args.cluster_bin.clone().unwrap_or_else(cluster::default_binary);
    let flags = vec![
        "--fault-rpc-errors".to_string(),
        args.rpc_errors.to_string(),
        "--fault-dropped-transactions".to_string(),
        args.dropped.to_string(),
    ];
    eprintln!("soak: starting {} with 5% request errors and 20% dropped sends", binary.display());
    let cluster = ClusterProcess::spawn_with(&binary, args.slot_ms, &args.work_dir, &flags)?;
    let rpc = Arc::new(chain::connect(&cluster.rpc_url));

    let spec = FleetSpec {
        balances: args.balances,
        sources: args.sources,
        source_funds: 10_000_000 * UNIT,
        cooldown_seconds: 30,
    };
    let build_started = Instant::now();
    eprintln!("soak: building {} managed balances on {} sources", args.balances, args.sources);
    let fleet = Arc::new(fleet::build(&rpc, &cluster.faucet, &spec, 32).await?);
    let build_s = build_started.elapsed().as_secs_f64();

    let keypair = args.work_dir.join("keeper.json");
    chain::funded_keypair(&rpc, &cluster.faucet, 100 * chain::SOL, &keypair).await?;
    let store_path = args.work_dir.join("keeper.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", store_path.display()));
    }
    let settings = FileConfig {
        rpc_url: Some(cluster.rpc_url.clone()),
        ws_url: Some(cluster.ws_url.clone()),
        keypair: Some(keypair),
        treasury: Some(fleet.base.treasury.to_string()),
        store: Some(store_path.clone()),
        ..FileConfig::default()
    };
    let config = resolve(settings, FileConfig::default())?;
    let shared = Shared::new(config)?;
    let shutdown = CancellationToken::new();
    let keeper = tokio::spawn(service::run_shared(shared.clone(), shutdown.clone()));
    eprintln!("soak: keeper starting");
    while shared.fleet.read().await.balances.len() < args.balances {
        anyhow::ensure!(!keeper.is_finished(), "the keeper stopped while starting");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut paying: Vec<usize> = (0..args.balances).collect();
    paying.shuffle(&mut rng);
    paying.truncate((args.balances as f64 * args.active_share).round() as usize);
    paying.sort_unstable();
    let counts = Arc::new(PayoutCounts::default());
    let stop = CancellationToken::new();
    let slot_at = |rpc: Arc<RpcClient>| async move {
        retried("slot", || async { Ok(rpc.get_slot_with_commitment(CommitmentConfig::processed()).await?) }).await
    };
    let first_slot = slot_at(rpc.clone()).await?;
    let chain_started = shared.chain_now().await;
    eprintln!("soak: paying out of {} venues for {} minutes", paying.len(), args.minutes);
    let workload =
        tokio::spawn(pay_out(rpc.clone(), fleet.clone(), paying.clone(), args.clone(), stop.clone(), counts.clone()));
    let me = "self";
    let cluster_pid = cluster.pid().to_string();
    let mut timeline = Vec::new();
    let soak_started = Instant::now();
    let value = |metric: &smart_treasury_keeper::metrics::Metric, labels: &[&str]| {
        shared.metrics.value(metric, labels).unwrap_or(0.0)
    };
    // Cluster time is slots times the slot time: run until that many slots have passed.
    let slots_wanted = args.minutes * 60_000 / args.slot_ms;
    let mut minute = 0;
    loop {
        minute += 1;
        tokio::time::sleep_until(tokio::time::Instant::from_std(soak_started + Duration::from_secs(60 * minute))).await;
        anyhow::ensure!(!keeper.is_finished(), "the keeper stopped during the soak");
        let tick = Tick {
            minute,
            slot: slot_at(rpc.clone()).await?,
            payouts: counts.sent.load(Ordering::Relaxed),
            failed_payouts: counts.failed.load(Ordering::Relaxed),
            top_ups: value(&metrics::ACTIONS, &["threshold", "landed"]),
            refused: value(&metrics::ACTIONS, &["threshold", "refused"]),
            keeper_rss_mib: mib(proc_status_kib(me, "VmRSS:")),
            cluster_rss_mib: mib(proc_status_kib(&cluster_pid, "VmRSS:")),
            store_mib: store_mib(&store_path),
            cycle_ms: value(&metrics::CYCLE_SECONDS, &[]) * 1e3,
        };
        eprintln!(
            "  minute {minute}: slot {}, {} payouts ({} failed), {} top-ups landed, keeper {:.0} MiB, store {:.1} MiB, cycle {:.0} ms",
            tick.slot, tick.payouts, tick.failed_payouts, tick.top_ups, tick.keeper_rss_mib, tick.store_mib, tick.cycle_ms
        );
        let done = tick.slot >= first_slot + slots_wanted;
        timeline.push(tick);
        if done {
            break;
        }
    }
    stop.cancel();
    workload.await?;
    let last_slot = slot_at(rpc.clone()).await?;
    let chain_ended = shared.chain_now().await;
    eprintln!("soak: payouts stopped; the keeper gets {} s to answer the last breaches", args.settle_s);
    let settle_started = Instant::now();
    let below_min = || async {
        let mut open = Vec::new();
        for &index in &paying {
            let venue = fleet.venues[index];
            let held = retried("venue balance", || async { Ok(read::token_account(&rpc, &venue).await?.amount) }).await;
            if held.is_ok_and(|held| held < MIN) {
                open.push(index);
            }
        }
        open
    };
    let mut open = below_min().await;
    while !open.is_empty() && settle_started.elapsed() < Duration::from_secs(args.settle_s) {
        tokio::time::sleep(Duration::from_secs(5)).await;
        open = below_min().await;
    }
    let settled_in = settle_started.elapsed().as_secs_f64();
    // A crank that just landed is recorded a moment later.
    let pending = || shared.store().actions_with_status(ActionStatus::Pending).map(|pending| pending.len());
    let mut pending_actions = pending()?;
    while pending_actions > 0 && settle_started.elapsed() < Duration::from_secs(args.settle_s + 60) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        pending_actions = pending()?;
    }
    let final_metrics = (
        value(&metrics::ACTIONS, &["threshold", "landed"]),
        value(&metrics::ACTIONS, &["threshold", "refused"]),
        value(&metrics::ACTIONS, &["threshold", "gave_up"]),
        value(&metrics::CRANK_ATTEMPT_FAILURES, &["threshold"]),
        value(&metrics::FAILURES, &["batch_read"]),
        value(&metrics::FAILURES, &["cycle"]),
        value(&metrics::FAILURES, &["websocket"]),
    );
    let hwm = mib(proc_status_kib(me, "VmHWM:"));
    shutdown.cancel();
    keeper.await??;

    eprintln!("soak: reading {} paying venues' histories back from the chain", paying.len());
    let mut histories = HashMap::new();
    for (done, &index) in paying.iter().enumerate() {
        let history = venue_history(&rpc, fleet.venues[index], fleet.managed_balances[index]).await?;
        histories.insert(index, history);
        if (done + 1) % 100 == 0 {
            eprintln!("  {}/{} venues read", done + 1, paying.len());
        }
    }
    let store = Store::open(&store_path)?;
    let confirmed = store.actions_with_status(ActionStatus::Confirmed)?;
    let paying_set: std::collections::BTreeSet<String> =
        paying.iter().map(|&index| fleet.managed_balances[index].to_string()).collect();
    let idle_acted = confirmed.iter().filter(|action| !paying_set.contains(&action.managed_balance)).count();
    let breaches: usize = histories.values().map(|history| history.breaches).sum();
    let top_ups: usize = histories.values().map(|history| history.top_ups).sum();
    let spurious: usize = histories.values().map(|history| history.spurious).sum();
    let mismatched: Vec<(usize, &VenueHistory)> = histories
        .iter()
        .filter(|(_, history)| history.breaches != history.top_ups || history.final_balance < MIN)
        .map(|(index, history)| (*index, history))
        .collect();
    let load_after = machine::load_average();

    let mut out = String::new();
    writeln!(out, "# Keeper soak\n")?;
    writeln!(
        out,
        "`scripts/soak-keeper` (not part of CI): builds `local-cluster` and `benches/keeper-live` with `--profile perf`, \
         then runs `target/perf/soak`. Measured on commit `{commit}`.\n"
    )?;
    writeln!(out, "- machine: {}", machine::summary())?;
    writeln!(out, "- load average (1, 5, 15 min): {load_before} before, {load_after} after\n")?;
    writeln!(out, "## Set-up\n")?;
    writeln!(
        out,
        "`local-cluster` as its own process with {} ms slots, realistic confirmation (a transaction lands in the slot \
         after it is sent, `confirmed` one slot behind, `finalized` 32), {:.0}% of JSON-RPC requests answered with an \
         error and {:.0}% of sent transactions dropped, from start to end (the fleet is built through the same \
         faults). Payouts run until {} minutes of cluster time ({} slots) have passed. Slots run in real time, at \
         mainnet's 400 ms rather than compressed: the keeper's reaction is measured in slots, and with shorter \
         slots a cycle over this fleet (hundreds of milliseconds on this machine) would span several, which no \
         real cluster would show.\n",
        args.slot_ms,
        args.rpc_errors * 100.0,
        args.dropped * 100.0,
        args.minutes,
        count(args.minutes * 60_000 / args.slot_ms)
    )?;
    writeln!(
        out,
        "The fleet: one treasury, {} managed balances, each keeping its own venue account ({} distinct destinations, \
         token accounts an exchange owns, at 5,000 tokens, min 1,000, max 10,000, cooldown 30 s, no forecast \
         band) topped up from one of {} reserve accounts of the treasury (distinct sources, 10 balances each); built \
         over RPC in {build_s:.0} s. The keeper runs in this process with its default settings (1 s cycles, \
         confirmed, its account subscriptions on all {} destinations, the event follower, logging at `info` to a \
         file). The exchange pays customers out of a random tenth of the venues ({}): each venue's payouts a \
         Poisson process with a mean of {:.0} s between them, {}-{} tokens each (at most what the venue holds), \
         {} in flight, each sent with the client's landing loop.\n",
        count(args.balances as u64),
        count(args.balances as u64),
        count(args.sources as u64),
        count(args.balances as u64),
        count(paying.len() as u64),
        args.payout_interval_s,
        args.payout_min,
        args.payout_max,
        args.in_flight
    )?;
    writeln!(out, "## Result\n")?;
    let verdict = |ok: bool| if ok { "yes" } else { "**no**" };
    writeln!(out, "| check | result |\n|---|---|")?;
    writeln!(
        out,
        "| cluster time (slots {first_slot} to {last_slot}) | {} slots of {} ms: {:.1} minutes ({:.1} by the Clock sysvar) |",
        count(last_slot - first_slot),
        args.slot_ms,
        (last_slot - first_slot) as f64 * args.slot_ms as f64 / 60_000.0,
        (chain_ended - chain_started) as f64 / 60.0
    )?;
    writeln!(
        out,
        "| payouts landed (failed; skipped: venue empty or its last payout still landing) | {} ({}; {}) |",
        count(counts.sent.load(Ordering::Relaxed)),
        counts.failed.load(Ordering::Relaxed),
        counts.skipped.load(Ordering::Relaxed)
    )?;
    writeln!(out, "| breaches below min (read from the chain) | {} |", count(breaches as u64))?;
    writeln!(out, "| top-ups on chain | {} |", count(top_ups as u64))?;
    writeln!(out, "| every breach topped up exactly once (per venue: top-ups = breaches, ends at or above min) | {} ({} venues differ) |", verdict(mismatched.is_empty()), mismatched.len())?;
    writeln!(out, "| top-ups that answered no breach | {spurious} |")?;
    writeln!(out, "| idle balances acted on | {idle_acted} |")?;
    writeln!(out, "| venues below min {settled_in:.0} s after payouts stopped | {} |", open.len())?;
    writeln!(out, "| claims still pending at the end | {pending_actions} |")?;
    writeln!(
        out,
        "| keeper's counters: top-ups landed, refused, given up; crank attempts retried; failed batch reads, cycles, subscription drops | {:.0}, {:.0}, {:.0}; {:.0}; {:.0}, {:.0}, {:.0} |",
        final_metrics.0, final_metrics.1, final_metrics.2, final_metrics.3, final_metrics.4, final_metrics.5, final_metrics.6
    )?;
    writeln!(out, "| this process's peak RSS (keeper and payout driver; VmHWM) | {hwm:.0} MiB |")?;
    for (index, history) in mismatched.iter().take(10) {
        writeln!(out, "\nVenue {index}: {history:?}")?;
    }
    writeln!(out, "\n## Over time\n")?;
    writeln!(
        out,
        "| minute | slot | payouts | failed payouts | top-ups landed | refused | keeper RSS (MiB) | cluster RSS (MiB) | store (MiB, with WAL) | last cycle (ms) |\n|---|---|---|---|---|---|---|---|---|---|"
    )?;
    for tick in &timeline {
        writeln!(
            out,
            "| {} | {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {:.0} |",
            tick.minute,
            tick.slot,
            tick.payouts,
            tick.failed_payouts,
            tick.top_ups,
            tick.refused,
            tick.keeper_rss_mib,
            tick.cluster_rss_mib,
            tick.store_mib,
            tick.cycle_ms
        )?;
    }
    std::fs::write(&args.out, &out).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("soak: wrote {}", args.out.display());
    anyhow::ensure!(
        mismatched.is_empty() && spurious == 0 && open.is_empty(),
        "the soak found breaches not met exactly once"
    );
    Ok(())
}
