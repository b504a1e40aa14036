//! Property tests of the planners through the public API only.

use proptest::{
    collection::vec,
    option,
    prelude::*,
    sample::{select, subsequence},
};
use smart_treasury_policy::{
    automatic_trigger, plan_ratio_rebalance, plan_sweep, plan_top_up, Leg, PolicyError, RatioMove, RatioRequest,
    RollingWindow, SourceState, SweepRequest, Thresholds, TopUpReason, TopUpRequest, Trigger, MAX_SOURCES,
};

const UNLIMITED: SourceState = SourceState {
    priority: 1,
    enabled: true,
    balance: u64::MAX,
    reserve_floor: 0,
    allowance: None,
    live: true,
    accepts_returns: true,
};

/// Small values make ties (balance == min, available == needed) likely; the top
/// of the range catches overflow.
fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 0..=1_000u64,
        3 => 0..=u64::MAX / 4,
        1 => u64::MAX - 1_000..=u64::MAX,
    ]
}

/// A random amount or one within 2 of an anchor, so that boundary ties are hit.
fn near(anchors: Vec<u64>) -> impl Strategy<Value = u64> {
    prop_oneof![amount(), (select(anchors), -2i64..=2).prop_map(|(anchor, d)| anchor.saturating_add_signed(d))]
}

fn thresholds() -> impl Strategy<Value = Thresholds> {
    [amount(), amount(), amount()].prop_map(|mut v| {
        v.sort_unstable();
        Thresholds { min: v[0], target: v[1], max: v[2].max(1) }
    })
}

/// Up to `MAX_SOURCES` sources with unique priorities in random (not sorted) order,
/// so the planners have to sort them themselves. Biased towards enabled sources
/// without a floor so that plans with several legs are common.
fn sources() -> impl Strategy<Value = Vec<SourceState>> {
    let priorities = subsequence((1..=255u8).collect::<Vec<_>>(), 0..=MAX_SOURCES).prop_shuffle();
    let floor = prop_oneof![Just(0), amount()];
    let fields = vec(
        (prop::bool::weighted(0.8), amount(), floor, option::of(amount()), prop::bool::weighted(0.9), any::<bool>()),
        MAX_SOURCES,
    );
    (priorities, fields).prop_map(|(priorities, fields)| {
        priorities
            .into_iter()
            .zip(fields)
            .map(|(priority, (enabled, balance, reserve_floor, allowance, live, returns))| SourceState {
                priority,
                enabled,
                balance,
                reserve_floor,
                allowance,
                live,
                accepts_returns: live && returns,
            })
            .collect()
    })
}

#[derive(Clone, Debug)]
struct TopUpCase {
    balance: u64,
    thresholds: Thresholds,
    reason: TopUpReason,
    forecast_band_bps: u16,
    automation_remaining: Option<u64>,
    sources: Vec<SourceState>,
}

impl TopUpCase {
    fn request(&self) -> TopUpRequest<'_> {
        self.with_sources(&self.sources)
    }

    fn with_sources<'a>(&self, sources: &'a [SourceState]) -> TopUpRequest<'a> {
        TopUpRequest {
            balance: self.balance,
            thresholds: self.thresholds,
            reason: self.reason,
            forecast_band_bps: self.forecast_band_bps,
            automation_remaining: self.automation_remaining,
            sources,
        }
    }
}

fn top_up_case() -> impl Strategy<Value = TopUpCase> {
    let reason =
        prop_oneof![2 => Just(TopUpReason::Automatic), 1 => amount().prop_map(|amount| TopUpReason::Manual { amount })];
    // A spent cap is rare among random amounts, yet it must gate the plan.
    let automation_remaining = option::of(prop_oneof![1 => Just(0), 9 => amount()]);
    let balance = (thresholds(), 0..=10_000u16)
        .prop_flat_map(|(t, band)| (near(vec![t.min, t.forecast_ceiling(band), t.target, t.max]), Just(t), Just(band)));
    (balance, reason, automation_remaining, sources()).prop_map(
        |((balance, thresholds, forecast_band_bps), reason, automation_remaining, sources)| TopUpCase {
            balance,
            thresholds,
            reason,
            forecast_band_bps,
            automation_remaining,
            sources,
        },
    )
}

/// Summed in u128: several near-`u64::MAX` sources would overflow u64.
fn total_available(sources: &[SourceState]) -> u128 {
    sources.iter().map(|s| u128::from(s.available())).sum()
}

