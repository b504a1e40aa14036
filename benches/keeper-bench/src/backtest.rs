//! A year of one hot wallet in one-minute steps, with no RPC: withdrawals drain it, a
//! keeper decides with the keeper's own planner, and its cranks land a few minutes later
//! where the program's rules (cooldown, rolling per-period cap, forecast band: the
//! policy crate's, the program's own) decide what actually moves.
//!
//! The forecast-driven keeper mirrors the service's cycle: one forecast per hourly bucket
//! from the last four weeks of recorded organic flow (withdrawals actually paid), the
//! breach outlook from the live balance, the planner on both. The threshold-only keeper
//! plans without an outlook.

use crate::workload::{Withdrawal, WorkloadModel};
use smart_treasury_keeper::{
    config::ExecutorConfig,
    fees::{compute_unit_limit, priority_fee, total_fee},
    forecast::{breach_outlook, forecast_net_flow, FlowForecast, ForecastConfig, Horizon},
    planner::{plan, Action, BalanceView, PlannerConfig},
};
use smart_treasury_policy::{
    check_cooldown, plan_sweep, plan_top_up, BalanceMode, PolicyError, RollingWindow, SourceState, SweepRequest,
    Thresholds, TopUpReason, TopUpRequest, Trigger,
};
use std::{collections::VecDeque, time::Instant};

pub const MINUTE: u64 = 60;
pub const HOUR: u64 = 3_600;

/// What the program is configured with, and how the keeper and network behave.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub thresholds: Thresholds,
    /// The balance the operator needs kept: minutes below it are counted. Usually
    /// `thresholds.min`; a control that raises `min` on chain still counts against this.
    pub floor: u64,
    pub cooldown_seconds: u32,
    pub period_seconds: u32,
    pub period_cap: u64,
    pub forecast_band_bps: u16,
    /// The one funding source: a pool vault.
    pub reserve: u64,
    pub reserve_floor: u64,
    /// From the keeper's decision to the crank landing, in whole minutes.
    pub delay_minutes: u64,
    pub planner: PlannerConfig,
    pub forecast: ForecastConfig,
    /// Buckets of history the forecaster is given (the service reads four weeks).
    pub history_buckets: usize,
    pub fees: FeeSettings,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeeSettings {
    pub lamports_per_signature: u64,
    /// What simulation reports a one-source top-up consuming.
    pub simulated_units: u64,
    pub executor: ExecutorConfig,
    pub market: FeeMarket,
}

/// Recent prioritization fees as `getRecentPrioritizationFees` would return them (one value
/// per recent slot, micro-lamports per compute unit): a share of slots at zero, the rest
/// log-normal around a median that is higher in the afternoon (UTC) and ten times higher
/// in congested hours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeeMarket {
    pub seed: u64,
    pub slots: usize,
    pub zero_share: f64,
    pub median: f64,
    pub sigma: f64,
    pub congested_share: f64,
}

impl Default for FeeMarket {
    fn default() -> Self {
        Self { seed: 7, slots: 150, zero_share: 0.5, median: 10_000.0, sigma: 1.0, congested_share: 0.05 }
    }
}

/// splitmix64: a deterministic stream per key, so each decision sees the same market in
/// every run.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, key: u64) -> Self {
        let mut rng = Self(seed ^ key.wrapping_mul(0xD134_2543_DE82_EF95));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

impl FeeMarket {
    pub fn recent(&self, now: u64) -> Vec<u64> {
        let hour = now / HOUR;
        let congested = Rng::new(self.seed, hour).unit() < self.congested_share;
        let hour_of_day = (hour % 24) as f64;
        let daily = 1.0 + 0.5 * (std::f64::consts::TAU * (hour_of_day - 15.0) / 24.0).cos();
        let median = self.median * daily * if congested { 10.0 } else { 1.0 };
        let mut rng = Rng::new(self.seed ^ 0xFEE, now);
        (0..self.slots)
            .map(|_| {
                if rng.unit() < self.zero_share {
                    0
                } else {
                    (median * (self.sigma * rng.normal()).exp()).round() as u64
                }
            })
            .collect()
    }
}

