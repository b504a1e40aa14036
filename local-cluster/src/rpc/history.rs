//! What happened to transactions: statuses, full transactions with metadata, and an
//! address's signatures.

use crate::{
    node::{
        history::{Page, TxRecord},
        Node,
    },
    rpc::{
        context::{at_least_confirmed, respond},
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
            let root = node.root_bank().slot();
            let statuses: Vec<Option<TransactionStatus>> = signatures
                .iter()
                .map(|signature| node.history.get(signature).map(|record| status(&record, root)))
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
            let root = node.root_bank().slot();
            let Some(record) = node.history.get(&signature).filter(|record| record.slot <= root) else {
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
            let root: Slot = node.root_bank().slot();
            if config.min_context_slot.is_some_and(|min| root < min) {
                return Err(RpcCustomError::MinContextSlotNotReached { context_slot: root }.into());
            }
            Ok(node
                .history
                .for_address(&address, root, page)
                .iter()
                .map(|record| signature_info(record))
                .collect::<Vec<_>>())
        },
    );
}

/// On a single node a slot is final once rooted; before that it is only processed.
fn status(record: &TxRecord, root: Slot) -> TransactionStatus {
    let rooted = record.slot <= root;
    TransactionStatus {
        slot: record.slot,
        confirmations: if rooted { None } else { Some(0) },
        status: record.meta.status.clone(),
        err: record.meta.status.clone().err(),
        confirmation_status: Some(if rooted {
            TransactionConfirmationStatus::Finalized
        } else {
            TransactionConfirmationStatus::Processed
        }),
    }
}

fn signature_info(record: &TxRecord) -> RpcConfirmedTransactionStatusWithSignature {
    RpcConfirmedTransactionStatusWithSignature {
        signature: record.signature.to_string(),
        slot: record.slot,
        err: record.meta.status.clone().err().map(Into::into),
        memo: extract_and_fmt_memos(&VersionedTransactionWithStatusMeta {
            transaction: record.transaction.clone(),
            meta: record.meta.clone(),
        }),
        block_time: Some(record.block_time),
        confirmation_status: Some(TransactionConfirmationStatus::Finalized),
    }
}
