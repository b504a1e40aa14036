//! `reaction`: how many slots pass between a breach and the keeper's confirmed top-up.
//! Starts `local-cluster` (400 ms slots) as its own process, builds a demo-like treasury
//! (one managed balance on a pool vault, refilled from a reserve), runs the keeper in
//! this process (`keeper::service::run`), then repeatedly pays out below `min` as the
//! authority and waits for the top-up: the payout's slot against the `ToppedUp` event's.

use anyhow::{bail, Context, Result};
use clap::Parser;
use smart_treasury::state::{AutomationSettings, BalanceMode};
use smart_treasury_client::{ix, pda, read, tx, Change};
use smart_treasury_keeper::{
    config::{resolve, FileConfig},
    events::movements_of,
    service,
};
use smart_treasury_keeper_live_bench::{
    chain::{self, BalanceSettings, UNIT},
    cluster::{self, ClusterProcess},
    machine,
    stats::summarize,
};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::{nonblocking::rpc_client::RpcClient, rpc_client::GetConfirmedSignaturesForAddress2Config};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::{
    fmt::Write as _,
    path::PathBuf,
    str::FromStr,
    time::{Duration, Instant},
};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(about = "Slots from a breach below min to the keeper's confirmed top-up")]
struct Args {
    /// Measured breaches per keeper setting (after one warm-up).
    #[arg(long, default_value_t = 30)]
    runs: usize,
    #[arg(long, default_value_t = 400)]
    slot_ms: u64,
    /// The managed balance's cooldown for the benchmark, set with update_settings.
    #[arg(long, default_value_t = 1)]
    cooldown_s: u32,
    /// The fast setting's cycle interval.
    #[arg(long, default_value_t = 100)]
    fast_cycle_ms: u64,
    /// The `local-cluster` binary (default: next to this one).
    #[arg(long)]
    cluster_bin: Option<PathBuf>,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-keeper/reaction"))]
    work_dir: PathBuf,
    /// Where the report section goes.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-keeper/reaction.md"))]
    out: PathBuf,
}

const MIN: u64 = 2_000 * UNIT;
const TARGET: u64 = 5_000 * UNIT;
const MAX: u64 = 8_000 * UNIT;
/// Where a payout leaves the balance: below min.
const AFTER_PAYOUT: u64 = 1_500 * UNIT;
const GOAL_SLOTS: f64 = 2.0;

struct Demo {
    base: chain::Base,
    managed_balance: anchor_lang::prelude::Pubkey,
    customer: anchor_lang::prelude::Pubkey,
}

/// One breach and its top-up.
struct Run {
    payout_slot: u64,
    top_up_slot: u64,
    /// From the payout executing (its send returned) to the top-up seen confirmed.
    breach_to_top_up_ms: f64,
    /// From the payout confirmed to the top-up seen confirmed.
    confirmed_to_top_up_ms: f64,
}

async fn build(rpc: &RpcClient, cluster: &ClusterProcess, cooldown_s: u32) -> Result<Demo> {
    let base = chain::base(rpc, &cluster.faucet, 100, 10_000_000 * UNIT).await?;
    let a = base.authority.pubkey();
    let rent = chain::token_account_rent(rpc).await?;
    // Customers' withdrawals land here: any token account of the mint will do.
    let (customer, mut instructions) = chain::seeded_token_account(&base, "customer", &a, rent, 0)?;
    instructions.push(anchor_spl::token_2022::spl_token_2022::instruction::mint_to(
        &chain::SPL_TOKEN,
        &base.mint,
        &base.destination_vault,
        &a,
        &[],
        TARGET,
    )?);
    // As the demo's hot wallet: a 30 s cooldown, then shortened for the benchmark.
    let automation = AutomationSettings {
        cooldown_seconds: 30,
        period_seconds: 86_400,
        period_cap: 1_000_000 * UNIT,
        forecast_band_bps: 5_000,
    };
    let settings = BalanceSettings { min: MIN, target: TARGET, max: MAX, automation, reserve_floor: 100_000 * UNIT };
    instructions.extend(chain::managed_balance(&base, 1, "hot wallet", base.destination_vault, &settings));
    let managed_balance = pda::managed_balance_pda(&base.treasury, 1);
    let shorten = ix::update_settings(
        a,
        base.treasury,
        managed_balance,
        BalanceMode::Threshold,
        AutomationSettings { cooldown_seconds: cooldown_s, ..automation },
    );
    let changes = vec![
        Change { summary: "hot wallet".into(), instructions, co_signers: vec![] },
        Change::new("cooldown for the benchmark", shorten),
    ];
    tx::send(rpc, &base.authority, changes).await?;
    Ok(Demo { base, managed_balance, customer })
}

