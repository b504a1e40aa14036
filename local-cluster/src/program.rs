//! Smart Treasury as the cluster runs it: natively (a runtime builtin) or as an SBF binary.

use anyhow::Context;
use solana_program_runtime::{invoke_context::BuiltinFunctionWithContext, loaded_programs::ProgramCacheEntry};
use solana_program_test::processor;
use std::path::Path;

pub const PROGRAM_NAME: &str = "smart_treasury";

/// The native program as a runtime builtin: its `msg!` lines reach the transaction's
/// log, as on the SBF build (`smart_treasury::native`).
pub(crate) fn native_builtin() -> ProgramCacheEntry {
    let function: Option<BuiltinFunctionWithContext> = processor!(smart_treasury::native::entry);
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
