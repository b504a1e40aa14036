//! Forecasts a managed balance's organic net flow (payouts and deposits, not the
//! program's own movements) per time bucket, with prediction intervals, choosing the
//! richest model its history supports.

use augurs::{
    ets::AutoETS,
    mstl::MSTLModel,
    prelude::{Fit, Predict},
};

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
    let n = history.len() as f64;
    let mean = history.iter().sum::<f64>() / n;
    let variance = history.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    let z = normal_quantile(0.5 + config.level / 2.0);
    FlowForecast::flat(Method::Mean, mean, z * variance.sqrt(), config)
}

/// When a balance following a forecast falls below `min`, and what it takes to avoid it.
#[derive(Clone, Debug, PartialEq)]
pub struct BreachOutlook {
    /// Buckets until the expected path falls below `min` (fractional), if it does
    /// within the horizon.
    pub expected_buckets: Option<f64>,
    /// The same along the pessimistic path (every bucket at its lower bound).
    pub pessimistic_buckets: Option<f64>,
    /// Tokens needed now so the pessimistic path stays at or above `min` over the
    /// horizon.
    pub amount_needed: u64,
    /// Probability that the balance falls below `min` within the horizon, assuming
    /// independent normal buckets.
    pub breach_probability: f64,
}

/// Projects `balance` forward along `forecast` against `min`.
pub fn breach_outlook(balance: u64, min: u64, forecast: &FlowForecast) -> BreachOutlook {
    let start = balance as f64;
    let floor = min as f64;
    let sigmas = forecast.bucket_sigma();
    let (mut expected, mut pessimistic) = (start, start);
    let (mut expected_buckets, mut pessimistic_buckets) = (None, None);
    let mut lowest_pessimistic = start;
    let (mut mean_sum, mut variance_sum) = (0.0, 0.0);
    let mut breach_probability: f64 = if start < floor { 1.0 } else { 0.0 };
    for (i, ((point, lower), sigma)) in forecast.point.iter().zip(&forecast.lower).zip(&sigmas).enumerate() {
        let crossing = |before: f64, step: f64| {
            (before >= floor && before + step < floor).then(|| i as f64 + (before - floor) / -step)
        };
        expected_buckets = expected_buckets.or(crossing(expected, *point));
        pessimistic_buckets = pessimistic_buckets.or(crossing(pessimistic, *lower));
        expected += point;
        pessimistic += lower;
        lowest_pessimistic = lowest_pessimistic.min(pessimistic);
        mean_sum += point;
        variance_sum += sigma * sigma;
        let probability = if variance_sum > 0.0 {
            normal_cdf((floor - start - mean_sum) / variance_sum.sqrt())
        } else if start + mean_sum < floor {
            1.0
        } else {
            0.0
        };
        breach_probability = breach_probability.max(probability);
    }
    let amount_needed = (floor - lowest_pessimistic).max(0.0).ceil() as u64;
    BreachOutlook { expected_buckets, pessimistic_buckets, amount_needed, breach_probability }
}

/// Standard normal CDF (Abramowitz-Stegun 7.1.26 for erf; error < 1.5e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z.abs());
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    0.5 * (1.0 + if z >= 0.0 { erf } else { -erf })
}

/// Inverse of `normal_cdf` by bisection: only called with a handful of levels.
pub fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0, 10.0);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
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

    #[test]
    fn outlook_finds_the_crossing_and_the_amount_needed() {
        let forecast = FlowForecast {
            method: Method::Mean,
            point: vec![-100.0; 10],
            lower: vec![-150.0; 10],
            upper: vec![-50.0; 10],
            level: 0.95,
        };
        let outlook = breach_outlook(1_000, 500, &forecast);
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
        let outlook = breach_outlook(1_000_000, 500, &forecast);
        assert_eq!((outlook.expected_buckets, outlook.pessimistic_buckets, outlook.amount_needed), (None, None, 0));
        assert!(outlook.breach_probability < 1e-6);
    }

    #[test]
    fn normal_helpers_agree() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-4);
    }
}
