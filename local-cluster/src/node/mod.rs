//! The single node: a bank that advances one slot at a time in real time, the transactions
//! that landed in it, and the hooks that tell subscribers.
//!
//! Commitment on a single node: `processed` reads the working bank, where transactions land
//! as soon as they are sent; `confirmed` and `finalized` both read the last completed slot,
//! which is rooted the moment the next slot starts (so a transaction reaches them within
//! one slot).

pub(crate) mod blockhashes;
pub(crate) mod execute;
pub(crate) mod genesis;
pub(crate) mod history;
mod housekeeping;
mod producer;
pub(crate) mod ticks;

use crate::{faults::Faults, pubsub::Subscriptions};
use blockhashes::Blockhashes;
use crossbeam_channel::Sender;
use execute::SanitizedTx;
use history::{History, TxRecord};
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
    Land {
        tx: Arc<SanitizedTx>,
        versioned: VersionedTransaction,
        reply: tokio::sync::oneshot::Sender<Landed>,
    },
    /// Ends the current slot now (a fresh blockhash after `expire_blockhashes`).
    EndSlot,
    Stop,
}

/// A transaction's fate: it landed (successfully or not), or it was dropped.
pub(crate) type Landed = Result<Arc<TxRecord>, TransactionError>;

#[derive(Debug, thiserror::Error)]
#[error("the cluster is shutting down")]
pub(crate) struct Stopped;

pub(crate) struct Node {
    pub bank_forks: Arc<RwLock<BankForks>>,
    pub history: History,
    pub blockhashes: Blockhashes,
    pub subscriptions: Subscriptions,
    pub faults: Faults,
    pub faucet: Keypair,
    pub identity: Pubkey,
    pub genesis_hash: Hash,
    commands: Sender<Command>,
}

impl Node {
    /// Starts the node's thread, which owns every change to the banks.
    pub fn start(
        genesis: genesis::Genesis,
        faults: Faults,
        slot_duration: Duration,
    ) -> std::io::Result<(Arc<Node>, JoinHandle<()>)> {
        let (commands, receiver) = crossbeam_channel::unbounded();
        let node = Arc::new(Node {
            bank_forks: genesis.bank_forks,
            history: History::default(),
            blockhashes: Blockhashes::new(faults.clone()),
            subscriptions: Subscriptions::new(faults.clone()),
            faults: faults.clone(),
            faucet: genesis.faucet,
            identity: genesis.identity,
            genesis_hash: genesis.genesis_hash,
            commands: commands.clone(),
        });
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

    /// The bank a read at `commitment` sees (finalized when unspecified, as the RPC does).
    pub fn bank(&self, commitment: Option<CommitmentConfig>) -> Arc<Bank> {
        if commitment.unwrap_or_default().is_at_least_confirmed() {
            self.root_bank()
        } else {
            self.working_bank()
        }
    }

    pub fn slot(&self) -> Slot {
        self.working_bank().slot()
    }

    /// Hands a verified transaction to the bank thread and waits until it lands or is dropped.
    pub async fn land(&self, tx: Arc<SanitizedTx>, versioned: VersionedTransaction) -> Result<Landed, Stopped> {
        let (reply, landed) = tokio::sync::oneshot::channel();
        self.commands.send(Command::Land { tx, versioned, reply }).map_err(|_| Stopped)?;
        landed.await.map_err(|_| Stopped)
    }

    pub fn stop(&self) {
        let _ = self.commands.send(Command::Stop);
    }
}
