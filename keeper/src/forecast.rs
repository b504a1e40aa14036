//! Forecasts a managed balance's organic net flow (payouts and deposits, not the
//! program's own movements) per time bucket, with prediction intervals, choosing the
//! richest model its history supports.

use augurs::{
    ets::AutoETS,
    mstl::MSTLModel,
    prelude::{Fit, Predict},
};
use distrs::{Normal, StudentsT};

/// How a forecast was made: richer models need longer history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Daily and weekly seasonality (MSTL) with an exponential-smoothing trend; with
    /// one-day buckets, the weekly cycle alone.
    DailyWeekly,
    /// Daily seasonality only.
    Daily,
    /// Mean and spread of the history: too short for seasonality.
    Mean,
    /// No history: nothing is predicted.
    None,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForecastConfig {
    /// Buckets per day (24 for hourly buckets).
    pub daily_period: usize,
    /// Buckets per week.
    pub weekly_period: usize,
    /// Buckets ahead to forecast.
    pub horizon: usize,
    /// Coverage of the prediction interval, e.g. 0.95.
    pub level: f64,
}

impl Default for ForecastConfig {
    fn default() -> Self {
        Self { daily_period: 24, weekly_period: 168, horizon: 48, level: 0.95 }
    }
}

/// Net flow per future bucket (negative = outflow), with interval bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowForecast {
    pub method: Method,
    pub point: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub level: f64,
    /// Buckets of history the forecast was made from.
    pub history_buckets: usize,
}

impl FlowForecast {
    fn flat(method: Method, mean: f64, spread: f64, config: &ForecastConfig) -> Self {
        let h = config.horizon;
        Self {
            method,
            point: vec![mean; h],
            lower: vec![mean - spread; h],
            upper: vec![mean + spread; h],
            level: config.level,
            history_buckets: 0,
        }
    }

    /// Standard deviation of each bucket's flow implied by the interval width.
    pub fn bucket_sigma(&self) -> Vec<f64> {
        let z = normal_quantile(0.5 + self.level / 2.0);
        self.lower.iter().zip(&self.upper).map(|(lo, hi)| ((hi - lo) / (2.0 * z)).max(0.0)).collect()
    }
}

/// Forecasts `history` (net flow per bucket, oldest first).
pub fn forecast_net_flow(history: &[f64], config: &ForecastConfig) -> FlowForecast {
    let seasonal = |periods: Vec<usize>| -> Option<FlowForecast> {
        let model = MSTLModel::new(periods, AutoETS::non_seasonal().into_trend_model());
        let fitted = model.fit(history).ok()?;
        let forecast = fitted.predict(config.horizon, config.level).ok()?;
        let intervals = forecast.intervals?;
        let finite = forecast.point.iter().chain(&intervals.lower).chain(&intervals.upper).all(|v| v.is_finite());
        finite.then_some(FlowForecast {
            method: Method::None,
            point: forecast.point,
            lower: intervals.lower,
            upper: intervals.upper,
            level: config.level,
            history_buckets: history.len(),
        })
    };
    // A one-bucket period is no cycle (one-day buckets show no daily shape) and MSTL
    // refuses it: leave it out, or the weekly cycle is lost with it.
    let cycles: Vec<usize> = [config.daily_period, config.weekly_period].into_iter().filter(|&p| p > 1).collect();
    // MSTL needs at least two full cycles of its longest period.
    if history.len() >= 2 * config.weekly_period && !cycles.is_empty() {
        if let Some(forecast) = seasonal(cycles) {
            return FlowForecast { method: Method::DailyWeekly, ..forecast };
        }
    }
    if config.daily_period > 1 && history.len() >= 2 * config.daily_period {
        if let Some(forecast) = seasonal(vec![config.daily_period]) {
            return FlowForecast { method: Method::Daily, ..forecast };
        }
    }
    if history.is_empty() {
        return FlowForecast::flat(Method::None, 0.0, 0.0, config);
    }
    let (mean, spread) = mean_interval(history, config.level);
    FlowForecast { history_buckets: history.len(), ..FlowForecast::flat(Method::Mean, mean, spread, config) }
}

