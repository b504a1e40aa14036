//! The program's value rules (`smart_treasury_client::rules`) as problems naming the
//! JSON field at fault.

use crate::error::{ApiResult, FieldError, Problem};
use smart_treasury::state::AutomationSettings;
use smart_treasury_client::rules::{self, Violation};

/// `period_seconds` -> `periodSeconds`.
pub fn camel(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for character in field.chars() {
        if character == '_' {
            upper = true;
        } else if upper {
            out.extend(character.to_uppercase());
            upper = false;
        } else {
            out.push(character);
        }
    }
    out
}

/// A broken rule as a problem; `prefix` places the field (`mode.`, `fundingSources[0].`).
pub fn problem(prefix: &str, (field, detail): Violation) -> Problem {
    Problem::invalid(format!("{prefix}{}", camel(field)), detail)
}

/// Every broken rule of the automation settings at once.
pub fn automation(settings: &AutomationSettings) -> ApiResult<()> {
    let violations = rules::automation(settings);
    if violations.is_empty() {
        return Ok(());
    }
    Err(Problem::invalid_fields(
        violations.into_iter().map(|(field, detail)| FieldError { field: camel(field), detail }).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_named_as_the_json_names_them() {
        assert_eq!(camel("forecast_band_bps"), "forecastBandBps");
        assert_eq!(camel("min"), "min");
        let bad = AutomationSettings { cooldown_seconds: 0, period_seconds: 0, period_cap: 0, forecast_band_bps: 0 };
        let problem = automation(&bad).unwrap_err();
        let fields: Vec<_> = problem.errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["periodSeconds", "periodCap"]);
    }
}