impl FeeSettings {
    /// The fee the executor would pay for a crank decided at `now`: compute-unit limit
    /// from simulation, priority fee from recent fees, plus the signature fee.
    pub fn crank_fee(&self, now: u64) -> u64 {
        let limit = compute_unit_limit(self.simulated_units + 300, self.executor.compute_unit_margin);
        let price = priority_fee(
            &self.market.recent(now),
            self.executor.priority_fee_percentile,
            self.executor.max_priority_fee_micro_lamports,
        );
        total_fee(1, self.lamports_per_signature, limit, price)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    ThresholdOnly,
    Forecast,
}

/// The program's state for the managed balance and its source.
#[derive(Clone, Debug)]
struct Chain {
    balance: u64,
    reserve: SourceState,
    moved: RollingWindow,
    last_automation_at: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Crank {
    /// The balance decides threshold or forecast when it lands.
    TopUp,
    Sweep,
}

/// What a landed crank did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Landed {
    moved: u64,
    shortfall: u64,
    /// Threshold or forecast for a top-up; `None` for a sweep.
    trigger: Option<Trigger>,
}

/// Why the program refused a crank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Cooldown,
    Policy(PolicyError),
}

impl Chain {
    fn view(&self, settings: &Settings) -> BalanceView {
        BalanceView {
            thresholds: settings.thresholds,
            enabled: true,
            mode: BalanceMode::Threshold,
            cooldown_seconds: settings.cooldown_seconds,
            period_seconds: settings.period_seconds,
            period_cap: settings.period_cap,
            moved: self.moved,
            forecast_band_bps: settings.forecast_band_bps,
            last_automation_at: self.last_automation_at,
            balance: self.balance,
            destination_allowance: None,
            sources: vec![self.reserve],
        }
    }

    /// The program's crank at `now`, as its handlers run it: cooldown and the rolling
    /// cap, then the shared policy on the live balances (the policy's rules, not copies).
    /// A refusal changes nothing (the transaction fails whole).
    fn execute(&mut self, settings: &Settings, crank: Crank, now: i64) -> Result<Landed, Refusal> {
        check_cooldown(self.last_automation_at, settings.cooldown_seconds, now).map_err(|_| Refusal::Cooldown)?;
        let remaining = self.moved.remaining(now, settings.period_seconds, settings.period_cap);
        let sources = [self.reserve];
        let landed = match crank {
            Crank::TopUp => {
                let plan = plan_top_up(&TopUpRequest {
                    balance: self.balance,
                    thresholds: settings.thresholds,
                    reason: TopUpReason::Automatic,
                    forecast_band_bps: settings.forecast_band_bps,
                    automation_remaining: Some(remaining),
                    sources: &sources,
                })
                .map_err(Refusal::Policy)?;
                Landed { moved: plan.total(), shortfall: plan.shortfall, trigger: Some(plan.trigger) }
            }
            Crank::Sweep => {
                let plan = plan_sweep(&SweepRequest {
                    balance: self.balance,
                    thresholds: settings.thresholds,
                    automation_remaining: remaining,
                    destination_allowance: None,
                    sources: &sources,
                })
                .map_err(Refusal::Policy)?;
                Landed { moved: plan.amount, shortfall: 0, trigger: None }
            }
        };
        if landed.trigger.is_some() {
            self.reserve.balance -= landed.moved;
            self.balance += landed.moved;
        } else {
            self.balance -= landed.moved;
            self.reserve.balance += landed.moved;
        }
        self.moved.record(landed.moved, now, settings.period_seconds).map_err(Refusal::Policy)?;
        self.last_automation_at = now;
        Ok(landed)
    }
}

/// The withdrawals of the simulated year and the organic flow recorded before it.
pub struct Flow {
    /// Simulated seconds (the workload model's clock) where the year starts; a whole hour.
    pub start: u64,
    pub minutes: u64,
    /// Every withdrawal asked for in the year, in time order.
    pub withdrawals: Vec<Withdrawal>,
    /// Net organic flow per hour before `start`, oldest first (the keeper's history).
    pub warmup: Vec<f64>,
    /// Days of the year with a bank run.
    pub bank_run_days: usize,
}

