//! Notification messages, and their delivery (unless the stalled-socket fault swallows them).

use crate::{
    faults::{Faults, Fired},
    node::history::TxRecord,
    pubsub::registry::{Outbox, Subscription},
};
use serde::Serialize;
use solana_account::{AccountSharedData, ReadableAccount};
use solana_clock::Slot;
use solana_rpc_client_types::response::{ProcessedSignatureResult, Response, RpcResponseContext, RpcSignatureResult};
use std::hash::{Hash as _, Hasher};

pub(super) fn contextual<T>(slot: Slot, value: T) -> Response<T> {
    Response { context: RpcResponseContext { slot, api_version: None }, value }
}

pub(super) fn signature_result(record: &TxRecord) -> Response<RpcSignatureResult> {
    let err = record.meta.status.clone().err().map(Into::into);
    contextual(record.slot, RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult { err }))
}

pub(super) fn notification<T: Serialize>(subscription: &Subscription, id: u64, result: &T) -> String {
    notification_message(subscription.kind.notification(), id, result)
}

pub(super) fn notification_message<T: Serialize>(method: &str, id: u64, result: &T) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "method": method,
        "params": { "result": result, "subscription": id },
    })
    .to_string()
}

/// What an account subscription compares to tell that its account changed.
pub(crate) fn fingerprint(account: &AccountSharedData) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    account.lamports().hash(&mut hasher);
    account.owner().hash(&mut hasher);
    account.executable().hash(&mut hasher);
    account.data().hash(&mut hasher);
    hasher.finish()
}

/// Sends unless the stalled-socket fault is on; then the notification is lost, as it would
/// be behind a connection that stopped moving.
pub(crate) fn deliver_or_stall(faults: &Faults, outbox: &Outbox, message: String) {
    if faults.config().stall_websocket {
        faults.record(Fired::StalledNotification);
        return;
    }
    let _ = outbox.send(message);
}
