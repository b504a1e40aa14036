//! Blocks, as explorers and the Solana CLI read them: getBlock, getBlocks,
//! getBlocksWithLimit, getBlockTime and getBlockCommitment, over the block the node
//! recorded as each slot ended.

use crate::{
    node::{blocks::BlockRecord, Node},
    rpc::{
        context::{at_least_confirmed, bank, highest_settled_slot},
        params::{arity, method, RpcResult},
    },
};
use jsonrpc_core::{Error, MetaIoHandler};
use solana_clock::{Slot, UnixTimestamp};
use solana_rpc_client_api::{custom_error::RpcCustomError, request::MAX_GET_CONFIRMED_BLOCKS_RANGE};
use solana_rpc_client_types::{
    config::{RpcBlockConfig, RpcBlocksConfigWrapper, RpcContextConfig, RpcEncodingConfigWrapper},
    response::RpcBlockCommitment,
};
use solana_runtime::commitment::BlockCommitmentArray;
use solana_transaction_status::{
    BlockEncodingOptions, ConfirmedBlock, TransactionWithStatusMeta, UiConfirmedBlock, UiTransactionEncoding,
    VersionedTransactionWithStatusMeta,
};
use std::sync::Arc;

pub(crate) fn register(io: &mut MetaIoHandler<Arc<Node>>) {
    method(
        io,
        "getBlock",
        arity(1, 2),
        |node: Arc<Node>, (slot, config): (Slot, Option<RpcEncodingConfigWrapper<RpcBlockConfig>>)| async move {
            let config = config.map(|config| config.convert_to_current()).unwrap_or_default();
            at_least_confirmed(config.commitment)?;
            let block = settled_block(&node, slot, config.commitment)?;
            let options = BlockEncodingOptions {
                transaction_details: config.transaction_details.unwrap_or_default(),
                show_rewards: config.rewards.unwrap_or(true),
                max_supported_transaction_version: config.max_supported_transaction_version,
            };
            let encoding = config.encoding.unwrap_or(UiTransactionEncoding::Json);
            let confirmed = confirmed_block(&node, &block);
            // A full block encodes every transaction: off the async workers.
            let encoded = tokio::task::spawn_blocking(move || confirmed.encode_with_options(encoding, options))
                .await
                .map_err(|err| crate::rpc::params::internal_error(format!("encoding the block stopped: {err}")))?
                .map_err(RpcCustomError::from)?;
            Ok::<Option<UiConfirmedBlock>, Error>(Some(encoded))
        },
    );
    method(
        io,
        "getBlocks",
        arity(1, 3),
        |node: Arc<Node>,
         (start, wrapper, config): (Slot, Option<RpcBlocksConfigWrapper>, Option<RpcContextConfig>)| async move {
            let (end, wrapped) = wrapper.map(|wrapper| wrapper.unzip()).unwrap_or_default();
            let config = config.or(wrapped).unwrap_or_default();
            let highest = highest_block(&node, config)?;
            let end = end.unwrap_or_else(|| start.saturating_add(MAX_GET_CONFIRMED_BLOCKS_RANGE)).min(highest);
            if end < start {
                return Ok(Vec::new());
            }
            if end - start > MAX_GET_CONFIRMED_BLOCKS_RANGE {
                return Err(Error::invalid_params(format!(
                    "Slot range too large; max {MAX_GET_CONFIRMED_BLOCKS_RANGE}"
                )));
            }
            Ok(node.blocks.slots(start, end, usize::MAX))
        },
    );
    method(
        io,
        "getBlocksWithLimit",
        arity(2, 3),
        |node: Arc<Node>, (start, limit, config): (Slot, usize, Option<RpcContextConfig>)| async move {
            if limit > MAX_GET_CONFIRMED_BLOCKS_RANGE as usize {
                return Err(Error::invalid_params(format!("Limit too large; max {MAX_GET_CONFIRMED_BLOCKS_RANGE}")));
            }
            let highest = highest_block(&node, config.unwrap_or_default())?;
            Ok(node.blocks.slots(start, highest, limit))
        },
    );
    method(io, "getBlockTime", arity(1, 1), |node: Arc<Node>, (slot,): (Slot,)| async move {
        block_time(&node, slot).map(Some)
    });
    method(io, "getBlockCommitment", arity(1, 1), |node: Arc<Node>, (slot,): (Slot,)| async move {
        Ok(block_commitment(&node, slot))
    });
}

/// The block at `slot` when a read at `commitment` sees it.
fn settled_block(
    node: &Node,
    slot: Slot,
    commitment: Option<solana_commitment_config::CommitmentConfig>,
) -> RpcResult<Arc<BlockRecord>> {
    let visible = slot <= highest_settled_slot(node, commitment);
    node.blocks.get(slot).filter(|_| visible).ok_or_else(|| RpcCustomError::BlockNotAvailable { slot }.into())
}

/// The highest block a getBlocks read sees, refusing commitments below `confirmed` and a
/// `minContextSlot` not reached yet.
fn highest_block(node: &Node, config: RpcContextConfig) -> RpcResult<Slot> {
    at_least_confirmed(config.commitment)?;
    bank(node, config.commitment, config.min_context_slot)?;
    Ok(highest_settled_slot(node, config.commitment))
}

fn confirmed_block(node: &Node, block: &BlockRecord) -> ConfirmedBlock {
    let transactions = block
        .signatures
        .iter()
        .filter_map(|signature| node.history.get(signature))
        .map(|record| {
            TransactionWithStatusMeta::Complete(VersionedTransactionWithStatusMeta {
                transaction: record.transaction.clone(),
                meta: record.meta.clone(),
            })
        })
        .collect();
    ConfirmedBlock {
        previous_blockhash: block.previous_blockhash.to_string(),
        blockhash: block.blockhash.to_string(),
        parent_slot: block.parent_slot,
        transactions,
        rewards: block.rewards.clone(),
        num_partitions: block.num_reward_partitions,
        block_time: Some(block.block_time),
        block_height: Some(block.block_height),
    }
}

/// A completed slot's time, or the working slot's clock, as the RPC answers for any bank
/// it still holds.
fn block_time(node: &Node, slot: Slot) -> RpcResult<UnixTimestamp> {
    if let Some(block) = node.blocks.get(slot) {
        return Ok(block.block_time);
    }
    let working = node.working_bank();
    if working.slot() == slot {
        return Ok(working.clock().unix_timestamp);
    }
    Err(RpcCustomError::BlockNotAvailable { slot }.into())
}

/// The stake that voted on `slot`, by confirmation count (the array's index plus one; the
/// last entry is rooted stake). The node's one validator holds all stake and is modelled
/// as voting on each slot as it completes: a slot `n` slots behind the working slot has
/// `n` confirmations until it is rooted. Slots not yet completed have none.
fn block_commitment(node: &Node, slot: Slot) -> RpcBlockCommitment<BlockCommitmentArray> {
    let root = node.root_bank();
    let total_stake = root.total_epoch_stake();
    let working = node.slot();
    let mut stake = BlockCommitmentArray::default();
    let rooted = stake.len() - 1;
    let commitment = if slot <= root.slot() && node.blocks.get(slot).is_some() {
        stake[rooted] = total_stake;
        Some(stake)
    } else if slot < working {
        let confirmations = usize::try_from(working - slot).unwrap_or(rooted).min(rooted);
        stake[confirmations - 1] = total_stake;
        Some(stake)
    } else {
        None
    };
    RpcBlockCommitment { commitment, total_stake }
}
