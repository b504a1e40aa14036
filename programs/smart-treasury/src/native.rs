//! The program run natively, as solana-program-test and the local cluster load it (a
//! runtime builtin), beside the SBF build production runs.
//!
//! Off-chain, `msg!` (solana-msg) prints to the process's standard output, not to the
//! transaction's log. So natively built dependents enable `no-log-ix-name`, and this
//! entry writes the lines Anchor's entry logs on-chain (the instruction's name, the
//! error and its compared values) into the transaction's log, through the runtime's
//! syscall stubs, the way the SBF build's log syscall does.

use anchor_lang::{
    compat::solana_sysvar::program_stubs,
    error::{ComparedValues, Error, ErrorOrigin},
    prelude::*,
    solana_program::entrypoint::ProgramResult,
    Discriminator,
};

/// Every instruction's discriminator and the name Anchor logs for it.
macro_rules! instruction_names {
    ($($name:ident),* $(,)?) => {
        &[$((crate::instruction::$name::DISCRIMINATOR, stringify!($name))),*]
    };
}

pub const INSTRUCTION_NAMES: &[(&[u8], &str)] = instruction_names![
    CreateTreasury,
    ProposeAuthority,
    AcceptAuthority,
    SetGuardian,
    SetCrankAccess,
    Pause,
    Unpause,
    ExpectTreasuryVersion,
    CreatePool,
    CreateVault,
    Deposit,
    Withdraw,
    AddSpender,
    UpdateSpender,
    RemoveSpender,
    Spend,
    CreateManagedBalance,
    UpdateThresholds,
    UpdateSettings,
    SetEnabled,
    LinkSource,
    UpdateSource,
    UnlinkSource,
    CloseManagedBalance,
    SetAcceptedTransferFee,
    ExpectBalanceVersion,
    TopUp,
    SweepExcess,
    RebalanceRatio,
    AdjustBalance,
];

/// The program's entry in the shape the runtime calls a builtin.
///
/// Anchor's entry ties its arguments to one lifetime; the builtin signature does not.
/// Leaking copies of the arguments (the account copies share the same balances and
/// data) bridges the two without unsafe code. Each instruction leaks a few hundred
/// bytes: fine for tests and a development cluster, and why production runs the SBF build.
pub fn entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let program_id: &'static Pubkey = Box::leak(Box::new(*program_id));
    let data: &'static [u8] = Box::leak(data.to_vec().into_boxed_slice());
    let accounts = Box::leak(accounts.to_vec().into_boxed_slice());
    if let Some(name) = instruction_name(data) {
        log(&format!("Instruction: {name}"));
    }
    crate::try_entry(program_id, accounts, data).map_err(|error| {
        log_error(&error);
        error.into()
    })
}

/// The instruction `data` calls, by its discriminator.
pub fn instruction_name(data: &[u8]) -> Option<&'static str> {
    INSTRUCTION_NAMES.iter().find(|(discriminator, _)| data.starts_with(discriminator)).map(|(_, name)| *name)
}

fn log(message: &str) {
    program_stubs::sol_log(message);
}

/// The lines Anchor's `Error::log` writes on-chain.
fn log_error(error: &Error) {
    let (kind, code, number, message, origin, compared) = match error {
        Error::AnchorError(error) => (
            "AnchorError",
            error.error_name.clone(),
            u64::from(error.error_code_number),
            error.error_msg.clone(),
            &error.error_origin,
            &error.compared_values,
        ),
        Error::ProgramError(error) => (
            "ProgramError",
            format!("{:?}", error.program_error),
            u64::from(error.program_error.clone()),
            error.program_error.to_string(),
            &error.error_origin,
            &error.compared_values,
        ),
    };
    let details = format!("Error Code: {code}. Error Number: {number}. Error Message: {message}.");
    log(&match origin {
        None => format!("{kind} occurred. {details}"),
        Some(ErrorOrigin::Source(source)) => format!("{kind} thrown in {}:{}. {details}", source.filename, source.line),
        Some(ErrorOrigin::AccountName(account)) => format!("{kind} caused by account: {account}. {details}"),
    });
    match compared {
        Some(ComparedValues::Pubkeys((left, right))) => {
            log("Left:");
            log(&left.to_string());
            log("Right:");
            log(&right.to_string());
        }
        Some(ComparedValues::Values((left, right))) => {
            log(&format!("Left: {left}"));
            log(&format!("Right: {right}"));
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instruction_of_the_idl_has_its_name() {
        let idl: serde_json::Value =
            serde_json::from_str(include_str!("../../../idl/smart_treasury.json")).expect("the IDL parses");
        let instructions = idl["instructions"].as_array().expect("instructions");
        assert_eq!(instructions.len(), INSTRUCTION_NAMES.len(), "the table lists every instruction once");
        for instruction in instructions {
            let discriminator: Vec<u8> = instruction["discriminator"]
                .as_array()
                .expect("discriminator")
                .iter()
                .map(|byte| byte.as_u64().expect("byte") as u8)
                .collect();
            let snake = instruction["name"].as_str().expect("name");
            let camel: String = snake.split('_').map(|word| word[..1].to_uppercase() + &word[1..]).collect();
            assert_eq!(instruction_name(&discriminator), Some(camel.as_str()), "{snake}");
        }
    }
}
