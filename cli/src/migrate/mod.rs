//! Declarative treasury files: `plan` diffs a file against the chain, `apply` signs the
//! steps with the local authority and sends them in order, `export` writes them as
//! unsigned transactions. Applying twice changes nothing: the second plan is empty.

pub mod chain;
pub mod declared;
pub mod file;
pub mod load;
pub mod locate;
pub mod plan;
pub mod sources;
pub mod step;

#[cfg(test)]
mod tests;

use anchor_lang::prelude::Pubkey;
use smart_treasury_client::Change;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signer::Signer;
use std::path::Path;

pub use load::{FileError, TreasuryDocument};
pub use plan::Plan;

/// Loads the file, reads the chain and diffs them.
pub async fn prepare(rpc: &RpcClient, path: &Path) -> anyhow::Result<(TreasuryDocument, Plan)> {
    let document = load::load(path)?;
    tracing::debug!(file = %path.display(), "treasury file checked");
    let state = chain::read_chain(rpc, &document.declared).await?;
    let plan = plan::plan(&document.declared, &state).map_err(|errors| document.locate(errors))?;
    Ok((document, plan))
}

/// The plan's steps as changes signed by `authority`. A new treasury needs its create
/// key, which must match the file's `create_key`.
pub fn changes(
    document: &TreasuryDocument,
    plan: &Plan,
    authority: &Pubkey,
    create_key: Option<&Keypair>,
) -> anyhow::Result<Vec<Change>> {
    let wanted = document.declared.treasury.create_key;
    if plan.creates_treasury {
        match create_key {
            None => anyhow::bail!(
                "treasury {} does not exist yet: pass --create-key FILE, the keypair of create_key {wanted} \
                 declared in {}, to create it",
                plan.treasury,
                document.path.display()
            ),
            Some(key) if key.pubkey() != wanted => anyhow::bail!(
                "--create-key holds {}, but {} declares create_key {wanted}: pass the matching keypair",
                key.pubkey(),
                document.path.display()
            ),
            Some(_) => {}
        }
    }
    Ok(plan.steps.iter().map(|step| step.to_change(&plan.treasury, authority, create_key)).collect())
}