async fn newest_signature(rpc: &RpcClient, address: &anchor_lang::prelude::Pubkey) -> Result<Option<Signature>> {
    let config = GetConfirmedSignaturesForAddress2Config {
        limit: Some(1),
        commitment: Some(CommitmentConfig::confirmed()),
        ..GetConfirmedSignaturesForAddress2Config::default()
    };
    let newest = rpc.get_signatures_for_address_with_config(address, config).await?;
    newest.first().map(|entry| Signature::from_str(&entry.signature).context("signature")).transpose()
}

/// Pays out below min, then waits for the keeper's top-up to be confirmed.
async fn breach(rpc: &RpcClient, demo: &Demo) -> Result<Run> {
    let a = demo.base.authority.pubkey();
    let balance = read::token_account(rpc, &demo.base.destination_vault).await?.amount;
    if balance <= AFTER_PAYOUT {
        bail!("the hot wallet holds {balance}, already below the payout's level");
    }
    let since = newest_signature(rpc, &demo.managed_balance).await?;
    let payout = ix::withdraw(a, demo.customer, demo.base.destination_vault_accounts(), balance - AFTER_PAYOUT);
    let blockhash = rpc.get_latest_blockhash().await?;
    let tx = Transaction::new_signed_with_payer(&[payout], Some(&a), &[&demo.base.authority], blockhash);
    // The cluster answers once the payout has executed in the working bank: the breach.
    let signature = rpc.send_transaction(&tx).await?;
    let breached = Instant::now();
    let deadline = breached + Duration::from_secs(30);
    let mut payout: Option<(u64, Instant)> = None;
    loop {
        if Instant::now() > deadline {
            bail!("no top-up within 30 s of the breach");
        }
        if payout.is_none() {
            if let Some(Some(status)) = rpc.get_signature_statuses(&[signature]).await?.value.first() {
                if let Some(error) = &status.err {
                    bail!("the payout failed: {error:?}");
                }
                if status.satisfies_commitment(CommitmentConfig::confirmed()) {
                    payout = Some((status.slot, Instant::now()));
                }
            }
        }
        let config = GetConfirmedSignaturesForAddress2Config {
            until: since,
            commitment: Some(CommitmentConfig::confirmed()),
            ..GetConfirmedSignaturesForAddress2Config::default()
        };
        let landed = rpc.get_signatures_for_address_with_config(&demo.managed_balance, config).await?;
        // Oldest first: the first successful transaction since the breach is the top-up.
        if let Some(entry) = landed.iter().rev().find(|entry| entry.err.is_none()) {
            let seen = Instant::now();
            let fetched = smart_treasury_client::events::fetch(rpc, &entry.signature)
                .await?
                .with_context(|| format!("{} is listed but not served", entry.signature))?;
            let movement = movements_of(&fetched)
                .into_iter()
                .find(|movement| movement.kind == "threshold")
                .with_context(|| format!("{} moved nothing as a threshold top-up", entry.signature))?;
            // The payout is confirmed no later than a top-up that reacted to it.
            let (payout_slot, payout_confirmed) = match payout {
                Some(payout) => payout,
                None => {
                    let status = rpc.get_signature_statuses(&[signature]).await?.value.into_iter().next().flatten();
                    (status.context("the payout vanished")?.slot, seen)
                }
            };
            return Ok(Run {
                payout_slot,
                top_up_slot: movement.slot,
                breach_to_top_up_ms: seen.duration_since(breached).as_secs_f64() * 1e3,
                confirmed_to_top_up_ms: seen.duration_since(payout_confirmed).as_secs_f64() * 1e3,
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The keeper with `overrides` on top of the defaults, over one warm-up and `runs` breaches.
async fn measure(
    rpc: &RpcClient,
    demo: &Demo,
    keeper: FileConfig,
    runs: usize,
    cooldown: Duration,
    label: &str,
) -> Result<Vec<Run>> {
    let shutdown = CancellationToken::new();
    let config = resolve(keeper, FileConfig::default())?;
    let running = tokio::spawn(service::run(config, shutdown.clone()));
    // The keeper subscribes to the destination after discovery: give it a moment.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut measured = Vec::with_capacity(runs);
    for run in 0..=runs {
        let result = breach(rpc, demo).await;
        let outcome = match &result {
            Ok(r) => format!(
                "payout slot {}, top-up slot {} (+{}), {:.0} ms",
                r.payout_slot,
                r.top_up_slot,
                r.top_up_slot.saturating_sub(r.payout_slot),
                r.breach_to_top_up_ms
            ),
            Err(error) => format!("{error:#}"),
        };
        eprintln!("  {label} {}: {outcome}", if run == 0 { "warm-up".to_string() } else { format!("run {run}") });
        let r = result?;
        if run > 0 {
            measured.push(r);
        }
        // Let the keeper take in its landed crank, and the cooldown pass, before the next.
        tokio::time::sleep(cooldown + Duration::from_millis(1_500)).await;
    }
    shutdown.cancel();
    running.await.context("keeper task")??;
    Ok(measured)
}

fn table_row(out: &mut String, label: &str, runs: &[Run], slot_ms: u64) -> Result<()> {
    let slots: Vec<f64> = runs.iter().map(|r| r.top_up_slot.saturating_sub(r.payout_slot) as f64).collect();
    let wall: Vec<f64> = runs.iter().map(|r| r.breach_to_top_up_ms).collect();
    let after_confirm: Vec<f64> = runs.iter().map(|r| r.confirmed_to_top_up_ms).collect();
    let (s, w, c) = (
        summarize(&slots).context("no runs")?,
        summarize(&wall).context("no runs")?,
        summarize(&after_confirm).context("no runs")?,
    );
    let within = slots.iter().filter(|slots| **slots <= GOAL_SLOTS).count();
    let verdict = if s.p95 <= GOAL_SLOTS { "met" } else { "**missed**" };
    writeln!(
        out,
        "| {label} | {} | {:.0} / {:.0} / {:.0} | {within} of {} | {verdict} | {:.0} / {:.0} / {:.0} | {:.0} / {:.0} / {:.0} | {:.0} |",
        s.count,
        s.median,
        s.p95,
        s.max,
        s.count,
        w.median,
        w.p95,
        w.max,
        c.median,
        c.p95,
        c.max,
        s.median * slot_ms as f64,
    )?;
    Ok(())
}

fn histogram(runs: &[Run]) -> String {
    let mut counts = std::collections::BTreeMap::<u64, usize>::new();
    for r in runs {
        *counts.entry(r.top_up_slot.saturating_sub(r.payout_slot)).or_default() += 1;
    }
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    counts
        .iter()
        .map(|(slots, n)| format!("{} in {}", plural(*n, "run", "runs"), plural(*slots as usize, "slot", "slots")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.work_dir)?;
    smart_treasury_keeper_live_bench::log_to_file(&args.work_dir.join("keeper.log"))?;
    let load_before = machine::load_average();
    let binary = args.cluster_bin.clone().unwrap_or_else(cluster::default_binary);
    eprintln!("reaction: starting {}", binary.display());
    let cluster = ClusterProcess::spawn(&binary, args.slot_ms, &args.work_dir)?;
    let rpc = chain::connect(&cluster.rpc_url);
    let demo = build(&rpc, &cluster, args.cooldown_s).await?;
    let keypair = args.work_dir.join("keeper.json");
    chain::funded_keypair(&rpc, &cluster.faucet, 10 * chain::SOL, &keypair).await?;
    let settings = |store: &str, cycle_ms: Option<u64>| {
        let store = args.work_dir.join(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", store.display()));
        }
        FileConfig {
            rpc_url: Some(cluster.rpc_url.clone()),
            ws_url: Some(cluster.ws_url.clone()),
            keypair: Some(keypair.clone()),
            treasury: Some(demo.base.treasury.to_string()),
            store: Some(store),
            cycle_ms,
            ..FileConfig::default()
        }
    };
    let cooldown = Duration::from_secs(u64::from(args.cooldown_s));
    eprintln!("reaction: keeper with default settings");
    let default_runs =
        measure(&rpc, &demo, settings("keeper-default.sqlite", None), args.runs, cooldown, "default").await?;
    eprintln!("reaction: keeper with a {} ms cycle", args.fast_cycle_ms);
    let fast_runs =
        measure(&rpc, &demo, settings("keeper-fast.sqlite", Some(args.fast_cycle_ms)), args.runs, cooldown, "fast")
            .await?;
    let load_after = machine::load_average();

    let mut out = String::new();
    writeln!(out, "## Reaction: breach to confirmed top-up\n")?;
    writeln!(
        out,
        "A demo-like treasury on `local-cluster` ({} ms slots, a separate process): one managed balance on a pool \
         vault (min 2,000, target 5,000, max 8,000 tokens) refilled from a reserve vault, its cooldown set to {} s \
         with `update_settings` for the benchmark. The keeper runs in the benchmark process \
         (`keeper::service::run`, logging at `info` to a file). Each run pays out of the vault as the authority \
         down to 1,500 tokens (below min), takes the payout's slot from `getSignatureStatuses` once confirmed and \
         the top-up's from its `ToppedUp` event (`getTransaction`, confirmed), then waits out the cooldown. One \
         warm-up run per setting is left out. Slots are the top-up's slot minus the payout's; wall-clock time runs \
         from the payout executing (its `sendTransaction` returned) to the benchmark seeing the top-up confirmed \
         (polled every 20 ms).\n",
        args.slot_ms, args.cooldown_s
    )?;
    writeln!(
        out,
        "| keeper setting | runs | slots, breach to top-up (median / p95 / max) | within {GOAL_SLOTS:.0} slots | goal p95 <= {GOAL_SLOTS:.0} | \
         ms, breach to top-up confirmed (median / p95 / max) | ms, payout confirmed to top-up confirmed (median / p95 / max) | \
         median slots x slot time (ms) |\n|---|---|---|---|---|---|---|---|"
    )?;
    table_row(&mut out, "defaults (1 s cycle, woken by the account subscription)", &default_runs, args.slot_ms)?;
    table_row(&mut out, &format!("{} ms cycle", args.fast_cycle_ms), &fast_runs, args.slot_ms)?;
    writeln!(
        out,
        "\nSlots per run: defaults {}; {} ms cycle {}.\n",
        histogram(&default_runs),
        args.fast_cycle_ms,
        histogram(&fast_runs)
    )?;
    writeln!(
        out,
        "Machine: {}; load average (1, 5, 15 min) {load_before} before the run, {load_after} after.\n",
        machine::summary()
    )?;
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, &out).with_context(|| format!("writing {}", args.out.display()))?;
    print!("{out}");
    drop(rpc);
    drop(cluster);
    Ok(())
}
