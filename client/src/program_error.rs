//! Turns a failed transaction into words: the program's own error (looked up in the
//! committed IDL, so the names never drift from the program), or the runtime's.

use serde::Deserialize;
use solana_instruction_error::InstructionError;
use solana_transaction_error::TransactionError;
use std::sync::OnceLock;

const IDL: &str = include_str!("../../idl/smart_treasury.json");

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ProgramError {
    pub code: u32,
    pub name: String,
    pub msg: String,
}

#[derive(Deserialize)]
struct Idl {
    errors: Vec<ProgramError>,
}

fn program_errors() -> &'static [ProgramError] {
    static ERRORS: OnceLock<Vec<ProgramError>> = OnceLock::new();
    ERRORS.get_or_init(|| serde_json::from_str::<Idl>(IDL).map(|idl| idl.errors).unwrap_or_default())
}

/// Anchor's own checks that an operator can run into with a wrong address.
fn anchor_error(code: u32) -> Option<(&'static str, &'static str)> {
    Some(match code {
        2001 => ("ConstraintHasOne", "an account does not belong to the one it is linked to"),
        2006 => ("ConstraintSeeds", "an account is not at its expected program address"),
        3001 => ("AccountDiscriminatorNotFound", "an account is empty or not a program account"),
        3002 => ("AccountDiscriminatorMismatch", "an account is of the wrong kind"),
        3007 => ("AccountOwnedByWrongProgram", "an account is owned by another program"),
        3012 => ("AccountNotInitialized", "an account does not exist yet"),
        _ => return None,
    })
}

/// The program error of this code, from the IDL.
pub fn program_error(code: u32) -> Option<&'static ProgramError> {
    program_errors().iter().find(|error| error.code == code)
}

/// A readable account of why a transaction failed.
pub fn describe(error: &TransactionError) -> String {
    match error {
        TransactionError::InstructionError(index, InstructionError::Custom(code)) => {
            if let Some(known) = program_error(*code) {
                format!("instruction {index} failed: {} ({}, error {})", known.msg, known.name, known.code)
            } else if let Some((name, msg)) = anchor_error(*code) {
                format!("instruction {index} failed: {msg} ({name}, error {code})")
            } else {
                format!("instruction {index} failed with custom error {code}")
            }
        }
        TransactionError::InstructionError(index, other) => format!("instruction {index} failed: {other}"),
        TransactionError::AccountNotFound => {
            "the fee payer has no SOL on this cluster: fund it (e.g. `solana airdrop`) and retry".to_string()
        }
        TransactionError::InsufficientFundsForFee => "the fee payer cannot pay the fee: fund it and retry".into(),
        other => other.to_string(),
    }
}

/// The program error code of a failed transaction, if it is one.
pub fn custom_code(error: &TransactionError) -> Option<u32> {
    match error {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => Some(*code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_program_errors_from_the_idl() {
        let not_authority = u32::from(smart_treasury::error::TreasuryError::NotAuthority);
        let error = TransactionError::InstructionError(0, InstructionError::Custom(not_authority));
        let text = describe(&error);
        assert!(text.contains("Signer is not the treasury authority"), "{text}");
        assert!(text.contains("NotAuthority"), "{text}");
        assert_eq!(custom_code(&error), Some(not_authority));
        let thresholds = u32::from(smart_treasury::error::TreasuryError::InvalidThresholds);
        assert_eq!(program_error(thresholds).unwrap().name, "InvalidThresholds");
    }

    #[test]
    fn names_anchor_and_runtime_errors() {
        let error = TransactionError::InstructionError(1, InstructionError::Custom(3012));
        assert!(describe(&error).contains("AccountNotInitialized"));
        assert!(describe(&TransactionError::AccountNotFound).contains("fund it"));
    }
}
