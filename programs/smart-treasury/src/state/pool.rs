use crate::constants::{NAME_LEN, POOL_SEED};
use anchor_lang::prelude::*;

/// A group of vaults (token accounts it is the authority of). Each pool is its own
/// PDA, so one pool's signature can never move another pool's tokens.
/// Seeds: `["pool", treasury, pool_id (u16 LE)]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Pool {
    pub layout_version: u8,
    pub bump: u8,
    pub treasury: Pubkey,
    pub pool_id: u16,
    pub name: [u8; NAME_LEN],
    pub reserved: [u8; 32],
}

impl Pool {
    /// Seeds to sign token CPIs with; `id_bytes` must be `pool_id.to_le_bytes()`.
    pub fn signer_seeds<'a>(&'a self, id_bytes: &'a [u8; 2]) -> [&'a [u8]; 4] {
        [POOL_SEED, self.treasury.as_ref(), id_bytes, core::slice::from_ref(&self.bump)]
    }
}
