use crate::{constants::NAME_LEN, error::TreasuryError};
use anchor_lang::prelude::*;

/// A human name stored in a fixed 32-byte field, zero padded.
pub fn encode_name(name: &str) -> Result<[u8; NAME_LEN]> {
    let bytes = name.as_bytes();
    require!(!bytes.is_empty() && bytes.len() <= NAME_LEN, TreasuryError::InvalidName);
    require!(!bytes.contains(&0), TreasuryError::InvalidName);
    let mut stored = [0u8; NAME_LEN];
    stored[..bytes.len()].copy_from_slice(bytes);
    Ok(stored)
}

/// The stored name without its padding.
pub fn decode_name(stored: &[u8; NAME_LEN]) -> &str {
    let len = stored.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
    core::str::from_utf8(&stored[..len]).unwrap_or("")
}
