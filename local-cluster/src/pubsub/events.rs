//! The notifications the bank thread's events produce.
//!
//! `processed` subscriptions hear about a transaction as soon as it lands; `confirmed` ones
//! when its slot is confirmed and `finalized` ones when it is rooted (see the node's
//! commitment note).

use crate::{
    encoding,
    node::history::TxRecord,
    pubsub::{
        messages::{contextual, deliver_or_stall, fingerprint, notification, notification_message, signature_result},
        registry::{Kind, Level, Registry, Subscription, Subscriptions},
    },
};
use serde::Serialize;
use solana_account::ReadableAccount;
use solana_clock::Slot;
use solana_pubkey::Pubkey;
use solana_rpc_client_types::response::{
    ReceivedSignatureResult, Response, RpcKeyedAccount, RpcLogsResponse, RpcResponseContext, RpcSignatureResult,
    SlotInfo,
};
use solana_runtime::bank::Bank;
use solana_signature::Signature;
use std::{collections::HashSet, sync::Arc};

impl Subscriptions {
    /// `sendTransaction` accepted `signature`.
    pub fn transaction_received(&self, signature: &Signature, slot: Slot) {
        let registry = self.registry.lock().expect("subscriptions lock");
        for (id, subscription) in &registry.by_id {
            if matches!(subscription.kind, Kind::Signature { signature: wanted, received: true } if wanted == *signature)
            {
                let value = RpcSignatureResult::ReceivedSignature(ReceivedSignatureResult::ReceivedSignature);
                self.send(subscription, *id, &contextual(slot, value));
            }
        }
    }

    /// A transaction landed in the working bank.
    pub fn transaction_processed(&self, bank: &Bank, record: &TxRecord) {
        let mut registry = self.registry.lock().expect("subscriptions lock");
        if registry.by_id.is_empty() {
            return;
        }
        self.transaction_events(&mut registry, Level::Processed, &[record]);
        let written: HashSet<Pubkey> = record.writable.iter().copied().collect();
        self.account_events(&mut registry, Level::Processed, bank, &written);
    }

    /// A slot ended and `working` began; `confirmed` and `finalized` are the banks that
    /// reached those levels with it (oldest first), with the transactions that landed in them.
    pub fn slot_ended(
        &self,
        working: &Bank,
        root: Slot,
        confirmed: &[(Arc<Bank>, Vec<Arc<TxRecord>>)],
        finalized: &[(Arc<Bank>, Vec<Arc<TxRecord>>)],
    ) {
        let mut registry = self.registry.lock().expect("subscriptions lock");
        if registry.by_id.is_empty() {
            return;
        }
        let slot = SlotInfo { slot: working.slot(), parent: working.parent_slot(), root };
        for (id, subscription) in &registry.by_id {
            if let Kind::Slot = subscription.kind {
                self.send(subscription, *id, &slot);
            }
        }
        for (level, reached) in [(Level::Confirmed, confirmed), (Level::Finalized, finalized)] {
            for (bank, landed) in reached {
                let landed: Vec<&TxRecord> = landed.iter().map(Arc::as_ref).collect();
                self.transaction_events(&mut registry, level, &landed);
                let written: HashSet<Pubkey> =
                    landed.iter().flat_map(|record| record.writable.iter().copied()).collect();
                self.account_events(&mut registry, level, bank, &written);
            }
        }
        // Accounts can change outside transactions (sysvars at every slot); a new slot is the
        // moment to look at all watched accounts once, at each level.
        self.watched_accounts(&mut registry, Level::Processed, working);
        for (level, reached) in [(Level::Confirmed, confirmed), (Level::Finalized, finalized)] {
            if let Some((bank, _)) = reached.last() {
                self.watched_accounts(&mut registry, level, bank);
            }
        }
    }

    /// Logs and signature notifications for transactions that reached `level`.
    fn transaction_events(&self, registry: &mut Registry, level: Level, records: &[&TxRecord]) {
        let mut settled = Vec::new();
        for (id, subscription) in registry.by_id.iter().filter(|(_, subscription)| subscription.level == level) {
            match &subscription.kind {
                Kind::Logs { mentions } => {
                    for record in
                        records.iter().filter(|record| mentions.is_none_or(|key| record.account_keys.contains(&key)))
                    {
                        let value = RpcLogsResponse {
                            signature: record.signature.to_string(),
                            err: record.meta.status.clone().err().map(Into::into),
                            logs: record.meta.log_messages.clone().unwrap_or_default(),
                        };
                        self.send(subscription, *id, &contextual(record.slot, value));
                    }
                }
                Kind::Signature { signature, .. } => {
                    if let Some(record) = records.iter().find(|record| record.signature == *signature) {
                        self.send(subscription, *id, &signature_result(record));
                        settled.push(*id);
                    }
                }
                _ => {}
            }
        }
        // A signature subscription ends with its one notification.
        for id in settled {
            registry.by_id.remove(&id);
        }
    }

    /// Account and program notifications for accounts written by transactions.
    fn account_events(&self, registry: &mut Registry, level: Level, bank: &Bank, written: &HashSet<Pubkey>) {
        if written.is_empty() {
            return;
        }
        let context = RpcResponseContext { slot: bank.slot(), api_version: None };
        for (id, subscription) in registry.by_id.iter_mut().filter(|(_, subscription)| subscription.level == level) {
            match &mut subscription.kind {
                Kind::Account { pubkey, .. } if written.contains(pubkey) => {
                    if let Some(message) = self.account_change(*id, subscription, bank) {
                        deliver_or_stall(&self.faults, &subscription.outbox, message);
                    }
                }
                Kind::Program { program_id, filters, encoding, data_slice } => {
                    for pubkey in written {
                        let Some(account) = bank.get_account(pubkey) else { continue };
                        if account.owner() != program_id
                            || !filters.iter().all(|filter| encoding::filter_allows(filter, &account))
                        {
                            continue;
                        }
                        let value = RpcKeyedAccount {
                            pubkey: pubkey.to_string(),
                            account: encoding::ui_account(bank, pubkey, &account, *encoding, *data_slice),
                        };
                        let response = Response { context: context.clone(), value };
                        deliver_or_stall(
                            &self.faults,
                            &subscription.outbox,
                            notification_message("programNotification", *id, &response),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    /// Account notifications for every watched account whose state changed.
    fn watched_accounts(&self, registry: &mut Registry, level: Level, bank: &Bank) {
        for (id, subscription) in registry.by_id.iter_mut().filter(|(_, subscription)| subscription.level == level) {
            if let Kind::Account { .. } = subscription.kind {
                if let Some(message) = self.account_change(*id, subscription, bank) {
                    deliver_or_stall(&self.faults, &subscription.outbox, message);
                }
            }
        }
    }

    /// The notification for an account subscription, when its account changed since the last.
    fn account_change(&self, id: u64, subscription: &mut Subscription, bank: &Bank) -> Option<String> {
        let Kind::Account { pubkey, encoding, data_slice, last } = &mut subscription.kind else {
            return None;
        };
        // A closed account reads as the empty system account, as the RPC notifies it.
        let account = bank.get_account(pubkey).unwrap_or_default();
        let state = fingerprint(&account);
        if *last == Some(state) {
            return None;
        }
        *last = Some(state);
        let value = encoding::ui_account(bank, pubkey, &account, *encoding, *data_slice);
        Some(notification_message("accountNotification", id, &contextual(bank.slot(), value)))
    }

    fn send<T: Serialize>(&self, subscription: &Subscription, id: u64, result: &T) {
        deliver_or_stall(&self.faults, &subscription.outbox, notification(subscription, id, result));
    }
}
