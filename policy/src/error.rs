use core::fmt;

/// Why a policy refuses to act. The program maps each variant to its own error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// `min <= target <= max` does not hold, or `max` is zero.
    InvalidThresholds,
    /// A basis-point value is above 10,000 (or a ratio is 0% or 100%).
    InvalidBasisPoints,
    /// A cooldown above 30 days.
    InvalidCooldown,
    /// A rate-limit period outside 1 second to 366 days, or a cap or limit of zero.
    InvalidRateLimit,
    /// Two funding sources share a priority, or a priority is 0.
    DuplicatePriority,
    /// More funding sources than `MAX_SOURCES`.
    TooManySources,
    /// An automatic top-up was asked for while the balance is not below `min` and there
    /// is no forecast band.
    NotBelowMin,
    /// An automatic top-up was asked for while the balance is at or above the forecast
    /// band's ceiling.
    OutsideForecastBand,
    /// The balance is already at or above the goal (target, or max for a manual top-up).
    NothingToMove,
    /// A manual amount of zero.
    ZeroAmount,
    /// The cooldown since the last automatic movement has not elapsed.
    CooldownActive,
    /// What automation moved in the last period already reaches the cap.
    AutomationCapReached,
    /// No enabled source has anything above its reserve floor / allowance.
    NoFundsAvailable,
    /// A sweep was asked for while the balance is not above `max`.
    NotAboveMax,
    /// No enabled funding source.
    NoEnabledSource,
    /// No enabled funding source may take returned funds: pool vaults may, venues only
    /// when the authority allowed it, and neither when closed, frozen or memo-required.
    NoReturnTarget,
    /// The ratio counterpart is a venue the authority has not allowed to take returns.
    ReturnTargetNotAllowed,
    /// The destination's pool may move nothing out of it: neither its owner nor a
    /// delegate with an allowance left.
    DestinationNotSignable,
    /// A ratio rebalance was asked for while the drift is inside the band.
    WithinBand,
    /// The mint's current transfer fee is above the one the authority accepted.
    TransferFeeAboveAccepted,
    /// An intermediate value did not fit.
    Overflow,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::InvalidThresholds => "thresholds must satisfy min <= target <= max and max > 0",
            Self::InvalidBasisPoints => "basis points must be within 0..=10000",
            Self::InvalidCooldown => "the cooldown must be at most 30 days",
            Self::InvalidRateLimit => "a rate-limit period must be 1 second to 366 days and its cap above zero",
            Self::DuplicatePriority => "funding source priorities must be unique and at least 1",
            Self::TooManySources => "a managed balance has at most 8 funding sources",
            Self::NotBelowMin => "the balance is not below min",
            Self::OutsideForecastBand => "the balance is outside the forecast band",
            Self::NothingToMove => "the balance is already at its goal",
            Self::ZeroAmount => "the amount must be greater than zero",
            Self::CooldownActive => "the cooldown since the last automatic movement has not elapsed",
            Self::AutomationCapReached => "the automation cap for the last period is used up",
            Self::NoFundsAvailable => "no funding source has funds above its floor",
            Self::NotAboveMax => "the balance is not above max",
            Self::NoEnabledSource => "no enabled funding source",
            Self::NoReturnTarget => "no enabled funding source may take returned funds",
            Self::ReturnTargetNotAllowed => "the counterpart is a venue not allowed to take returned funds",
            Self::DestinationNotSignable => "the destination's pool may move nothing out of it",
            Self::WithinBand => "the ratio drift is inside the band",
            Self::TransferFeeAboveAccepted => "the mint's transfer fee is above the accepted one",
            Self::Overflow => "arithmetic overflow",
        };
        f.write_str(text)
    }
}

impl std::error::Error for PolicyError {}
