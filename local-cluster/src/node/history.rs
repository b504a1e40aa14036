//! Every landed transaction with its metadata, by signature, by address and by slot: what
//! getTransaction, getSignatureStatuses, getSignaturesForAddress and the fee history read.

use solana_clock::{Slot, UnixTimestamp};
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_status::TransactionStatusMeta;
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, RwLock},
};

/// How many slots of per-slot records are kept (the fee history reads the last 150).
const KEPT_SLOTS: Slot = 300;

pub(crate) struct TxRecord {
    pub signature: Signature,
    pub slot: Slot,
    pub block_time: UnixTimestamp,
    pub transaction: VersionedTransaction,
    pub meta: TransactionStatusMeta,
    /// Static and loaded keys, in the transaction's order.
    pub account_keys: Vec<Pubkey>,
    pub writable: Vec<Pubkey>,
    pub compute_unit_price: u64,
}

#[derive(Default)]
pub(crate) struct History {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    by_signature: HashMap<Signature, Arc<TxRecord>>,
    /// Oldest first.
    by_address: HashMap<Pubkey, Vec<Arc<TxRecord>>>,
    by_slot: BTreeMap<Slot, Vec<Arc<TxRecord>>>,
}

/// Where a getSignaturesForAddress page starts and ends (both exclusive), and its size.
pub(crate) struct Page {
    pub before: Option<Signature>,
    pub until: Option<Signature>,
    pub limit: usize,
}

impl History {
    pub fn insert(&self, record: Arc<TxRecord>) {
        let mut inner = self.inner.write().expect("history lock");
        inner.by_signature.insert(record.signature, record.clone());
        for key in &record.account_keys {
            inner.by_address.entry(*key).or_default().push(record.clone());
        }
        inner.by_slot.entry(record.slot).or_default().push(record);
    }

    pub fn get(&self, signature: &Signature) -> Option<Arc<TxRecord>> {
        self.inner.read().expect("history lock").by_signature.get(signature).cloned()
    }

    pub fn in_slot(&self, slot: Slot) -> Vec<Arc<TxRecord>> {
        self.inner.read().expect("history lock").by_slot.get(&slot).cloned().unwrap_or_default()
    }

    /// Newest first, up to `highest_slot`.
    pub fn for_address(&self, address: &Pubkey, highest_slot: Slot, page: Page) -> Vec<Arc<TxRecord>> {
        let inner = self.inner.read().expect("history lock");
        let Some(records) = inner.by_address.get(address) else {
            return Vec::new();
        };
        let newest_first: Vec<&Arc<TxRecord>> =
            records.iter().rev().filter(|record| record.slot <= highest_slot).collect();
        let start = page
            .before
            .and_then(|before| newest_first.iter().position(|record| record.signature == before))
            .map_or(0, |position| position + 1);
        newest_first[start..]
            .iter()
            .take_while(|record| Some(record.signature) != page.until)
            .take(page.limit)
            .map(|record| Arc::clone(record))
            .collect()
    }

    /// For each slot in `slots`: the lowest compute-unit price paid in it, raised to the
    /// highest of the lowest prices paid by transactions writing any of `accounts`
    /// (how the validator's prioritization fee cache answers).
    pub fn prioritization_fees(&self, slots: std::ops::RangeInclusive<Slot>, accounts: &[Pubkey]) -> Vec<(Slot, u64)> {
        let inner = self.inner.read().expect("history lock");
        slots
            .map(|slot| {
                let records = inner.by_slot.get(&slot).map(Vec::as_slice).unwrap_or_default();
                let lowest = |records: &mut dyn Iterator<Item = &Arc<TxRecord>>| {
                    records.map(|record| record.compute_unit_price).min()
                };
                let mut fee = lowest(&mut records.iter()).unwrap_or(0);
                for account in accounts {
                    let mut writing = records.iter().filter(|record| record.writable.contains(account));
                    fee = fee.max(lowest(&mut writing).unwrap_or(0));
                }
                (slot, fee)
            })
            .collect()
    }

    /// Forgets per-slot records that no query reads any more.
    pub fn prune(&self, root: Slot) {
        let mut inner = self.inner.write().expect("history lock");
        let keep_from = root.saturating_sub(KEPT_SLOTS);
        inner.by_slot = inner.by_slot.split_off(&keep_from);
    }
}
