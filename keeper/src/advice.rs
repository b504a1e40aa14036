//! The planner's next move for one managed balance in an operator's words, and the
//! stress test: the same planner and policy run on the balance after a hypothetical
//! outflow. Pure, like the planner it explains.

use crate::{
    forecast::{breach_outlook, BreachOutlook, FlowForecast, Horizon},
    planner::{plan, Action, BalanceView, PlannerConfig, Wait},
};
use smart_treasury_client::TokenAmount;
use smart_treasury_policy::{ratio_counterpart, BalanceMode};

/// What the keeper would do now, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Advice {
    pub action: Action,
    /// The move in a few words: "Top up 3,000".
    pub headline: String,
    /// Why, with the numbers that decided it.
    pub reason: String,
}

impl Advice {
    /// Whether there is a move to execute (a crank), rather than a reason to wait.
    pub fn is_move(&self) -> bool {
        !matches!(self.action, Action::Wait(_))
    }
}

/// What the planner decides for `view` at `now`, explained.
pub fn advise(
    view: &BalanceView,
    outlook: Option<&BreachOutlook>,
    now: i64,
    config: &PlannerConfig,
    decimals: u8,
) -> Advice {
    explain(view, outlook, plan(view, outlook, now, config), now, config, decimals)
}

/// `action`, as the planner decided it for `view` at `now`, explained.
pub fn explain(
    view: &BalanceView,
    outlook: Option<&BreachOutlook>,
    action: Action,
    now: i64,
    config: &PlannerConfig,
    decimals: u8,
) -> Advice {
    let words = Words { view, outlook, now, config, decimals };
    let (headline, reason) = words.explain(&action);
    Advice { action, headline, reason }
}

/// A managed balance after a hypothetical outflow, and what the keeper would do then.
#[derive(Clone, Debug, PartialEq)]
pub struct StressTest {
    pub outflow: u64,
    pub balance_before: u64,
    pub balance_after: u64,
    pub health_before_bps: u16,
    pub health_after_bps: u16,
    /// The forecast run from the new balance, when there is a forecast.
    pub outlook_after: Option<BreachOutlook>,
    pub advice_before: Advice,
    pub advice_after: Advice,
}

/// Applies `outflow` to the balance now (never below zero) and plans again.
pub fn stress_test(
    view: &BalanceView,
    forecast: Option<&FlowForecast>,
    outflow: u64,
    now: i64,
    config: &PlannerConfig,
    decimals: u8,
) -> StressTest {
    // From the start of the forecast, as far as the lead time.
    let horizon = Horizon { elapsed: 0.0, lead: config.lead_seconds / config.bucket_seconds };
    let outlook_before = forecast.map(|forecast| breach_outlook(view.balance, view.thresholds.min, forecast, &horizon));
    let after = BalanceView { balance: view.balance.saturating_sub(outflow), ..view.clone() };
    let outlook_after =
        forecast.map(|forecast| breach_outlook(after.balance, after.thresholds.min, forecast, &horizon));
    StressTest {
        outflow,
        balance_before: view.balance,
        balance_after: after.balance,
        health_before_bps: view.thresholds.health_bps(view.balance),
        health_after_bps: after.thresholds.health_bps(after.balance),
        advice_before: advise(view, outlook_before.as_ref(), now, config, decimals),
        advice_after: advise(&after, outlook_after.as_ref(), now, config, decimals),
        outlook_after,
    }
}

struct Words<'a> {
    view: &'a BalanceView,
    outlook: Option<&'a BreachOutlook>,
    now: i64,
    config: &'a PlannerConfig,
    decimals: u8,
}

