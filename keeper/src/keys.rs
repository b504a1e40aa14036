//! The keeper's own key: read only from a file its owner alone can read, and checked
//! against the treasury's authority, which a keeper never needs. Cranks are open to any
//! allowed key; an authority key on an always-on machine could change every rule.

use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use smart_treasury::state::Treasury;
use smart_treasury_client::{keypair, read};
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use std::path::Path;

/// How to name another keeper key, in errors about this one.
const KEEPER_KEYPAIR_OPTION: &str =
    "--keeper-keypair FILE (or `keypair` in the config file, or SMART_TREASURY_KEEPER_KEYPAIR)";

/// The keeper's keypair, refused when there is none or others can read its file.
pub fn load(path: Option<&Path>) -> Result<Keypair> {
    let path = path.context(
        "the keeper needs a keypair of its own to sign cranks (not the treasury authority's): make one with \
         `solana-keygen new -o keeper.json`, send it a little SOL for fees, and pass --keeper-keypair keeper.json \
         (or set `keypair` in the config file, or SMART_TREASURY_KEEPER_KEYPAIR)",
    )?;
    Ok(keypair::load_private_keypair(path, KEEPER_KEYPAIR_OPTION)?)
}

/// What is wrong with signing cranks with `keeper` for `treasury`, if anything.
pub fn authority_warning(keeper: &Pubkey, treasury: &Treasury) -> Option<String> {
    let role = if *keeper == treasury.authority {
        "the treasury's authority"
    } else if treasury.pending_authority == Some(*keeper) {
        "the treasury's proposed authority"
    } else {
        return None;
    };
    Some(format!(
        "the keeper signs with {role} ({keeper}): a keeper needs no authority, and a leak of this always-on key \
         could change every rule. Give the keeper a key of its own (`solana-keygen new -o keeper.json`, \
         --keeper-keypair keeper.json)"
    ))
}

/// Reads the treasury and warns when the keeper's key governs it. A read failure is
/// only logged: discovery reports an unreachable RPC on its own.
pub async fn warn_if_authority(rpc: &RpcClient, treasury: &Pubkey, keeper: &Pubkey) {
    match read::treasury(rpc, treasury).await {
        Ok(account) => {
            if let Some(warning) = authority_warning(keeper, &account) {
                tracing::warn!(%keeper, "{warning}");
            }
        }
        Err(error) => tracing::debug!(%error, "could not read the treasury to check the keeper's key"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::AccountDeserialize;

    fn treasury(authority: Pubkey, pending: Option<Pubkey>) -> Treasury {
        let mut data = vec![0u8; 8 + std::mem::size_of::<Treasury>() * 2];
        data[..8].copy_from_slice(<Treasury as anchor_lang::Discriminator>::DISCRIMINATOR);
        let mut treasury = Treasury::try_deserialize(&mut data.as_slice()).expect("a zeroed treasury decodes");
        treasury.authority = authority;
        treasury.pending_authority = pending;
        treasury
    }

    #[test]
    fn warns_only_when_the_keeper_key_is_or_is_about_to_be_the_authority() {
        let (keeper, other) = (Pubkey::new_unique(), Pubkey::new_unique());
        let warning = authority_warning(&keeper, &treasury(keeper, None)).expect("a warning");
        assert!(warning.contains("the treasury's authority") && warning.contains("--keeper-keypair"), "{warning}");
        let pending = authority_warning(&keeper, &treasury(other, Some(keeper))).expect("a warning");
        assert!(pending.contains("proposed authority"), "{pending}");
        assert_eq!(authority_warning(&keeper, &treasury(other, None)), None);
    }

    #[test]
    fn no_keypair_says_how_to_make_one() {
        let error = load(None).unwrap_err().to_string();
        assert!(error.contains("solana-keygen new") && error.contains("--keeper-keypair"), "{error}");
    }
}
