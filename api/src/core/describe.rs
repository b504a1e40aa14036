//! Changes in words, with amounts in token units, for a change's `effects`.

use smart_treasury::state::{AutomationSettings, BalanceMode};
use smart_treasury_client::TokenAmount;

/// Tokens for people: `50,000.25`.
pub fn tokens(units: u64, decimals: u8) -> String {
    TokenAmount::new(units, decimals).grouped()
}

pub fn mode_text(mode: &BalanceMode) -> String {
    match mode {
        BalanceMode::Threshold => "threshold".into(),
        BalanceMode::Ratio { ratio_bps, band_bps } => {
            format!("ratio {}% with a {}% drift band", percent(*ratio_bps), percent(*band_bps))
        }
    }
}

/// `1250` bps -> `12.5`.
pub fn percent(bps: u16) -> String {
    let whole = bps / 100;
    match bps % 100 {
        0 => whole.to_string(),
        hundredths if hundredths % 10 == 0 => format!("{whole}.{}", hundredths / 10),
        hundredths => format!("{whole}.{hundredths:02}"),
    }
}

/// One line per automation setting that changes.
pub fn automation_changes(before: &AutomationSettings, after: &AutomationSettings, decimals: u8) -> Vec<String> {
    let mut lines = Vec::new();
    if before.cooldown_seconds != after.cooldown_seconds {
        lines.push(format!("cooldown {} s -> {} s", before.cooldown_seconds, after.cooldown_seconds));
    }
    if before.period_seconds != after.period_seconds {
        lines.push(format!("rate-limit period {} s -> {} s", before.period_seconds, after.period_seconds));
    }
    if before.period_cap != after.period_cap {
        lines.push(format!(
            "automation cap per period {} -> {}",
            TokenAmount::new(before.period_cap, decimals).grouped(),
            TokenAmount::new(after.period_cap, decimals).grouped()
        ));
    }
    if before.forecast_band_bps != after.forecast_band_bps {
        lines.push(format!(
            "forecast band {}% -> {}%",
            percent(before.forecast_band_bps),
            percent(after.forecast_band_bps)
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_changes() {
        assert_eq!(percent(1_250), "12.5");
        assert_eq!(percent(4_000), "40");
        assert_eq!(percent(5), "0.05");
        let before = AutomationSettings {
            cooldown_seconds: 60,
            period_seconds: 86_400,
            period_cap: 5_000_000,
            forecast_band_bps: 0,
        };
        let after = AutomationSettings { period_cap: 7_500_000, ..before };
        assert_eq!(automation_changes(&before, &after, 6), ["automation cap per period 5 -> 7.5"]);
        assert_eq!(
            mode_text(&BalanceMode::Ratio { ratio_bps: 4_000, band_bps: 500 }),
            "ratio 40% with a 5% drift band"
        );
    }
}
