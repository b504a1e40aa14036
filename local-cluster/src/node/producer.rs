//! The bank thread: lands transactions in the working bank and, when a slot's time is up,
//! freezes it, roots it and starts the next one. Only this thread changes the banks, so a
//! slot never ends while a transaction is half committed.

use super::{execute, housekeeping, ticks, Command, Landed, Node};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use solana_runtime::bank::Bank;
use solana_transaction_error::TransactionError;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

pub(super) fn run(node: &Node, commands: &Receiver<Command>, slot_duration: Duration) {
    let mut slot_end = Instant::now() + slot_duration;
    loop {
        match commands.recv_deadline(slot_end) {
            Ok(Command::Land { tx, versioned, reply }) => {
                let _ = reply.send(land(node, &tx, versioned));
            }
            Ok(Command::EndSlot) => {
                end_slot(node);
                slot_end = Instant::now() + slot_duration;
            }
            Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
        // Checked after every command too, so a flood of transactions cannot hold a slot open.
        let now = Instant::now();
        if now >= slot_end {
            end_slot(node);
            slot_end += slot_duration;
            if slot_end <= now {
                // Fell behind (a debugger, a suspended laptop): resume the rhythm from now.
                slot_end = now + slot_duration;
            }
        }
    }
}

fn land(
    node: &Node,
    tx: &execute::SanitizedTx,
    versioned: solana_transaction::versioned::VersionedTransaction,
) -> Landed {
    let bank = node.working_bank();
    if node.blockhashes.reject_expired(tx.message().recent_blockhash(), bank.slot()) {
        return Err(TransactionError::BlockhashNotFound);
    }
    let record = Arc::new(execute::execute(&bank, tx, versioned)?);
    node.history.insert(record.clone());
    node.subscriptions.transaction_processed(&bank, &record);
    tracing::debug!(signature = %record.signature, slot = record.slot, status = ?record.meta.status, "transaction landed");
    Ok(record)
}

fn end_slot(node: &Node) {
    let parent = node.working_bank();
    // The blockhash becomes the latest one in the next slot, at the next block height.
    ticks::fill_slot(&parent, |blockhash| {
        node.blockhashes.record(*blockhash, parent.slot() + 1, parent.block_height() + 1)
    });
    parent.freeze();
    let child = Bank::new_from_parent(parent.clone(), parent.collector_id(), parent.slot() + 1);
    let child = {
        let mut forks = node.bank_forks.write().expect("bank forks lock");
        let child = forks.insert(child).clone_without_scheduler();
        forks.set_root(parent.slot(), None, Some(parent.slot()));
        child
    };
    if parent.slot().is_multiple_of(housekeeping::EVERY_SLOTS) {
        housekeeping::run(&parent);
    }
    debug_assert_eq!(child.block_height(), parent.block_height() + 1);
    node.history.prune(parent.slot());
    node.subscriptions.slot_rooted(&parent, &child, &node.history.in_slot(parent.slot()));
    tracing::trace!(slot = child.slot(), root = parent.slot(), "new slot");
}
