//! `bench-backtest`: a year of simulated withdrawals with bank runs against one hot
//! wallet, forecast-driven keeper versus threshold-only, and a report of what each did.
//! Run it optimised: `scripts/bench-backtest` (or
//! `cargo run -p smart-treasury-keeper-bench --profile perf --bin bench-backtest`).

use anyhow::Context;
use clap::Parser;
use smart_treasury_keeper::{config::ExecutorConfig, forecast::ForecastConfig, planner::PlannerConfig};
use smart_treasury_keeper_bench::{
    backtest::{simulate, FeeMarket, FeeSettings, Flow, Outcome, Settings, Strategy},
    machine,
    workload::WorkloadModel,
};
use smart_treasury_policy::Thresholds;
use std::{fmt::Write as _, path::PathBuf, time::Instant};

#[derive(Debug, Parser)]
#[command(about = "Year-long policy backtest: forecast-driven keeper against threshold-only")]
struct Args {
    /// Seed of the withdrawal model.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated days.
    #[arg(long, default_value_t = 365)]
    days: u64,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/backtest.md"))]
    report: PathBuf,
    /// The command that produced the report, quoted in it.
    #[arg(long, default_value = "scripts/bench-backtest")]
    command: String,
}

/// Base units per token (6 decimals, as USDC).
const TOKEN: u64 = 1_000_000;
const WARMUP_DAYS: u64 = 28;
/// Compute units of a one-source `top_up` on the SBF build (docs/compute-units.md).
const SIMULATED_UNITS: u64 = 26_036;

struct Scenario {
    name: &'static str,
    settings: Settings,
}

fn settings(min: u64, target: u64, max: u64, cooldown_seconds: u32, period_cap: u64, delay_minutes: u64) -> Settings {
    Settings {
        thresholds: Thresholds { min: min * TOKEN, target: target * TOKEN, max: max * TOKEN },
        floor: min * TOKEN,
        cooldown_seconds,
        period_seconds: 86_400,
        period_cap: period_cap * TOKEN,
        forecast_band_bps: 5_000,
        reserve: 10_000_000 * TOKEN,
        reserve_floor: 0,
        delay_minutes,
        planner: PlannerConfig::default(),
        forecast: ForecastConfig::default(),
        history_buckets: 4 * 168,
        fees: FeeSettings {
            lamports_per_signature: 5_000,
            simulated_units: SIMULATED_UNITS,
            executor: ExecutorConfig::default(),
            market: FeeMarket::default(),
        },
    }
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario { name: "comfortable", settings: settings(2_000, 6_000, 10_000, 600, 25_000, 2) },
        Scenario { name: "lean", settings: settings(500, 2_500, 5_000, 1_800, 12_000, 2) },
        Scenario { name: "lean, slow landing", settings: settings(500, 2_500, 5_000, 1_800, 12_000, 15) },
    ]
}

fn tokens(amount: u64) -> String {
    count((amount as f64 / TOKEN as f64).round() as u64)
}