/// The mean of a short history and the half-width of a `level` prediction interval for
/// the next value: Student's t with n - 1 degrees of freedom (a handful of buckets say
/// little about the spread, and the interval says so), widened by the mean's own
/// uncertainty. A single bucket gives no spread to measure: the interval is then as wide
/// as the bucket's own flow, not zero.
pub fn mean_interval(history: &[f64], level: f64) -> (f64, f64) {
    let n = history.len() as f64;
    let mean = history.iter().sum::<f64>() / n;
    if history.len() < 2 {
        return (mean, mean.abs());
    }
    let variance = history.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let t = StudentsT::ppf(0.5 + level / 2.0, n - 1.0);
    (mean, t * (variance * (1.0 + 1.0 / n)).sqrt())
}

/// When a balance following a forecast falls below `min`, and what it takes to avoid it.
#[derive(Clone, Debug, PartialEq)]
pub struct BreachOutlook {
    /// Buckets from now until the expected path falls below `min` (fractional), if it
    /// does within the horizon.
    pub expected_buckets: Option<f64>,
    /// The same along the pessimistic path (every bucket at its lower bound).
    pub pessimistic_buckets: Option<f64>,
    /// Tokens needed now so the pessimistic path stays at or above `min` over the rest of
    /// the horizon.
    pub amount_needed: u64,
    /// Probability that the balance falls below `min` within the lead time, assuming
    /// independent normal buckets.
    pub breach_probability: f64,
}

/// Where now sits on a forecast, and how far ahead a breach matters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Horizon {
    /// Buckets of the forecast already past: 0.25 means a quarter of its first bucket
    /// has elapsed, and the balance already shows that quarter's flow.
    pub elapsed: f64,
    /// How many buckets ahead the breach probability looks (the lead time).
    pub lead: f64,
}

impl Horizon {
    /// For a forecast made for bucket `made_for` (its first bucket), at `now`.
    pub fn at(now: i64, bucket_seconds: i64, made_for: i64, lead_seconds: f64) -> Self {
        let bucket = bucket_seconds as f64;
        Self { elapsed: ((now as f64) / bucket - made_for as f64).max(0.0), lead: lead_seconds / bucket }
    }
}

/// Projects `balance` forward along `forecast` against `min`, from `horizon.elapsed` on:
/// the part of a bucket already past is in the balance and is not counted again.
pub fn breach_outlook(balance: u64, min: u64, forecast: &FlowForecast, horizon: &Horizon) -> BreachOutlook {
    let start = balance as f64;
    let floor = min as f64;
    let sigmas = forecast.bucket_sigma();
    let (mut expected, mut pessimistic) = (start, start);
    let (mut expected_buckets, mut pessimistic_buckets) = (None, None);
    let mut lowest_pessimistic = start;
    let (mut mean_sum, mut variance_sum) = (0.0, 0.0);
    let mut breach_probability: f64 = if start < floor { 1.0 } else { 0.0 };
    for (i, ((point, lower), sigma)) in forecast.point.iter().zip(&forecast.lower).zip(&sigmas).enumerate() {
        // What of this bucket is still ahead, and when it begins, counted from now.
        let ahead = (i as f64 + 1.0 - horizon.elapsed).clamp(0.0, 1.0);
        if ahead == 0.0 {
            continue;
        }
        let begins = (i as f64 - horizon.elapsed).max(0.0);
        let crossing = |before: f64, step: f64| {
            (before >= floor && before + step < floor).then(|| begins + ahead * (before - floor) / -step)
        };
        expected_buckets = expected_buckets.or(crossing(expected, point * ahead));
        pessimistic_buckets = pessimistic_buckets.or(crossing(pessimistic, lower * ahead));
        expected += point * ahead;
        pessimistic += lower * ahead;
        lowest_pessimistic = lowest_pessimistic.min(pessimistic);
        // The probability looks as far as the lead time: the part of the bucket within it.
        let within_lead = (horizon.lead - begins).clamp(0.0, ahead);
        if within_lead > 0.0 {
            mean_sum += point * within_lead;
            variance_sum += sigma * sigma * within_lead;
            breach_probability = breach_probability.max(below(floor - start - mean_sum, variance_sum));
        }
    }
    let amount_needed = (floor - lowest_pessimistic).max(0.0).ceil() as u64;
    BreachOutlook { expected_buckets, pessimistic_buckets, amount_needed, breach_probability }
}