impl Words<'_> {
    fn tokens(&self, base_units: u64) -> String {
        TokenAmount::new(base_units, self.decimals).grouped()
    }

    fn seconds_from_buckets(&self, buckets: f64) -> String {
        span(buckets * self.config.bucket_seconds)
    }

    fn explain(&self, action: &Action) -> (String, String) {
        let view = self.view;
        let balance = self.tokens(view.balance);
        let (min, target, max) =
            (self.tokens(view.thresholds.min), self.tokens(view.thresholds.target), self.tokens(view.thresholds.max));
        match *action {
            Action::Wait(wait) => self.explain_wait(wait),
            Action::TopUp { forecast: false, amount, shortfall } => (
                format!("Top up {}", self.tokens(amount)),
                format!(
                    "The balance {balance} is below min {min}; a top-up restores it to target {target}{}.",
                    self.short(shortfall)
                ),
            ),
            Action::TopUp { forecast: true, amount, shortfall } => (
                format!("Top up {} ahead of a forecast breach", self.tokens(amount)),
                format!(
                    "The balance {balance} is above min {min}, but {}; the top-up brings it to target {target}{}.",
                    self.breach_words(),
                    self.short(shortfall)
                ),
            ),
            Action::Sweep { amount } => (
                format!("Sweep {} back to the first source", self.tokens(amount)),
                format!("The balance {balance} is above max {max}; the excess over target {target} goes back."),
            ),
            Action::Rebalance { to_local, amount } => {
                let headline = if to_local {
                    format!("Move {} from the counterpart to this balance", self.tokens(amount))
                } else {
                    format!("Move {} from this balance to the counterpart", self.tokens(amount))
                };
                (headline, format!("{} Rebalancing moves it back to the target ratio.", self.ratio_words()))
            }
        }
    }

    fn explain_wait(&self, wait: Wait) -> (String, String) {
        let view = self.view;
        let balance = self.tokens(view.balance);
        let min = self.tokens(view.thresholds.min);
        match wait {
            Wait::Disabled => (
                "No move: automation is off".into(),
                "This managed balance is disabled, so keepers leave it alone; enable it to let them act.".into(),
            ),
            Wait::Healthy => {
                let lead_buckets = self.config.lead_seconds / self.config.bucket_seconds;
                let due = self.outlook.is_some_and(|outlook| {
                    outlook.breach_probability >= self.config.min_breach_probability
                        && outlook.pessimistic_buckets.is_some_and(|buckets| buckets <= lead_buckets)
                });
                let ceiling = view.thresholds.forecast_ceiling(view.forecast_band_bps);
                let forecast = match self.outlook {
                    Some(_) if due && view.balance >= ceiling => format!(
                        "{}, but a forecast top-up may start only below {} (min plus {} of the way to target)",
                        self.breach_words(),
                        self.tokens(ceiling),
                        bps(u128::from(view.forecast_band_bps))
                    ),
                    Some(outlook) if outlook.pessimistic_buckets.is_some_and(|buckets| buckets > lead_buckets) => {
                        format!(
                            "{}: later than the {} ahead the keeper acts",
                            self.breach_words(),
                            span(self.config.lead_seconds)
                        )
                    }
                    Some(outlook) if outlook.pessimistic_buckets.is_some() => format!(
                        "{}: less likely than the {:.0}% the keeper acts on",
                        self.breach_words(),
                        self.config.min_breach_probability * 100.0
                    ),
                    Some(_) => "no breach is forecast within the horizon".into(),
                    None => "there is no forecast yet".into(),
                };
                ("No move needed".into(), format!("The balance {balance} is at or above min {min} and {forecast}."))
            }
            Wait::CoolingDown { ready_at } => (
                "Wait: cooling down".into(),
                format!(
                    "The last automatic move was less than the cooldown of {} ago; the next is allowed in {}.",
                    span(f64::from(view.cooldown_seconds)),
                    span(ready_at.saturating_sub(self.now) as f64)
                ),
            ),
            Wait::CapReached => (
                "Wait: the period's cap is used up".into(),
                format!(
                    "Automation already moved its cap of {} in the last {}; more frees up in {}.",
                    self.tokens(view.period_cap),
                    span(f64::from(view.period_seconds)),
                    span(view.moved.frees_up_at(self.now, view.period_seconds).map_or(0, |at| at - self.now) as f64)
                ),
            ),
            Wait::NotSignable => (
                "Cannot move: the destination gives nothing back".into(),
                format!(
                    "The balance {balance} is above its band, but the venue's owner delegated nothing (left) to its \
                     pool; ask the owner to approve the pool again."
                ),
            ),
            Wait::NoFunds => (
                "Cannot move: no source has anything to give".into(),
                format!(
                    "The balance {balance} needs a move, but every enabled source is at its reserve floor or out of \
                     allowance; fund a source, raise a venue's allowance or link another source."
                ),
            ),
            Wait::WithinBand => ("No move: inside the drift band".into(), self.ratio_words()),
        }
    }

    fn short(&self, shortfall: u64) -> String {
        if shortfall == 0 {
            String::new()
        } else {
            format!(" as far as the sources allow: they are {} short", self.tokens(shortfall))
        }
    }

    fn breach_words(&self) -> String {
        match self.outlook {
            Some(BreachOutlook { pessimistic_buckets: Some(buckets), breach_probability, .. }) => format!(
                "the forecast puts it below min in {} at worst ({:.0}% likely within {})",
                self.seconds_from_buckets(*buckets),
                breach_probability * 100.0,
                span(self.config.lead_seconds)
            ),
            _ => "a breach is forecast".into(),
        }
    }

    fn ratio_words(&self) -> String {
        let view = self.view;
        let BalanceMode::Ratio { ratio_bps, band_bps } = view.mode else {
            return String::new();
        };
        let counterpart = ratio_counterpart(&view.sources).map_or(0, |index| view.sources[index].balance);
        let total = u128::from(view.balance) + u128::from(counterpart);
        let share_bps = (u128::from(view.balance) * 10_000).checked_div(total).unwrap_or(0);
        format!(
            "The local share is {} of the combined {}, against a target of {} with a drift band of ±{}.",
            bps(share_bps),
            TokenAmount::new(u64::try_from(total).unwrap_or(u64::MAX), self.decimals).grouped(),
            bps(u128::from(ratio_bps)),
            bps(u128::from(band_bps))
        )
    }
}

