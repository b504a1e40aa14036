use crate::{PolicyError, MAX_SOURCES};

/// What the policy needs to know of one funding source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceState {
    /// 1 is drawn first.
    pub priority: u8,
    pub enabled: bool,
    /// Current token balance of the source account.
    pub balance: u64,
    /// Never drawn below this.
    pub reserve_floor: u64,
    /// For a venue source: what its owner delegated to the pool authority.
    /// `None` for a pool vault, which the program owns outright.
    pub allowance: Option<u64>,
}

impl SourceState {
    /// What may be drawn now: above the floor and within the allowance.
    pub fn available(&self) -> u64 {
        if !self.enabled {
            return 0;
        }
        let above_floor = self.balance.saturating_sub(self.reserve_floor);
        match self.allowance {
            Some(allowance) => above_floor.min(allowance),
            None => above_floor,
        }
    }
}

/// Indices of `sources` in draw order: enabled ones only, ascending priority.
pub(crate) fn draw_order(sources: &[SourceState]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sources.len()).filter(|&i| sources[i].enabled).collect();
    // Ties keep their index order, as a stable sort would; the stable sort's 4 KiB stack
    // buffer does not fit an SBF stack frame.
    order.sort_unstable_by_key(|&i| (sources[i].priority, i));
    order
}

/// Priorities are at least 1 and unique, and there are at most `MAX_SOURCES`.
pub fn validate_priorities(priorities: &[u8]) -> Result<(), PolicyError> {
    if priorities.len() > MAX_SOURCES {
        return Err(PolicyError::TooManySources);
    }
    for (i, &priority) in priorities.iter().enumerate() {
        if priority == 0 || priorities[..i].contains(&priority) {
            return Err(PolicyError::DuplicatePriority);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(priority: u8, balance: u64, floor: u64, allowance: Option<u64>) -> SourceState {
        SourceState { priority, enabled: true, balance, reserve_floor: floor, allowance }
    }

    #[test]
    fn available_respects_floor_and_allowance() {
        assert_eq!(source(1, 100, 30, None).available(), 70);
        assert_eq!(source(1, 100, 130, None).available(), 0);
        assert_eq!(source(1, 100, 30, Some(50)).available(), 50);
        assert_eq!(source(1, 100, 30, Some(0)).available(), 0);
        let disabled = SourceState { enabled: false, ..source(1, 100, 0, None) };
        assert_eq!(disabled.available(), 0);
    }

    #[test]
    fn draw_order_skips_disabled_and_sorts() {
        let mut sources = vec![source(3, 1, 0, None), source(1, 1, 0, None), source(2, 1, 0, None)];
        sources[2].enabled = false;
        assert_eq!(draw_order(&sources), vec![1, 0]);
    }

    #[test]
    fn priorities_must_be_unique_and_positive() {
        assert_eq!(validate_priorities(&[1, 2, 3]), Ok(()));
        assert_eq!(validate_priorities(&[1, 2, 1]), Err(PolicyError::DuplicatePriority));
        assert_eq!(validate_priorities(&[0]), Err(PolicyError::DuplicatePriority));
        assert_eq!(validate_priorities(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), Err(PolicyError::TooManySources));
    }
}
