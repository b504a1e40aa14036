//! How long to wait before retrying; what a transaction may cost is the client's
//! (`smart_treasury_client::fees`), shared with every process that sends.

pub use smart_treasury_client::fees::{compute_unit_limit, priority_fee, total_fee, MAX_COMPUTE_UNITS};
use std::time::Duration;

/// Exponential backoff with jitter: `base * 2^attempt`, capped, scaled by a factor in
/// `[1 - jitter/2, 1 + jitter/2)` from `unit` (a uniform draw in `[0, 1)`), so keepers
/// that failed together do not retry together.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, jitter: f64, unit: f64) -> Duration {
    let exponential = base.saturating_mul(1u32 << attempt.min(16)).min(cap);
    let factor = 1.0 - jitter / 2.0 + jitter * unit.clamp(0.0, 1.0);
    exponential.mul_f64(factor.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(5);
        assert_eq!(backoff(0, base, cap, 0.0, 0.3), Duration::from_millis(100));
        assert_eq!(backoff(3, base, cap, 0.0, 0.3), Duration::from_millis(800));
        assert_eq!(backoff(10, base, cap, 0.0, 0.3), cap);
        assert_eq!(backoff(1, base, cap, 0.5, 0.0), Duration::from_millis(150));
        assert_eq!(backoff(1, base, cap, 0.5, 1.0), Duration::from_millis(250));
    }
}
