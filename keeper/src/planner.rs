//! Decides what to do for one managed balance: the program's own policy applied to
//! what the keeper sees, plus the forecast. Pure: the executor carries the decision out.

use crate::forecast::BreachOutlook;
use smart_treasury_policy::{
    plan_ratio_rebalance, plan_sweep, plan_top_up, PolicyError, RatioMove, RatioRequest, SourceState, SweepRequest,
    Thresholds, TopUpReason, TopUpRequest,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Threshold,
    Ratio { ratio_bps: u16, band_bps: u16 },
}

/// One managed balance as read from chain, with live balances.
#[derive(Clone, Debug, PartialEq)]
pub struct BalanceView {
    pub thresholds: Thresholds,
    pub enabled: bool,
    pub mode: Mode,
    pub cooldown_seconds: u32,
    pub period_seconds: u32,
    pub period_cap: u64,
    pub period_start: i64,
    pub moved_in_period: u64,
    pub forecast_band_bps: u16,
    /// Unix seconds of the last automatic movement, 0 for never.
    pub last_automation_at: i64,
    pub balance: u64,
    /// Linked sources in priority order with their live balances and allowances.
    pub sources: Vec<SourceState>,
}

impl BalanceView {
    /// What automation may still move, as the program computes it at `now`.
    pub fn automation_remaining(&self, now: i64) -> u64 {
        let period_over = now >= self.period_start.saturating_add(i64::from(self.period_seconds));
        let moved = if period_over { 0 } else { self.moved_in_period };
        self.period_cap.saturating_sub(moved)
    }

