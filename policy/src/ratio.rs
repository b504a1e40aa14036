use crate::{limits::BPS_DENOMINATOR, validate_ratio, PolicyError, SourceState, Thresholds};

#[derive(Clone, Copy, Debug)]
pub struct RatioRequest {
    /// Balance of the managed (local) account.
    pub local: u64,
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
    let planned = if target_local > local {
        let room_below_max = request.thresholds.max.saturating_sub(request.local);
        RatioMove::ToLocal(drift.min(request.counterpart.available()).min(room_below_max))
    } else {
        let above_min = request.local.saturating_sub(request.thresholds.min);
        RatioMove::ToCounterpart(drift.min(above_min))
    };
    match planned.amount().min(request.automation_remaining) {
        0 => Err(PolicyError::NoFundsAvailable),
        amount => Ok(match planned {
            RatioMove::ToLocal(_) => RatioMove::ToLocal(amount),
            RatioMove::ToCounterpart(_) => RatioMove::ToCounterpart(amount),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(local: u64, reserve: u64) -> RatioRequest {
        RatioRequest {
            local,
            counterpart: SourceState {
                priority: 1,
                enabled: true,
                balance: reserve,
                reserve_floor: 0,
                allowance: None,
            },
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
}
