//! Creates this program's PDA accounts. Anchor 1.2's `init` creates an address that
//! already holds lamports with the system program's `CreateAccountAllowPrefund`, which
//! agave 3.1 does not know: anyone could then block a pool or managed-balance id
//! forever by sending it a few lamports. Transfer, allocate and assign work everywhere.

use crate::error::TreasuryError;
use anchor_lang::{
    prelude::*,
    system_program::{allocate, assign, create_account, transfer, Allocate, Assign, CreateAccount, Transfer},
    Discriminator,
};

/// Creates `target` (the PDA of `seeds`, bump included) owned by this program with
/// room for `T`, and writes `value` into it.
pub fn create_program_account<'info, T>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
    seeds: &[&[u8]],
    space: usize,
    value: &T,
) -> Result<()>
where
    T: AccountSerialize + Discriminator,
{
    let signer: &[&[&[u8]]] = &[seeds];
    let required = Rent::get()?.minimum_balance(space);
    let current = target.lamports();
    if current == 0 {
        let accounts = CreateAccount { from: payer.clone(), to: target.clone() };
        create_account(
            CpiContext::new_with_signer(system_program.key(), accounts, signer),
            required,
            space as u64,
            &crate::ID,
        )?;
    } else {
        // Pre-funded by someone: only an empty system account may be taken over.
        require_keys_eq!(*target.owner, system_program.key(), TreasuryError::AlreadyInitialized);
        require!(target.data_is_empty(), TreasuryError::AlreadyInitialized);
        if required > current {
            let accounts = Transfer { from: payer.clone(), to: target.clone() };
            transfer(CpiContext::new(system_program.key(), accounts), required - current)?;
        }
        let accounts = Allocate { account_to_allocate: target.clone() };
        allocate(CpiContext::new_with_signer(system_program.key(), accounts, signer), space as u64)?;
        let accounts = Assign { account_to_assign: target.clone() };
        assign(CpiContext::new_with_signer(system_program.key(), accounts, signer), &crate::ID)?;
    }
    let mut data = target.try_borrow_mut_data()?;
    value.try_serialize(&mut &mut data[..])
}
