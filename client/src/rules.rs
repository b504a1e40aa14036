//! The program's value rules, checked before any transaction is built, each failure
//! naming the field it is about (`min`, `period_seconds`) so a file error can point at
//! its line, a flag error at its flag and an API error at its JSON field. The rules themselves are the policy crate's,
//! the ones the program runs; this module only words them.

use smart_treasury::state::{encode_name, AutomationSettings};
use smart_treasury_policy::{
    validate_bps, validate_period, validate_ratio, AutomationLimits, PolicyError, Thresholds, MAX_COOLDOWN_SECONDS,
    MAX_PERIOD_SECONDS,
};

/// A broken rule: the field, and what is wrong with it.
pub type Violation = (&'static str, String);

pub fn name(field: &'static str, name: &str) -> Result<(), Violation> {
    encode_name(name).map(|_| ()).map_err(|_| (field, format!("\"{name}\" must be 1 to 32 bytes of UTF-8 without NUL")))
}

pub fn thresholds(t: &Thresholds) -> Result<(), Violation> {
    if t.validate().is_ok() {
        return Ok(());
    }
    let (field, rule) = if t.max == 0 {
        ("max", "max must be above 0".to_string())
    } else if t.min > t.target {
        ("min", format!("min ({}) must not be above target ({})", t.min, t.target))
    } else {
        ("target", format!("target ({}) must not be above max ({})", t.target, t.max))
    };
    Err((field, format!("{rule}: thresholds need min <= target <= max")))
}

pub fn ratio(ratio_bps: u16, band_bps: u16) -> Result<(), Violation> {
    if validate_ratio(ratio_bps, band_bps).is_ok() {
        Ok(())
    } else if validate_bps(band_bps).is_err() {
        Err(("band_bps", format!("{band_bps} must be within 0..=10000")))
    } else {
        Err(("ratio_bps", format!("{ratio_bps} must be strictly between 0 and 10000")))
    }
}

pub fn period_seconds(field: &'static str, seconds: u32) -> Result<(), Violation> {
    validate_period(seconds).map_err(|_| (field, format!("{seconds} must be 1 to {MAX_PERIOD_SECONDS} (366 days)")))
}

/// Every broken rule of the automation settings, as the policy finds them, each in
/// an operator's words.
pub fn automation(a: &AutomationSettings) -> Vec<Violation> {
    AutomationLimits::from(*a)
        .violations()
        .into_iter()
        .map(|(field, error)| {
            let message = match field {
                "cooldown_seconds" => {
                    format!("{} is above the 30-day limit ({MAX_COOLDOWN_SECONDS})", a.cooldown_seconds)
                }
                "period_seconds" => format!("{} must be 1 to {MAX_PERIOD_SECONDS} (366 days)", a.period_seconds),
                "period_cap" => "must be above 0: it is what automation may move per period".into(),
                "forecast_band_bps" => format!("{} must be within 0..=10000", a.forecast_band_bps),
                _ => describe(error),
            };
            (field, message)
        })
        .collect()
}

fn describe(error: PolicyError) -> String {
    format!("the program refuses this: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_violation_names_its_field() {
        assert_eq!(thresholds(&Thresholds { min: 5, target: 4, max: 10 }).unwrap_err().0, "min");
        assert_eq!(thresholds(&Thresholds { min: 1, target: 11, max: 10 }).unwrap_err().0, "target");
        assert_eq!(thresholds(&Thresholds { min: 0, target: 0, max: 0 }).unwrap_err().0, "max");
        assert!(thresholds(&Thresholds { min: 1, target: 1, max: 1 }).is_ok());
        assert_eq!(ratio(0, 100).unwrap_err().0, "ratio_bps");
        assert_eq!(ratio(4_000, 10_001).unwrap_err().0, "band_bps");
        let bad = AutomationSettings {
            cooldown_seconds: u32::MAX,
            period_seconds: 0,
            period_cap: 0,
            forecast_band_bps: 10_001,
        };
        let fields: Vec<&str> = automation(&bad).iter().map(|(field, _)| *field).collect();
        assert_eq!(fields, ["cooldown_seconds", "period_seconds", "period_cap", "forecast_band_bps"]);
        assert_eq!(name("name", "").unwrap_err().0, "name");
    }
}