/// `1234567` as `1,234,567`.
fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.days > 0, "--days must be at least 1");
    let model = WorkloadModel { seed: args.seed, ..WorkloadModel::default() };
    let flow = Flow::from_model(&model, WARMUP_DAYS, args.days);
    let asked: u64 = flow.withdrawals.iter().map(|w| w.amount).sum();

    let mut rows = Vec::new();
    for scenario in scenarios() {
        for keeper in Keeper::ALL {
            let settings = keeper.settings(&scenario.settings);
            let started = Instant::now();
            let outcome = simulate(&flow, &settings, keeper.strategy());
            let seconds = started.elapsed().as_secs_f64();
            eprintln!("  {} / {}: {seconds:.1} s, {} forecasts", scenario.name, keeper.name(), outcome.forecasts);
            rows.push(Row { scenario: scenario.name, keeper, outcome, seconds });
        }
    }

    let mut out = String::new();
    writeln!(out, "# Policy backtest: forecast-driven keeper against threshold-only\n")?;
    writeln!(out, "Produced by `{}` (seed {}, {} days).\n", args.command, args.seed, args.days)?;
    writeln!(
        out,
        "One hot wallet (a managed balance in threshold mode) pays customer withdrawals for {} \
         simulated days in one-minute steps, with no RPC. One funding source (a pool vault \
         holding {} tokens, never short). Withdrawals come from the client's workload model \
         (seed {}, default settings): {} withdrawals asking {} tokens in all ({} a day on \
         average), daily and weekly cycles, and a 2-hour bank run at 6x the usual rate on {} \
         of the {} days. The keeper's history starts with {} days of recorded flow before the \
         first day.\n",
        args.days,
        tokens(scenarios()[0].settings.reserve),
        args.seed,
        count(flow.withdrawals.len() as u64),
        tokens(asked),
        tokens(asked / args.days),
        flow.bank_run_days,
        args.days,
        WARMUP_DAYS,
    )?;
    writeln!(
        out,
        "- **Program rules**, through the policy crate: a threshold top-up below `min` refills to \
         `target`; a forecast top-up only below `min + 50% (target - min)`; a cooldown between \
         automatic movements; a cap on what automation moves per period (one day, rolling from \
         the first movement after the last period ended). A crank is checked when it lands, on \
         the balance it finds then.\n\
         - **Keeper**: decides at the end of every minute with `planner::plan` (breach probability \
         at least 0.5; lead time 2 hours, the default, unless the row says otherwise); its crank lands the stated delay later; one crank in \
         flight at a time (the need is claimed once); a crank the program would refuse is caught \
         by simulation and not sent. The forecast-driven keeper re-forecasts once per hourly \
         bucket with `forecast_net_flow` from the last 4 weeks of recorded organic flow (what was \
         actually paid), and feeds `breach_outlook` of the live balance to the planner, as the \
         service does (forecasts are only computed in hours where the outlook can change a \
         decision: cooldown over and balance inside the forecast band). The threshold-only \
         keeper plans without an outlook.\n\
         - **Payouts** are paid in arrival order; one the balance cannot cover waits, with \
         everything behind it, until a top-up lands.\n\
         - **Fees** as the executor sets them: compute-unit limit from simulation ({} \
         units, what a one-source `top_up` consumes on the SBF build per docs/compute-units.md, \
         plus 300, times 1.2), priority fee at the 75th \
         percentile of recent fees (capped at 1,000,000 micro-lamports per unit), plus 5,000 \
         lamports per signature. Recent fees are synthetic: 150 slots, half at zero, the rest \
         log-normal around 10,000 micro-lamports per unit (x1.5 in the busiest hour), ten times \
         that in 5% of hours. A crank that lands and fails still pays.\n",
        count(SIMULATED_UNITS)
    )?;
    writeln!(out, "| scenario | min / target / max | cooldown | cap a day | landing delay |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for scenario in scenarios() {
        let s = &scenario.settings;
        writeln!(
            out,
            "| {} | {} / {} / {} | {} min | {} | {} min |",
            scenario.name,
            tokens(s.thresholds.min),
            tokens(s.thresholds.target),
            tokens(s.thresholds.max),
            s.cooldown_seconds / 60,
            tokens(s.period_cap),
            s.delay_minutes
        )?;
    }
    writeln!(out, "\nAmounts in tokens; the run is {} minutes.\n", count(args.days * 1_440))?;
    writeln!(
        out,
        "| scenario | keeper | minutes below min | minutes with a payout waiting | payouts delayed (tokens) | longest wait | lowest balance | transfers (threshold + forecast) | mean balance when deciding | refused in simulation / failed on chain | moved | fees (SOL) | forecasts (ms each) | run time |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for Row { scenario: name, keeper, outcome: o, seconds } in &rows {
        let keeper = keeper.name();
        let forecasts = if o.forecasts == 0 {
            "-".to_string()
        } else {
            format!("{} ({:.1})", count(o.forecasts), 1_000.0 * o.forecast_seconds / o.forecasts as f64)
        };
        writeln!(
            out,
            "| {name} | {keeper} | {} | {} | {} ({}) | {} min | {} | {} ({} + {}) | {} | {} / {} | {} | {:.5} | {forecasts} | {seconds:.0} s |",
            count(o.minutes_below_min),
            count(o.minutes_waiting),
            count(o.payouts_delayed),
            tokens(o.delayed_amount),
            o.longest_wait_seconds / 60,
            tokens(o.lowest_balance),
            count(o.transfers()),
            count(o.threshold_top_ups),
            count(o.forecast_top_ups),
            tokens(o.mean_decided_balance()),
            o.refused_in_simulation,
            o.failed_on_chain,
            tokens(o.moved),
            o.fees_lamports as f64 / 1e9,
        )?;
    }
    writeln!(out, "\n{}", summary(&rows))?;
    writeln!(out, "## Machine\n\n{}", machine::facts())?;
    if let Some(dir) = args.report.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&args.report, out).with_context(|| format!("cannot write {}", args.report.display()))?;
    eprintln!("wrote {}", args.report.display());
    Ok(())
}

