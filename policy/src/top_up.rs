use crate::{source::draw_order, PolicyError, SourceState, Thresholds};

/// Who asks for a top-up; decides when it is allowed and what its goal is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopUpReason {
    /// A keeper's crank: below `min` it restores `target`; inside the forecast band it
    /// tops up ahead of a breach, also to `target`. The balance decides which.
    Automatic,
    /// The authority asks for `amount`; the goal is capped at `max`.
    Manual { amount: u64 },
}

/// What the balance made of an automatic top-up, or that it was manual: the reason
/// events and the activity log report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The balance was below `min`.
    Threshold,
    /// The balance was inside the forecast band, at or above `min`.
    Forecast,
    Manual,
}

#[derive(Clone, Copy, Debug)]
pub struct TopUpRequest<'a> {
    pub balance: u64,
    pub thresholds: Thresholds,
    pub reason: TopUpReason,
    /// Width of the forecast band as a share of `target - min`.
    pub forecast_band_bps: u16,
    /// What automation may still move in the rolling period; `None` when not limited
    /// (manual).
    pub automation_remaining: Option<u64>,
    pub sources: &'a [SourceState],
}

/// One transfer: `amount` out of `sources[source_index]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    pub source_index: usize,
    pub amount: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopUpPlan {
    pub trigger: Trigger,
    /// What reaching the goal takes.
    pub needed: u64,
    /// `needed` after the automation cap.
    pub allowed: u64,
    /// Transfers in draw order; they add up to `allowed - shortfall`.
    pub legs: Vec<Leg>,
    /// What the sources together could not provide.
    pub shortfall: u64,
}

impl TopUpPlan {
    pub fn total(&self) -> u64 {
        self.legs.iter().map(|leg| leg.amount).sum()
    }
}

/// Below `min` a threshold top-up, inside the forecast band a forecast one; at or above
/// the band's ceiling none.
pub fn automatic_trigger(
    balance: u64,
    thresholds: &Thresholds,
    forecast_band_bps: u16,
) -> Result<Trigger, PolicyError> {
    if balance < thresholds.min {
        Ok(Trigger::Threshold)
    } else if balance < thresholds.forecast_ceiling(forecast_band_bps) {
        Ok(Trigger::Forecast)
    } else if thresholds.forecast_ceiling(forecast_band_bps) > thresholds.min {
        Err(PolicyError::OutsideForecastBand)
    } else {
        Err(PolicyError::NotBelowMin)
    }
}

