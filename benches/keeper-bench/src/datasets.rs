//! The series the forecast benchmark runs on: each cut into a training window and the
//! holdout that follows it, exactly as both the Rust and the Python side see them.

use crate::workload::{WorkloadModel, DAY_SECONDS};
use serde::{Deserialize, Serialize};
use smart_treasury_keeper::forecast::ForecastConfig;

/// One training window and its holdout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub id: String,
    pub train: Vec<f64>,
    pub test: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub name: String,
    pub description: String,
    /// Seasonal periods in buckets, shortest first (MSTL's periods on the Python side).
    pub seasons: Vec<usize>,
    /// The season MASE is scaled by and seasonal ETS uses: the shortest one.
    pub scale_season: usize,
    pub horizon: usize,
    /// Interval coverage asked for, in percent.
    pub level: u8,
    /// Buckets per day and per week as the keeper's config derives them from its bucket
    /// length.
    pub keeper_daily_period: usize,
    pub keeper_weekly_period: usize,
    pub series: Vec<Series>,
}

impl Dataset {
    /// The forecaster's settings for this data set, as the keeper would run it.
    pub fn forecast_config(&self) -> ForecastConfig {
        ForecastConfig {
            daily_period: self.keeper_daily_period,
            weekly_period: self.keeper_weekly_period,
            horizon: self.horizon,
            level: f64::from(self.level) / 100.0,
        }
    }
}

const HOUR: u64 = 3_600;
const WEEK_HOURS: usize = 168;

/// Net flow per hour (negative: withdrawals) in base units over `hours` hours from `start`.
pub fn hourly_net_flow(model: &WorkloadModel, start: u64, hours: usize) -> Vec<f64> {
    (0..hours as u64)
        .map(|h| {
            let from = start + h * HOUR;
            -(model.withdrawals(from, from + HOUR).iter().map(|w| w.amount as f64).sum::<f64>())
        })
        .collect()
}

/// Hourly withdrawals from the client's workload model, one series per seed: 8 weeks of
/// history and a 48-hour holdout. Seed `s` starts on day `s - 1`, so the holdouts fall on
/// different weekdays.
pub fn synthetic(seeds: std::ops::RangeInclusive<u64>, bank_runs: bool) -> Dataset {
    let (train_hours, horizon) = (8 * WEEK_HOURS, 48);
    let series = seeds
        .map(|seed| {
            let model = WorkloadModel {
                seed,
                burst_probability: if bank_runs { WorkloadModel::default().burst_probability } else { 0.0 },
                ..WorkloadModel::default()
            };
            let flow = hourly_net_flow(&model, (seed - 1) * DAY_SECONDS, train_hours + horizon);
            let (train, test) = flow.split_at(train_hours);
            Series { id: format!("seed-{seed}"), train: train.to_vec(), test: test.to_vec() }
        })
        .collect();
    let (name, description) = if bank_runs {
        (
            "synthetic-bank-runs",
            "hourly withdrawals from the client's workload model (default settings: 480 a day, \
             daily and weekly cycles, log-normal sizes, a 2-hour bank run at 6x on 15% of days), \
             one series per seed",
        )
    } else {
        ("synthetic-no-runs", "the same model and seeds without bank runs: the control for the row above")
    };
    Dataset {
        name: name.into(),
        description: description.into(),
        seasons: vec![24, WEEK_HOURS],
        scale_season: 24,
        horizon,
        level: 95,
        keeper_daily_period: 24,
        keeper_weekly_period: WEEK_HOURS,
        series,
    }
}

/// Rolling windows over `values`: a training window of `train` points ending at each
/// origin, then `horizon` points of holdout; origins `step` apart, as many as fit.
fn windows(prefix: &str, values: &[f64], train: usize, horizon: usize, step: usize) -> Vec<Series> {
    (train..=values.len() - horizon)
        .step_by(step)
        .map(|origin| Series {
            id: format!("{prefix}@{origin}"),
            train: values[origin - train..origin].to_vec(),
            test: values[origin..origin + horizon].to_vec(),
        })
        .collect()
}

/// Hourly electricity demand of Victoria, Australia (`vic_elec`, 150 days as augurs-testing
/// ships it): 8-week windows, 48-hour holdouts, origins 9 days apart so they rotate through
/// the week.
pub fn vic_elec() -> Dataset {
    let values: &[f64] = &augurs_testing::data::VIC_ELEC;
    Dataset {
        name: "vic_elec".into(),
        description: format!(
            "hourly electricity demand of Victoria, Australia ({} hours, from the R forecast \
             package as augurs-testing 0.4.0 ships it); 8-week windows, 48-hour holdouts, \
             origins 9 days apart",
            values.len()
        ),
        seasons: vec![24, WEEK_HOURS],
        scale_season: 24,
        horizon: 48,
        level: 95,
        keeper_daily_period: 24,
        keeper_weekly_period: WEEK_HOURS,
        series: windows("vic_elec", values, 8 * WEEK_HOURS, 48, 9 * 24),
    }
}

/// A daily series with a weekly season (`SEASON_SEVEN` in augurs-testing): 52-week
/// windows, 14-day holdouts. The keeper with one-day buckets derives 1 bucket per day and
/// 7 per week.
pub fn season_seven() -> Dataset {
    let values = augurs_testing::data::SEASON_SEVEN;
    Dataset {
        name: "season_seven".into(),
        description: format!(
            "daily series with a weekly season ({} days, augurs-testing 0.4.0 `SEASON_SEVEN`); \
             52-week windows, 14-day holdouts, origins 43 days apart; keeper config for one-day \
             buckets (1 bucket a day, 7 a week)",
            values.len()
        ),
        seasons: vec![7],
        scale_season: 7,
        horizon: 14,
        level: 95,
        keeper_daily_period: 1,
        keeper_weekly_period: 7,
        series: windows("season_seven", values, 364, 14, 43),
    }
}

/// Every data set of the forecast benchmark.
pub fn all(seeds: u64) -> Vec<Dataset> {
    vec![synthetic(1..=seeds, true), synthetic(1..=seeds, false), vic_elec(), season_seven()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cut_train_and_holdout_back_to_back() {
        let values: Vec<f64> = (0..20).map(f64::from).collect();
        let cut = windows("x", &values, 8, 3, 5);
        assert_eq!(cut.len(), 2);
        assert_eq!(cut[0].train, (0..8).map(f64::from).collect::<Vec<_>>());
        assert_eq!(cut[0].test, vec![8.0, 9.0, 10.0]);
        assert_eq!(cut[1].id, "x@13");
        assert_eq!(cut[1].test, vec![13.0, 14.0, 15.0]);
    }

    #[test]
    fn hourly_flow_is_the_negated_sum_of_withdrawals() {
        let model = WorkloadModel { seed: 3, ..WorkloadModel::default() };
        let flow = hourly_net_flow(&model, 0, 2);
        let second: u64 = model.withdrawals(HOUR, 2 * HOUR).iter().map(|w| w.amount).sum();
        assert_eq!(flow[1], -(second as f64));
        assert!(flow.iter().all(|v| *v <= 0.0));
    }
}
