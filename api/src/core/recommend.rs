//! Thresholds sized from a balance's recorded outflow, and the backtest that shows what
//! the current and the recommended settings would have done over the same record.
//!
//! - min covers the 99th percentile of what flows out over the crank's landing time,
//!   plus a margin: a breach noticed now is refilled before the balance runs dry;
//! - target sits a day's mean outflow divided by the top-ups wanted per day above min,
//!   so a top-up buys that long;
//! - max leaves as much room above target as target has above min, so deposits of the
//!   same size are not swept straight back.
//!
//! The backtest replays the record's outflows minute by minute through the keeper's
//! planner and the program's rules (the keeper benchmark's simulator), starting at each
//! setting's target.

use smart_treasury_keeper::{config::ExecutorConfig, forecast::ForecastConfig, planner::PlannerConfig};
use smart_treasury_keeper_bench::{
    backtest::{simulate, FeeMarket, FeeSettings, Flow, Outcome, Settings, Strategy},
    workload::Withdrawal,
};
use smart_treasury_policy::Thresholds;

const MINUTE: u64 = 60;
const MINUTES_PER_DAY: f64 = 1_440.0;
/// The outflow quantile min covers.
pub const QUANTILE: f64 = 0.99;

/// What the operator tunes (query parameters of the endpoint).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Goals {
    /// From the keeper noticing a breach to its top-up landing, in seconds.
    pub landing_seconds: u32,
    /// Top-ups per day the target should keep to.
    pub top_ups_per_day: u32,
    /// Added on top of the outflow quantile, in basis points of it.
    pub margin_bps: u32,
}

impl Default for Goals {
    fn default() -> Self {
        Self { landing_seconds: 120, top_ups_per_day: 4, margin_bps: 2_500 }
    }
}

/// The recorded outflow the recommendation stands on.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Unix seconds of the first minute.
    pub start: u64,
    /// Base units paid out in each minute, oldest first.
    pub outflow_per_minute: Vec<u64>,
}

impl Record {
    /// From per-minute organic net flows (negative: out); inflows count as none.
    pub fn from_net_flows(start: u64, flows: &[f64]) -> Self {
        let outflow_per_minute =
            flows.iter().map(|flow| if *flow < 0.0 { (-flow).round() as u64 } else { 0 }).collect();
        Self { start, outflow_per_minute }
    }

    pub fn total(&self) -> u128 {
        self.outflow_per_minute.iter().map(|amount| u128::from(*amount)).sum()
    }

    /// Minutes from the first outflow on: the time before it was not recorded.
    fn recorded(&self) -> &[u64] {
        let first =
            self.outflow_per_minute.iter().position(|amount| *amount > 0).unwrap_or(self.outflow_per_minute.len());
        &self.outflow_per_minute[first..]
    }

    fn recorded_start(&self) -> u64 {
        let skipped = self.outflow_per_minute.len() - self.recorded().len();
        self.start + skipped as u64 * MINUTE
    }
}

/// The sizing, and the numbers it came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sizing {
    pub thresholds: Thresholds,
    /// The outflow quantile over the landing time.
    pub landing_outflow: u64,
    pub mean_daily_outflow: u64,
    pub recorded_minutes: usize,
}

/// `QUANTILE` of the sums over every window of `width` consecutive minutes.
fn window_quantile(outflows: &[u64], width: usize) -> u64 {
    let width = width.clamp(1, outflows.len().max(1));
    let mut sums = Vec::with_capacity(outflows.len().saturating_sub(width) + 1);
    let mut sum: u64 = outflows.iter().take(width).sum();
    sums.push(sum);
    for index in width..outflows.len() {
        sum = sum + outflows[index] - outflows[index - width];
        sums.push(sum);
    }
    sums.sort_unstable();
    let rank = ((sums.len() as f64 * QUANTILE).ceil() as usize).clamp(1, sums.len());
    sums[rank - 1]
}

