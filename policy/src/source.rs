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
    /// Still a token account of the mint, and not frozen. A dead source gives nothing
    /// and is passed over: it never stops the automation.
    pub live: bool,
    /// May take returned funds (sweep, ratio push): a live pool vault, or a live venue
    /// the authority allowed, either without a memo requirement.
    pub accepts_returns: bool,
}

impl SourceState {
    /// What may be drawn now: above the floor and within the allowance.
    pub fn available(&self) -> u64 {
        if !self.enabled || !self.live {
            return 0;
        }
        let above_floor = self.balance.saturating_sub(self.reserve_floor);
        match self.allowance {
            Some(allowance) => above_floor.min(allowance),
            None => above_floor,
        }
    }

    /// The state of a linked source whose account reads as `account`, `None` when it
    /// is closed or no longer a token account of the mint.
    pub fn of<K: PartialEq>(link: &SourceLink<K>, account: Option<&TokenAccountFacts<K>>) -> Self {
        let live = account.is_some_and(|account| !account.frozen);
        let may_return = link.is_pool_vault || link.returns_allowed;
        Self {
            priority: link.priority,
            enabled: link.enabled,
            balance: account.map_or(0, |account| account.amount),
            reserve_floor: link.reserve_floor,
            allowance: account.map_or(Some(0), |account| account.allowance_for(&link.pool)),
            live,
            accepts_returns: live && may_return && account.is_some_and(|account| account.can_receive()),
        }
    }
}

/// A funding source as the authority linked it; `K` is the account address type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceLink<K> {
    pub priority: u8,
    pub enabled: bool,
    pub reserve_floor: u64,
    /// The pool whose address signs pulls: the vault's owner, or the venue's delegate.
    pub pool: K,
    /// Owned by its pool when linked (a vault), not a third party's account (a venue).
    pub is_pool_vault: bool,
    /// A venue the authority allowed to take returned funds.
    pub returns_allowed: bool,
}

/// The fields of a token account the rules look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenAccountFacts<K> {
    pub owner: K,
    pub amount: u64,
    pub delegate: Option<K>,
    pub delegated_amount: u64,
    pub frozen: bool,
    /// Token-2022's memo-transfer extension asks for a memo on incoming transfers.
    pub memo_required: bool,
}

impl<K: PartialEq> TokenAccountFacts<K> {
    /// What `pool` may move out of this account: everything when it owns the account
    /// (`None`), the delegated amount when it is the delegate, nothing otherwise.
    pub fn allowance_for(&self, pool: &K) -> Option<u64> {
        if self.frozen {
            Some(0)
        } else if self.owner == *pool {
            None
        } else if self.delegate.as_ref() == Some(pool) {
            Some(self.delegated_amount)
        } else {
            Some(0)
        }
    }

    /// A transfer without a memo may arrive.
    pub fn can_receive(&self) -> bool {
        !self.frozen && !self.memo_required
    }
}

/// What a push out of an account may move: `amount` within what its pool may move out
/// (`allowance_for`); nothing is an error, not a zero transfer.
pub fn clamp_push(amount: u64, allowance: Option<u64>) -> Result<u64, PolicyError> {
    match allowance.map_or(amount, |allowance| amount.min(allowance)) {
        0 => Err(PolicyError::DestinationNotSignable),
        amount => Ok(amount),
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
        SourceState {
            priority,
            enabled: true,
            balance,
            reserve_floor: floor,
            allowance,
            live: true,
            accepts_returns: true,
        }
    }

    const POOL: u8 = 1;
    const OWNER: u8 = 2;

    fn account(owner: u8, delegate: Option<(u8, u64)>) -> TokenAccountFacts<u8> {
        TokenAccountFacts {
            owner,
            amount: 100,
            delegate: delegate.map(|(key, _)| key),
            delegated_amount: delegate.map_or(0, |(_, amount)| amount),
            frozen: false,
            memo_required: false,
        }
    }

    fn link(is_pool_vault: bool, returns_allowed: bool) -> SourceLink<u8> {
        SourceLink { priority: 1, enabled: true, reserve_floor: 10, pool: POOL, is_pool_vault, returns_allowed }
    }

    #[test]
    fn available_respects_floor_and_allowance() {
        assert_eq!(source(1, 100, 30, None).available(), 70);
        assert_eq!(source(1, 100, 130, None).available(), 0);
        assert_eq!(source(1, 100, 30, Some(50)).available(), 50);
        assert_eq!(source(1, 100, 30, Some(0)).available(), 0);
        let disabled = SourceState { enabled: false, ..source(1, 100, 0, None) };
        assert_eq!(disabled.available(), 0);
        let dead = SourceState { live: false, ..source(1, 100, 0, None) };
        assert_eq!(dead.available(), 0);
    }

    #[test]
    fn the_pool_may_move_what_it_owns_or_was_delegated() {
        assert_eq!(account(POOL, None).allowance_for(&POOL), None);
        assert_eq!(account(OWNER, Some((POOL, 40))).allowance_for(&POOL), Some(40));
        assert_eq!(account(OWNER, Some((3, 40))).allowance_for(&POOL), Some(0));
        assert_eq!(account(OWNER, None).allowance_for(&POOL), Some(0));
        let frozen = TokenAccountFacts { frozen: true, ..account(POOL, None) };
        assert_eq!(frozen.allowance_for(&POOL), Some(0));
    }

    #[test]
    fn a_dead_source_gives_nothing_and_takes_nothing() {
        let vault = SourceState::of(&link(true, false), Some(&account(POOL, None)));
        assert!(vault.live && vault.accepts_returns);
        assert_eq!(vault.available(), 90);
        let closed = SourceState::of(&link(true, false), None);
        assert!(!closed.live && !closed.accepts_returns);
        assert_eq!((closed.balance, closed.allowance, closed.available()), (0, Some(0), 0));
        let frozen =
            SourceState::of(&link(true, false), Some(&TokenAccountFacts { frozen: true, ..account(POOL, None) }));
        assert!(!frozen.live && !frozen.accepts_returns);
        assert_eq!(frozen.available(), 0);
    }

    #[test]
    fn only_vaults_and_allowed_venues_take_returns() {
        let venue = account(OWNER, Some((POOL, 50)));
        assert!(!SourceState::of(&link(false, false), Some(&venue)).accepts_returns);
        assert!(SourceState::of(&link(false, true), Some(&venue)).accepts_returns);
        let memo = TokenAccountFacts { memo_required: true, ..venue };
        let memo_venue = SourceState::of(&link(false, true), Some(&memo));
        assert!(memo_venue.live && !memo_venue.accepts_returns);
        assert_eq!(memo_venue.available(), 50);
    }

    #[test]
    fn a_push_is_clamped_to_what_the_pool_may_move() {
        assert_eq!(clamp_push(70, None), Ok(70));
        assert_eq!(clamp_push(70, Some(30)), Ok(30));
        assert_eq!(clamp_push(70, Some(0)), Err(PolicyError::DestinationNotSignable));
        assert_eq!(clamp_push(0, None), Err(PolicyError::DestinationNotSignable));
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