impl Flow {
    /// `days` of withdrawals from `model`, after `warmup_days` of recorded history.
    pub fn from_model(model: &WorkloadModel, warmup_days: u64, days: u64) -> Self {
        let day = crate::workload::DAY_SECONDS;
        let start = warmup_days * day;
        let warmup = crate::datasets::hourly_net_flow(model, 0, (warmup_days * 24) as usize);
        Self {
            start,
            minutes: days * day / MINUTE,
            withdrawals: model.withdrawals(start, start + days * day),
            warmup,
            bank_run_days: (warmup_days..warmup_days + days).filter(|d| model.burst(*d).is_some()).count(),
        }
    }
}

/// What one strategy did over the year.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub minutes: u64,
    /// Minutes that ended below `Settings::floor`.
    pub minutes_below_min: u64,
    /// Minutes that ended with a payout waiting: the wallet could not pay it.
    pub minutes_waiting: u64,
    pub payouts: u64,
    /// Payouts not paid in the minute they were asked for.
    pub payouts_delayed: u64,
    pub delayed_amount: u64,
    pub longest_wait_seconds: u64,
    pub lowest_balance: u64,
    /// The balance at the end of each minute, summed (for the mean: capital held idle).
    pub balance_sum: u128,
    /// Balance when each top-up was decided, summed (for the mean).
    pub decided_balance_sum: u64,
    pub threshold_top_ups: u64,
    pub forecast_top_ups: u64,
    pub sweeps: u64,
    /// Cranks the executor's simulation refused: never sent, no fee.
    pub refused_in_simulation: u64,
    /// Cranks that landed and failed (the state moved on while in flight): fee paid.
    pub failed_on_chain: u64,
    pub moved: u64,
    pub shortfall_events: u64,
    pub fees_lamports: u64,
    pub forecasts: u64,
    pub forecast_seconds: f64,
}

impl Outcome {
    pub fn transfers(&self) -> u64 {
        self.threshold_top_ups + self.forecast_top_ups + self.sweeps
    }

    /// Mean balance at the end of a minute.
    pub fn mean_balance(&self) -> u64 {
        u64::try_from(self.balance_sum.checked_div(u128::from(self.minutes)).unwrap_or(0)).unwrap_or(u64::MAX)
    }

    /// Mean balance at which the landed-or-failed cranks were decided.
    pub fn mean_decided_balance(&self) -> u64 {
        self.decided_balance_sum.checked_div(self.transfers() + self.failed_on_chain).unwrap_or(0)
    }
}

struct InFlight {
    lands_at: u64,
    crank: Crank,
    fee: u64,
}

/// The forecast for the current bucket, made once per bucket as the service does.
struct Forecaster<'a> {
    settings: &'a Settings,
    made_for: Option<u64>,
    forecast: Option<FlowForecast>,
}

impl Forecaster<'_> {
    fn for_bucket(&mut self, bucket: u64, history: &[f64], outcome: &mut Outcome) -> &FlowForecast {
        if self.made_for != Some(bucket) {
            let from = history.len().saturating_sub(self.settings.history_buckets);
            let window = &history[from..];
            // As the service does: buckets before the first recorded flow are not history.
            let first = window.iter().position(|flow| *flow != 0.0).unwrap_or(window.len());
            let started = Instant::now();
            self.forecast = Some(forecast_net_flow(&window[first..], &self.settings.forecast));
            outcome.forecast_seconds += started.elapsed().as_secs_f64();
            outcome.forecasts += 1;
            self.made_for = Some(bucket);
        }
        self.forecast.as_ref().expect("made above")
    }
}

/// The outlook changes the plan only when a forecast top-up is possible at all: the
/// cooldown is over and the balance sits inside the forecast band, not yet below `min`.
/// Skipping the forecast elsewhere saves time and changes no decision.
fn outlook_can_matter(view: &BalanceView, now: i64) -> bool {
    let ceiling = view.thresholds.forecast_ceiling(view.forecast_band_bps);
    now >= view.ready_at() && view.balance >= view.thresholds.min && view.balance < ceiling
}

