//! What happened to transactions: statuses, full transactions with metadata, and an
//! address's signatures.

use crate::{
    node::{
        history::{Page, TxRecord},
        Node, SettledSlots,
    },
    rpc::{
        context::{at_least_confirmed, highest_settled_slot, respond},
        params::{self, arity, method, RpcResult},
    },
};
use jsonrpc_core::{Error, MetaIoHandler};
use solana_clock::Slot;
use solana_rpc_client_api::custom_error::RpcCustomError;
use solana_rpc_client_types::{
    config::{RpcEncodingConfigWrapper, RpcSignatureStatusConfig, RpcSignaturesForAddressConfig, RpcTransactionConfig},
    request::{MAX_GET_CONFIRMED_SIGNATURES_FOR_ADDRESS2_LIMIT, MAX_GET_SIGNATURE_STATUSES_QUERY_ITEMS},
    response::RpcConfirmedTransactionStatusWithSignature,
};
use solana_transaction_status::{
    extract_memos::extract_and_fmt_memos, ConfirmedTransactionWithStatusMeta, TransactionConfirmationStatus,
    TransactionStatus, TransactionWithStatusMeta, UiTransactionEncoding, VersionedTransactionWithStatusMeta,
};
use std::sync::Arc;

pub(crate) fn register(io: &mut MetaIoHandler<Arc<Node>>) {
    method(
        io,
        "getSignatureStatuses",
        arity(1, 2),
        |node: Arc<Node>, (signatures, _config): (Vec<String>, Option<RpcSignatureStatusConfig>)| async move {
            if signatures.len() > MAX_GET_SIGNATURE_STATUSES_QUERY_ITEMS {
                return Err(Error::invalid_params(format!(
                    "Too many inputs provided; max {MAX_GET_SIGNATURE_STATUSES_QUERY_ITEMS}"
                )));
            }
            let signatures =
                signatures.iter().map(|signature| params::signature(signature)).collect::<RpcResult<Vec<_>>>()?;
            // The whole history is kept, so searchTransactionHistory changes nothing.
            let working = node.working_bank();
            let settled = node.settled_slots();
            let statuses: Vec<Option<TransactionStatus>> = signatures
                .iter()
                .map(|signature| node.history.get(signature).map(|record| status(&record, settled)))
                .collect();
            Ok(respond(&working, statuses))
        },
    );
    method(
        io,
        "getTransaction",
        arity(1, 2),
        |node: Arc<Node>, (signature, config): (String, Option<RpcEncodingConfigWrapper<RpcTransactionConfig>>)| async move {
            let signature = params::signature(&signature)?;
            let config = config.map(|config| config.convert_to_current()).unwrap_or_default();
            at_least_confirmed(config.commitment)?;
            let highest = highest_settled_slot(&node, config.commitment);
            let Some(record) = node.history.get(&signature).filter(|record| record.slot <= highest) else {
                return Ok(None);
            };
            let confirmed = ConfirmedTransactionWithStatusMeta {
                slot: record.slot,
                tx_with_meta: TransactionWithStatusMeta::Complete(VersionedTransactionWithStatusMeta {
                    transaction: record.transaction.clone(),
                    meta: record.meta.clone(),
                }),
                block_time: Some(record.block_time),
            };
            let encoding = config.encoding.unwrap_or(UiTransactionEncoding::Json);
            let encoded =
                confirmed.encode(encoding, config.max_supported_transaction_version).map_err(RpcCustomError::from)?;
            Ok(Some(encoded))
        },
    );
    method(
        io,
        "getSignaturesForAddress",
        arity(1, 2),
        |node: Arc<Node>, (address, config): (String, Option<RpcSignaturesForAddressConfig>)| async move {
            let address = params::pubkey(&address)?;
            let config = config.unwrap_or_default();
            at_least_confirmed(config.commitment)?;
            let limit = config.limit.unwrap_or(MAX_GET_CONFIRMED_SIGNATURES_FOR_ADDRESS2_LIMIT);
            if limit == 0 || limit > MAX_GET_CONFIRMED_SIGNATURES_FOR_ADDRESS2_LIMIT {
                return Err(Error::invalid_params(format!(
                    "Invalid limit; max {MAX_GET_CONFIRMED_SIGNATURES_FOR_ADDRESS2_LIMIT}"
                )));
            }
            let page = Page {
                before: config.before.as_deref().map(params::signature).transpose()?,
                until: config.until.as_deref().map(params::signature).transpose()?,
                limit,
            };
            let highest = highest_settled_slot(&node, config.commitment);
            if config.min_context_slot.is_some_and(|min| highest < min) {
                return Err(RpcCustomError::MinContextSlotNotReached { context_slot: highest }.into());
            }
            let settled = node.settled_slots();
            Ok(node
                .history
                .for_address(&address, highest, page)
                .iter()
                .map(|record| signature_info(record, settled))
                .collect::<Vec<_>>())
        },
    );
}

fn confirmation_status(slot: Slot, settled: SettledSlots) -> TransactionConfirmationStatus {
    if slot <= settled.finalized {
        TransactionConfirmationStatus::Finalized
    } else if slot <= settled.confirmed {
        TransactionConfirmationStatus::Confirmed
    } else {
        TransactionConfirmationStatus::Processed
    }
}

/// A slot is final once rooted, confirmed once the confirmed bank reaches it, and only
/// processed before; confirmations count the confirmed slots from it on, as the RPC does.
fn status(record: &TxRecord, settled: SettledSlots) -> TransactionStatus {
    let confirmation_status = confirmation_status(record.slot, settled);
    let confirmations = match confirmation_status {
        TransactionConfirmationStatus::Finalized => None,
        TransactionConfirmationStatus::Confirmed => Some((settled.confirmed - record.slot + 1) as usize),
        TransactionConfirmationStatus::Processed => Some(0),
    };
    TransactionStatus {
        slot: record.slot,
        confirmations,
        status: record.meta.status.clone(),
        err: record.meta.status.clone().err(),
        confirmation_status: Some(confirmation_status),
    }
}

fn signature_info(record: &TxRecord, settled: SettledSlots) -> RpcConfirmedTransactionStatusWithSignature {
    RpcConfirmedTransactionStatusWithSignature {
        signature: record.signature.to_string(),
        slot: record.slot,
        err: record.meta.status.clone().err().map(Into::into),
        memo: extract_and_fmt_memos(&VersionedTransactionWithStatusMeta {
            transaction: record.transaction.clone(),
            meta: record.meta.clone(),
        }),
        block_time: Some(record.block_time),
        confirmation_status: Some(confirmation_status(record.slot, settled)),
    }
}
