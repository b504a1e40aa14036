//! What a validator's accounts background service does, done on the bank thread every few
//! slots. Without it the accounts write cache keeps every rooted slot's writes (the slot
//! history sysvar alone is 128 KB a slot) and memory grows by gigabytes an hour.

use solana_runtime::bank::Bank;

/// A few seconds at the default slot time: cheap enough to run, often enough to stay small.
pub(crate) const EVERY_SLOTS: u64 = 32;

/// Moves rooted writes from the cache to storage, drops what newer writes superseded, and
/// compacts storage that is mostly dead.
pub(crate) fn run(root: &Bank) {
    root.force_flush_accounts_cache();
    let accounts_db = &root.rc.accounts.accounts_db;
    accounts_db.clean_accounts(Some(root.slot().saturating_sub(1)), false, root.epoch_schedule());
    root.shrink_candidate_slots();
}
