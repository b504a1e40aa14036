use crate::{clamp_push, source::draw_order, PolicyError, SourceState, Thresholds};

#[derive(Clone, Copy, Debug)]
pub struct SweepRequest<'a> {
    pub balance: u64,
    pub thresholds: Thresholds,
    pub automation_remaining: u64,
    /// What the destination's pool may move out of it (`None`: all, it owns it).
    pub destination_allowance: Option<u64>,
    pub sources: &'a [SourceState],
}

/// The excess above `target` goes to one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepPlan {
    pub source_index: usize,
    pub amount: u64,
    /// The excess above `target` before the automation cap and the allowance.
    pub excess: u64,
}

/// The enabled source that is drawn first among those that may take returned funds.
pub fn return_target(sources: &[SourceState]) -> Result<usize, PolicyError> {
    let order = draw_order(sources);
    if order.is_empty() {
        return Err(PolicyError::NoEnabledSource);
    }
    order.into_iter().find(|&index| sources[index].accepts_returns).ok_or(PolicyError::NoReturnTarget)
}

/// When the balance is above `max`, returns the excess above `target` to the return
/// target, within the automation cap and what the destination's pool may move.
pub fn plan_sweep(request: &SweepRequest<'_>) -> Result<SweepPlan, PolicyError> {
    let SweepRequest { balance, thresholds, automation_remaining, destination_allowance, sources } = *request;
    thresholds.validate()?;
    if balance <= thresholds.max {
        return Err(PolicyError::NotAboveMax);
    }
    if automation_remaining == 0 {
        return Err(PolicyError::AutomationCapReached);
    }
    let source_index = return_target(sources)?;
    let excess = balance - thresholds.target;
    let amount = clamp_push(excess.min(automation_remaining), destination_allowance)?;
    Ok(SweepPlan { source_index, amount, excess })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds { min: 100, target: 300, max: 500 };

    fn vault(priority: u8, enabled: bool) -> SourceState {
        SourceState {
            priority,
            enabled,
            balance: 0,
            reserve_floor: 0,
            allowance: None,
            live: true,
            accepts_returns: true,
        }
    }

    fn request(balance: u64, sources: &[SourceState]) -> SweepRequest<'_> {
        SweepRequest { balance, thresholds: T, automation_remaining: u64::MAX, destination_allowance: None, sources }
    }

    #[test]
    fn sweeps_excess_above_target_to_first_enabled_source() {
        let sources = [vault(2, true), vault(1, false), vault(3, true)];
        assert_eq!(plan_sweep(&request(800, &sources)), Ok(SweepPlan { source_index: 0, amount: 500, excess: 500 }));
    }

    #[test]
    fn refuses_at_or_below_max_and_without_sources() {
        let sources = [vault(1, true)];
        assert_eq!(plan_sweep(&request(500, &sources)), Err(PolicyError::NotAboveMax));
        let none = [vault(1, false)];
        assert_eq!(plan_sweep(&request(501, &none)), Err(PolicyError::NoEnabledSource));
    }

    #[test]
    fn passes_over_sources_that_may_not_take_returns() {
        let venue = SourceState { accepts_returns: false, ..vault(1, true) };
        let dead = SourceState { live: false, accepts_returns: false, ..vault(2, true) };
        let sources = [venue, dead, vault(3, true)];
        assert_eq!(plan_sweep(&request(800, &sources)).map(|plan| plan.source_index), Ok(2));
        assert_eq!(plan_sweep(&request(800, &sources[..2])), Err(PolicyError::NoReturnTarget));
    }

    #[test]
    fn a_venue_destination_is_swept_only_as_far_as_it_delegated() {
        let sources = [vault(1, true)];
        let delegated = SweepRequest { destination_allowance: Some(120), ..request(800, &sources) };
        assert_eq!(plan_sweep(&delegated).map(|plan| plan.amount), Ok(120));
        let revoked = SweepRequest { destination_allowance: Some(0), ..request(800, &sources) };
        assert_eq!(plan_sweep(&revoked), Err(PolicyError::DestinationNotSignable));
    }
}
