//! A small native program standing in for a DAO or multisig: its PDA is the treasury
//! authority, and it executes an instruction by signing for that PDA with
//! `invoke_signed`, as SPL Governance or Squads do when a proposal passes.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::{
    account_info::AccountInfo,
    entrypoint::ProgramResult,
    instruction::{AccountMeta, Instruction},
    program_error::ProgramError,
};

pub const ID: Pubkey = Pubkey::new_from_array([7; 32]);
const SEED: &[u8] = b"governance";

/// The authority address this program signs for.
pub fn authority() -> (Pubkey, u8) {
    Pubkey::find_program_address(&[SEED], &ID)
}

/// Accounts: the target program, then the inner instruction's accounts.
/// Data: the inner instruction's data.
pub fn process(_program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let (target, inner) = accounts.split_first().ok_or(ProgramError::NotEnoughAccountKeys)?;
    let (authority, bump) = authority();
    let metas = inner
        .iter()
        .map(|info| AccountMeta {
            pubkey: *info.key,
            is_signer: info.is_signer || *info.key == authority,
            is_writable: info.is_writable,
        })
        .collect();
    let ix = Instruction { program_id: *target.key, accounts: metas, data: data.to_vec() };
    anchor_lang::solana_program::program::invoke_signed(&ix, inner, &[&[SEED, &[bump]]])
}

/// Wraps `inner` so the governance program executes it as its authority PDA.
pub fn execute(inner: Instruction) -> Instruction {
    let (authority, _) = authority();
    let mut accounts = vec![AccountMeta::new_readonly(inner.program_id, false)];
    accounts.extend(inner.accounts.into_iter().map(|mut meta| {
        if meta.pubkey == authority {
            meta.is_signer = false;
        }
        meta
    }));
    Instruction { program_id: ID, accounts, data: inner.data }
}
