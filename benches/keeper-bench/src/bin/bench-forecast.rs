//! `bench-forecast`: forecast quality and speed of the keeper's forecaster against the
//! seasonal naive and statsforecast, on the same series and holdouts.
//!
//! `prepare` writes the series (`series.json`) and the Rust side's forecasts
//! (`keeper.json`); the Python side (python/statsforecast_side.py) writes its own;
//! `report` scores them all alike and writes the report. `scripts/bench-forecast` runs the
//! three steps.

use anyhow::Context;
use clap::{Parser, Subcommand};
use smart_treasury_keeper::forecast::{forecast_net_flow, Method};
use smart_treasury_keeper_bench::{
    datasets::{self, Dataset},
    exchange::{read_json, write_json, ForecastFile, ModelRun, SeriesFile, SeriesForecast},
    machine,
    metrics::{inside, mase, mase_scale, mean, median, seasonal_naive},
};
use std::{collections::BTreeMap, fmt::Write as _, path::PathBuf, time::Instant};

#[derive(Debug, Parser)]
#[command(about = "Forecast quality and speed benchmark")]
struct Args {
    #[command(subcommand)]
    step: Step,
}

#[derive(Debug, Subcommand)]
enum Step {
    /// Writes the series and the keeper's and seasonal naive forecasts of them.
    Prepare {
        /// Where the exchange files go.
        #[arg(long)]
        dir: PathBuf,
        /// Seeds of the synthetic data sets.
        #[arg(long, default_value_t = 8)]
        seeds: u64,
    },
    /// Scores every forecasts file in `dir` and writes the report.
    Report {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        report: PathBuf,
        /// The command that produced the report, quoted in it.
        #[arg(long)]
        command: String,
    },
}

fn main() -> anyhow::Result<()> {
    match Args::parse().step {
        Step::Prepare { dir, seeds } => prepare(&dir, seeds),
        Step::Report { dir, report, command } => {
            let text = render(&dir, &command)?;
            if let Some(parent) = report.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&report, text).with_context(|| format!("cannot write {}", report.display()))?;
            eprintln!("wrote {}", report.display());
            Ok(())
        }
    }
}

const KEEPER: &str = "keeper forecast_net_flow";

fn method_name(method: Method) -> &'static str {
    match method {
        Method::DailyWeekly => "MSTL daily+weekly",
        Method::Daily => "MSTL daily",
        Method::Mean => "mean",
        Method::None => "none",
    }
}

fn keeper_run(dataset: &Dataset) -> ModelRun {
    let config = dataset.forecast_config();
    // Untimed first call: one-off initialisation is not per-series cost.
    forecast_net_flow(&dataset.series[0].train, &config);
    let mut seconds = 0.0;
    let forecasts = dataset
        .series
        .iter()
        .map(|series| {
            let started = Instant::now();
            let forecast = forecast_net_flow(&series.train, &config);
            seconds += started.elapsed().as_secs_f64();
            SeriesForecast {
                id: series.id.clone(),
                point: forecast.point,
                lower: forecast.lower,
                upper: forecast.upper,
                method: Some(method_name(forecast.method).into()),
            }
        })
        .collect();
    ModelRun { dataset: dataset.name.clone(), model: KEEPER.into(), seconds, forecasts, failed: Vec::new() }
}

fn naive_run(dataset: &Dataset, m: usize) -> ModelRun {
    let level = f64::from(dataset.level) / 100.0;
    let started = Instant::now();
    let forecasts = dataset
        .series
        .iter()
        .map(|series| {
            let forecast = seasonal_naive(&series.train, m, dataset.horizon, level);
            SeriesForecast {
                id: series.id.clone(),
                point: forecast.point,
                lower: forecast.lower,
                upper: forecast.upper,
                method: None,
            }
        })
        .collect();
    ModelRun {
        dataset: dataset.name.clone(),
        model: format!("seasonal naive {m}"),
        seconds: started.elapsed().as_secs_f64(),
        forecasts,
        failed: Vec::new(),
    }
}

fn prepare(dir: &std::path::Path, seeds: u64) -> anyhow::Result<()> {
    anyhow::ensure!(seeds > 0, "--seeds must be at least 1");
    let datasets = datasets::all(seeds);
    write_json(&dir.join("series.json"), &SeriesFile { datasets: datasets.clone() })?;
    let mut runs = Vec::new();
    for dataset in &datasets {
        let keeper = keeper_run(dataset);
        eprintln!("  {}: {KEEPER}: {} series in {:.1} s", dataset.name, dataset.series.len(), keeper.seconds);
        runs.push(keeper);
        runs.extend(dataset.seasons.iter().map(|&m| naive_run(dataset, m)));
    }
    let producer = format!("smart-treasury-keeper (augurs 0.10.3), {}", rustc_version());
    write_json(&dir.join("keeper.json"), &ForecastFile { producer, runs })
}

