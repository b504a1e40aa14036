//! The bank a request reads, and the `{context, value}` envelope around what it returns.

use crate::{node::Node, rpc::params::RpcResult};
use jsonrpc_core::Error;
use solana_clock::Slot;
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client_api::custom_error::RpcCustomError;
use solana_rpc_client_types::response::{Response, RpcResponseContext};
use solana_runtime::bank::Bank;
use std::sync::Arc;

/// The bank at `commitment`, refusing it when it has not reached `min_context_slot`.
pub(crate) fn bank(
    node: &Node,
    commitment: Option<CommitmentConfig>,
    min_context_slot: Option<Slot>,
) -> RpcResult<Arc<Bank>> {
    let bank = node.bank(commitment);
    match min_context_slot {
        Some(min) if bank.slot() < min => {
            Err(RpcCustomError::MinContextSlotNotReached { context_slot: bank.slot() }.into())
        }
        _ => Ok(bank),
    }
}

pub(crate) fn respond<T>(bank: &Bank, value: T) -> Response<T> {
    Response { context: RpcResponseContext::new(bank.slot()), value }
}

/// The highest slot a read at `commitment` sees: history and blocks at `finalized` end at
/// the root, at anything else at the confirmed slot.
pub(crate) fn highest_settled_slot(node: &Node, commitment: Option<CommitmentConfig>) -> Slot {
    let settled = node.settled_slots();
    if commitment.unwrap_or_default().is_finalized() {
        settled.finalized
    } else {
        settled.confirmed
    }
}

/// History methods read completed slots only, as the RPC's do.
pub(crate) fn at_least_confirmed(commitment: Option<CommitmentConfig>) -> RpcResult<()> {
    if commitment.unwrap_or_default().is_at_least_confirmed() {
        Ok(())
    } else {
        Err(Error::invalid_params("Method does not support commitment below `confirmed`"))
    }
}
