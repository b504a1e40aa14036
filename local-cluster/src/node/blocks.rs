//! Every completed slot as a block: its hashes, parent, time, height, the transactions
//! that landed in it (by signature, in order) and its rewards; what getBlock, getBlocks
//! and getBlockTime read. A single node skips no slot, so block `n` is slot `n`.

use solana_clock::{Slot, UnixTimestamp};
use solana_hash::Hash;
use solana_runtime::bank::Bank;
use solana_signature::Signature;
use solana_transaction_status::{Reward, Rewards};
use std::sync::{Arc, RwLock};

pub(crate) struct BlockRecord {
    pub parent_slot: Slot,
    pub blockhash: Hash,
    /// The parent's blockhash; the default hash for the genesis block, as the ledger has it.
    pub previous_blockhash: Hash,
    pub block_time: UnixTimestamp,
    pub block_height: u64,
    pub signatures: Vec<Signature>,
    pub rewards: Rewards,
    pub num_reward_partitions: Option<u64>,
}

#[derive(Default)]
pub(crate) struct Blocks {
    /// Indexed by slot.
    by_slot: RwLock<Vec<Arc<BlockRecord>>>,
}

impl Blocks {
    /// Records a frozen bank's block with the signatures that landed in it.
    pub fn record(&self, bank: &Bank, signatures: Vec<Signature>) {
        let mut by_slot = self.by_slot.write().expect("blocks lock");
        debug_assert_eq!(by_slot.len() as Slot, bank.slot(), "blocks are recorded slot by slot");
        let previous_blockhash = match bank.slot() {
            0 => Hash::default(),
            _ => by_slot.last().map_or_else(Hash::default, |parent| parent.blockhash),
        };
        let rewards = bank.get_rewards_and_num_partitions();
        let rewards_list = rewards
            .keyed_rewards
            .into_iter()
            .map(|(pubkey, info)| Reward {
                pubkey: pubkey.to_string(),
                lamports: info.lamports,
                post_balance: info.post_balance,
                reward_type: Some(info.reward_type),
                commission: info.commission,
            })
            .collect();
        by_slot.push(Arc::new(BlockRecord {
            parent_slot: bank.parent_slot(),
            blockhash: bank.last_blockhash(),
            previous_blockhash,
            block_time: bank.clock().unix_timestamp,
            block_height: bank.block_height(),
            signatures,
            rewards: rewards_list,
            num_reward_partitions: rewards.num_partitions,
        }));
    }

    pub fn get(&self, slot: Slot) -> Option<Arc<BlockRecord>> {
        let by_slot = self.by_slot.read().expect("blocks lock");
        usize::try_from(slot).ok().and_then(|index| by_slot.get(index)).cloned()
    }

    /// The recorded slots in `[from, to]`, at most `limit` of them.
    pub fn slots(&self, from: Slot, to: Slot, limit: usize) -> Vec<Slot> {
        let recorded = self.by_slot.read().expect("blocks lock").len() as Slot;
        if recorded == 0 || from > to {
            return Vec::new();
        }
        (from..=to.min(recorded - 1)).take(limit).collect()
    }
}