/// `40%`, `4.5%`.
fn bps(value: u128) -> String {
    let fraction = format!("{:02}", value % 100);
    match fraction.trim_end_matches('0') {
        "" => format!("{}%", value / 100),
        digits => format!("{}.{digits}%", value / 100),
    }
}

/// `45 s`, `12 min`, `3 h 20 min`, `2 d 4 h`.
fn span(seconds: f64) -> String {
    let seconds = seconds.max(0.0).round() as u64;
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3_600 => format!("{} min", seconds / 60),
        3_600..86_400 => with_rest(seconds / 3_600, "h", seconds % 3_600 / 60, "min"),
        _ => with_rest(seconds / 86_400, "d", seconds % 86_400 / 3_600, "h"),
    }
}

/// `3 h 20 min`, or `2 h` when the rest is 0.
fn with_rest(whole: u64, unit: &str, rest: u64, rest_unit: &str) -> String {
    if rest == 0 {
        format!("{whole} {unit}")
    } else {
        format!("{whole} {unit} {rest} {rest_unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::{forecast_net_flow, ForecastConfig, Method};
    use smart_treasury_policy::{RollingWindow, SourceState, Thresholds};

    const UNIT: u64 = 1_000_000;

    fn view(balance: u64) -> BalanceView {
        BalanceView {
            thresholds: Thresholds { min: 2_000 * UNIT, target: 5_000 * UNIT, max: 8_000 * UNIT },
            enabled: true,
            mode: BalanceMode::Threshold,
            cooldown_seconds: 30,
            period_seconds: 86_400,
            period_cap: 50_000 * UNIT,
            moved: RollingWindow::default(),
            forecast_band_bps: 5_000,
            last_automation_at: 0,
            balance,
            destination_allowance: None,
            sources: vec![SourceState {
                priority: 1,
                enabled: true,
                balance: 1_000_000 * UNIT,
                reserve_floor: 100_000 * UNIT,
                allowance: None,
                live: true,
                accepts_returns: true,
            }],
        }
    }

    /// A forecast from ten buckets of outflow alternating 50 and 150 tokens: mean 100,
    /// pessimistic (95%) about 203 a bucket.
    fn uneven_outflow() -> FlowForecast {
        let history: Vec<f64> = (0..10).map(|i| if i % 2 == 0 { -50.0 } else { -150.0 } * UNIT as f64).collect();
        let forecast = forecast_net_flow(&history, &ForecastConfig::default());
        assert_eq!(forecast.method, Method::Mean);
        forecast
    }

    #[test]
    fn a_breached_balance_is_topped_up_to_target() {
        let advice = advise(&view(1_500 * UNIT), None, 1_000, &PlannerConfig::default(), 6);
        assert_eq!(advice.action, Action::TopUp { forecast: false, amount: 3_500 * UNIT, shortfall: 0 });
        assert_eq!(advice.headline, "Top up 3,500");
        assert_eq!(advice.reason, "The balance 1,500 is below min 2,000; a top-up restores it to target 5,000.");
        assert!(advice.is_move());
    }

    #[test]
    fn waiting_says_why() {
        let config = PlannerConfig::default();
        let healthy = advise(&view(4_000 * UNIT), None, 1_000, &config, 6);
        assert_eq!(healthy.action, Action::Wait(Wait::Healthy));
        assert!(healthy.reason.contains("there is no forecast yet"), "{}", healthy.reason);
        assert!(!healthy.is_move());

        let cooling = BalanceView { last_automation_at: 990, ..view(1_500 * UNIT) };
        let advice = advise(&cooling, None, 1_000, &config, 6);
        assert_eq!(advice.headline, "Wait: cooling down");
        assert!(advice.reason.contains("next is allowed in 20 s"), "{}", advice.reason);

        let disabled = BalanceView { enabled: false, ..view(0) };
        assert_eq!(advise(&disabled, None, 1_000, &config, 6).headline, "No move: automation is off");

        let mut dry = view(1_500 * UNIT);
        dry.sources[0].balance = dry.sources[0].reserve_floor;
        assert_eq!(advise(&dry, None, 1_000, &config, 6).action, Action::Wait(Wait::NoFunds));
    }

    #[test]
    fn the_stress_test_runs_the_same_planner_on_the_lower_balance() {
        let config = PlannerConfig { bucket_seconds: 3_600.0, lead_seconds: 7_200.0, min_breach_probability: 0.5 };
        let forecast = uneven_outflow();
        let result = stress_test(&view(4_500 * UNIT), Some(&forecast), 2_000 * UNIT, 1_000, &config, 6);
        assert_eq!((result.balance_before, result.balance_after), (4_500 * UNIT, 2_500 * UNIT));
        assert_eq!((result.health_before_bps, result.health_after_bps), (10_000, 6_250));
        assert_eq!(result.advice_before.action, Action::Wait(Wait::Healthy));
        // 2,500 falls under 2,000 in ~2.5 h at worst: beyond the 2 h lead, so still a wait.
        assert_eq!(result.advice_after.action, Action::Wait(Wait::Healthy));
        assert_eq!(
            result.advice_after.reason,
            "The balance 2,500 is at or above min 2,000 and the forecast puts it below min in 2 h 13 min at worst \
             (0% likely within 2 h): later than the 2 h ahead the keeper acts."
        );

        let deeper = stress_test(&view(4_500 * UNIT), Some(&forecast), 2_300 * UNIT, 1_000, &config, 6);
        // 2,200 is under the forecast ceiling (3,500) and breaches within the hour: a forecast top-up.
        assert_eq!(deeper.advice_after.action, Action::TopUp { forecast: true, amount: 2_800 * UNIT, shortfall: 0 });
        // Within the 2 h lead the expected path (100 an hour) just reaches min: even odds.
        assert!(deeper.outlook_after.as_ref().unwrap().breach_probability >= 0.5);

        let run = stress_test(&view(4_500 * UNIT), None, 9_000 * UNIT, 1_000, &config, 6);
        assert_eq!((run.balance_after, run.health_after_bps), (0, 0));
        assert_eq!(run.advice_after.action, Action::TopUp { forecast: false, amount: 5_000 * UNIT, shortfall: 0 });
    }

    #[test]
    fn a_due_forecast_above_the_band_waits_for_the_band() {
        let config = PlannerConfig { bucket_seconds: 3_600.0, lead_seconds: 7_200.0, min_breach_probability: 0.5 };
        // Min 3,400 is about an hour away at worst, but a 10% band lets a forecast
        // top-up start only below 3,560.
        let mut near = view(3_600 * UNIT);
        near.thresholds.min = 3_400 * UNIT;
        near.forecast_band_bps = 1_000;
        let advice = stress_test(&near, Some(&uneven_outflow()), 0, 1_000, &config, 6).advice_after;
        assert_eq!(advice.action, Action::Wait(Wait::Healthy));
        assert!(
            advice
                .reason
                .ends_with("but a forecast top-up may start only below 3,560 (min plus 10% of the way to target)."),
            "{}",
            advice.reason
        );
    }

    #[test]
    fn ratio_mode_speaks_in_shares() {
        let mut ratio = view(300 * UNIT);
        ratio.mode = BalanceMode::Ratio { ratio_bps: 4_000, band_bps: 500 };
        ratio.thresholds = Thresholds { min: 0, target: 1, max: 1_000_000 * UNIT };
        ratio.sources[0] = SourceState { balance: 700 * UNIT, reserve_floor: 0, ..ratio.sources[0] };
        let advice = advise(&ratio, None, 1_000, &PlannerConfig::default(), 6);
        assert_eq!(advice.action, Action::Rebalance { to_local: true, amount: 100 * UNIT });
        assert_eq!(advice.headline, "Move 100 from the counterpart to this balance");
        assert!(
            advice.reason.starts_with(
                "The local share is 30% of the combined 1,000, against a target of 40% with a drift band of ±5%."
            ),
            "{}",
            advice.reason
        );
    }

    #[test]
    fn words_for_numbers() {
        assert_eq!(bps(4_000), "40%");
        assert_eq!(bps(450), "4.5%");
        assert_eq!(bps(1), "0.01%");
        assert_eq!(span(45.0), "45 s");
        assert_eq!(span(12_000.0), "3 h 20 min");
        assert_eq!(span(187_200.0), "2 d 4 h");
        assert_eq!(span(7_200.0), "2 h");
    }
}