fn drawn_from(legs: &[Leg], index: usize) -> u64 {
    legs.iter().filter(|leg| leg.source_index == index).map(|leg| leg.amount).sum()
}

fn ratio_case() -> impl Strategy<Value = RatioRequest> {
    let counterpart = (any::<bool>(), amount(), amount(), option::of(amount()), prop::bool::weighted(0.8)).prop_map(
        |(enabled, balance, reserve_floor, allowance, accepts_returns)| SourceState {
            priority: 1,
            enabled,
            balance,
            reserve_floor,
            allowance,
            live: true,
            accepts_returns,
        },
    );
    // A narrow band keeps most cases outside it, so the move branches get exercised;
    // a zero band makes the exact-target tie matter.
    let band_bps = prop_oneof![1 => Just(0), 4 => 0..=2_000u16];
    (counterpart, 1..10_000u16, band_bps, thresholds(), amount(), option::of(amount()))
        .prop_flat_map(|(counterpart, ratio_bps, band_bps, thresholds, automation_remaining, local_allowance)| {
            // The local balance that sits exactly on the target ratio for this counterpart.
            let on_target = u128::from(counterpart.balance) * u128::from(ratio_bps) / u128::from(10_000 - ratio_bps);
            let on_target = u64::try_from(on_target).unwrap_or(u64::MAX);
            let local = near(vec![on_target, thresholds.min, thresholds.max]);
            let request = RatioRequest {
                local: 0,
                local_allowance,
                counterpart,
                ratio_bps,
                band_bps,
                thresholds,
                automation_remaining,
            };
            (local, Just(request))
        })
        .prop_map(|(local, request)| RatioRequest { local, ..request })
}

/// The floored target share and the drift from it, as the planner defines them.
fn ratio_drift(local: u128, total: u128, ratio_bps: u16) -> (u128, u128) {
    let target_local = total * u128::from(ratio_bps) / 10_000;
    (target_local, target_local.abs_diff(local))
}

/// Anything at all, including invalid thresholds, duplicate priorities and too many sources.
fn wild_amount() -> impl Strategy<Value = u64> {
    prop_oneof![any::<u64>(), 0..=16u64, u64::MAX - 16..=u64::MAX]
}

fn wild_source() -> impl Strategy<Value = SourceState> {
    (any::<u8>(), any::<bool>(), wild_amount(), wild_amount(), option::of(wild_amount()), any::<bool>(), any::<bool>())
        .prop_map(|(priority, enabled, balance, reserve_floor, allowance, live, accepts_returns)| SourceState {
            priority,
            enabled,
            balance,
            reserve_floor,
            allowance,
            live,
            accepts_returns,
        })
}

