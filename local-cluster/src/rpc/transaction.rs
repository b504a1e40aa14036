//! Wire transactions: decoding what clients send, sanitizing it against a bank, and
//! checking signatures, with the RPC's limits and errors.

use crate::{node::execute::SanitizedTx, rpc::params::RpcResult};
use base64::{prelude::BASE64_STANDARD, Engine};
use bincode::Options;
use jsonrpc_core::Error;
use solana_rpc_client_api::custom_error::RpcCustomError;
use solana_runtime::bank::Bank;
use solana_transaction::{versioned::VersionedTransaction, TransactionVerificationMode};
use solana_transaction_error::TransactionError;
use solana_transaction_status::{TransactionBinaryEncoding, UiTransactionEncoding};
use std::sync::Arc;

/// The largest transaction the network carries.
const PACKET_DATA_SIZE: usize = 1232;
/// The longest encodings of a `PACKET_DATA_SIZE` transaction.
const MAX_BASE58_SIZE: usize = 1683;
const MAX_BASE64_SIZE: usize = 1644;

pub(crate) fn binary_encoding(encoding: Option<UiTransactionEncoding>) -> RpcResult<TransactionBinaryEncoding> {
    let encoding = encoding.unwrap_or(UiTransactionEncoding::Base58);
    encoding.into_binary_encoding().ok_or_else(|| {
        Error::invalid_params(format!("unsupported encoding: {encoding}. Supported encodings: base58, base64"))
    })
}

pub(crate) fn decode(encoded: &str, encoding: TransactionBinaryEncoding) -> RpcResult<VersionedTransaction> {
    let too_large = |name: &str, len: usize, max: usize| {
        Error::invalid_params(format!(
            "{name} encoded transaction too large: {len} bytes (max: encoded/raw {max}/{PACKET_DATA_SIZE})"
        ))
    };
    let wire = match encoding {
        TransactionBinaryEncoding::Base58 => {
            if encoded.len() > MAX_BASE58_SIZE {
                return Err(too_large("base58", encoded.len(), MAX_BASE58_SIZE));
            }
            bs58::decode(encoded)
                .into_vec()
                .map_err(|err| Error::invalid_params(format!("invalid base58 encoding: {err}")))?
        }
        TransactionBinaryEncoding::Base64 => {
            if encoded.len() > MAX_BASE64_SIZE {
                return Err(too_large("base64", encoded.len(), MAX_BASE64_SIZE));
            }
            BASE64_STANDARD
                .decode(encoded)
                .map_err(|err| Error::invalid_params(format!("invalid base64 encoding: {err}")))?
        }
    };
    if wire.len() > PACKET_DATA_SIZE {
        return Err(Error::invalid_params(format!(
            "decoded transaction too large: {} bytes (max: {PACKET_DATA_SIZE} bytes)",
            wire.len()
        )));
    }
    bincode::options()
        .with_limit(PACKET_DATA_SIZE as u64)
        .with_fixint_encoding()
        .allow_trailing_bytes()
        .deserialize_from(&wire[..])
        .map_err(|err| Error::invalid_params(format!("failed to deserialize the transaction: {err}")))
}

/// Sanitizes `tx` against `bank`, checking signatures when `verify_signatures`.
pub(crate) fn sanitize(bank: &Bank, tx: VersionedTransaction, verify_signatures: bool) -> RpcResult<Arc<SanitizedTx>> {
    let mode = if verify_signatures {
        TransactionVerificationMode::FullVerification
    } else {
        TransactionVerificationMode::HashOnly
    };
    let sanitized = bank.verify_transaction(tx, mode).map_err(|err| match err {
        TransactionError::SignatureFailure => Error::from(RpcCustomError::TransactionSignatureVerificationFailure),
        err => Error::invalid_params(format!("invalid transaction: {err}")),
    })?;
    Ok(Arc::new(sanitized))
}

/// Whether every signature of `tx` verifies.
pub(crate) fn signatures_verify(tx: &VersionedTransaction) -> bool {
    tx.verify_with_results().iter().all(|verified| *verified)
}
