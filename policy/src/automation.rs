//! Limits on automatic movements and spender payouts: which settings are valid, and the
//! cooldown between two automatic movements. What they may move per period is the
//! rolling window's business (`window.rs`).

use crate::{
    limits::{validate_bps, validate_period, MAX_COOLDOWN_SECONDS},
    PolicyError,
};

/// One setting's check: the setting's name, as the program and files spell it.
type Check = (&'static str, Result<(), PolicyError>);

/// A managed balance's automation settings, as the rules see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutomationLimits {
    /// Seconds between two automatic movements.
    pub cooldown_seconds: u32,
    /// Length of the rolling rate-limit window.
    pub period_seconds: u32,
    /// What automation may move in any window of `period_seconds`.
    pub period_cap: u64,
    /// Automatic top-ups are allowed below `min + band * (target - min)`.
    pub forecast_band_bps: u16,
}

impl AutomationLimits {
    fn checks(&self) -> [Check; 4] {
        let cooldown =
            if self.cooldown_seconds > MAX_COOLDOWN_SECONDS { Err(PolicyError::InvalidCooldown) } else { Ok(()) };
        let cap = if self.period_cap == 0 { Err(PolicyError::InvalidRateLimit) } else { Ok(()) };
        [
            ("cooldown_seconds", cooldown),
            ("period_seconds", validate_period(self.period_seconds)),
            ("period_cap", cap),
            ("forecast_band_bps", validate_bps(self.forecast_band_bps)),
        ]
    }

    /// The first broken rule, in field order.
    pub fn validate(&self) -> Result<(), PolicyError> {
        self.checks().into_iter().try_for_each(|(_, result)| result)
    }

    /// Every broken rule with the setting it is about, in field order.
    pub fn violations(&self) -> Vec<(&'static str, PolicyError)> {
        violations(self.checks())
    }
}

/// A spender's limit: what it may pay out in any window of `period_seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpendLimit {
    pub limit_per_period: u64,
    pub period_seconds: u32,
}

impl SpendLimit {
    fn checks(&self) -> [Check; 2] {
        let limit = if self.limit_per_period == 0 { Err(PolicyError::InvalidRateLimit) } else { Ok(()) };
        [("limit_per_period", limit), ("period_seconds", validate_period(self.period_seconds))]
    }

    pub fn validate(&self) -> Result<(), PolicyError> {
        self.checks().into_iter().try_for_each(|(_, result)| result)
    }

    pub fn violations(&self) -> Vec<(&'static str, PolicyError)> {
        violations(self.checks())
    }
}

fn violations<const N: usize>(checks: [Check; N]) -> Vec<(&'static str, PolicyError)> {
    checks.into_iter().filter_map(|(field, result)| result.err().map(|error| (field, error))).collect()
}

/// When the cooldown lets the next automatic movement through: `None` before the first
/// movement (`last_automation_at` is 0 until then).
pub fn cooldown_ready_at(last_automation_at: i64, cooldown_seconds: u32) -> Option<i64> {
    (last_automation_at != 0).then(|| last_automation_at.saturating_add(i64::from(cooldown_seconds)))
}

/// Refuses an automatic movement at `now` while the cooldown runs.
pub fn check_cooldown(last_automation_at: i64, cooldown_seconds: u32, now: i64) -> Result<(), PolicyError> {
    match cooldown_ready_at(last_automation_at, cooldown_seconds) {
        Some(ready_at) if now < ready_at => Err(PolicyError::CooldownActive),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::MAX_PERIOD_SECONDS;

    const VALID: AutomationLimits =
        AutomationLimits { cooldown_seconds: 60, period_seconds: 86_400, period_cap: 1, forecast_band_bps: 5_000 };

    #[test]
    fn each_broken_setting_is_named() {
        assert_eq!(VALID.validate(), Ok(()));
        assert!(VALID.violations().is_empty());
        let bad = AutomationLimits {
            cooldown_seconds: MAX_COOLDOWN_SECONDS + 1,
            period_seconds: 0,
            period_cap: 0,
            forecast_band_bps: 10_001,
        };
        assert_eq!(
            bad.violations(),
            vec![
                ("cooldown_seconds", PolicyError::InvalidCooldown),
                ("period_seconds", PolicyError::InvalidRateLimit),
                ("period_cap", PolicyError::InvalidRateLimit),
                ("forecast_band_bps", PolicyError::InvalidBasisPoints),
            ]
        );
        assert_eq!(bad.validate(), Err(PolicyError::InvalidCooldown));
        let long = AutomationLimits { period_seconds: MAX_PERIOD_SECONDS + 1, ..VALID };
        assert_eq!(long.validate(), Err(PolicyError::InvalidRateLimit));
        let edge =
            AutomationLimits { cooldown_seconds: MAX_COOLDOWN_SECONDS, period_seconds: MAX_PERIOD_SECONDS, ..VALID };
        assert_eq!(edge.validate(), Ok(()));
    }

    #[test]
    fn spend_limits_need_a_limit_and_a_period() {
        assert_eq!(SpendLimit { limit_per_period: 1, period_seconds: 1 }.validate(), Ok(()));
        let bad = SpendLimit { limit_per_period: 0, period_seconds: 0 };
        let fields: Vec<&str> = bad.violations().iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, ["limit_per_period", "period_seconds"]);
    }

    #[test]
    fn cooldown_runs_from_the_last_automatic_movement() {
        assert_eq!(cooldown_ready_at(0, 60), None);
        assert_eq!(check_cooldown(0, 60, 5), Ok(()));
        assert_eq!(cooldown_ready_at(1_000, 60), Some(1_060));
        assert_eq!(check_cooldown(1_000, 60, 1_059), Err(PolicyError::CooldownActive));
        assert_eq!(check_cooldown(1_000, 60, 1_060), Ok(()));
        assert_eq!(cooldown_ready_at(i64::MAX - 1, 60), Some(i64::MAX));
    }
}