    /// When the cooldown lets the next automatic movement through.
    pub fn ready_at(&self) -> i64 {
        if self.last_automation_at == 0 {
            i64::MIN
        } else {
            self.last_automation_at.saturating_add(i64::from(self.cooldown_seconds))
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlannerConfig {
    /// Seconds one forecast bucket spans.
    pub bucket_seconds: f64,
    /// Act on a forecast breach this many seconds before it is due.
    pub lead_seconds: f64,
    /// Act on a forecast breach only when at least this likely.
    pub min_breach_probability: f64,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        Self { bucket_seconds: 3_600.0, lead_seconds: 2.0 * 3_600.0, min_breach_probability: 0.5 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    Disabled,
    /// Inside its band and no breach is forecast soon enough.
    Healthy,
    CoolingDown {
        ready_at: i64,
    },
    CapReached,
    /// A move is due but no source has anything to give.
    NoFunds,
    /// Ratio mode: the drift is inside the band.
    WithinBand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Wait(Wait),
    TopUp { forecast: bool, amount: u64, shortfall: u64 },
    Sweep { amount: u64 },
    Rebalance { to_local: bool, amount: u64 },
}

fn wait_for(error: PolicyError) -> Action {
    Action::Wait(match error {
        PolicyError::AutomationCapReached => Wait::CapReached,
        PolicyError::NoFundsAvailable | PolicyError::NoEnabledSource => Wait::NoFunds,
        PolicyError::WithinBand => Wait::WithinBand,
        _ => Wait::Healthy,
    })
}

/// The next action for one managed balance at `now`.
pub fn plan(view: &BalanceView, outlook: Option<&BreachOutlook>, now: i64, config: &PlannerConfig) -> Action {
    if !view.enabled {
        return Action::Wait(Wait::Disabled);
    }
    if now < view.ready_at() {
        return Action::Wait(Wait::CoolingDown { ready_at: view.ready_at() });
    }
    let remaining = view.automation_remaining(now);
    match view.mode {
        Mode::Ratio { ratio_bps, band_bps } => {
            let Some(counterpart) = view.sources.iter().find(|source| source.enabled) else {
                return Action::Wait(Wait::NoFunds);
            };
            let request = RatioRequest {
                local: view.balance,
                counterpart: *counterpart,
                ratio_bps,
                band_bps,
                thresholds: view.thresholds,
                automation_remaining: remaining,
            };
            match plan_ratio_rebalance(&request) {
                Ok(RatioMove::ToLocal(amount)) => Action::Rebalance { to_local: true, amount },
                Ok(RatioMove::ToCounterpart(amount)) => Action::Rebalance { to_local: false, amount },
                Err(error) => wait_for(error),
            }
        }
        Mode::Threshold if view.balance > view.thresholds.max => {
            let request = SweepRequest {
                balance: view.balance,
                thresholds: view.thresholds,
                automation_remaining: remaining,
                sources: &view.sources,
            };
            match plan_sweep(&request) {
                Ok(sweep) => Action::Sweep { amount: sweep.amount },
                Err(error) => wait_for(error),
            }
        }
        Mode::Threshold => {
            let breached = view.balance < view.thresholds.min;
            let forecast_due = outlook.is_some_and(|outlook| {
                let lead_buckets = config.lead_seconds / config.bucket_seconds;
                outlook.breach_probability >= config.min_breach_probability
                    && outlook.pessimistic_buckets.is_some_and(|buckets| buckets <= lead_buckets)
            });
            if !breached && !forecast_due {
                return Action::Wait(Wait::Healthy);
            }
            let reason = if breached { TopUpReason::Threshold } else { TopUpReason::Forecast };
            let request = TopUpRequest {
                balance: view.balance,
                thresholds: view.thresholds,
                reason,
                forecast_band_bps: view.forecast_band_bps,
                automation_remaining: Some(remaining),
                sources: &view.sources,
            };
            match plan_top_up(&request) {
                Ok(plan) => Action::TopUp { forecast: !breached, amount: plan.total(), shortfall: plan.shortfall },
                Err(error) => wait_for(error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(balance: u64) -> BalanceView {
        BalanceView {
            thresholds: Thresholds { min: 1_000, target: 5_000, max: 8_000 },
            enabled: true,
            mode: Mode::Threshold,
            cooldown_seconds: 60,
            period_seconds: 86_400,
            period_cap: 1_000_000,
            period_start: 0,
            moved_in_period: 0,
            forecast_band_bps: 5_000,
            last_automation_at: 0,
            balance,
            sources: vec![SourceState {
                priority: 1,
                enabled: true,
                balance: 100_000,
                reserve_floor: 0,
                allowance: None,
            }],
        }
    }

    fn outlook(pessimistic_buckets: Option<f64>, breach_probability: f64) -> BreachOutlook {
        BreachOutlook {
            expected_buckets: pessimistic_buckets,
            pessimistic_buckets,
            amount_needed: 0,
            breach_probability,
        }
    }

    const NOW: i64 = 1_000_000;

    #[test]
    fn breach_of_min_tops_up_to_target() {
        let action = plan(&view(999), None, NOW, &PlannerConfig::default());
        assert_eq!(action, Action::TopUp { forecast: false, amount: 4_001, shortfall: 0 });
    }

    #[test]
    fn forecast_breach_inside_the_lead_time_and_band_tops_up_early() {
        let config = PlannerConfig::default();
        // Forecast ceiling is 1,000 + 50% of 4,000 = 3,000.
        let soon = outlook(Some(1.5), 0.9);
        assert_eq!(
            plan(&view(2_500), Some(&soon), NOW, &config),
            Action::TopUp { forecast: true, amount: 2_500, shortfall: 0 }
        );
        // Above the on-chain band the program would refuse: wait.
        assert_eq!(plan(&view(3_000), Some(&soon), NOW, &config), Action::Wait(Wait::Healthy));
        // Too far ahead, or too unlikely: wait.
        assert_eq!(plan(&view(2_500), Some(&outlook(Some(5.0), 0.9)), NOW, &config), Action::Wait(Wait::Healthy));
        assert_eq!(plan(&view(2_500), Some(&outlook(Some(1.0), 0.2)), NOW, &config), Action::Wait(Wait::Healthy));
    }

    #[test]
    fn above_max_sweeps_the_excess() {
        assert_eq!(plan(&view(9_000), None, NOW, &PlannerConfig::default()), Action::Sweep { amount: 4_000 });
    }

    #[test]
    fn cooldown_cap_disabled_and_empty_sources_wait() {
        let config = PlannerConfig::default();
        let cooling = BalanceView { last_automation_at: NOW - 10, ..view(10) };
        assert_eq!(plan(&cooling, None, NOW, &config), Action::Wait(Wait::CoolingDown { ready_at: NOW + 50 }));
        let capped = BalanceView { period_start: NOW - 10, moved_in_period: 1_000_000, ..view(10) };
        assert_eq!(plan(&capped, None, NOW, &config), Action::Wait(Wait::CapReached));
        // A finished period frees the cap again.
        let rolled = BalanceView { period_start: NOW - 86_400, moved_in_period: 1_000_000, ..view(10) };
        assert!(matches!(plan(&rolled, None, NOW, &config), Action::TopUp { .. }));
        let disabled = BalanceView { enabled: false, ..view(10) };
        assert_eq!(plan(&disabled, None, NOW, &config), Action::Wait(Wait::Disabled));
        let mut empty = view(10);
        empty.sources[0].balance = 0;
        assert_eq!(plan(&empty, None, NOW, &config), Action::Wait(Wait::NoFunds));
    }

    #[test]
    fn ratio_mode_rebalances_outside_the_band() {
        let mut ratio = view(300);
        ratio.mode = Mode::Ratio { ratio_bps: 4_000, band_bps: 500 };
        ratio.thresholds = Thresholds { min: 0, target: 0, max: u64::MAX };
        ratio.sources[0].balance = 700;
        assert_eq!(
            plan(&ratio, None, NOW, &PlannerConfig::default()),
            Action::Rebalance { to_local: true, amount: 100 }
        );
        ratio.balance = 380;
        ratio.sources[0].balance = 620;
        assert_eq!(plan(&ratio, None, NOW, &PlannerConfig::default()), Action::Wait(Wait::WithinBand));
    }
}