/// Decides how much a top-up moves and from which sources, in priority order.
pub fn plan_top_up(request: &TopUpRequest<'_>) -> Result<TopUpPlan, PolicyError> {
    let TopUpRequest { balance, thresholds, reason, .. } = *request;
    thresholds.validate()?;
    let (trigger, goal) = match reason {
        TopUpReason::Automatic => {
            (automatic_trigger(balance, &thresholds, request.forecast_band_bps)?, thresholds.target)
        }
        TopUpReason::Manual { amount } => {
            if amount == 0 {
                return Err(PolicyError::ZeroAmount);
            }
            (Trigger::Manual, balance.saturating_add(amount).min(thresholds.max))
        }
    };
    let needed = goal.checked_sub(balance).filter(|&n| n > 0).ok_or(PolicyError::NothingToMove)?;
    let allowed = match request.automation_remaining {
        Some(0) => return Err(PolicyError::AutomationCapReached),
        Some(remaining) => needed.min(remaining),
        None => needed,
    };

    let mut legs = Vec::new();
    let mut remaining = allowed;
    for index in draw_order(request.sources) {
        if remaining == 0 {
            break;
        }
        let amount = request.sources[index].available().min(remaining);
        if amount > 0 {
            legs.push(Leg { source_index: index, amount });
            remaining -= amount;
        }
    }
    if legs.is_empty() {
        return Err(PolicyError::NoFundsAvailable);
    }
    Ok(TopUpPlan { trigger, needed, allowed, legs, shortfall: remaining })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds { min: 100, target: 300, max: 500 };

    fn vault(priority: u8, balance: u64, floor: u64) -> SourceState {
        SourceState {
            priority,
            enabled: true,
            balance,
            reserve_floor: floor,
            allowance: None,
            live: true,
            accepts_returns: true,
        }
    }

    fn request(balance: u64, reason: TopUpReason, sources: &[SourceState]) -> TopUpRequest<'_> {
        TopUpRequest {
            balance,
            thresholds: T,
            reason,
            forecast_band_bps: 5_000,
            automation_remaining: Some(u64::MAX),
            sources,
        }
    }

    #[test]
    fn threshold_refills_to_target_in_priority_order() {
        let sources = [vault(2, 1_000, 0), vault(1, 150, 100)];
        let plan = plan_top_up(&request(50, TopUpReason::Automatic, &sources)).unwrap();
        assert_eq!(plan.needed, 250);
        assert_eq!(plan.legs, vec![Leg { source_index: 1, amount: 50 }, Leg { source_index: 0, amount: 200 }]);
        assert_eq!(plan.shortfall, 0);
    }

    #[test]
    fn the_balance_decides_between_threshold_and_forecast() {
        let sources = [vault(1, 1_000, 0)];
        let plan = |balance| plan_top_up(&request(balance, TopUpReason::Automatic, &sources)).map(|plan| plan.trigger);
        assert_eq!(plan(99), Ok(Trigger::Threshold));
        assert_eq!(plan(100), Ok(Trigger::Forecast));
        assert_eq!(plan(199), Ok(Trigger::Forecast));
        assert_eq!(plan(200), Err(PolicyError::OutsideForecastBand));
        // Without a forecast band only a breach of min tops up.
        let no_band = TopUpRequest { forecast_band_bps: 0, ..request(100, TopUpReason::Automatic, &sources) };
        assert_eq!(plan_top_up(&no_band), Err(PolicyError::NotBelowMin));
    }

    #[test]
    fn short_sources_give_a_partial_plan() {
        let sources = [vault(1, 120, 100), vault(2, 30, 0)];
        let plan = plan_top_up(&request(0, TopUpReason::Automatic, &sources)).unwrap();
        assert_eq!(plan.total(), 50);
        assert_eq!(plan.shortfall, 250);
    }

    #[test]
    fn empty_sources_refuse() {
        let sources = [vault(1, 100, 100)];
        assert_eq!(plan_top_up(&request(0, TopUpReason::Automatic, &sources)), Err(PolicyError::NoFundsAvailable));
    }

    #[test]
    fn forecast_only_inside_band() {
        let sources = [vault(1, 1_000, 0)];
        // ceiling = 100 + 50% of 200 = 200
        assert_eq!(plan_top_up(&request(200, TopUpReason::Automatic, &sources)), Err(PolicyError::OutsideForecastBand));
        let plan = plan_top_up(&request(199, TopUpReason::Automatic, &sources)).unwrap();
        assert_eq!(plan.total(), 101);
    }

    #[test]
    fn manual_is_capped_at_max() {
        let sources = [vault(1, 1_000, 0)];
        let plan = plan_top_up(&TopUpRequest {
            automation_remaining: None,
            ..request(450, TopUpReason::Manual { amount: 200 }, &sources)
        })
        .unwrap();
        assert_eq!(plan.total(), 50);
        assert_eq!(
            plan_top_up(&request(500, TopUpReason::Manual { amount: 1 }, &sources)),
            Err(PolicyError::NothingToMove)
        );
    }

    #[test]
    fn automation_cap_limits_and_then_refuses() {
        let sources = [vault(1, 1_000, 0)];
        let capped = TopUpRequest { automation_remaining: Some(40), ..request(0, TopUpReason::Automatic, &sources) };
        let plan = plan_top_up(&capped).unwrap();
        assert_eq!((plan.allowed, plan.total(), plan.shortfall), (40, 40, 0));
        let exhausted = TopUpRequest { automation_remaining: Some(0), ..capped };
        assert_eq!(plan_top_up(&exhausted), Err(PolicyError::AutomationCapReached));
    }
}
