//! Decides what to do for one managed balance: the program's own policy applied to
//! what the keeper sees, plus the forecast. Pure: the executor carries the decision out.
//! Every rule the program enforces (cooldown, rolling cap, which top-up the balance
//! allows, where returns may go) comes from the policy crate, never a copy.

use crate::forecast::BreachOutlook;
use smart_treasury_policy::{
    automatic_trigger, cooldown_ready_at, plan_ratio_rebalance, plan_sweep, plan_top_up, ratio_counterpart,
    BalanceMode, PolicyError, RatioMove, RatioRequest, RollingWindow, SourceState, SweepRequest, Thresholds,
    TopUpReason, TopUpRequest, Trigger,
};

/// One managed balance as read from chain, with live balances.
#[derive(Clone, Debug, PartialEq)]
pub struct BalanceView {
    pub thresholds: Thresholds,
    pub enabled: bool,
    pub mode: BalanceMode,
    pub cooldown_seconds: u32,
    pub period_seconds: u32,
    pub period_cap: u64,
    /// What automation moved in the rolling period, as the program counts it.
    pub moved: RollingWindow,
    pub forecast_band_bps: u16,
    /// Unix seconds of the last automatic movement, 0 for never.
    pub last_automation_at: i64,
    pub balance: u64,
    /// What the destination's pool may move out of it (`None`: it owns it).
    pub destination_allowance: Option<u64>,
    /// Linked sources in priority order with their live balances and allowances.
    pub sources: Vec<SourceState>,
}

impl BalanceView {
    /// What automation may still move, as the program computes it at `now`.
    pub fn automation_remaining(&self, now: i64) -> u64 {
        self.moved.remaining(now, self.period_seconds, self.period_cap)
    }

    /// When the cooldown lets the next automatic movement through.
    pub fn ready_at(&self) -> i64 {
        cooldown_ready_at(self.last_automation_at, self.cooldown_seconds).unwrap_or(i64::MIN)
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
    /// A move is due but no source has anything to give (or may take it back).
    NoFunds,
    /// Ratio mode: the drift is inside the band.
    WithinBand,
    /// A move is due but the destination's pool may move nothing out of it.
    NotSignable,
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
        PolicyError::NoFundsAvailable
        | PolicyError::NoEnabledSource
        | PolicyError::NoReturnTarget
        | PolicyError::ReturnTargetNotAllowed => Wait::NoFunds,
        PolicyError::WithinBand => Wait::WithinBand,
        PolicyError::DestinationNotSignable => Wait::NotSignable,
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
        BalanceMode::Ratio { ratio_bps, band_bps } => {
            let counterpart = match ratio_counterpart(&view.sources) {
                Ok(index) => view.sources[index],
                Err(error) => return wait_for(error),
            };
            let request = RatioRequest {
                local: view.balance,
                local_allowance: view.destination_allowance,
                counterpart,
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
        BalanceMode::Threshold if view.balance > view.thresholds.max => {
            let request = SweepRequest {
                balance: view.balance,
                thresholds: view.thresholds,
                automation_remaining: remaining,
                destination_allowance: view.destination_allowance,
                sources: &view.sources,
            };
            match plan_sweep(&request) {
                Ok(sweep) => Action::Sweep { amount: sweep.amount },
                Err(error) => wait_for(error),
            }
        }
        BalanceMode::Threshold => {
            // The program decides threshold or forecast from the balance; the keeper
            // only chooses whether a forecast top-up is worth sending.
            let Ok(trigger) = automatic_trigger(view.balance, &view.thresholds, view.forecast_band_bps) else {
                return Action::Wait(Wait::Healthy);
            };
            let forecast_due = outlook.is_some_and(|outlook| {
                let lead_buckets = config.lead_seconds / config.bucket_seconds;
                outlook.breach_probability >= config.min_breach_probability
                    && outlook.pessimistic_buckets.is_some_and(|buckets| buckets <= lead_buckets)
            });
            if trigger == Trigger::Forecast && !forecast_due {
                return Action::Wait(Wait::Healthy);
            }
            let request = TopUpRequest {
                balance: view.balance,
                thresholds: view.thresholds,
                reason: TopUpReason::Automatic,
                forecast_band_bps: view.forecast_band_bps,
                automation_remaining: Some(remaining),
                sources: &view.sources,
            };
            match plan_top_up(&request) {
                Ok(plan) => Action::TopUp {
                    forecast: plan.trigger == Trigger::Forecast,
                    amount: plan.total(),
                    shortfall: plan.shortfall,
                },
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
            mode: BalanceMode::Threshold,
            cooldown_seconds: 60,
            period_seconds: 86_400,
            period_cap: 1_000_000,
            moved: RollingWindow::default(),
            forecast_band_bps: 5_000,
            last_automation_at: 0,
            balance,
            destination_allowance: None,
            sources: vec![SourceState {
                priority: 1,
                enabled: true,
                balance: 100_000,
                reserve_floor: 0,
                allowance: None,
                live: true,
                accepts_returns: true,
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
    fn a_venue_destination_is_swept_within_what_it_delegated() {
        let delegated = BalanceView { destination_allowance: Some(1_500), ..view(9_000) };
        assert_eq!(plan(&delegated, None, NOW, &PlannerConfig::default()), Action::Sweep { amount: 1_500 });
        let revoked = BalanceView { destination_allowance: Some(0), ..view(9_000) };
        assert_eq!(plan(&revoked, None, NOW, &PlannerConfig::default()), Action::Wait(Wait::NotSignable));
    }

    #[test]
    fn a_dead_first_source_is_passed_over() {
        let mut dead_first = view(999);
        dead_first
            .sources
            .insert(0, SourceState { live: false, accepts_returns: false, balance: 0, ..dead_first.sources[0] });
        dead_first.sources[1].priority = 2;
        let action = plan(&dead_first, None, NOW, &PlannerConfig::default());
        assert_eq!(action, Action::TopUp { forecast: false, amount: 4_001, shortfall: 0 });
    }

    #[test]
    fn cooldown_cap_disabled_and_empty_sources_wait() {
        let config = PlannerConfig::default();
        let cooling = BalanceView { last_automation_at: NOW - 10, ..view(10) };
        assert_eq!(plan(&cooling, None, NOW, &config), Action::Wait(Wait::CoolingDown { ready_at: NOW + 50 }));
        let mut moved = RollingWindow::default();
        moved.record(1_000_000, NOW - 10, 86_400).unwrap();
        let capped = BalanceView { moved, ..view(10) };
        assert_eq!(plan(&capped, None, NOW, &config), Action::Wait(Wait::CapReached));
        // The cap frees up once the movement has left the rolling period.
        assert_eq!(plan(&capped, None, NOW + 86_400 - 20, &config), Action::Wait(Wait::CapReached));
        assert!(matches!(plan(&capped, None, NOW + 2 * 86_400, &config), Action::TopUp { .. }));
        let disabled = BalanceView { enabled: false, ..view(10) };
        assert_eq!(plan(&disabled, None, NOW, &config), Action::Wait(Wait::Disabled));
        let mut empty = view(10);
        empty.sources[0].balance = 0;
        assert_eq!(plan(&empty, None, NOW, &config), Action::Wait(Wait::NoFunds));
    }

    #[test]
    fn ratio_mode_rebalances_outside_the_band() {
        let mut ratio = view(300);
        ratio.mode = BalanceMode::Ratio { ratio_bps: 4_000, band_bps: 500 };
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
