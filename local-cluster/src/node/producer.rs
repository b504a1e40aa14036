//! The bank thread: lands transactions in the working bank and, when a slot's time is up,
//! freezes it, starts the next one and moves `confirmed` and the root on. Only this thread
//! changes the banks, so a slot never ends while a transaction is half committed.

use super::{execute, housekeeping, ticks, Command, Landed, Node};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use solana_clock::Slot;
use solana_runtime::bank::Bank;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

/// A transaction waiting for the next slot (deferred landing).
struct Queued {
    tx: Arc<execute::SanitizedTx>,
    versioned: VersionedTransaction,
    reply: Option<tokio::sync::oneshot::Sender<Landed>>,
}

impl Queued {
    fn land(self, node: &Node) {
        let landed = land(node, &self.tx, self.versioned);
        report(&landed, self.tx.signature());
        if let Some(reply) = self.reply {
            let _ = reply.send(landed);
        }
    }
}

pub(super) fn run(node: &Node, commands: &Receiver<Command>, slot_duration: Duration) {
    let mut slot_end = Instant::now() + slot_duration;
    let mut queued: Vec<Queued> = Vec::new();
    loop {
        match commands.recv_deadline(slot_end) {
            Ok(Command::Land { tx, versioned, reply }) => {
                let queued_tx = Queued { tx, versioned, reply };
                if node.confirmation.deferred_landing {
                    queued.push(queued_tx);
                } else {
                    queued_tx.land(node);
                }
            }
            Ok(Command::EndSlot) => {
                end_slot(node);
                queued.drain(..).for_each(|queued| queued.land(node));
                slot_end = Instant::now() + slot_duration;
            }
            Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {}
        }
        // Checked after every command too, so a flood of transactions cannot hold a slot open.
        let now = Instant::now();
        if now >= slot_end {
            end_slot(node);
            // What was sent during the slot that just ended lands in the new one.
            queued.drain(..).for_each(|queued| queued.land(node));
            slot_end += slot_duration;
            if slot_end <= now {
                // Fell behind (a debugger, a suspended laptop): resume the rhythm from now.
                slot_end = now + slot_duration;
            }
        }
    }
}

fn report(landed: &Landed, signature: &solana_signature::Signature) {
    match landed {
        Ok(record) => tracing::debug!(%signature, slot = record.slot, status = ?record.meta.status, "landed"),
        Err(err) => tracing::info!(%signature, %err, "dropped: the runtime refused the transaction"),
    }
}

fn land(node: &Node, tx: &execute::SanitizedTx, versioned: VersionedTransaction) -> Landed {
    let bank = node.working_bank();
    if node.blockhashes.reject_expired(tx.message().recent_blockhash(), bank.slot()) {
        return Err(TransactionError::BlockhashNotFound);
    }
    let record = Arc::new(execute::execute(&bank, tx, versioned)?);
    node.history.insert(record.clone());
    node.subscriptions.transaction_processed(&bank, &record);
    Ok(record)
}

/// Banks that reached a commitment level when a slot ended, oldest first.
struct Reached {
    pub confirmed: Vec<Arc<Bank>>,
    pub finalized: Vec<Arc<Bank>>,
}

fn end_slot(node: &Node) {
    let parent = node.working_bank();
    // The blockhash becomes the latest one in the next slot, at the next block height.
    ticks::fill_slot(&parent, |blockhash| {
        node.blockhashes.record(*blockhash, parent.slot() + 1, parent.block_height() + 1)
    });
    parent.freeze();
    let signatures: Vec<_> = node.history.in_slot(parent.slot()).iter().map(|record| record.signature).collect();
    node.performance.slot_ended(parent.slot(), signatures.len() as u64);
    node.blocks.record(&parent, signatures);
    let working_slot = parent.slot() + 1;
    let child = Bank::new_from_parent(parent.clone(), parent.collector_id(), working_slot);
    let before = node.settled_slots();
    let (confirmed_slot, root_slot) = if node.faults.config().stall_confirmation {
        (before.confirmed, before.finalized)
    } else {
        (
            working_slot.saturating_sub(node.confirmation.confirmed_lag_slots).max(before.confirmed),
            working_slot.saturating_sub(node.confirmation.finalized_lag_slots).max(before.finalized),
        )
    };
    let (child, reached) = {
        let mut forks = node.bank_forks.write().expect("bank forks lock");
        let child = forks.insert(child).clone_without_scheduler();
        let banks =
            |from: Slot, to: Slot| -> Vec<Arc<Bank>> { (from + 1..=to).filter_map(|slot| forks.get(slot)).collect() };
        let reached = Reached {
            confirmed: banks(before.confirmed, confirmed_slot),
            finalized: banks(before.finalized, root_slot),
        };
        if root_slot > before.finalized {
            forks.set_root(root_slot, None, Some(root_slot));
        }
        (child, reached)
    };
    if let Some(confirmed) = reached.confirmed.last() {
        node.set_confirmed(confirmed.clone());
    }
    for root in &reached.finalized {
        if root.slot().is_multiple_of(housekeeping::EVERY_SLOTS) {
            housekeeping::run(root);
        }
    }
    debug_assert_eq!(child.block_height(), parent.block_height() + 1);
    node.history.prune(node.root_bank().slot());
    let landed_in = |banks: &[Arc<Bank>]| -> Vec<_> {
        banks.iter().map(|bank| (bank.clone(), node.history.in_slot(bank.slot()))).collect()
    };
    node.subscriptions.slot_ended(
        &child,
        node.root_bank().slot(),
        &landed_in(&reached.confirmed),
        &landed_in(&reached.finalized),
    );
    tracing::trace!(slot = child.slot(), confirmed = confirmed_slot, root = root_slot, "new slot");
}
