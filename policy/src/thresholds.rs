use crate::{limits::apply_bps, PolicyError};

/// The band a managed balance is kept in: restored to `target` when it leaves
/// `[min, max]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub min: u64,
    pub target: u64,
    pub max: u64,
}

impl Thresholds {
    pub fn new(min: u64, target: u64, max: u64) -> Result<Self, PolicyError> {
        let thresholds = Self { min, target, max };
        thresholds.validate()?;
        Ok(thresholds)
    }

    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.max == 0 || self.min > self.target || self.target > self.max {
            return Err(PolicyError::InvalidThresholds);
        }
        Ok(())
    }

    /// Balances strictly below this may be topped up pre-emptively:
    /// `min + band * (target - min)`.
    pub fn forecast_ceiling(&self, forecast_band_bps: u16) -> u64 {
        let headroom = self.target.saturating_sub(self.min);
        self.min.saturating_add(apply_bps(headroom, forecast_band_bps))
    }

    /// Health in basis points: 10,000 at or above twice `min`, falling linearly to 0
    /// at an empty balance. A zero `min` is always healthy.
    pub fn health_bps(&self, balance: u64) -> u16 {
        if self.min == 0 {
            return 10_000;
        }
        let full = u128::from(self.min) * 2;
        let health = (u128::from(balance) * 10_000 / full).min(10_000);
        health as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_disordered_thresholds() {
        assert_eq!(Thresholds::new(5, 4, 10), Err(PolicyError::InvalidThresholds));
        assert_eq!(Thresholds::new(1, 11, 10), Err(PolicyError::InvalidThresholds));
        assert_eq!(Thresholds::new(0, 0, 0), Err(PolicyError::InvalidThresholds));
        assert!(Thresholds::new(10, 10, 10).is_ok());
    }

    #[test]
    fn forecast_ceiling_is_inside_min_and_target() {
        let t = Thresholds::new(100, 300, 500).unwrap();
        assert_eq!(t.forecast_ceiling(0), 100);
        assert_eq!(t.forecast_ceiling(5_000), 200);
        assert_eq!(t.forecast_ceiling(10_000), 300);
    }

    #[test]
    fn health_is_full_at_twice_min() {
        let t = Thresholds::new(100, 300, 500).unwrap();
        assert_eq!(t.health_bps(200), 10_000);
        assert_eq!(t.health_bps(1_000), 10_000);
        assert_eq!(t.health_bps(50), 2_500);
        assert_eq!(t.health_bps(0), 0);
    }
}
