//! Changes become transactions one of two ways: signed by a local authority keypair
//! and sent in order, or exported unsigned (base64, one per change, in order) for a DAO
//! or multisig proposal, with the authority as the fee payer and the signer still
//! required.

use crate::{
    land::{LandConfig, LandError, Lander},
    read,
};
use anchor_lang::{prelude::Pubkey, solana_program::instruction::Instruction};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use serde::Serialize;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signer::Signer;
use solana_transaction::Transaction;

/// One change: one transaction.
pub struct Change {
    /// What it does, in an operator's words.
    pub summary: String,
    pub instructions: Vec<Instruction>,
    /// One-time keys held here that must sign too (a new treasury's create key); they
    /// sign in both modes, so an export still needs only the authority.
    pub co_signers: Vec<Keypair>,
}

impl Change {
    pub fn new(summary: impl Into<String>, instruction: Instruction) -> Self {
        Self { summary: summary.into(), instructions: vec![instruction], co_signers: Vec::new() }
    }

    pub fn with_co_signer(mut self, keypair: Keypair) -> Self {
        self.co_signers.push(keypair);
        self
    }
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Change")
            .field("summary", &self.summary)
            .field("instructions", &self.instructions.len())
            .field("co_signers", &self.co_signers.iter().map(|k| k.pubkey()).collect::<Vec<_>>())
            .finish()
    }
}

/// A change that landed.
#[derive(Clone, Debug, Serialize)]
pub struct Sent {
    pub summary: String,
    pub signature: String,
}

/// A change as an unsigned transaction.
#[derive(Clone, Debug, Serialize)]
pub struct Exported {
    pub summary: String,
    /// The serialized transaction (signature slots included, the authority's empty).
    pub transaction: String,
    /// The serialized message alone, as multisig tools import it.
    pub message: String,
    /// Who still has to sign.
    pub signers: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Read(#[from] read::ReadError),
    #[error(
        "change {step} of {total} ({summary}) failed: {reason}. The {applied} change(s) before it were \
         applied; nothing after it was sent"
    )]
    Failed { step: usize, total: usize, summary: String, reason: String, applied: usize, code: Option<u32> },
}

impl SendError {
    /// The program error code, when the program refused the change.
    pub fn program_code(&self) -> Option<u32> {
        match self {
            Self::Failed { code, .. } => *code,
            Self::Read(_) => None,
        }
    }
}

async fn blockhash(rpc: &RpcClient) -> Result<solana_hash::Hash, read::ReadError> {
    rpc.get_latest_blockhash().await.map_err(|error| read::rpc_error(rpc, error))
}

/// Signs each change with `authority` (the fee payer) and its co-signers and lands it
/// (`land::Lander`: simulated, priced, re-sent until confirmed, rebuilt on expiry)
/// before the next: later changes use accounts earlier ones make.
pub async fn send(rpc: &RpcClient, authority: &Keypair, changes: Vec<Change>) -> Result<Vec<Sent>, SendError> {
    let total = changes.len();
    let mut sent = Vec::with_capacity(total);
    for (index, change) in changes.into_iter().enumerate() {
        let step = index + 1;
        let fail = |reason: String, code: Option<u32>| SendError::Failed {
            step,
            total,
            summary: change.summary.clone(),
            reason,
            applied: index,
            code,
        };
        let lander = Lander::new(rpc, authority, LandConfig::default()).with_co_signers(change.co_signers.iter());
        match lander.land(&change.instructions, &[], &|_| {}).await {
            Ok(landed) => {
                tracing::info!(step, total, change = %change.summary, signature = %landed.signature, "applied");
                sent.push(Sent { summary: change.summary, signature: landed.signature.to_string() });
            }
            Err(LandError::Refused { code, reason, .. }) => return Err(fail(reason, code)),
            Err(LandError::Rpc { reason, .. }) if read::is_transport_failure(&reason) => {
                return Err(SendError::Read(read::ReadError::Unreachable {
                    url: rpc.url(),
                    reason: "connection failed".into(),
                }))
            }
            Err(other) => return Err(fail(other.to_string(), None)),
        }
    }
    Ok(sent)
}

/// Builds each change as an unsigned transaction paid and signed by `authority`, on one
/// recent blockhash; co-signers sign now.
pub async fn export(rpc: &RpcClient, authority: &Pubkey, changes: Vec<Change>) -> Result<Vec<Exported>, SendError> {
    let recent = blockhash(rpc).await?;
    Ok(changes.into_iter().map(|change| export_one(authority, change, recent)).collect())
}

fn export_one(authority: &Pubkey, change: Change, recent: solana_hash::Hash) -> Exported {
    let mut tx = Transaction::new_with_payer(&change.instructions, Some(authority));
    tx.message.recent_blockhash = recent;
    let co_signers: Vec<&Keypair> = change.co_signers.iter().collect();
    if !co_signers.is_empty() {
        tx.partial_sign(&co_signers, recent);
    }
    let required = usize::from(tx.message.header.num_required_signatures);
    let signers = tx.message.account_keys[..required]
        .iter()
        .zip(&tx.signatures)
        .filter(|(_, signature)| **signature == Default::default())
        .map(|(key, _)| key.to_string())
        .collect();
    let bytes = bincode::serialize(&tx).expect("a transaction always serializes");
    Exported {
        summary: change.summary,
        transaction: BASE64.encode(bytes),
        message: BASE64.encode(tx.message_data()),
        signers,
    }
}

/// Reads back an exported transaction (to sign it, or to check it).
pub fn decode_exported(base64: &str) -> Result<Transaction, String> {
    let bytes = BASE64.decode(base64.trim()).map_err(|error| format!("not base64: {error}"))?;
    bincode::deserialize(&bytes).map_err(|error| format!("not a serialized transaction: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_leaves_only_the_authority_to_sign() {
        let authority = Pubkey::new_unique();
        let create_key = Keypair::new();
        let ix = crate::ix::create_treasury(
            authority,
            create_key.pubkey(),
            smart_treasury::instructions::CreateTreasuryArgs {
                authority,
                guardian: authority,
                crank_access: smart_treasury::state::CrankAccess::Permissionless,
                keepers: vec![],
            },
        );
        let recent = solana_hash::Hash::new_from_array([5; 32]);
        let exported = export_one(&authority, Change::new("create treasury", ix).with_co_signer(create_key), recent);
        assert_eq!(exported.signers, vec![authority.to_string()]);
        let tx = decode_exported(&exported.transaction).unwrap();
        assert_eq!(tx.message.account_keys[0], authority);
        assert_eq!(tx.message.recent_blockhash, recent);
        assert_eq!(BASE64.encode(tx.message_data()), exported.message);
        // The create key signed; the authority's slot is empty.
        assert_eq!(tx.signatures.iter().filter(|s| **s == Default::default()).count(), 1);
    }
}