/// Rounds up to a whole token, so the recommendation reads as an operator would write it.
fn whole_tokens(amount: u128, decimals: u8) -> u64 {
    let token = 10u128.pow(u32::from(decimals));
    u64::try_from(amount.div_ceil(token) * token).unwrap_or(u64::MAX)
}

/// Thresholds sized from `record`; `None` when it holds no outflow to size from.
pub fn size(record: &Record, goals: &Goals, decimals: u8) -> Option<Sizing> {
    let recorded = record.recorded();
    if recorded.is_empty() || goals.top_ups_per_day == 0 {
        return None;
    }
    let width = (goals.landing_seconds as usize).div_ceil(MINUTE as usize);
    let landing_outflow = window_quantile(recorded, width);
    let total: u128 = recorded.iter().map(|amount| u128::from(*amount)).sum();
    let mean_daily = (total as f64 * MINUTES_PER_DAY / recorded.len() as f64).round() as u128;
    let margin = u128::from(landing_outflow) * u128::from(goals.margin_bps) / 10_000;
    let min = whole_tokens(u128::from(landing_outflow) + margin, decimals).max(whole_tokens(1, decimals));
    let band = whole_tokens(mean_daily / u128::from(goals.top_ups_per_day), decimals).max(whole_tokens(1, decimals));
    let target = min.saturating_add(band);
    let max = target.saturating_add(band);
    Some(Sizing {
        thresholds: Thresholds { min, target, max },
        landing_outflow,
        mean_daily_outflow: u64::try_from(mean_daily).unwrap_or(u64::MAX),
        recorded_minutes: recorded.len(),
    })
}

/// The balance's automation settings and what its sources can give, for the backtest.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    pub cooldown_seconds: u32,
    pub period_seconds: u32,
    pub period_cap: u64,
    pub forecast_band_bps: u16,
    /// What the funding sources hold above their floors now.
    pub available: u64,
}

/// What one setting did over the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    pub minutes: u64,
    /// Minutes that ended below this setting's min.
    pub minutes_below_min: u64,
    /// Minutes that ended with a payout the balance could not cover.
    pub minutes_waiting: u64,
    pub transfers: u64,
    /// The mean balance held: capital sitting idle in the destination.
    pub idle_capital: u64,
}

