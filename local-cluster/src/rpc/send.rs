//! sendTransaction and requestAirdrop: transactions into the working bank.

use crate::{
    faults::{Faults, Fired},
    node::Node,
    rpc::{
        context::bank,
        params::{self, arity, method},
        simulate, transaction,
    },
};
use jsonrpc_core::{Error, MetaIoHandler};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client_api::custom_error::RpcCustomError;
use solana_rpc_client_types::config::{RpcRequestAirdropConfig, RpcSendTransactionConfig};
use solana_signer::Signer;
use solana_transaction::{versioned::VersionedTransaction, Transaction};
use std::sync::Arc;

pub(crate) fn register(io: &mut MetaIoHandler<Arc<Node>>) {
    method(
        io,
        "sendTransaction",
        arity(1, 2),
        |node: Arc<Node>, (data, config): (String, Option<RpcSendTransactionConfig>)| async move {
            let config = config.unwrap_or_default();
            let versioned = transaction::decode(&data, transaction::binary_encoding(config.encoding)?)?;
            let preflight_commitment = if config.skip_preflight {
                Some(CommitmentConfig::processed())
            } else {
                config.preflight_commitment.map(|commitment| CommitmentConfig { commitment })
            };
            let bank = bank(&node, preflight_commitment, config.min_context_slot)?;
            let tx = transaction::sanitize(&bank, versioned.clone(), !config.skip_preflight)?;
            let signature = *tx.signature();

            if !config.skip_preflight {
                let simulation = simulate::run(&node, &bank, &tx, false).await?;
                if let Err(err) = &simulation.result {
                    return Err(RpcCustomError::SendTransactionPreflightFailure {
                        message: format!("Transaction simulation failed: {err}"),
                        result: simulate::result_of(simulation, &tx),
                    }
                    .into());
                }
            }
            node.subscriptions.transaction_received(&signature, bank.slot());

            // Accepted from here on: what happens next, the sender learns only by asking.
            if Faults::roll(node.faults.config().dropped_transactions) {
                node.faults.record(Fired::DroppedTransaction);
                tracing::info!(%signature, "injected fault: transaction accepted but dropped");
            } else if config.skip_preflight && !transaction::signatures_verify(&versioned) {
                tracing::debug!(%signature, "dropped: a signature does not verify");
            } else {
                // The bank thread logs what became of it.
                node.submit(tx, versioned).await.map_err(stopped)?;
            }
            Ok(signature.to_string())
        },
    );
    method(
        io,
        "requestAirdrop",
        arity(2, 3),
        |node: Arc<Node>, (address, lamports, config): (String, u64, Option<RpcRequestAirdropConfig>)| async move {
            let address = params::pubkey(&address)?;
            let config = config.unwrap_or_default();
            let bank = node.working_bank();
            let blockhash = match config.recent_blockhash {
                Some(blockhash) => params::hash(&blockhash)?,
                None => bank.last_blockhash(),
            };
            let faucet = &node.faucet;
            let transfer = solana_system_interface::instruction::transfer(&faucet.pubkey(), &address, lamports);
            let tx = Transaction::new_signed_with_payer(&[transfer], Some(&faucet.pubkey()), &[faucet], blockhash);
            let versioned = VersionedTransaction::from(tx);
            let sanitized = transaction::sanitize(&bank, versioned.clone(), false)?;
            let signature = *sanitized.signature();
            // With deferred landing the faucet's transfer lands in the next slot, as a faucet's does.
            match node.submit(sanitized, versioned).await.map_err(stopped)? {
                Some(Err(err)) => {
                    Err(params::internal_error(format!("airdrop of {lamports} lamports to {address} failed: {err}")))
                }
                Some(Ok(_)) | None => Ok(signature.to_string()),
            }
        },
    );
}

/// The bank thread is gone: the node is shutting down.
fn stopped(err: crate::node::Stopped) -> Error {
    let mut error: Error = RpcCustomError::NodeUnhealthy { num_slots_behind: None }.into();
    error.message = err.to_string();
    error
}
