//! Who is subscribed to what: subscriptions by id, each with its connection, commitment
//! level and kind. The notifications they get are in `events`.

use crate::{
    faults::Faults,
    node::history::TxRecord,
    pubsub::messages::{notification, signature_result},
};
use solana_account_decoder::{UiAccountEncoding, UiDataSliceConfig};
use solana_commitment_config::CommitmentConfig;
use solana_pubkey::Pubkey;
use solana_rpc_client_types::filter::RpcFilterType;
use solana_signature::Signature;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};
use tokio::sync::mpsc::UnboundedSender;

/// Where a connection's outgoing messages go.
pub(crate) type Outbox = UnboundedSender<String>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Level {
    Processed,
    Confirmed,
    Finalized,
}

impl Level {
    /// Finalized when unspecified, as the RPC's subscriptions default.
    pub fn of(commitment: Option<CommitmentConfig>) -> Self {
        let commitment = commitment.unwrap_or_default();
        if commitment.is_finalized() {
            Level::Finalized
        } else if commitment.is_confirmed() {
            Level::Confirmed
        } else {
            Level::Processed
        }
    }
}

pub(crate) enum Kind {
    /// `last` is the state last notified (or found at subscribe time, which is not notified).
    Account {
        pubkey: Pubkey,
        encoding: UiAccountEncoding,
        data_slice: Option<UiDataSliceConfig>,
        last: Option<u64>,
    },
    Program {
        program_id: Pubkey,
        filters: Vec<RpcFilterType>,
        encoding: UiAccountEncoding,
        data_slice: Option<UiDataSliceConfig>,
    },
    Logs {
        mentions: Option<Pubkey>,
    },
    Signature {
        signature: Signature,
        received: bool,
    },
    Slot,
}

impl Kind {
    pub(super) fn notification(&self) -> &'static str {
        match self {
            Kind::Account { .. } => "accountNotification",
            Kind::Program { .. } => "programNotification",
            Kind::Logs { .. } => "logsNotification",
            Kind::Signature { .. } => "signatureNotification",
            Kind::Slot => "slotNotification",
        }
    }
}

pub(super) struct Subscription {
    pub connection: u64,
    pub outbox: Outbox,
    pub level: Level,
    pub kind: Kind,
}

pub(crate) struct Subscriptions {
    pub(super) registry: Mutex<Registry>,
    pub(super) faults: Faults,
}

#[derive(Default)]
pub(super) struct Registry {
    next_id: u64,
    pub by_id: HashMap<u64, Subscription>,
}

/// A new subscription's owner and settings.
pub(crate) struct Request {
    pub connection: u64,
    pub outbox: Outbox,
    pub level: Level,
    pub kind: Kind,
}

impl Subscriptions {
    pub fn new(faults: Faults) -> Self {
        Self { registry: Mutex::new(Registry::default()), faults }
    }

    /// Registers a subscription and returns its id. `settled` says, under the same lock
    /// the bank thread notifies under, whether a signature has already reached the asked
    /// commitment: then the subscription is not kept and its one notification is returned,
    /// for the caller to send after the reply that carries the id. No event is lost or doubled.
    pub fn subscribe(
        &self,
        request: Request,
        settled: impl FnOnce() -> Option<Arc<TxRecord>>,
    ) -> (u64, Option<String>) {
        let mut registry = self.registry.lock().expect("subscriptions lock");
        registry.next_id += 1;
        let id = registry.next_id;
        let subscription = Subscription {
            connection: request.connection,
            outbox: request.outbox,
            level: request.level,
            kind: request.kind,
        };
        if let Kind::Signature { .. } = subscription.kind {
            if let Some(record) = settled() {
                return (id, Some(notification(&subscription, id, &signature_result(&record))));
            }
        }
        registry.by_id.insert(id, subscription);
        (id, None)
    }

    /// False when `id` is not a live subscription of this connection.
    pub fn unsubscribe(&self, connection: u64, id: u64) -> bool {
        let mut registry = self.registry.lock().expect("subscriptions lock");
        match registry.by_id.get(&id) {
            Some(subscription) if subscription.connection == connection => registry.by_id.remove(&id).is_some(),
            _ => false,
        }
    }

    pub fn drop_connection(&self, connection: u64) {
        self.registry
            .lock()
            .expect("subscriptions lock")
            .by_id
            .retain(|_, subscription| subscription.connection != connection);
    }

    /// Drops every subscription, and with them the last handles on the sockets' writers.
    pub fn clear(&self) {
        self.registry.lock().expect("subscriptions lock").by_id.clear();
    }

    pub fn count(&self) -> usize {
        self.registry.lock().expect("subscriptions lock").by_id.len()
    }
}
