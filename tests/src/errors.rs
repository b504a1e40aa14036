use crate::runtime::{Failure, Outcome, TxError};
use anchor_lang::error::{ErrorCode, ERROR_CODE_OFFSET};
use smart_treasury::error::TreasuryError;
use solana_transaction_error::TransactionError;

/// The custom error code a failed transaction carried, if any.
pub fn custom_code(failure: &Failure) -> Option<u32> {
    match &failure.error {
        TransactionError::InstructionError(_, TxError::Custom(code)) => Some(*code),
        _ => None,
    }
}

/// Asserts that the transaction failed with this program error.
pub fn assert_treasury_error(result: Result<Outcome, Failure>, expected: TreasuryError) {
    let failure = result.expect_err(&format!("expected {expected:?}, but the transaction succeeded"));
    let code = ERROR_CODE_OFFSET + expected as u32;
    assert_eq!(
        custom_code(&failure),
        Some(code),
        "expected {expected:?} ({code}), got {:?}\n{}",
        failure.error,
        failure.logs.join("\n")
    );
}

/// Asserts that the transaction failed with this Anchor framework error.
pub fn assert_anchor_error(result: Result<Outcome, Failure>, expected: ErrorCode) {
    let failure = result.expect_err(&format!("expected {expected:?}, but the transaction succeeded"));
    let code = expected as u32;
    assert_eq!(
        custom_code(&failure),
        Some(code),
        "expected {expected:?} ({code}), got {:?}\n{}",
        failure.error,
        failure.logs.join("\n")
    );
}

/// Asserts that the transaction failed with exactly this runtime error.
pub fn assert_tx_error(result: Result<Outcome, Failure>, expected: TransactionError) {
    let failure = result.expect_err(&format!("expected {expected:?}, but the transaction succeeded"));
    assert_eq!(failure.error, expected, "{}", failure.logs.join("\n"));
}
