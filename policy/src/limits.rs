use crate::PolicyError;

/// Funding sources one managed balance can link.
pub const MAX_SOURCES: usize = 8;

/// 100% in basis points.
pub const BPS_DENOMINATOR: u64 = 10_000;

/// Longest cooldown between automatic movements: 30 days.
pub const MAX_COOLDOWN_SECONDS: u32 = 30 * 24 * 3600;

/// Longest rate-limit period: 366 days.
pub const MAX_PERIOD_SECONDS: u32 = 366 * 24 * 3600;

/// A share in basis points: 0..=10,000.
pub fn validate_bps(bps: u16) -> Result<(), PolicyError> {
    if u64::from(bps) > BPS_DENOMINATOR {
        return Err(PolicyError::InvalidBasisPoints);
    }
    Ok(())
}

/// A target ratio: strictly between 0% and 100%, so both sides hold something.
pub fn validate_ratio(ratio_bps: u16, band_bps: u16) -> Result<(), PolicyError> {
    if ratio_bps == 0 || u64::from(ratio_bps) >= BPS_DENOMINATOR {
        return Err(PolicyError::InvalidBasisPoints);
    }
    validate_bps(band_bps)
}

/// A rate-limit period: 1 second to 366 days.
pub fn validate_period(period_seconds: u32) -> Result<(), PolicyError> {
    if period_seconds == 0 || period_seconds > MAX_PERIOD_SECONDS {
        return Err(PolicyError::InvalidRateLimit);
    }
    Ok(())
}

/// `value * bps / 10_000`, rounded down, without overflow.
pub(crate) fn apply_bps(value: u64, bps: u16) -> u64 {
    let scaled = u128::from(value) * u128::from(bps) / u128::from(BPS_DENOMINATOR);
    // bps <= 10_000 after validation, so the result is <= value; saturate otherwise.
    u64::try_from(scaled).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bps_bounds() {
        assert_eq!(validate_bps(10_000), Ok(()));
        assert_eq!(validate_bps(10_001), Err(PolicyError::InvalidBasisPoints));
        assert_eq!(validate_ratio(0, 500), Err(PolicyError::InvalidBasisPoints));
        assert_eq!(validate_ratio(10_000, 500), Err(PolicyError::InvalidBasisPoints));
        assert_eq!(validate_ratio(4_000, 500), Ok(()));
    }

    #[test]
    fn period_bounds() {
        assert_eq!(validate_period(0), Err(PolicyError::InvalidRateLimit));
        assert_eq!(validate_period(1), Ok(()));
        assert_eq!(validate_period(MAX_PERIOD_SECONDS), Ok(()));
        assert_eq!(validate_period(MAX_PERIOD_SECONDS + 1), Err(PolicyError::InvalidRateLimit));
    }

    #[test]
    fn apply_bps_rounds_down_and_never_overflows() {
        assert_eq!(apply_bps(1_000, 500), 50);
        assert_eq!(apply_bps(999, 1), 0);
        assert_eq!(apply_bps(u64::MAX, 10_000), u64::MAX);
    }
}