proptest! {
    #[test]
    fn top_up_never_lifts_balance_above_goal(case in top_up_case()) {
        if let Ok(plan) = plan_top_up(&case.request()) {
            let after = u128::from(case.balance) + u128::from(plan.total());
            prop_assert!(after <= u128::from(case.thresholds.max));
            if case.reason == TopUpReason::Automatic {
                prop_assert!(after <= u128::from(case.thresholds.target));
            }
        }
    }

    #[test]
    fn top_up_legs_respect_floor_allowance_and_enabled(case in top_up_case()) {
        if let Ok(plan) = plan_top_up(&case.request()) {
            for leg in &plan.legs {
                let source = &case.sources[leg.source_index];
                prop_assert!(leg.amount > 0);
                prop_assert!(source.enabled && source.live);
                prop_assert!(drawn_from(&plan.legs, leg.source_index) <= source.available());
                prop_assert!(source.balance - leg.amount >= source.reserve_floor);
                prop_assert!(source.allowance.is_none_or(|allowance| leg.amount <= allowance));
            }
        }
    }

    #[test]
    fn top_up_conserves_totals(case in top_up_case()) {
        if let Ok(plan) = plan_top_up(&case.request()) {
            let legs: u128 = plan.legs.iter().map(|leg| u128::from(leg.amount)).sum();
            prop_assert_eq!(legs + u128::from(plan.shortfall), u128::from(plan.allowed));
            prop_assert!(plan.allowed <= plan.needed);
            if let Some(remaining) = case.automation_remaining {
                prop_assert!(plan.allowed <= remaining);
            }
        }
    }

    #[test]
    fn top_up_draws_in_priority_order_and_exhausts_earlier_sources(case in top_up_case()) {
        if let Ok(plan) = plan_top_up(&case.request()) {
            let priority = |index: usize| case.sources[index].priority;
            prop_assert!(plan.legs.windows(2).all(|w| priority(w[0].source_index) < priority(w[1].source_index)));
            for leg in &plan.legs {
                for (index, earlier) in case.sources.iter().enumerate() {
                    if earlier.enabled && earlier.live && earlier.priority < priority(leg.source_index) {
                        prop_assert_eq!(drawn_from(&plan.legs, index), earlier.available());
                    }
                }
            }
        }
    }

    #[test]
    fn top_up_is_partial_only_when_sources_are_short(case in top_up_case()) {
        // One unlimited source tells whether every check before drawing passes.
        let gate = plan_top_up(&case.with_sources(&[UNLIMITED]));
        let available = total_available(&case.sources);
        match (gate, plan_top_up(&case.request())) {
            (Ok(_), Err(error)) => {
                prop_assert_eq!(error, PolicyError::NoFundsAvailable);
                prop_assert_eq!(available, 0);
            }
            (Ok(_), Ok(plan)) => {
                prop_assert!(available > 0);
                prop_assert_eq!(plan.shortfall > 0, available < u128::from(plan.allowed));
            }
            (Err(expected), result) => prop_assert_eq!(result, Err(expected)),
        }
    }

    #[test]
    fn the_balance_decides_the_trigger(case in top_up_case()) {
        let result = plan_top_up(&case.request());
        let t = case.thresholds;
        let ceiling = t.forecast_ceiling(case.forecast_band_bps);
        match case.reason {
            TopUpReason::Automatic => {
                let refused = matches!(result, Err(PolicyError::NotBelowMin | PolicyError::OutsideForecastBand));
                prop_assert_eq!(refused, t.validate().is_ok() && case.balance >= ceiling.max(t.min));
                if let Ok(plan) = &result {
                    let expected = if case.balance < t.min { Trigger::Threshold } else { Trigger::Forecast };
                    prop_assert_eq!(plan.trigger, expected);
                    prop_assert_eq!(automatic_trigger(case.balance, &t, case.forecast_band_bps), Ok(expected));
                }
            }
            TopUpReason::Manual { .. } => {
                prop_assert!(!matches!(result, Err(PolicyError::NotBelowMin | PolicyError::OutsideForecastBand)));
                prop_assert!(result.is_err() || result.as_ref().is_ok_and(|plan| plan.trigger == Trigger::Manual));
            }
        }
    }

    #[test]
    fn sweep_returns_only_the_excess_to_the_first_return_target(
        (balance, thresholds) in thresholds().prop_flat_map(|t| (near(vec![t.target, t.max]), Just(t))),
        automation_remaining in amount(),
        destination_allowance in option::of(prop_oneof![1 => Just(0), 4 => amount()]),
        sources in sources(),
    ) {
        let request = SweepRequest { balance, thresholds, automation_remaining, destination_allowance, sources: &sources };
        let target = (0..sources.len())
            .filter(|&i| sources[i].enabled && sources[i].accepts_returns)
            .min_by_key(|&i| sources[i].priority);
        let result = plan_sweep(&request);
        let signable = destination_allowance != Some(0);
        prop_assert_eq!(
            result.is_ok(),
            balance > thresholds.max && automation_remaining > 0 && target.is_some() && signable
        );
        if let Ok(plan) = result {
            prop_assert_eq!(Some(plan.source_index), target);
            prop_assert_eq!(plan.excess, balance - thresholds.target);
            prop_assert!(plan.amount > 0);
            prop_assert!(plan.amount <= plan.excess);
            prop_assert!(plan.amount <= automation_remaining);
            prop_assert!(destination_allowance.is_none_or(|allowance| plan.amount <= allowance));
            prop_assert!(balance - plan.amount >= thresholds.target);
        }
    }

    #[test]
    fn ratio_rebalance_moves_toward_target_within_bounds(request in ratio_case()) {
        let local = u128::from(request.local);
        let total = local + u128::from(request.counterpart.balance);
        let (target_local, drift) = ratio_drift(local, total, request.ratio_bps);
        let inside_band = drift * 10_000 <= u128::from(request.band_bps) * total;
        let result = plan_ratio_rebalance(&request);
        // A spent cap is reported before the band is looked at.
        let gated = request.automation_remaining > 0;
        prop_assert_eq!(result == Err(PolicyError::WithinBand), inside_band && gated);
        let Ok(planned) = result else { return Ok(()) };
        let amount = planned.amount();
        prop_assert!(amount > 0 && amount <= request.automation_remaining);
        let (amount, counterpart) = (u128::from(amount), u128::from(request.counterpart.balance));
        let (new_local, new_counterpart) = match planned {
            RatioMove::ToLocal(_) => {
                prop_assert!(target_local > local);
                prop_assert!(amount <= u128::from(request.counterpart.available()));
                prop_assert!(local + amount <= u128::from(request.thresholds.max));
                prop_assert!(local + amount <= target_local, "overshot the target");
                (local + amount, counterpart - amount)
            }
            RatioMove::ToCounterpart(_) => {
                prop_assert!(target_local < local);
                prop_assert!(request.counterpart.accepts_returns);
                prop_assert!(request.local_allowance.is_none_or(|allowance| amount <= u128::from(allowance)));
                prop_assert!(local - amount >= u128::from(request.thresholds.min));
                prop_assert!(local - amount >= target_local, "overshot the target");
                (local - amount, counterpart + amount)
            }
        };
        prop_assert_eq!(new_local + new_counterpart, total);
        // The total is unchanged, so the target is too: the drift from it can only shrink.
        prop_assert!(ratio_drift(new_local, total, request.ratio_bps).1 <= drift);
    }

    #[test]
    fn planners_never_panic(
        balance in wild_amount(),
        mut bounds in [wild_amount(), wild_amount(), wild_amount()],
        ordered in any::<bool>(),
        manual in wild_amount(),
        bps in [any::<u16>(), any::<u16>(), any::<u16>()],
        remaining in option::of(wild_amount()),
        sources in vec(wild_source(), 0..=MAX_SOURCES + 2),
    ) {
        // Ordered bounds get past validation, so extreme values reach the arithmetic.
        if ordered {
            bounds.sort_unstable();
        }
        let thresholds = Thresholds { min: bounds[0], target: bounds[1], max: bounds[2] };
        for reason in [TopUpReason::Automatic, TopUpReason::Manual { amount: manual }] {
            let request = TopUpRequest {
                balance,
                thresholds,
                reason,
                forecast_band_bps: bps[0],
                automation_remaining: remaining,
                sources: &sources,
            };
            if let Ok(plan) = plan_top_up(&request) {
                let _ = plan.total();
            }
        }
        let automation_remaining = remaining.unwrap_or(u64::MAX);
        let destination_allowance = Some(manual).filter(|_| ordered);
        let _ = plan_sweep(&SweepRequest { balance, thresholds, automation_remaining, destination_allowance, sources: &sources });
        let counterpart = sources.first().copied().unwrap_or(UNLIMITED);
        let _ = plan_ratio_rebalance(&RatioRequest {
            local: balance,
            local_allowance: destination_allowance,
            counterpart,
            ratio_bps: bps[1],
            band_bps: bps[2],
            thresholds,
            automation_remaining,
        });
    }
}

