//! Smart Treasury as the cluster runs it: natively (a runtime builtin) or as an SBF binary.

use anchor_lang::solana_program::{account_info::AccountInfo, entrypoint::ProgramResult, pubkey::Pubkey};
use anyhow::Context;
use solana_program_runtime::{invoke_context::BuiltinFunctionWithContext, loaded_programs::ProgramCacheEntry};
use solana_program_test::processor;
use std::path::Path;

pub const PROGRAM_NAME: &str = "smart_treasury";

/// The program's entrypoint in the shape the runtime calls a builtin.
///
/// Anchor's `entry` ties its arguments to one lifetime; the builtin signature does not.
/// Leaking copies of the arguments (the account copies share the same balances and data)
/// bridges the two without unsafe code. Each instruction leaks a few hundred bytes: fine for
/// a development cluster, and why production runs the SBF build.
pub fn smart_treasury_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let program_id: &'static Pubkey = Box::leak(Box::new(*program_id));
    let data: &'static [u8] = Box::leak(data.to_vec().into_boxed_slice());
    let accounts = Box::leak(accounts.to_vec().into_boxed_slice());
    smart_treasury::entry(program_id, accounts, data)
}

/// The native program as a runtime builtin.
pub(crate) fn native_builtin() -> ProgramCacheEntry {
    let function: Option<BuiltinFunctionWithContext> = processor!(smart_treasury_entry);
    let function = function.expect("processor! always yields a function");
    ProgramCacheEntry::new_builtin(0, PROGRAM_NAME.len(), function)
}

/// Reads an SBF build of the program, refusing anything that is not an ELF file.
pub(crate) fn read_sbf(path: &Path) -> anyhow::Result<Vec<u8>> {
    let elf = std::fs::read(path).with_context(|| format!("cannot read the program file {}", path.display()))?;
    anyhow::ensure!(
        elf.starts_with(b"\x7fELF"),
        "{} is not an SBF program: it does not start with the ELF magic bytes",
        path.display()
    );
    Ok(elf)
}