/// Probability that a normal change with mean 0 and `variance` falls below `margin`.
fn below(margin: f64, variance: f64) -> f64 {
    if variance > 0.0 {
        Normal::cdf(margin, 0.0, variance.sqrt())
    } else if margin > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// The standard normal quantile.
pub fn normal_quantile(p: f64) -> f64 {
    Normal::ppf(p, 0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hourly outflow with a daily cycle (heavier in the afternoon), a weekend dip and
    /// seeded noise, so every run sees the same series.
    fn seasonal_outflow(hours: usize) -> Vec<f64> {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..hours)
            .map(|h| {
                let hour = (h % 24) as f64;
                let weekday = (h / 24) % 7;
                let daily = 1_000.0 + 600.0 * ((hour - 15.0) / 24.0 * std::f64::consts::TAU).cos();
                let weekly = if weekday >= 5 { 0.5 } else { 1.0 };
                // Sum of uniforms: roughly normal noise with a standard deviation of ~58.
                let noise = (0..12).map(|_| uniform()).sum::<f64>() - 6.0;
                -(daily * weekly + 58.0 * noise)
            })
            .collect()
    }

    #[test]
    fn picks_the_richest_model_the_history_supports() {
        let config = ForecastConfig::default();
        assert_eq!(forecast_net_flow(&[], &config).method, Method::None);
        assert_eq!(forecast_net_flow(&seasonal_outflow(10), &config).method, Method::Mean);
        assert_eq!(forecast_net_flow(&seasonal_outflow(72), &config).method, Method::Daily);
        assert_eq!(forecast_net_flow(&seasonal_outflow(24 * 7 * 3), &config).method, Method::DailyWeekly);
    }

    #[test]
    fn seasonal_forecast_tracks_the_daily_cycle() {
        let config = ForecastConfig::default();
        let history = seasonal_outflow(24 * 7 * 4);
        let forecast = forecast_net_flow(&history, &config);
        let actual = seasonal_outflow(24 * 7 * 4 + config.horizon);
        let future = &actual[history.len()..];
        let mean_abs_error: f64 =
            forecast.point.iter().zip(future).map(|(f, a)| (f - a).abs()).sum::<f64>() / future.len() as f64;
        assert!(mean_abs_error < 150.0, "mean absolute error {mean_abs_error}");
        let covered =
            future.iter().enumerate().filter(|(i, a)| forecast.lower[*i] <= **a && **a <= forecast.upper[*i]).count();
        assert!(covered as f64 >= 0.8 * future.len() as f64, "{covered} of {} inside the interval", future.len());
    }

    #[test]
    fn one_day_buckets_keep_the_weekly_cycle() {
        // Daily outflow, weekends at half: what the config derives for one-day buckets
        // is 1 bucket a day and 7 a week.
        let daily: Vec<f64> = seasonal_outflow(24 * 7 * 60).chunks(24).map(|day| day.iter().sum()).collect();
        let config = ForecastConfig { daily_period: 1, weekly_period: 7, horizon: 14, level: 0.95 };
        let (history, future) = daily.split_at(daily.len() - config.horizon);
        let forecast = forecast_net_flow(history, &config);
        assert_eq!(forecast.method, Method::DailyWeekly);
        let mean_abs_error: f64 =
            forecast.point.iter().zip(future).map(|(f, a)| (f - a).abs()).sum::<f64>() / future.len() as f64;
        // The weekday-weekend swing is ~12,000 a day; a flat forecast misses by ~5,000.
        assert!(mean_abs_error < 1_500.0, "mean absolute error {mean_abs_error}");
    }

    fn forecast(point: Vec<f64>, lower: Vec<f64>, upper: Vec<f64>) -> FlowForecast {
        FlowForecast { method: Method::Mean, point, lower, upper, level: 0.95, history_buckets: 10 }
    }

    /// From the start of the forecast's first bucket, looking over its whole horizon.
    const WHOLE: Horizon = Horizon { elapsed: 0.0, lead: f64::INFINITY };

    #[test]
    fn outlook_finds_the_crossing_and_the_amount_needed() {
        let forecast = forecast(vec![-100.0; 10], vec![-150.0; 10], vec![-50.0; 10]);
        let outlook = breach_outlook(1_000, 500, &forecast, &WHOLE);
        // Expected: 1,000 - 100 k < 500 after 5 buckets (exactly at 5: not below).
        assert_eq!(outlook.expected_buckets, Some(5.0));
        assert!((outlook.pessimistic_buckets.unwrap() - 500.0 / 150.0).abs() < 1e-9);
        // Pessimistic path ends at 1,000 - 1,500 = -500: 1,000 short of min.
        assert_eq!(outlook.amount_needed, 1_000);
        assert!(outlook.breach_probability > 0.99);
    }

    #[test]
    fn a_well_funded_balance_has_no_breach() {
        let forecast = FlowForecast::flat(Method::Mean, -10.0, 5.0, &ForecastConfig::default());
        let outlook = breach_outlook(1_000_000, 500, &forecast, &WHOLE);
        assert_eq!((outlook.expected_buckets, outlook.pessimistic_buckets, outlook.amount_needed), (None, None, 0));
        assert!(outlook.breach_probability < 1e-6);
    }

    #[test]
    fn the_breach_probability_looks_as_far_as_the_lead_time() {
        // -100 a bucket with a wide spread: likely below min within the 48-bucket horizon,
        // unlikely within the two-bucket lead.
        let sigma = 400.0 * normal_quantile(0.975);
        let forecast = forecast(vec![-100.0; 48], vec![-100.0 - sigma; 48], vec![-100.0 + sigma; 48]);
        let whole = breach_outlook(2_000, 500, &forecast, &WHOLE);
        // 48 buckets: mean -4,800, sd 400 * sqrt(48): P(below -1,500) ~ 88%.
        assert!(whole.breach_probability > 0.85, "{whole:?}");
        let lead = breach_outlook(2_000, 500, &forecast, &Horizon { elapsed: 0.0, lead: 2.0 });
        // Two buckets: mean -200, sd 400 * sqrt(2): P(-200 + N < -1,500) ~ 1%.
        assert!(lead.breach_probability < 0.02, "{lead:?}");
        assert_eq!(lead.pessimistic_buckets, whole.pessimistic_buckets, "the crossings still span the horizon");
    }

    #[test]
    fn the_elapsed_part_of_the_current_bucket_counts_once() {
        // 90% of the first bucket is past and already in the balance: only 10 of its 100
        // are still to go, then 1,000 in the next bucket.
        let path = vec![-100.0, -1_000.0];
        let forecast = forecast(path.clone(), path.clone(), path);
        let outlook = breach_outlook(1_500, 1_000, &forecast, &Horizon { elapsed: 0.9, lead: f64::INFINITY });
        // 1,500 - 10 = 1,490 at the bucket's end, 0.1 buckets from now; below 1,000 after
        // 490 of the next bucket's 1,000.
        assert!((outlook.expected_buckets.unwrap() - 0.59).abs() < 1e-9, "{outlook:?}");
        assert_eq!(outlook.amount_needed, 510);
        // A forecast made a bucket and a half ago skips what is over: half of the second
        // bucket (500) is still ahead, and 1,400 falls below 1,000 after 400 of it.
        let stale = breach_outlook(1_400, 1_000, &forecast, &Horizon { elapsed: 1.5, lead: f64::INFINITY });
        assert!((stale.expected_buckets.unwrap() - 0.4).abs() < 1e-9, "{stale:?}");
    }

    #[test]
    fn a_short_history_gets_an_honest_interval() {
        let level = 0.95;
        // One bucket: no spread to measure, so none is claimed.
        let (mean, spread) = mean_interval(&[-300.0], level);
        assert_eq!((mean, spread), (-300.0, 300.0));
        // Three: Student's t with 2 degrees of freedom (4.30), not the normal's 1.96.
        let (mean, spread) = mean_interval(&[-100.0, -200.0, -300.0], level);
        assert_eq!(mean, -200.0);
        let expected = 4.302_653 * 100.0 * (1.0f64 + 1.0 / 3.0).sqrt();
        assert!((spread - expected).abs() < 0.01, "{spread} vs {expected}");
        // With plenty of history it approaches the normal interval.
        let many: Vec<f64> = (0..1_000).map(|i| if i % 2 == 0 { -100.0 } else { -300.0 }).collect();
        let (_, spread) = mean_interval(&many, level);
        assert!((spread - 1.96 * 100.0).abs() < 1.0, "{spread}");
    }

    #[test]
    fn the_normal_quantile_is_the_standard_one() {
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-4);
        assert!(normal_quantile(0.5).abs() < 1e-9);
    }
}