/// Movements attempted at increasing times: (seconds since the previous one, amount).
fn attempts() -> impl Strategy<Value = Vec<(i64, u64)>> {
    vec((prop_oneof![2 => 0..=3i64, 3 => 0..=400i64, 1 => 0..=5_000i64], 1..=60u64), 1..60)
}

proptest! {
    /// The rolling window against an exact oracle: whatever is let through, no window of
    /// one period (at any start, to the second) ever holds more than the limit.
    #[test]
    fn rolling_window_holds_for_every_window_of_one_period(
        period in prop_oneof![1..=16u32, 1..=3_600u32],
        limit in 1..=200u64,
        start in -10_000i64..=1_700_000_000,
        attempts in attempts(),
    ) {
        let mut window = RollingWindow::default();
        let mut now = start;
        let mut accepted: Vec<(i64, u64)> = Vec::new();
        for (gap, amount) in attempts {
            now += gap;
            if amount <= window.remaining(now, period, limit) {
                window.record(amount, now, period).unwrap();
                accepted.push((now, amount));
            }
            // The exact amount in the last period never exceeds what the window counts.
            let exact: u64 = accepted.iter().filter(|(at, _)| *at > now - i64::from(period)).map(|(_, a)| a).sum();
            prop_assert!(exact <= window.moved(now, period));
        }
        for &(end, _) in &accepted {
            let held: u64 =
                accepted.iter().filter(|(at, _)| *at <= end && *at >= end - i64::from(period)).map(|(_, a)| a).sum();
            prop_assert!(held <= limit, "{held} moved in the period ending at {end} (limit {limit})");
        }
    }
}
