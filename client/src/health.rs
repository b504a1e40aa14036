//! How healthy a managed balance is, by the policy crate's measure (100% at or above
//! twice `min`), and the level an operator reads off it (red below 50%).

use serde::Serialize;
use smart_treasury::state::ManagedBalance;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthLevel {
    /// At or above twice `min`.
    Healthy,
    /// Between 50% and 100%.
    Watch,
    /// Below 50%: under `min`.
    Critical,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Health {
    pub bps: u16,
    pub level: HealthLevel,
}

impl HealthLevel {
    /// The level of a health score in basis points.
    pub fn of_bps(bps: u16) -> Self {
        match bps {
            10_000.. => Self::Healthy,
            5_000.. => Self::Watch,
            _ => Self::Critical,
        }
    }
}

impl Health {
    pub fn of(managed: &ManagedBalance, balance: u64) -> Self {
        let bps = managed.thresholds().health_bps(balance);
        Self { bps, level: HealthLevel::of_bps(bps) }
    }

    /// `87.5%`.
    pub fn percent(&self) -> String {
        let tenths = u32::from(self.bps) / 10;
        format!("{}.{}%", tenths / 10, tenths % 10)
    }
}

/// Where the balance sits against its band.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BandPosition {
    BelowMin,
    WithinBand,
    AboveMax,
}

impl BandPosition {
    pub fn of(managed: &ManagedBalance, balance: u64) -> Self {
        if balance < managed.min {
            Self::BelowMin
        } else if balance > managed.max {
            Self::AboveMax
        } else {
            Self::WithinBand
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::managed_balance;

    #[test]
    fn levels_follow_the_health_score() {
        let managed = managed_balance(100, 300, 500);
        assert_eq!(Health::of(&managed, 200), Health { bps: 10_000, level: HealthLevel::Healthy });
        assert_eq!(Health::of(&managed, 150).level, HealthLevel::Watch);
        assert_eq!(Health::of(&managed, 99).level, HealthLevel::Critical);
        assert_eq!(Health::of(&managed, 175).percent(), "87.5%");
        assert_eq!(BandPosition::of(&managed, 99), BandPosition::BelowMin);
        assert_eq!(BandPosition::of(&managed, 501), BandPosition::AboveMax);
        assert_eq!(BandPosition::of(&managed, 500), BandPosition::WithinBand);
    }
}
