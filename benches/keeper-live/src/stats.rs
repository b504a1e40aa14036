//! Order statistics for the report tables.

/// Nearest-rank percentile (`p` in 0..=100) of `values`; `None` when empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// Median, p95 and max.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub median: f64,
    pub p95: f64,
    pub max: f64,
    pub count: usize,
}

pub fn summarize(values: &[f64]) -> Option<Summary> {
    Some(Summary {
        median: percentile(values, 50.0)?,
        p95: percentile(values, 95.0)?,
        max: percentile(values, 100.0)?,
        count: values.len(),
    })
}