fn rustc_version() -> String {
    std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map_or_else(|| "rustc".into(), |out| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// One model's scores on one data set.
struct Score {
    model: String,
    mase: Vec<f64>,
    inside: usize,
    points: usize,
    /// Mean interval width in units of each series' MASE scale.
    width: Vec<f64>,
    seconds: f64,
    series: usize,
    failed: Vec<String>,
    methods: BTreeMap<String, usize>,
}

fn score(dataset: &Dataset, run: &ModelRun) -> anyhow::Result<Score> {
    let mut score = Score {
        model: run.model.clone(),
        mase: Vec::new(),
        inside: 0,
        points: 0,
        width: Vec::new(),
        seconds: run.seconds,
        series: run.forecasts.len() + run.failed.len(),
        failed: run.failed.clone(),
        methods: BTreeMap::new(),
    };
    for forecast in &run.forecasts {
        let series = dataset
            .series
            .iter()
            .find(|series| series.id == forecast.id)
            .with_context(|| format!("{} forecasts unknown series {}", run.model, forecast.id))?;
        anyhow::ensure!(
            [&forecast.point, &forecast.lower, &forecast.upper].iter().all(|v| v.len() == series.test.len()),
            "{} forecast of {} has the wrong length",
            run.model,
            series.id
        );
        let scale = mase_scale(&series.train, dataset.scale_season);
        score.mase.push(mase(&series.test, &forecast.point, scale));
        score.inside += inside(&series.test, &forecast.lower, &forecast.upper);
        score.points += series.test.len();
        score.width.push(
            mean(&forecast.upper.iter().zip(&forecast.lower).map(|(hi, lo)| hi - lo).collect::<Vec<_>>()) / scale,
        );
        if let Some(method) = &forecast.method {
            *score.methods.entry(method.clone()).or_default() += 1;
        }
    }
    Ok(score)
}

fn render(dir: &std::path::Path, command: &str) -> anyhow::Result<String> {
    let series: SeriesFile = read_json(&dir.join("series.json"))?;
    let keeper: ForecastFile = read_json(&dir.join("keeper.json"))?;
    let python: ForecastFile = read_json(&dir.join("statsforecast.json"))?;
    let mut out = String::new();
    writeln!(out, "# Forecast benchmark: quality and speed\n")?;
    writeln!(out, "Produced by `{command}`.\n")?;
    writeln!(
        out,
        "Each series is cut into a training window and the holdout right after it; every model \
         fits the training window and forecasts the holdout with a 95% interval. Rust and \
         Python read the same `series.json`, and every model is scored by the same code:\n\n\
         - **MASE**: mean absolute error over the holdout divided by the in-sample mean absolute \
         error of the one-season seasonal naive (season 24 for hourly series, 7 for daily); below \
         1 beats what the seasonal naive does in-sample. Mean and median over the series.\n\
         - **coverage**: share of holdout points inside the 95% interval, pooled over the series \
         (95% is calibrated).\n\
         - **width**: mean interval width in units of the MASE scale (narrower is better only \
         when coverage holds).\n\
         - **series/s**: series fitted and forecast per second on one thread, timing only the \
         fit and forecast calls (data loading, the Python import and a first warm-up call \
         excluded).\n"
    )?;
    writeln!(out, "Rust side: {}. Python side: {}.\n", keeper.producer, python.producer)?;
    for dataset in &series.datasets {
        writeln!(out, "## {}\n", dataset.name)?;
        writeln!(
            out,
            "{}. {} series, training window {} points, holdout {} points.\n",
            dataset.description,
            dataset.series.len(),
            dataset.series[0].train.len(),
            dataset.horizon
        )?;
        writeln!(out, "| model | mean MASE | median MASE | 95% coverage | width | series/s |")?;
        writeln!(out, "|---|---|---|---|---|---|")?;
        let runs = keeper.runs.iter().chain(&python.runs).filter(|run| run.dataset == dataset.name);
        let mut notes = Vec::new();
        for run in runs {
            let score = score(dataset, run)?;
            let speed = if score.seconds > 0.0 { score.series as f64 / score.seconds } else { f64::INFINITY };
            let speed = if speed > 100_000.0 { "> 100,000".to_string() } else { format!("{speed:.1}") };
            let model = if score.methods.is_empty() {
                score.model.clone()
            } else {
                let picked: Vec<String> = score.methods.iter().map(|(method, n)| format!("{method} x{n}")).collect();
                format!("{} ({})", score.model, picked.join(", "))
            };
            if score.mase.is_empty() {
                writeln!(out, "| {model} | - | - | - | - | {speed} |")?;
            } else {
                writeln!(
                    out,
                    "| {model} | {:.3} | {:.3} | {:.1}% ({}/{}) | {:.2} | {speed} |",
                    mean(&score.mase),
                    median(&score.mase),
                    100.0 * score.inside as f64 / score.points as f64,
                    score.inside,
                    score.points,
                    mean(&score.width),
                )?;
            }
            if !score.failed.is_empty() {
                notes.push(format!(
                    "{} failed on {} series: {}",
                    score.model,
                    score.failed.len(),
                    score.failed.join("; ")
                ));
            }
        }
        for note in notes {
            writeln!(out, "\n{note}")?;
        }
        writeln!(out)?;
    }
    writeln!(out, "## Machine\n\n{}", machine::facts())?;
    Ok(out)
}
