//! A synthetic stream of customer withdrawals out of a hot wallet: daily and weekly
//! seasonality, noise, and occasional bank-run bursts. Everything is a pure function of
//! simulated time and a seed, so the demo that pays it out and a keeper that forecasts
//! it agree on every withdrawal.
//!
//! Simulated time is seconds since midnight of day 0, a Monday. Time is cut into
//! one-minute buckets; each bucket's withdrawals are drawn from its own random stream,
//! so any split of an interval into calls yields the same withdrawals.

use std::f64::consts::TAU;

pub const DAY_SECONDS: u64 = 86_400;
pub const BUCKET_SECONDS: u64 = 60;
/// Poisson draws above this mean use a normal approximation.
const POISSON_EXACT_LIMIT: f64 = 50.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkloadModel {
    pub seed: u64,
    /// Mean withdrawals per day before seasonality and bursts.
    pub withdrawals_per_day: f64,
    /// Mean size of one withdrawal, in base units.
    pub mean_amount: u64,
    /// Spread of withdrawal sizes (the sigma of a log-normal with mean `mean_amount`).
    pub amount_sigma: f64,
    /// Withdrawals are whole multiples of this many base units (1: any amount; 10,000
    /// for cents of a 6-decimal token), and at least one.
    pub amount_step: u64,
    /// 0..1: how much busier the peak hour is than the average, and quieter its opposite.
    pub daily_amplitude: f64,
    /// Hour of the day (0..24) with the most withdrawals.
    pub peak_hour: f64,
    /// Rate on Saturdays and Sundays, relative to weekdays.
    pub weekend_factor: f64,
    /// Chance that a given day has a bank run.
    pub burst_probability: f64,
    /// Rate during a bank run, relative to the usual rate at that time.
    pub burst_multiplier: f64,
    pub burst_seconds: u64,
}

impl Default for WorkloadModel {
    fn default() -> Self {
        Self {
            seed: 1,
            withdrawals_per_day: 480.0,
            mean_amount: 12_500_000,
            amount_sigma: 0.8,
            amount_step: 1,
            daily_amplitude: 0.6,
            peak_hour: 15.0,
            weekend_factor: 0.7,
            burst_probability: 0.15,
            burst_multiplier: 6.0,
            burst_seconds: 2 * 3600,
        }
    }
}

/// One customer withdrawal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    /// Simulated seconds.
    pub at: u64,
    pub amount: u64,
}

/// A bank run: `[start, end)` in simulated seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Burst {
    pub start: u64,
    pub end: u64,
}

/// A random stream: splitmix64 over a key, so every bucket has its own.
struct Stream(u64);

impl Stream {
    fn new(seed: u64, domain: u64, index: u64) -> Self {
        Self(mix(seed ^ mix(domain.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ mix(index))))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in (0, 1): never 0, so logarithms are finite.
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (TAU * v).cos()
    }

    fn poisson(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean > POISSON_EXACT_LIMIT {
            return (mean + mean.sqrt() * self.normal()).round().max(0.0) as u64;
        }
        let limit = (-mean).exp();
        let mut product = self.unit();
        let mut count = 0;
        while product > limit {
            product *= self.unit();
            count += 1;
        }
        count
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const BURST_DOMAIN: u64 = 1;
const BUCKET_DOMAIN: u64 = 2;

impl WorkloadModel {
    /// Daily and weekly shape at `t`: 1.0 on an average weekday hour.
    pub fn seasonality(&self, t: u64) -> f64 {
        let hour = (t % DAY_SECONDS) as f64 / 3600.0;
        let daily = 1.0 + self.daily_amplitude * (TAU * (hour - self.peak_hour) / 24.0).cos();
        let weekday = (t / DAY_SECONDS) % 7;
        let weekly = if weekday >= 5 { self.weekend_factor } else { 1.0 };
        daily.max(0.0) * weekly
    }

    /// The bank run of `day`, if that day has one.
    pub fn burst(&self, day: u64) -> Option<Burst> {
        let mut stream = Stream::new(self.seed, BURST_DOMAIN, day);
        if stream.unit() >= self.burst_probability {
            return None;
        }
        let latest_start = DAY_SECONDS.saturating_sub(self.burst_seconds);
        let start = day * DAY_SECONDS + (stream.unit() * latest_start as f64) as u64;
        Some(Burst { start, end: start + self.burst_seconds })
    }

    /// Expected withdrawals per second at `t` without bank runs: what a forecaster
    /// that knows the seasonality but not the runs expects.
    pub fn seasonal_rate(&self, t: u64) -> f64 {
        self.withdrawals_per_day / DAY_SECONDS as f64 * self.seasonality(t)
    }

    /// Expected withdrawals per second at `t`, bank runs included.
    pub fn rate(&self, t: u64) -> f64 {
        let in_burst = self.burst(t / DAY_SECONDS).is_some_and(|burst| burst.start <= t && t < burst.end);
        self.seasonal_rate(t) * if in_burst { self.burst_multiplier } else { 1.0 }
    }

    /// Expected outflow in base units over `[from, to)`, bank runs included.
    pub fn expected_outflow(&self, from: u64, to: u64) -> f64 {
        let mut total = 0.0;
        let mut t = from;
        while t < to {
            let step_end = ((t / BUCKET_SECONDS) + 1) * BUCKET_SECONDS;
            let end = step_end.min(to);
            total += self.rate(t) * (end - t) as f64;
            t = end;
        }
        total * self.mean_amount as f64
    }

    fn bucket(&self, index: u64) -> Vec<Withdrawal> {
        let start = index * BUCKET_SECONDS;
        let mut stream = Stream::new(self.seed, BUCKET_DOMAIN, index);
        let count = stream.poisson(self.rate(start) * BUCKET_SECONDS as f64);
        // A log-normal with this sigma and mean `mean_amount`.
        let sigma = self.amount_sigma;
        let mut withdrawals: Vec<Withdrawal> = (0..count)
            .map(|_| {
                let at = start + (stream.unit() * BUCKET_SECONDS as f64) as u64;
                let factor = (sigma * stream.normal() - sigma * sigma / 2.0).exp();
                let step = self.amount_step.max(1) as f64;
                let amount = ((self.mean_amount as f64 * factor / step).round().max(1.0) * step) as u64;
                Withdrawal { at, amount }
            })
            .collect();
        withdrawals.sort_by_key(|withdrawal| withdrawal.at);
        withdrawals
    }

    /// Every withdrawal at a time in `[from, to)`, in time order.
    pub fn withdrawals(&self, from: u64, to: u64) -> Vec<Withdrawal> {
        if from >= to {
            return Vec::new();
        }
        (from / BUCKET_SECONDS..=(to - 1) / BUCKET_SECONDS)
            .flat_map(|index| self.bucket(index))
            .filter(|withdrawal| from <= withdrawal.at && withdrawal.at < to)
            .collect()
    }
}

/// Maps real time onto simulated time: one simulated day per `day_minutes` real minutes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeScale {
    /// Simulated seconds per real second.
    pub speed: f64,
}

impl TimeScale {
    pub fn day_per_minutes(day_minutes: f64) -> Self {
        Self { speed: DAY_SECONDS as f64 / (day_minutes * 60.0) }
    }

