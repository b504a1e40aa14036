//! Ticks end a slot; the last one registers the slot's blockhash. A validator derives them
//! from proof of history; here each tick hashes the previous one, enough to give every slot
//! a blockhash no other slot or cluster shares.

use solana_hash::Hash;
use solana_runtime::{bank::Bank, installed_scheduler_pool::BankWithScheduler};

/// Registers the ticks that remain in the bank's slot. `announce` learns the new blockhash
/// before it is registered, so nobody can read it before it is known.
pub(crate) fn fill_slot(bank: &Bank, announce: impl FnOnce(&Hash)) {
    let slot = bank.slot().to_le_bytes();
    let mut hash = bank.last_blockhash();
    let ticks: Vec<Hash> = (bank.tick_height()..bank.max_tick_height())
        .map(|tick| {
            hash = solana_sha256_hasher::hashv(&[hash.as_ref(), &slot, &tick.to_le_bytes()]);
            hash
        })
        .collect();
    if let Some(blockhash) = ticks.last() {
        announce(blockhash);
    }
    let no_scheduler = BankWithScheduler::no_scheduler_available();
    for tick in &ticks {
        bank.register_tick(tick, &no_scheduler);
    }
}
