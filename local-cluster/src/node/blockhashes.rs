//! Which slot produced each blockhash, so injected expiry can refuse blockhashes the
//! runtime would still accept.

use crate::faults::{Faults, Fired};
use solana_clock::Slot;
use solana_hash::Hash;
use std::{collections::HashMap, sync::RwLock};

/// Far more than the runtime's 150-blockhash window: older entries are forgotten.
const KEPT_SLOTS: Slot = 600;

#[derive(Clone, Copy)]
struct Produced {
    slot: Slot,
    block_height: u64,
    generation: u64,
}

pub(crate) struct Blockhashes {
    produced: RwLock<HashMap<Hash, Produced>>,
    faults: Faults,
}

impl Blockhashes {
    pub fn new(faults: Faults) -> Self {
        Self { produced: RwLock::new(HashMap::new()), faults }
    }

    /// `hash` became the latest blockhash in `slot`.
    pub fn record(&self, hash: Hash, slot: Slot, block_height: u64) {
        let generation = self.faults.generation();
        let mut produced = self.produced.write().expect("blockhash lock");
        produced.insert(hash, Produced { slot, block_height, generation });
        produced.retain(|_, entry| entry.slot + KEPT_SLOTS > slot);
    }

    /// Whether an injected fault has expired `hash` by `current_slot`. Blockhashes this
    /// cluster never produced are left to the runtime to refuse.
    pub fn expired_by_fault(&self, hash: &Hash, current_slot: Slot) -> bool {
        let Some(entry) = self.produced.read().expect("blockhash lock").get(hash).copied() else {
            return false;
        };
        let dropped = entry.generation < self.faults.generation();
        let too_old = self
            .faults
            .config()
            .blockhash_expiry_slots
            .is_some_and(|slots| current_slot.saturating_sub(entry.slot) >= slots);
        dropped || too_old
    }

    /// `expired_by_fault`, counting the rejection when it is one.
    pub fn reject_expired(&self, hash: &Hash, current_slot: Slot) -> bool {
        let expired = self.expired_by_fault(hash, current_slot);
        if expired {
            self.faults.record(Fired::ExpiredBlockhash);
        }
        expired
    }

    /// The runtime's last valid block height for `hash`, shortened by an injected expiry.
    pub fn last_valid_block_height(&self, hash: &Hash, runtime_value: u64) -> u64 {
        let Some(slots) = self.faults.config().blockhash_expiry_slots else {
            return runtime_value;
        };
        match self.produced.read().expect("blockhash lock").get(hash) {
            Some(entry) => runtime_value.min(entry.block_height + slots - 1),
            None => runtime_value,
        }
    }
}
