use anchor_lang::prelude::*;
use smart_treasury_policy::PolicyError;

#[error_code]
pub enum TreasuryError {
    #[msg("Signer is not the treasury authority")]
    NotAuthority,
    #[msg("Signer is neither the guardian nor the authority")]
    NotGuardianOrAuthority,
    #[msg("Signer is not the pending authority")]
    NotPendingAuthority,
    #[msg("No authority handover is pending")]
    NoPendingAuthority,
    #[msg("Signer is not on the keeper allow-list")]
    KeeperNotAllowed,
    #[msg("Too many keepers: at most 8")]
    TooManyKeepers,
    #[msg("The treasury is paused")]
    Paused,
    #[msg("The treasury is not paused")]
    NotPaused,
    #[msg("Account belongs to another treasury")]
    WrongTreasury,
    #[msg("Name must be 1 to 32 bytes of UTF-8")]
    InvalidName,
    #[msg("Mint has a permanent delegate, which could move the treasury's tokens")]
    MintHasPermanentDelegate,
    #[msg("Mint has a transfer hook, which could run arbitrary code on every move")]
    MintHasTransferHook,
    #[msg("Mint is non-transferable")]
    MintNonTransferable,
    #[msg("Mint has a Token-2022 extension this program does not support")]
    UnsupportedMintExtension,
    #[msg("Token account has the wrong mint")]
    WrongMint,
    #[msg("Account is not a token account of the managed balance's token program")]
    NotATokenAccount,
    #[msg("Token program does not match the mint's owner")]
    WrongTokenProgram,
    #[msg("Token account is not owned by the given pool")]
    NotPoolVault,
    #[msg("Destination does not match the managed balance")]
    WrongDestination,
    #[msg("Pool does not match the one recorded for this account")]
    WrongPool,
    #[msg("Thresholds must satisfy min <= target <= max and max > 0")]
    InvalidThresholds,
    #[msg("Basis points out of range (0..=10000; a ratio strictly between 0 and 10000)")]
    InvalidBasisPoints,
    #[msg("Cooldown too long: at most 30 days")]
    InvalidCooldown,
    #[msg("Rate-limit period must be 1 second to 366 days and its cap above zero")]
    InvalidRateLimit,
    #[msg("Funding source priorities must be unique and at least 1")]
    DuplicatePriority,
    #[msg("A managed balance has at most 8 funding sources")]
    TooManySources,
    #[msg("This account is already linked as a funding source")]
    SourceAlreadyLinked,
    #[msg("No linked funding source at that index")]
    SourceNotFound,
    #[msg("A funding source cannot be the destination itself")]
    SourceIsDestination,
    #[msg("Remaining accounts must be the enabled funding sources in priority order, two accounts each")]
    WrongSourceAccounts,
    #[msg("Sources were short and not all enabled funding sources were passed")]
    MissingFundingSources,
    #[msg("Managed balance is disabled")]
    ManagedBalanceDisabled,
    #[msg("Instruction does not apply to this managed balance's mode")]
    WrongMode,
    #[msg("Ratio mode needs a linked counterpart (the priority-1 funding source)")]
    NoCounterpart,
    #[msg("Config version changed since the transaction was built; rebuild it")]
    StaleConfigVersion,
    #[msg("Cooldown between automatic movements has not elapsed")]
    CooldownActive,
    #[msg("The automation cap for the last period is used up")]
    AutomationCapReached,
    #[msg("Balance is not below min")]
    NotBelowMin,
    #[msg("Balance is outside the forecast band")]
    OutsideForecastBand,
    #[msg("Balance is already at its goal")]
    NothingToMove,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("No funding source has funds above its floor and allowance")]
    NoFundsAvailable,
    #[msg("Balance is not above max")]
    NotAboveMax,
    #[msg("No enabled funding source")]
    NoEnabledSource,
    #[msg("Ratio drift is inside the band")]
    WithinBand,
    #[msg("The destination's pool cannot sign for it: not its owner nor its delegate")]
    DestinationNotSignable,
    #[msg("Spender is disabled")]
    SpenderDisabled,
    #[msg("Spend exceeds what is left of the spender's limit for the last period")]
    SpendLimitExceeded,
    #[msg("Arithmetic overflow")]
    MathOverflow,
    #[msg("Account already exists")]
    AlreadyInitialized,
    #[msg("Signer is not this spender")]
    NotSpender,
    #[msg("A keeper appears twice in the allow-list")]
    DuplicateKeeper,
    // Codes above are stable; new ones go at the end.
    #[msg("Treasury config version changed since the transaction was built; rebuild it")]
    StaleTreasuryConfig,
    #[msg("Mint has a close authority: it could be closed and re-created with other extensions")]
    MintCloseable,
    #[msg("Token account requires a memo on incoming transfers (Token-2022 memo transfer)")]
    MemoRequired,
    #[msg("The mint's current transfer fee is above the one accepted for this managed balance")]
    TransferFeeAboveAccepted,
    #[msg("What arrived differs from what was sent less the mint's transfer fee")]
    TransferAmountMismatch,
    #[msg("No enabled funding source may take returned funds: a pool vault, or a venue allowed to")]
    NoReturnTarget,
    #[msg("The counterpart is a venue not allowed to take returned funds")]
    ReturnTargetNotAllowed,
}

impl From<PolicyError> for TreasuryError {
    fn from(error: PolicyError) -> Self {
        match error {
            PolicyError::InvalidThresholds => Self::InvalidThresholds,
            PolicyError::InvalidBasisPoints => Self::InvalidBasisPoints,
            PolicyError::InvalidCooldown => Self::InvalidCooldown,
            PolicyError::InvalidRateLimit => Self::InvalidRateLimit,
            PolicyError::DuplicatePriority => Self::DuplicatePriority,
            PolicyError::TooManySources => Self::TooManySources,
            PolicyError::NotBelowMin => Self::NotBelowMin,
            PolicyError::OutsideForecastBand => Self::OutsideForecastBand,
            PolicyError::NothingToMove => Self::NothingToMove,
            PolicyError::ZeroAmount => Self::ZeroAmount,
            PolicyError::CooldownActive => Self::CooldownActive,
            PolicyError::AutomationCapReached => Self::AutomationCapReached,
            PolicyError::NoFundsAvailable => Self::NoFundsAvailable,
            PolicyError::NotAboveMax => Self::NotAboveMax,
            PolicyError::NoEnabledSource => Self::NoEnabledSource,
            PolicyError::NoReturnTarget => Self::NoReturnTarget,
            PolicyError::ReturnTargetNotAllowed => Self::ReturnTargetNotAllowed,
            PolicyError::DestinationNotSignable => Self::DestinationNotSignable,
            PolicyError::WithinBand => Self::WithinBand,
            PolicyError::TransferFeeAboveAccepted => Self::TransferFeeAboveAccepted,
            PolicyError::Overflow => Self::MathOverflow,
        }
    }
}

/// Lets handlers write `policy_call()?` and get the matching program error.
pub fn policy<T>(result: core::result::Result<T, PolicyError>) -> Result<T> {
    result.map_err(|error| error!(TreasuryError::from(error)))
}
