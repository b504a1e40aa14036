use core::fmt;

/// Why a policy refuses to act. The program maps each variant to its own error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// `min <= target <= max` does not hold, or `max` is zero.
    InvalidThresholds,
    /// A basis-point value is above 10,000 (or a ratio is 0% or 100%).
    InvalidBasisPoints,
    /// Two funding sources share a priority, or a priority is 0.
    DuplicatePriority,
    /// More funding sources than `MAX_SOURCES`.
    TooManySources,
    /// A threshold top-up was asked for while the balance is not below `min`.
    NotBelowMin,
    /// A forecast top-up was asked for while the balance is outside the forecast band.
    OutsideForecastBand,
    /// The balance is already at or above the goal (target, or max for a manual top-up).
    NothingToMove,
    /// A manual amount of zero.
    ZeroAmount,
    /// The per-period automation cap is used up.
    AutomationCapReached,
    /// No enabled source has anything above its reserve floor / allowance.
    NoFundsAvailable,
    /// A sweep was asked for while the balance is not above `max`.
    NotAboveMax,
    /// No enabled funding source to return an excess to.
    NoEnabledSource,
    /// A ratio rebalance was asked for while the drift is inside the band.
    WithinBand,
    /// An intermediate value did not fit.
    Overflow,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::InvalidThresholds => "thresholds must satisfy min <= target <= max and max > 0",
            Self::InvalidBasisPoints => "basis points must be within 0..=10000",
            Self::DuplicatePriority => "funding source priorities must be unique and at least 1",
            Self::TooManySources => "a managed balance has at most 8 funding sources",
            Self::NotBelowMin => "the balance is not below min",
            Self::OutsideForecastBand => "the balance is outside the forecast band",
            Self::NothingToMove => "the balance is already at its goal",
            Self::ZeroAmount => "the amount must be greater than zero",
            Self::AutomationCapReached => "the per-period automation cap is used up",
            Self::NoFundsAvailable => "no funding source has funds above its floor",
            Self::NotAboveMax => "the balance is not above max",
            Self::NoEnabledSource => "no enabled funding source",
            Self::WithinBand => "the ratio drift is inside the band",
            Self::Overflow => "arithmetic overflow",
        };
        f.write_str(text)
    }
}

impl std::error::Error for PolicyError {}
