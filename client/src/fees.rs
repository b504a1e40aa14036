//! What a transaction may cost: its compute-unit limit from simulation and its priority
//! fee from recent fees, each with a cap.

/// The most compute units one transaction may ask for.
pub const MAX_COMPUTE_UNITS: u32 = 1_400_000;

/// The `percentile` of recent prioritization fees (micro-lamports per compute unit),
/// never above `cap`. No recent fees means no priority fee.
pub fn priority_fee(recent: &[u64], percentile: u8, cap: u64) -> u64 {
    if recent.is_empty() {
        return 0;
    }
    let mut sorted = recent.to_vec();
    sorted.sort_unstable();
    let rank = (usize::from(percentile.min(100)) * (sorted.len() - 1) + 50) / 100;
    sorted[rank].min(cap)
}

/// Compute-unit limit from what simulation consumed, times a safety margin.
pub fn compute_unit_limit(simulated: u64, margin: f64) -> u32 {
    let limit = (simulated as f64 * margin).ceil();
    if limit.is_finite() && limit > 0.0 {
        (limit as u64).min(u64::from(MAX_COMPUTE_UNITS)) as u32
    } else {
        MAX_COMPUTE_UNITS
    }
}

/// Total fee in lamports: the base fee per signature plus the priority fee.
pub fn total_fee(
    signatures: u64,
    lamports_per_signature: u64,
    compute_unit_limit: u32,
    micro_lamports_per_unit: u64,
) -> u64 {
    let priority = (u128::from(compute_unit_limit) * u128::from(micro_lamports_per_unit)).div_ceil(1_000_000);
    signatures.saturating_mul(lamports_per_signature).saturating_add(u64::try_from(priority).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_fee_takes_a_percentile_and_respects_the_cap() {
        let recent = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
        assert_eq!(priority_fee(&recent, 50, u64::MAX), 50);
        assert_eq!(priority_fee(&recent, 75, u64::MAX), 80);
        assert_eq!(priority_fee(&recent, 100, 60), 60);
        assert_eq!(priority_fee(&[], 75, 1_000), 0);
    }

    #[test]
    fn compute_unit_limit_adds_the_margin_and_stays_in_range() {
        assert_eq!(compute_unit_limit(10_000, 1.2), 12_000);
        assert_eq!(compute_unit_limit(1_300_000, 1.2), MAX_COMPUTE_UNITS);
        assert_eq!(compute_unit_limit(0, 1.2), MAX_COMPUTE_UNITS);
    }

    #[test]
    fn total_fee_adds_priority_to_signatures() {
        assert_eq!(total_fee(1, 5_000, 200_000, 0), 5_000);
        // 200,000 units at 1,000 micro-lamports each = 200 lamports.
        assert_eq!(total_fee(1, 5_000, 200_000, 1_000), 5_200);
        assert_eq!(total_fee(2, 5_000, 1, 1), 10_001);
    }
}
