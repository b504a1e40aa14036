//! Program addresses, derived from the program's own seed constants.

use anchor_lang::prelude::Pubkey;
use smart_treasury::{
    constants::{MANAGED_BALANCE_SEED, POOL_SEED, SPENDER_SEED, TREASURY_SEED},
    ID,
};

pub fn treasury_pda(create_key: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[TREASURY_SEED, create_key.as_ref()], &ID).0
}

pub fn pool_pda(treasury: &Pubkey, pool_id: u16) -> Pubkey {
    Pubkey::find_program_address(&[POOL_SEED, treasury.as_ref(), &pool_id.to_le_bytes()], &ID).0
}

pub fn managed_balance_pda(treasury: &Pubkey, id: u32) -> Pubkey {
    Pubkey::find_program_address(&[MANAGED_BALANCE_SEED, treasury.as_ref(), &id.to_le_bytes()], &ID).0
}

pub fn spender_pda(vault: &Pubkey, spender: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[SPENDER_SEED, vault.as_ref(), spender.as_ref()], &ID).0
}

/// The PDA that signs the program's event self-CPIs.
pub fn event_authority() -> Pubkey {
    smart_treasury::EVENT_AUTHORITY_AND_BUMP.0
}

/// A pool's vault for `mint`: the pool's associated token account.
pub fn vault_address(pool: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    anchor_spl::associated_token::get_associated_token_address_with_program_id(pool, mint, token_program)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_depend_on_every_seed() {
        let treasury = treasury_pda(&Pubkey::new_from_array([1; 32]));
        assert_ne!(pool_pda(&treasury, 1), pool_pda(&treasury, 2));
        assert_ne!(managed_balance_pda(&treasury, 1), managed_balance_pda(&treasury, 2));
        assert_ne!(pool_pda(&treasury, 1), managed_balance_pda(&treasury, 1));
        let vault = Pubkey::new_from_array([2; 32]);
        assert_ne!(spender_pda(&vault, &Pubkey::new_from_array([3; 32])), spender_pda(&vault, &treasury));
    }
}
