//! The hot wallet's recorded history for the demo's keeper: the days before the demo
//! starts, as the withdrawal model paid them out, imported into the keeper's store so
//! its forecaster starts with two weeks of daily and weekly seasonality rather than
//! nothing. It holds organic flows only (payouts, no top-ups): a balance that was higher
//! by every withdrawal made since, down to where the hot wallet stands at the start.

use smart_treasury_client::workload::{TimeScale, WorkloadModel, DAY_SECONDS};
use smart_treasury_keeper::store::Store;
use std::path::Path;

/// Days of history the demo's keeper starts with: two full weeks (what the daily and
/// weekly seasonal model needs) and the day before them, since the oldest bucket only
/// opens the history.
pub const DAYS: u64 = 15;

/// How real time maps onto the workload's simulated time in a demo run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timeline {
    /// Simulated seconds at `started`.
    pub start: u64,
    /// Unix seconds when the demo started.
    pub started: i64,
    pub scale: TimeScale,
}

impl Timeline {
    /// The simulated time at unix time `at` (before the start too, down to 0).
    pub fn simulated(&self, at: i64) -> u64 {
        let offset = (at - self.started) as f64 * self.scale.speed;
        (self.start as f64 + offset).max(0.0) as u64
    }
}

/// One sample per keeper bucket over the `DAYS` before the start, oldest first, as
/// `(unix_timestamp, balance)`: the balance at the end of each bucket was `balance_now`
/// plus every withdrawal the model made from then until the start.
pub fn samples(model: &WorkloadModel, timeline: &Timeline, bucket_seconds: i64, balance_now: u64) -> Vec<(i64, u64)> {
    let real_days = (DAYS * DAY_SECONDS) as f64 / timeline.scale.speed;
    let buckets = (real_days / bucket_seconds as f64).ceil() as i64;
    let current = timeline.started.div_euclid(bucket_seconds);
    // Each sample closes its bucket: its last second.
    let times: Vec<i64> = (1..=buckets).rev().map(|back| (current - back + 1) * bucket_seconds - 1).collect();
    let mut balance = balance_now;
    let mut later = timeline.start;
    let mut newest_first = Vec::with_capacity(times.len());
    for at in times.iter().rev() {
        let from = timeline.simulated(*at).min(later);
        let paid: u64 = model.withdrawals(from, later).iter().map(|withdrawal| withdrawal.amount).sum();
        balance = balance.saturating_add(paid);
        newest_first.push((*at, balance));
        later = from;
    }
    newest_first.reverse();
    newest_first
}

/// Imports `samples` for the managed balance `address` into the keeper's store at `path`.
pub fn import(path: &Path, address: &str, samples: &[(i64, u64)]) -> anyhow::Result<()> {
    Store::open(path)?.import_samples(address, samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_falls_by_each_buckets_withdrawals_down_to_the_start() {
        let model = WorkloadModel::default();
        let scale = TimeScale::day_per_minutes(10.0);
        let timeline = Timeline { start: 20 * DAY_SECONDS + 13 * 3600, started: 1_000_010, scale };
        let samples = samples(&model, &timeline, 25, 1_950_000_000);
        // Fifteen days of 25-second buckets at 144x: 360 simulated hours.
        assert_eq!(samples.len(), 360);
        assert!(samples.windows(2).all(|pair| pair[1].0 - pair[0].0 == 25 && pair[0].1 >= pair[1].1));
        let (last_at, last_balance) = *samples.last().unwrap();
        assert_eq!(last_at, 1_000_000 - 1, "the last sample closes the bucket before the start's");
        let since_last = timeline.simulated(last_at)..timeline.start;
        let paid: u64 = model.withdrawals(since_last.start, since_last.end).iter().map(|w| w.amount).sum();
        assert_eq!(last_balance, 1_950_000_000 + paid);
        let two_weeks: u64 = model
            .withdrawals(timeline.simulated(samples[0].0), timeline.start)
            .iter()
            .map(|withdrawal| withdrawal.amount)
            .sum();
        assert_eq!(samples[0].1, 1_950_000_000 + two_weeks);
    }
}
