//! The node, its slots, blockhashes and fees.

use crate::{
    node::Node,
    rpc::{
        context::{bank, respond},
        params::{self, arity, method, NoParams, RpcResult},
    },
};
use base64::{prelude::BASE64_STANDARD, Engine};
use jsonrpc_core::{Error, MetaIoHandler};
use solana_clock::{Slot, MAX_PROCESSING_AGE};
use solana_commitment_config::CommitmentConfig;
use solana_epoch_schedule::EpochSchedule;
use solana_message::{SanitizedMessage, SanitizedVersionedMessage, VersionedMessage};
use solana_rpc_client_types::{
    config::RpcContextConfig,
    response::{Response, RpcBlockhash, RpcIdentity, RpcPrioritizationFee, RpcVersionInfo},
};
use std::sync::Arc;

/// The most accounts getRecentPrioritizationFees accepts (a transaction's lock limit).
const MAX_FEE_ACCOUNTS: usize = 128;

pub(crate) fn register(io: &mut MetaIoHandler<Arc<Node>>) {
    method(io, "getVersion", arity(0, 0), |_, NoParams()| async {
        let version = solana_version::Version::default();
        Ok(RpcVersionInfo { solana_core: version.to_string(), feature_set: Some(version.feature_set) })
    });
    method(io, "getHealth", arity(0, 0), |_, NoParams()| async { Ok("ok") });
    method(io, "getIdentity", arity(0, 0), |node: Arc<Node>, NoParams()| async move {
        Ok(RpcIdentity { identity: node.identity.to_string() })
    });
    method(io, "getGenesisHash", arity(0, 0), |node: Arc<Node>, NoParams()| async move {
        Ok(node.genesis_hash.to_string())
    });
    method(io, "getSlot", arity(0, 1), |node: Arc<Node>, (config,): (Option<RpcContextConfig>,)| async move {
        let config = config.unwrap_or_default();
        Ok(bank(&node, config.commitment, config.min_context_slot)?.slot())
    });
    method(io, "getBlockHeight", arity(0, 1), |node: Arc<Node>, (config,): (Option<RpcContextConfig>,)| async move {
        let config = config.unwrap_or_default();
        Ok(bank(&node, config.commitment, config.min_context_slot)?.block_height())
    });
    method(io, "getEpochInfo", arity(0, 1), |node: Arc<Node>, (config,): (Option<RpcContextConfig>,)| async move {
        let config = config.unwrap_or_default();
        Ok(bank(&node, config.commitment, config.min_context_slot)?.get_epoch_info())
    });
    method(io, "getEpochSchedule", arity(0, 0), |node: Arc<Node>, NoParams()| async move {
        Ok::<EpochSchedule, Error>(node.root_bank().epoch_schedule().clone())
    });
    method(
        io,
        "getTransactionCount",
        arity(0, 1),
        |node: Arc<Node>, (config,): (Option<RpcContextConfig>,)| async move {
            let config = config.unwrap_or_default();
            Ok(bank(&node, config.commitment, config.min_context_slot)?.transaction_count())
        },
    );
    method(io, "getFirstAvailableBlock", arity(0, 0), |_, NoParams()| async { Ok(0u64) });
    method(io, "minimumLedgerSlot", arity(0, 0), |_, NoParams()| async { Ok(0u64) });
    method(
        io,
        "getLatestBlockhash",
        arity(0, 1),
        |node: Arc<Node>, (config,): (Option<RpcContextConfig>,)| async move {
            let config = config.unwrap_or_default();
            let bank = bank(&node, config.commitment, config.min_context_slot)?;
            let blockhash = bank.last_blockhash();
            let runtime_limit = bank
                .get_blockhash_last_valid_block_height(&blockhash)
                .unwrap_or(bank.block_height() + MAX_PROCESSING_AGE as u64);
            let last_valid_block_height = node.blockhashes.last_valid_block_height(&blockhash, runtime_limit);
            Ok(respond(&bank, RpcBlockhash { blockhash: blockhash.to_string(), last_valid_block_height }))
        },
    );
    method(
        io,
        "isBlockhashValid",
        arity(1, 2),
        |node: Arc<Node>, (blockhash, config): (String, Option<RpcContextConfig>)| async move {
            let blockhash = params::hash(&blockhash)?;
            let config = config.unwrap_or_default();
            let bank = bank(&node, config.commitment, config.min_context_slot)?;
            let valid =
                bank.is_blockhash_valid(&blockhash) && !node.blockhashes.expired_by_fault(&blockhash, node.slot());
            Ok(respond(&bank, valid))
        },
    );
    method(
        io,
        "getMinimumBalanceForRentExemption",
        arity(1, 2),
        |node: Arc<Node>, (data_len, commitment): (usize, Option<CommitmentConfig>)| async move {
            Ok(node.bank(commitment).get_minimum_balance_for_rent_exemption(data_len))
        },
    );
    method(
        io,
        "getFeeForMessage",
        arity(1, 2),
        |node: Arc<Node>, (message, config): (String, Option<RpcContextConfig>)| async move {
            let config = config.unwrap_or_default();
            let bank = bank(&node, config.commitment, config.min_context_slot)?;
            let bytes = BASE64_STANDARD
                .decode(&message)
                .map_err(|err| Error::invalid_params(format!("Invalid param: the message is not base64 ({err})")))?;
            let message: VersionedMessage = bincode::deserialize(&bytes)
                .map_err(|err| Error::invalid_params(format!("Invalid param: not a transaction message ({err})")))?;
            let invalid =
                |err: &dyn std::fmt::Display| Error::invalid_params(format!("invalid transaction message: {err}"));
            let sanitized = SanitizedVersionedMessage::try_from(message).map_err(|err| invalid(&err))?;
            let message = SanitizedMessage::try_new(sanitized, bank.as_ref(), bank.get_reserved_account_keys())
                .map_err(|err| invalid(&err))?;
            let fee: Response<Option<u64>> = respond(&bank, bank.get_fee_for_message(&message));
            Ok(fee)
        },
    );
    method(
        io,
        "getRecentPrioritizationFees",
        arity(0, 1),
        |node: Arc<Node>, (accounts,): (Option<Vec<String>>,)| async move {
            let accounts = accounts.unwrap_or_default();
            if accounts.len() > MAX_FEE_ACCOUNTS {
                return Err(Error::invalid_params(format!("Too many inputs provided; max {MAX_FEE_ACCOUNTS}")));
            }
            let accounts = accounts.iter().map(|account| params::pubkey(account)).collect::<RpcResult<Vec<_>>>()?;
            // The validator's fee cache takes a slot in once it is confirmed.
            let confirmed: Slot = node.settled_slots().confirmed;
            let first = confirmed.saturating_sub(MAX_PROCESSING_AGE as u64 - 1);
            Ok(node
                .history
                .prioritization_fees(first..=confirmed, &accounts)
                .into_iter()
                .map(|(slot, prioritization_fee)| RpcPrioritizationFee { slot, prioritization_fee })
                .collect::<Vec<_>>())
        },
    );
}