/// Runs one strategy over `flow`.
pub fn simulate(flow: &Flow, settings: &Settings, strategy: Strategy) -> Outcome {
    let mut chain = Chain {
        balance: settings.thresholds.target,
        reserve: SourceState {
            priority: 1,
            enabled: true,
            balance: settings.reserve,
            reserve_floor: settings.reserve_floor,
            allowance: None,
            live: true,
            accepts_returns: true,
        },
        moved: RollingWindow::default(),
        last_automation_at: 0,
    };
    let mut outcome = Outcome { lowest_balance: chain.balance, ..Outcome::default() };
    let mut history = flow.warmup.clone();
    let mut forecaster = Forecaster { settings, made_for: None, forecast: None };
    let mut queue: VecDeque<Withdrawal> = VecDeque::new();
    let mut next_withdrawal = 0;
    let mut paid_this_hour = 0u64;
    let mut in_flight: Option<InFlight> = None;
    let min = settings.thresholds.min;
    let floor = settings.floor;

    for minute in 0..flow.minutes {
        let t = flow.start + minute * MINUTE;
        if let Some(crank) = in_flight.take_if(|crank| crank.lands_at <= t) {
            outcome.fees_lamports += crank.fee;
            match chain.execute(settings, crank.crank, t as i64) {
                Ok(landed) => {
                    outcome.moved += landed.moved;
                    outcome.shortfall_events += u64::from(landed.shortfall > 0);
                    match landed.trigger {
                        Some(Trigger::Forecast) => outcome.forecast_top_ups += 1,
                        Some(_) => outcome.threshold_top_ups += 1,
                        None => outcome.sweeps += 1,
                    }
                }
                Err(_) => outcome.failed_on_chain += 1,
            }
        }

        // Payouts in arrival order; one that does not fit waits, and so does everything
        // behind it.
        while let Some(withdrawal) = flow.withdrawals.get(next_withdrawal).filter(|w| w.at < t + MINUTE) {
            queue.push_back(*withdrawal);
            outcome.payouts += 1;
            next_withdrawal += 1;
        }
        while let Some(front) = queue.front().filter(|w| w.amount <= chain.balance) {
            chain.balance -= front.amount;
            paid_this_hour += front.amount;
            if front.at < t {
                outcome.payouts_delayed += 1;
                outcome.delayed_amount += front.amount;
                outcome.longest_wait_seconds = outcome.longest_wait_seconds.max(t - front.at);
            }
            queue.pop_front();
        }
        outcome.minutes += 1;
        outcome.minutes_below_min += u64::from(chain.balance < floor);
        outcome.minutes_waiting += u64::from(!queue.is_empty());
        outcome.lowest_balance = outcome.lowest_balance.min(chain.balance);
        outcome.balance_sum += u128::from(chain.balance);

        let now = t + MINUTE;
        if now.is_multiple_of(HOUR) {
            history.push(-(paid_this_hour as f64));
            paid_this_hour = 0;
        }
        if in_flight.is_some() {
            continue;
        }
        let view = chain.view(settings);
        let outlook = match strategy {
            Strategy::Forecast if outlook_can_matter(&view, now as i64) => {
                let forecast = forecaster.for_bucket(now / HOUR, &history, &mut outcome);
                // The forecast is for the hour under way; part of it is already past.
                let horizon = Horizon::at(now as i64, HOUR as i64, (now / HOUR) as i64, settings.planner.lead_seconds);
                Some(breach_outlook(view.balance, min, forecast, &horizon))
            }
            _ => None,
        };
        let crank = match plan(&view, outlook.as_ref(), now as i64, &settings.planner) {
            Action::TopUp { .. } => Crank::TopUp,
            Action::Sweep { .. } => Crank::Sweep,
            Action::Rebalance { .. } | Action::Wait(_) => continue,
        };
        // The executor simulates first: a crank the program would refuse now is not sent.
        if chain.clone().execute(settings, crank, now as i64).is_err() {
            outcome.refused_in_simulation += 1;
            continue;
        }
        let fee = settings.fees.crank_fee(now);
        outcome.decided_balance_sum += chain.balance;
        in_flight = Some(InFlight { lands_at: now + settings.delay_minutes * MINUTE, crank, fee });
    }
    // Payouts still waiting when the year ends were never paid in it.
    outcome.payouts_delayed += queue.len() as u64;
    outcome.delayed_amount += queue.iter().map(|w| w.amount).sum::<u64>();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(delay_minutes: u64) -> Settings {
        Settings {
            thresholds: Thresholds { min: 1_000, target: 5_000, max: 8_000 },
            floor: 1_000,
            cooldown_seconds: 600,
            period_seconds: 86_400,
            period_cap: 1_000_000,
            forecast_band_bps: 5_000,
            reserve: 1_000_000,
            reserve_floor: 0,
            delay_minutes,
            planner: PlannerConfig::default(),
            forecast: ForecastConfig::default(),
            history_buckets: 672,
            fees: FeeSettings {
                lamports_per_signature: 5_000,
                simulated_units: 30_000,
                executor: ExecutorConfig::default(),
                market: FeeMarket { zero_share: 1.0, ..FeeMarket::default() },
            },
        }
    }

    /// A steady 100 a minute for `minutes`, no history.
    fn steady(minutes: u64) -> Flow {
        Flow {
            start: 0,
            minutes,
            withdrawals: (0..minutes).map(|m| Withdrawal { at: m * MINUTE, amount: 100 }).collect(),
            warmup: Vec::new(),
            bank_run_days: 0,
        }
    }

    #[test]
    fn a_breach_is_refilled_after_the_delay() {
        // 5,000 - 100 a minute: 900 at the end of minute 40; the top-up decided then lands
        // at the start of minute 44, so minutes 40 to 43 end below min.
        let outcome = simulate(&steady(60), &settings(3), Strategy::ThresholdOnly);
        assert_eq!(outcome.threshold_top_ups, 1);
        assert_eq!(outcome.minutes_below_min, 4);
        // It lands on 600 and refills to 5,000.
        assert_eq!(outcome.moved, 4_400);
        assert_eq!(outcome.minutes_waiting, 0);
        // Minute ends: 4,900 down to 600 (minutes 0 to 43, 121,000 in all), then 4,900
        // down to 3,400 after the refill (minutes 44 to 59, 66,400).
        assert_eq!(outcome.mean_balance(), 187_400 / 60);
        // Signature fee only: the market has no priority fees.
        assert_eq!(outcome.fees_lamports, 5_000);
    }

    #[test]
    fn a_slow_keeper_leaves_payouts_waiting() {
        // Landing 15 minutes after the breach: the balance runs out after 9 of them.
        let outcome = simulate(&steady(60), &settings(15), Strategy::ThresholdOnly);
        assert!(outcome.minutes_waiting > 0 && outcome.payouts_delayed > 0);
        assert_eq!(outcome.lowest_balance, 0);
        assert_eq!(outcome.threshold_top_ups, 1);
    }

    #[test]
    fn the_per_period_cap_stops_top_ups() {
        let capped = Settings { period_cap: 4_000, ..settings(1) };
        let outcome = simulate(&steady(60 * 3), &capped, Strategy::ThresholdOnly);
        // The first top-up takes the whole cap; nothing more moves within the day.
        assert_eq!(outcome.moved, 4_000);
        assert!(outcome.minutes_waiting > 60);
    }

    #[test]
    fn the_program_refuses_inside_the_cooldown_and_outside_the_band() {
        let settings = settings(1);
        let mut chain = Chain {
            balance: 900,
            reserve: SourceState {
                priority: 1,
                enabled: true,
                balance: 10_000,
                reserve_floor: 0,
                allowance: None,
                live: true,
                accepts_returns: true,
            },
            moved: RollingWindow::default(),
            last_automation_at: 1_000,
        };
        assert_eq!(chain.execute(&settings, Crank::TopUp, 1_500), Err(Refusal::Cooldown));
        let landed = Landed { moved: 4_100, shortfall: 0, trigger: Some(Trigger::Threshold) };
        assert_eq!(chain.execute(&settings, Crank::TopUp, 1_600), Ok(landed));
        // Ceiling 1,000 + 50% of 4,000 = 3,000: at 5,000 no top-up is allowed.
        assert_eq!(
            chain.execute(&settings, Crank::TopUp, 9_999),
            Err(Refusal::Policy(PolicyError::OutsideForecastBand))
        );
        assert_eq!(chain.balance, 5_000);
    }

    #[test]
    fn the_fee_is_the_signature_plus_the_priority_bid() {
        let fees = FeeSettings {
            lamports_per_signature: 5_000,
            simulated_units: 30_000,
            executor: ExecutorConfig::default(),
            market: FeeMarket::default(),
        };
        let fee = fees.crank_fee(123 * HOUR);
        // Limit (30,000 + 300) * 1.2 = 36,360 units at a positive 75th-percentile bid.
        assert!(fee > 5_000 && fee < 5_000 + 36_360, "{fee}");
        assert_eq!(fee, fees.crank_fee(123 * HOUR));
    }
}