/// What each forecast-driven keeper changed against the threshold-only keepers.
fn summary(rows: &[Row]) -> String {
    let mut out = String::from(
        "Forecast-driven against threshold-only (and against threshold-only with `min` raised to the band ceiling):\n\n",
    );
    for scenario in rows.chunks(Keeper::ALL.len()) {
        let [plain, raised, forecasts @ ..] = scenario else { continue };
        for forecast in forecasts {
            let change = |pick: fn(&Outcome) -> u64| {
                let after = pick(&forecast.outcome);
                let versus = |before: u64| {
                    if before == 0 {
                        format!("{before}")
                    } else {
                        format!("{before}, {:+.0}%", 100.0 * (after as f64 - before as f64) / before as f64)
                    }
                };
                format!("{after} (against {}; {})", versus(pick(&plain.outcome)), versus(pick(&raised.outcome)))
            };
            let _ = writeln!(
                out,
                "- {}, {}: minutes below min {}, minutes with a payout waiting {}, transfers {}, fees in lamports {}",
                plain.scenario,
                forecast.keeper.name(),
                change(|o| o.minutes_below_min),
                change(|o| o.minutes_waiting),
                change(Outcome::transfers),
                change(|o| o.fees_lamports),
            );
        }
    }
    out
}

struct Row {
    scenario: &'static str,
    keeper: Keeper,
    outcome: Outcome,
    seconds: f64,
}

/// The keepers compared in every scenario.
#[derive(Clone, Copy, Debug)]
enum Keeper {
    ThresholdOnly,
    /// Threshold-only with `min` raised on chain to the forecast band's ceiling: does the
    /// forecast do better than simply acting earlier every time?
    RaisedMin,
    /// The planner's defaults: act on a breach forecast within 2 hours.
    Forecast,
    /// Act on a breach forecast within 30 minutes: later, closer to the landing delay.
    ForecastShortLead,
}

impl Keeper {
    const ALL: [Self; 4] = [Self::ThresholdOnly, Self::RaisedMin, Self::Forecast, Self::ForecastShortLead];

    fn name(self) -> &'static str {
        match self {
            Self::ThresholdOnly => "threshold-only",
            Self::RaisedMin => "threshold-only, min raised to the band ceiling",
            Self::Forecast => "forecast-driven (lead 2 h, the default)",
            Self::ForecastShortLead => "forecast-driven, lead 30 min",
        }
    }

    fn strategy(self) -> Strategy {
        match self {
            Self::ThresholdOnly | Self::RaisedMin => Strategy::ThresholdOnly,
            Self::Forecast | Self::ForecastShortLead => Strategy::Forecast,
        }
    }

    fn settings(self, base: &Settings) -> Settings {
        let mut settings = base.clone();
        match self {
            Self::RaisedMin => settings.thresholds.min = base.thresholds.forecast_ceiling(base.forecast_band_bps),
            Self::ForecastShortLead => settings.planner.lead_seconds = 1_800.0,
            Self::ThresholdOnly | Self::Forecast => {}
        }
        settings
    }
}
