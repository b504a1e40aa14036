//! Forecast accuracy measures and the seasonal-naive baseline.

use smart_treasury_keeper::forecast::normal_quantile;

/// A point forecast with interval bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct Forecast {
    pub point: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// Mean absolute error of the in-sample seasonal naive with period `m`: the MASE scale.
pub fn mase_scale(train: &[f64], m: usize) -> f64 {
    let diffs: Vec<f64> = train.windows(m + 1).map(|w| (w[m] - w[0]).abs()).collect();
    diffs.iter().sum::<f64>() / diffs.len() as f64
}

/// Mean absolute error of `point` over `actual`, divided by `scale`.
pub fn mase(actual: &[f64], point: &[f64], scale: f64) -> f64 {
    let mae = actual.iter().zip(point).map(|(a, f)| (a - f).abs()).sum::<f64>() / actual.len() as f64;
    mae / scale
}

/// How many of `actual` fall inside `[lower, upper]`.
pub fn inside(actual: &[f64], lower: &[f64], upper: &[f64]) -> usize {
    actual.iter().zip(lower).zip(upper).filter(|((a, lo), hi)| lo <= a && a <= hi).count()
}

/// Repeats the last season of `train`. The interval assumes the in-sample seasonal
/// differences are normal with mean zero, widening with each season ahead.
pub fn seasonal_naive(train: &[f64], m: usize, horizon: usize, level: f64) -> Forecast {
    let n = train.len();
    let diffs: Vec<f64> = train.windows(m + 1).map(|w| w[m] - w[0]).collect();
    let sigma = (diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len() as f64).sqrt();
    let z = normal_quantile(0.5 + level / 2.0);
    let point: Vec<f64> = (0..horizon).map(|h| train[n - m + h % m]).collect();
    let half: Vec<f64> = (0..horizon).map(|h| z * sigma * ((h / m + 1) as f64).sqrt()).collect();
    Forecast {
        lower: point.iter().zip(&half).map(|(p, w)| p - w).collect(),
        upper: point.iter().zip(&half).map(|(p, w)| p + w).collect(),
        point,
    }
}

pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seasonal_naive_repeats_the_last_season_and_scores_zero_on_a_pure_cycle() {
        let cycle = [1.0, 5.0, 3.0];
        let train: Vec<f64> = cycle.iter().copied().cycle().take(12).collect();
        let forecast = seasonal_naive(&train, 3, 5, 0.95);
        assert_eq!(forecast.point, vec![1.0, 5.0, 3.0, 1.0, 5.0]);
        // No seasonal error at all: a zero-width interval.
        assert_eq!(forecast.lower, forecast.point);
        let actual = [1.0, 5.0, 3.0, 1.0, 5.0];
        assert_eq!(mase(&actual, &forecast.point, 1.0), 0.0);
        assert_eq!(inside(&actual, &forecast.lower, &forecast.upper), 5);
    }

    #[test]
    fn mase_scales_by_the_in_sample_seasonal_difference() {
        // Seasonal differences with m = 2: |3-1|, |4-2|, |7-3| = 2, 2, 4: mean 8/3.
        let train = [1.0, 2.0, 3.0, 4.0, 7.0];
        assert!((mase_scale(&train, 2) - 8.0 / 3.0).abs() < 1e-12);
        assert!((mase(&[1.0, 1.0], &[3.0, 5.0], 2.0) - 1.5).abs() < 1e-12);
    }

    #[test]
    fn seasonal_naive_interval_widens_each_season_ahead() {
        let train = [0.0, 0.0, 1.0, -1.0, 0.0, 0.0];
        let forecast = seasonal_naive(&train, 2, 4, 0.95);
        let width = |h: usize| forecast.upper[h] - forecast.lower[h];
        assert!((width(2) / width(0) - 2f64.sqrt()).abs() < 1e-9);
        assert_eq!(width(0), width(1));
    }

    #[test]
    fn median_of_odd_and_even_lengths() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }
}