    pub fn simulated(&self, start: u64, real_elapsed: std::time::Duration) -> u64 {
        start + (real_elapsed.as_secs_f64() * self.speed) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> WorkloadModel {
        WorkloadModel { seed: 42, ..WorkloadModel::default() }
    }

    #[test]
    fn the_same_seed_gives_the_same_withdrawals() {
        assert_eq!(model().withdrawals(0, DAY_SECONDS), model().withdrawals(0, DAY_SECONDS));
        let other = WorkloadModel { seed: 43, ..model() };
        assert_ne!(model().withdrawals(0, DAY_SECONDS), other.withdrawals(0, DAY_SECONDS));
    }

    #[test]
    fn any_split_of_an_interval_gives_the_same_withdrawals() {
        let whole = model().withdrawals(1_000, 50_000);
        let mut pieces = Vec::new();
        let mut t = 1_000;
        for step in [7, 61, 1, 333, 3_600, 10_000].iter().cycle() {
            if t >= 50_000 {
                break;
            }
            let end = (t + step).min(50_000);
            pieces.extend(model().withdrawals(t, end));
            t = end;
        }
        assert_eq!(whole, pieces);
        assert!(whole.windows(2).all(|pair| pair[0].at <= pair[1].at));
        assert!(whole.iter().all(|w| (1_000..50_000).contains(&w.at) && w.amount > 0));
    }

    #[test]
    fn amounts_come_in_whole_steps() {
        let cents = WorkloadModel { amount_step: 10_000, ..model() };
        let withdrawals = cents.withdrawals(0, DAY_SECONDS);
        assert!(!withdrawals.is_empty());
        assert!(withdrawals.iter().all(|w| w.amount >= 10_000 && w.amount % 10_000 == 0));
        let exact = model().withdrawals(0, DAY_SECONDS);
        let times = |list: &[Withdrawal]| list.iter().map(|w| w.at).collect::<Vec<_>>();
        assert_eq!(times(&withdrawals), times(&exact), "the same withdrawals, rounded");
    }

    #[test]
    fn a_week_matches_its_expected_outflow() {
        let quiet = WorkloadModel { burst_probability: 0.0, ..model() };
        let week = 7 * DAY_SECONDS;
        let paid: u64 = quiet.withdrawals(0, week).iter().map(|w| w.amount).sum();
        let expected = quiet.expected_outflow(0, week);
        let ratio = paid as f64 / expected;
        assert!((0.9..1.1).contains(&ratio), "paid {paid}, expected {expected}");
    }

    #[test]
    fn the_peak_hour_is_busier_than_the_night_and_weekdays_than_weekends() {
        let m = model();
        let peak = 15 * 3600;
        let night = 3 * 3600;
        assert!(m.seasonal_rate(peak) > 3.0 * m.seasonal_rate(night));
        let saturday = 5 * DAY_SECONDS + peak;
        assert!((m.seasonal_rate(saturday) / m.seasonal_rate(peak) - m.weekend_factor).abs() < 1e-9);
    }

    #[test]
    fn bank_runs_multiply_the_rate_while_they_last() {
        let m = WorkloadModel { burst_probability: 1.0, ..model() };
        let burst = m.burst(3).expect("every day has a run");
        assert!(burst.start >= 3 * DAY_SECONDS && burst.end <= 4 * DAY_SECONDS);
        let inside = burst.start + 60;
        assert!((m.rate(inside) / m.seasonal_rate(inside) - m.burst_multiplier).abs() < 1e-9);
        assert_eq!(m.rate(burst.end), m.seasonal_rate(burst.end));
        let never = WorkloadModel { burst_probability: 0.0, ..model() };
        assert!((0..60).all(|day| never.burst(day).is_none()));
        let some = (0..200).filter(|day| model().burst(*day).is_some()).count();
        assert!((10..60).contains(&some), "{some} runs in 200 days at 15%");
    }

    #[test]
    fn time_scale_compresses_a_day_into_minutes() {
        let scale = TimeScale::day_per_minutes(10.0);
        assert_eq!(scale.simulated(100, std::time::Duration::from_secs(600)), 100 + DAY_SECONDS);
    }
}
