use crate::{
    clamp_push, limits::BPS_DENOMINATOR, source::draw_order, validate_ratio, PolicyError, SourceState, Thresholds,
};

#[derive(Clone, Copy, Debug)]
pub struct RatioRequest {
    /// Balance of the managed (local) account.
    pub local: u64,
    /// What the local account's pool may move out of it (`None`: all, it owns it).
    pub local_allowance: Option<u64>,
    /// The counterpart reserve the ratio is kept against.
    pub counterpart: SourceState,
    /// Target share of the combined total held locally.
    pub ratio_bps: u16,
    /// Act only when the drift exceeds this share of the combined total.
    pub band_bps: u16,
    /// Hard bounds still hold: never above `max`, never pushed below `min`.
    pub thresholds: Thresholds,
    pub automation_remaining: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatioMove {
    /// Pull this much from the counterpart into the local account.
    ToLocal(u64),
    /// Push this much from the local account to the counterpart.
    ToCounterpart(u64),
}

impl RatioMove {
    pub fn amount(&self) -> u64 {
        match *self {
            Self::ToLocal(amount) | Self::ToCounterpart(amount) => amount,
        }
    }
}

/// The counterpart: the enabled source drawn first among the live ones, so a closed or
/// frozen counterpart hands the role to the next.
pub fn ratio_counterpart(sources: &[SourceState]) -> Result<usize, PolicyError> {
    let order = draw_order(sources);
    if order.is_empty() {
        return Err(PolicyError::NoEnabledSource);
    }
    order.into_iter().find(|&index| sources[index].live).ok_or(PolicyError::NoFundsAvailable)
}

/// Moves the local share back to the target ratio once it drifts past the band.
pub fn plan_ratio_rebalance(request: &RatioRequest) -> Result<RatioMove, PolicyError> {
    request.thresholds.validate()?;
    validate_ratio(request.ratio_bps, request.band_bps)?;
    if request.automation_remaining == 0 {
        return Err(PolicyError::AutomationCapReached);
    }
    let local = u128::from(request.local);
    let total = local + u128::from(request.counterpart.balance);
    let target_local = total * u128::from(request.ratio_bps) / u128::from(BPS_DENOMINATOR);
    let drift = target_local.abs_diff(local);
    // Strictly outside the band: |target - local| * 10_000 > band * total.
    if drift * u128::from(BPS_DENOMINATOR) <= u128::from(request.band_bps) * total {
        return Err(PolicyError::WithinBand);
    }
    let drift = u64::try_from(drift).map_err(|_| PolicyError::Overflow)?;
    if target_local > local {
        let room_below_max = request.thresholds.max.saturating_sub(request.local);
        let amount = drift.min(request.counterpart.available()).min(room_below_max).min(request.automation_remaining);
        return match amount {
            0 => Err(PolicyError::NoFundsAvailable),
            amount => Ok(RatioMove::ToLocal(amount)),
        };
    }
    if !request.counterpart.accepts_returns {
        return Err(PolicyError::ReturnTargetNotAllowed);
    }
    let above_min = request.local.saturating_sub(request.thresholds.min);
    match drift.min(above_min).min(request.automation_remaining) {
        0 => Err(PolicyError::NoFundsAvailable),
        amount => clamp_push(amount, request.local_allowance).map(RatioMove::ToCounterpart),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reserve(balance: u64) -> SourceState {
        SourceState {
            priority: 1,
            enabled: true,
            balance,
            reserve_floor: 0,
            allowance: None,
            live: true,
            accepts_returns: true,
        }
    }

    fn request(local: u64, counterpart: u64) -> RatioRequest {
        RatioRequest {
            local,
            local_allowance: None,
            counterpart: reserve(counterpart),
            ratio_bps: 4_000,
            band_bps: 500,
            thresholds: Thresholds { min: 0, target: 0, max: u64::MAX },
            automation_remaining: u64::MAX,
        }
    }

    #[test]
    fn seed_example_forty_percent_five_percent_band() {
        // total 1,000: target local 400, band 50.
        assert_eq!(plan_ratio_rebalance(&request(300, 700)), Ok(RatioMove::ToLocal(100)));
        assert_eq!(plan_ratio_rebalance(&request(460, 540)), Ok(RatioMove::ToCounterpart(60)));
        assert_eq!(plan_ratio_rebalance(&request(350, 650)), Err(PolicyError::WithinBand));
        assert_eq!(plan_ratio_rebalance(&request(450, 550)), Err(PolicyError::WithinBand));
    }

    #[test]
    fn respects_counterpart_floor_and_max() {
        let mut floored = request(300, 700);
        floored.counterpart.reserve_floor = 640;
        assert_eq!(plan_ratio_rebalance(&floored), Ok(RatioMove::ToLocal(60)));
        let mut capped = request(300, 700);
        capped.thresholds = Thresholds { min: 0, target: 320, max: 320 };
        assert_eq!(plan_ratio_rebalance(&capped), Ok(RatioMove::ToLocal(20)));
    }

    #[test]
    fn pushes_only_into_a_counterpart_that_takes_returns() {
        let mut venue = request(460, 540);
        venue.counterpart.accepts_returns = false;
        assert_eq!(plan_ratio_rebalance(&venue), Err(PolicyError::ReturnTargetNotAllowed));
        // Pulling from it is still fine.
        let mut pull = request(300, 700);
        pull.counterpart.accepts_returns = false;
        assert_eq!(plan_ratio_rebalance(&pull), Ok(RatioMove::ToLocal(100)));
    }

    #[test]
    fn a_venue_local_account_pushes_only_what_it_delegated() {
        let delegated = RatioRequest { local_allowance: Some(25), ..request(460, 540) };
        assert_eq!(plan_ratio_rebalance(&delegated), Ok(RatioMove::ToCounterpart(25)));
        let revoked = RatioRequest { local_allowance: Some(0), ..request(460, 540) };
        assert_eq!(plan_ratio_rebalance(&revoked), Err(PolicyError::DestinationNotSignable));
    }

    #[test]
    fn the_counterpart_is_the_first_live_enabled_source() {
        let dead = SourceState { live: false, priority: 1, ..reserve(0) };
        let disabled = SourceState { enabled: false, priority: 2, ..reserve(5) };
        let next = SourceState { priority: 3, ..reserve(5) };
        assert_eq!(ratio_counterpart(&[next, dead, disabled]), Ok(0));
        assert_eq!(ratio_counterpart(&[dead]), Err(PolicyError::NoFundsAvailable));
        assert_eq!(ratio_counterpart(&[disabled]), Err(PolicyError::NoEnabledSource));
    }
}