/// Replays `record`'s outflows against `thresholds` with the keeper's planner and the
/// program's rules, the top-up landing `goals.landing_seconds` after its decision.
pub fn backtest(record: &Record, thresholds: Thresholds, limits: &Limits, goals: &Goals) -> Effect {
    let recorded = record.recorded();
    let start = record.recorded_start();
    let withdrawals = recorded
        .iter()
        .enumerate()
        .filter(|(_, amount)| **amount > 0)
        .map(|(minute, amount)| Withdrawal { at: start + minute as u64 * MINUTE, amount: *amount })
        .collect();
    let flow = Flow { start, minutes: recorded.len() as u64, withdrawals, warmup: Vec::new(), bank_run_days: 0 };
    let settings = Settings {
        thresholds,
        floor: thresholds.min,
        cooldown_seconds: limits.cooldown_seconds,
        period_seconds: limits.period_seconds,
        period_cap: limits.period_cap,
        forecast_band_bps: limits.forecast_band_bps,
        reserve: limits.available,
        reserve_floor: 0,
        delay_minutes: u64::from(goals.landing_seconds).div_ceil(MINUTE),
        planner: PlannerConfig::default(),
        forecast: ForecastConfig::default(),
        history_buckets: 0,
        // Fees do not enter the comparison: no priority market.
        fees: FeeSettings {
            lamports_per_signature: 5_000,
            simulated_units: 0,
            executor: ExecutorConfig::default(),
            market: FeeMarket { zero_share: 1.0, ..FeeMarket::default() },
        },
    };
    let outcome: Outcome = simulate(&flow, &settings, Strategy::ThresholdOnly);
    Effect {
        minutes: outcome.minutes,
        minutes_below_min: outcome.minutes_below_min,
        minutes_waiting: outcome.minutes_waiting,
        transfers: outcome.transfers(),
        idle_capital: outcome.mean_balance(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: u64 = 1_000_000;

    fn limits() -> Limits {
        Limits {
            cooldown_seconds: 0,
            period_seconds: 86_400,
            period_cap: 1_000_000 * TOKEN,
            forecast_band_bps: 0,
            available: 1_000_000 * TOKEN,
        }
    }

    /// Two days of 10 tokens a minute, with a burst of 200 in one minute each hour.
    fn record() -> Record {
        let outflow = (0..2 * 1_440).map(|minute| if minute % 60 == 30 { 200 * TOKEN } else { 10 * TOKEN }).collect();
        Record { start: 1_700_000_000, outflow_per_minute: outflow }
    }

    #[test]
    fn min_covers_the_outflow_over_the_landing_time_and_target_the_top_ups_per_day() {
        let sizing = size(&record(), &Goals::default(), 6).expect("a sizing");
        // Two-minute windows: 210 at the 99th percentile (a burst and a normal minute,
        // 96 windows of 2,879), plus 25%: 262.5, rounded up to 263.
        assert_eq!(sizing.landing_outflow, 210 * TOKEN);
        assert_eq!(sizing.thresholds.min, 263 * TOKEN);
        // A day: 1,416 minutes of 10 and 24 of 200 = 18,960; four top-ups a day: 4,740.
        assert_eq!(sizing.mean_daily_outflow, 18_960 * TOKEN);
        assert_eq!(sizing.thresholds.target, (263 + 4_740) * TOKEN);
        assert_eq!(sizing.thresholds.max, (263 + 2 * 4_740) * TOKEN);
        assert!(sizing.thresholds.validate().is_ok());
    }

    #[test]
    fn leading_minutes_without_outflow_are_not_history() {
        let mut late = record();
        late.outflow_per_minute.splice(0..0, std::iter::repeat_n(0, 1_440));
        assert_eq!(size(&late, &Goals::default(), 6), size(&record(), &Goals::default(), 6));
        assert_eq!(size(&Record { start: 0, outflow_per_minute: vec![0; 100] }, &Goals::default(), 6), None);
    }

    #[test]
    fn the_backtest_shows_what_each_setting_costs() {
        let goals = Goals { landing_seconds: 300, ..Goals::default() };
        let recommended = size(&record(), &goals, 6).expect("a sizing").thresholds;
        let effect = backtest(&record(), recommended, &limits(), &goals);
        assert_eq!(effect.minutes, 2_880);
        assert_eq!(effect.minutes_waiting, 0, "{effect:?}");
        // About four top-ups a day over the two days.
        assert!((6..=9).contains(&effect.transfers), "{effect:?}");

        // A min below one burst: the burst waits at the head of the queue while the
        // balance, above min, asks for no top-up.
        let thin = Thresholds { min: 20 * TOKEN, target: 500 * TOKEN, max: 1_000 * TOKEN };
        let thin_effect = backtest(&record(), thin, &limits(), &goals);
        assert!(thin_effect.minutes_waiting > 1_000, "{thin_effect:?}");
        assert!(thin_effect.idle_capital < effect.idle_capital);

        // The same min with a narrow band: safe, but many more transfers.
        let narrow =
            Thresholds { target: recommended.min + 500 * TOKEN, max: recommended.min + 1_000 * TOKEN, ..recommended };
        let narrow_effect = backtest(&record(), narrow, &limits(), &goals);
        assert_eq!(narrow_effect.minutes_waiting, 0, "{narrow_effect:?}");
        assert!(narrow_effect.transfers > 4 * effect.transfers, "{narrow_effect:?} {effect:?}");
        assert!(narrow_effect.idle_capital < effect.idle_capital);
    }
}
