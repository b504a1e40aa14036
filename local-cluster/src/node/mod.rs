//! The single node: a bank that advances one slot at a time in real time, the transactions
//! that landed in it, and the hooks that tell subscribers.
//!
//! Commitment on a single node: `processed` reads the working bank; `confirmed` reads the
//! completed bank `confirmed_lag_slots` behind it and `finalized` the root, rooted
//! `finalized_lag_slots` behind it (see [`Confirmation`]). With deferred landing a sent
//! transaction waits for the next slot to start, so it never lands in the slot it was sent
//! in.

pub(crate) mod blockhashes;
pub(crate) mod blocks;
pub(crate) mod execute;
pub(crate) mod genesis;
pub(crate) mod history;
mod housekeeping;
pub(crate) mod performance;
mod producer;
pub(crate) mod ticks;

use crate::{config::Confirmation, faults::Faults, pubsub::Subscriptions};
use blockhashes::Blockhashes;
use blocks::Blocks;
use crossbeam_channel::Sender;
use execute::SanitizedTx;
use history::{History, TxRecord};
use performance::Performance;
use solana_clock::Slot;
use solana_commitment_config::CommitmentConfig;
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_runtime::{bank::Bank, bank_forks::BankForks};
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;
use std::{
    sync::{Arc, RwLock},
    thread::JoinHandle,
    time::Duration,
};

pub(crate) enum Command {
    /// Lands a transaction; with deferred landing, at the start of the next slot. `reply`
    /// hears its fate when the sender waits for it.
    Land {
        tx: Arc<SanitizedTx>,
        versioned: VersionedTransaction,
        reply: Option<tokio::sync::oneshot::Sender<Landed>>,
    },
    /// Ends the current slot now (a fresh blockhash after `expire_blockhashes`).
    EndSlot,
    Stop,
}

/// A transaction's fate: it landed (successfully or not), or it was dropped.
pub(crate) type Landed = Result<Arc<TxRecord>, TransactionError>;

/// What `confirmed` and `finalized` reads see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SettledSlots {
    pub confirmed: Slot,
    pub finalized: Slot,
}

#[derive(Debug, thiserror::Error)]
#[error("the cluster is shutting down")]
pub(crate) struct Stopped;

pub(crate) struct Node {
    pub bank_forks: Arc<RwLock<BankForks>>,
    pub history: History,
    pub blocks: Blocks,
    pub performance: Performance,
    pub blockhashes: Blockhashes,
    pub subscriptions: Subscriptions,
    pub faults: Faults,
    pub faucet: Keypair,
    pub identity: Pubkey,
    pub genesis_hash: Hash,
    pub confirmation: Confirmation,
    /// The newest bank a `confirmed` read sees; the bank thread moves it on.
    confirmed: RwLock<Arc<Bank>>,
    commands: Sender<Command>,
}

impl Node {
    /// Starts the node's thread, which owns every change to the banks.
    pub fn start(
        genesis: genesis::Genesis,
        faults: Faults,
        slot_duration: Duration,
        confirmation: Confirmation,
        sample_period: Duration,
    ) -> std::io::Result<(Arc<Node>, JoinHandle<()>)> {
        let (commands, receiver) = crossbeam_channel::unbounded();
        let first = genesis.bank_forks.read().expect("bank forks lock").root_bank();
        let node = Arc::new(Node {
            bank_forks: genesis.bank_forks,
            history: History::default(),
            blocks: Blocks::default(),
            performance: Performance::new(sample_period),
            blockhashes: Blockhashes::new(faults.clone()),
            subscriptions: Subscriptions::new(faults.clone()),
            faults: faults.clone(),
            faucet: genesis.faucet,
            identity: genesis.identity,
            genesis_hash: genesis.genesis_hash,
            confirmation,
            confirmed: RwLock::new(first),
            commands: commands.clone(),
        });
        // Genesis is complete before the first working slot begins: it is block 0.
        node.blocks.record(&node.root_bank(), Vec::new());
        let working = node.working_bank();
        node.blockhashes.record(working.last_blockhash(), working.slot(), working.block_height());
        faults.set_on_expire(move || {
            let _ = commands.send(Command::EndSlot);
        });
        let thread = std::thread::Builder::new().name("cluster-bank".into()).spawn({
            let node = node.clone();
            move || producer::run(&node, &receiver, slot_duration)
        })?;
        Ok((node, thread))
    }

    pub fn working_bank(&self) -> Arc<Bank> {
        self.bank_forks.read().expect("bank forks lock").working_bank()
    }

    pub fn root_bank(&self) -> Arc<Bank> {
        self.bank_forks.read().expect("bank forks lock").root_bank()
    }

    pub fn confirmed_bank(&self) -> Arc<Bank> {
        self.confirmed.read().expect("confirmed bank lock").clone()
    }

    pub(crate) fn set_confirmed(&self, bank: Arc<Bank>) {
        *self.confirmed.write().expect("confirmed bank lock") = bank;
    }

    /// The bank a read at `commitment` sees (finalized when unspecified, as the RPC does).
    pub fn bank(&self, commitment: Option<CommitmentConfig>) -> Arc<Bank> {
        let commitment = commitment.unwrap_or_default();
        if commitment.is_finalized() {
            self.root_bank()
        } else if commitment.is_confirmed() {
            self.confirmed_bank()
        } else {
            self.working_bank()
        }
    }

    /// The highest slots a `confirmed` and a `finalized` read see.
    pub fn settled_slots(&self) -> SettledSlots {
        // Confirmed first: the root never passes it, so the pair is never inverted.
        let confirmed = self.confirmed_bank().slot();
        let finalized = self.root_bank().slot();
        SettledSlots { confirmed: confirmed.max(finalized), finalized }
    }

    pub fn slot(&self) -> Slot {
        self.working_bank().slot()
    }

    /// Hands a verified transaction to the bank thread and waits until it lands or is dropped.
    pub async fn land(&self, tx: Arc<SanitizedTx>, versioned: VersionedTransaction) -> Result<Landed, Stopped> {
        let (reply, landed) = tokio::sync::oneshot::channel();
        self.commands.send(Command::Land { tx, versioned, reply: Some(reply) }).map_err(|_| Stopped)?;
        landed.await.map_err(|_| Stopped)
    }

    /// Hands a verified transaction to the bank thread: with deferred landing it returns at
    /// once (`None`) and the transaction lands in the next slot, as a leader's would;
    /// otherwise it waits for the transaction's fate.
    pub async fn submit(
        &self,
        tx: Arc<SanitizedTx>,
        versioned: VersionedTransaction,
    ) -> Result<Option<Landed>, Stopped> {
        if !self.confirmation.deferred_landing {
            return self.land(tx, versioned).await.map(Some);
        }
        self.commands.send(Command::Land { tx, versioned, reply: None }).map_err(|_| Stopped)?;
        Ok(None)
    }

    pub fn stop(&self) {
        let _ = self.commands.send(Command::Stop);
    }
}
