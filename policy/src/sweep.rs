use crate::{source::draw_order, PolicyError, SourceState, Thresholds};

#[derive(Clone, Copy, Debug)]
pub struct SweepRequest<'a> {
    pub balance: u64,
    pub thresholds: Thresholds,
    pub automation_remaining: u64,
    pub sources: &'a [SourceState],
}

/// The excess above `target` goes to one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepPlan {
    pub source_index: usize,
    pub amount: u64,
    /// The excess above `target` before the automation cap.
    pub excess: u64,
}

/// When the balance is above `max`, returns the excess above `target` to the
/// enabled source that is drawn first (the primary reserve).
pub fn plan_sweep(request: &SweepRequest<'_>) -> Result<SweepPlan, PolicyError> {
    let SweepRequest { balance, thresholds, automation_remaining, sources } = *request;
    thresholds.validate()?;
    if balance <= thresholds.max {
        return Err(PolicyError::NotAboveMax);
    }
    if automation_remaining == 0 {
        return Err(PolicyError::AutomationCapReached);
    }
    let source_index = *draw_order(sources).first().ok_or(PolicyError::NoEnabledSource)?;
    let excess = balance - thresholds.target;
    Ok(SweepPlan { source_index, amount: excess.min(automation_remaining), excess })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds { min: 100, target: 300, max: 500 };

    fn vault(priority: u8, enabled: bool) -> SourceState {
        SourceState { priority, enabled, balance: 0, reserve_floor: 0, allowance: None }
    }

    #[test]
    fn sweeps_excess_above_target_to_first_enabled_source() {
        let sources = [vault(2, true), vault(1, false), vault(3, true)];
        let request = SweepRequest { balance: 800, thresholds: T, automation_remaining: u64::MAX, sources: &sources };
        assert_eq!(plan_sweep(&request), Ok(SweepPlan { source_index: 0, amount: 500, excess: 500 }));
    }

    #[test]
    fn refuses_at_or_below_max_and_without_sources() {
        let sources = [vault(1, true)];
        let at_max = SweepRequest { balance: 500, thresholds: T, automation_remaining: 1, sources: &sources };
        assert_eq!(plan_sweep(&at_max), Err(PolicyError::NotAboveMax));
        let none = [vault(1, false)];
        let above = SweepRequest { balance: 501, sources: &none, ..at_max };
        assert_eq!(plan_sweep(&above), Err(PolicyError::NoEnabledSource));
    }
}
