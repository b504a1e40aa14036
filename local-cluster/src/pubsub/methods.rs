//! The subscribe and unsubscribe methods, with the RPC's parameters and defaults
//! (finalized commitment, base-58 account data).

use crate::{
    node::Node,
    pubsub::{
        messages::fingerprint,
        registry::{Kind, Level, Outbox, Request},
    },
    rpc::params::{self, arity, method, NoParams, RpcResult},
};
use jsonrpc_core::{Error, MetaIoHandler};
use solana_account_decoder::UiAccountEncoding;
use solana_rpc_client_types::{
    config::{
        RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSignatureSubscribeConfig, RpcTransactionLogsConfig,
        RpcTransactionLogsFilter,
    },
    request::MAX_GET_PROGRAM_ACCOUNT_FILTERS,
};
use std::sync::{Arc, Mutex};

pub(crate) type Handler = MetaIoHandler<Arc<Session>>;

/// A connection as its methods see it.
pub(crate) struct Session {
    pub node: Arc<Node>,
    pub connection: u64,
    pub outbox: Outbox,
    /// Notifications to send right after the current reply.
    pub pending: Mutex<Vec<String>>,
}

impl Session {
    pub fn take_pending(&self) -> Vec<String> {
        std::mem::take(&mut *self.pending.lock().expect("pending lock"))
    }

    fn subscribe(&self, level: Level, kind: Kind) -> u64 {
        let request = Request { connection: self.connection, outbox: self.outbox.clone(), level, kind };
        let signature = match &request.kind {
            Kind::Signature { signature, .. } => Some(*signature),
            _ => None,
        };
        let node = &self.node;
        let settled = || {
            let record = node.history.get(&signature?)?;
            let reached = match level {
                Level::Processed => node.working_bank().slot(),
                Level::Confirmed => node.settled_slots().confirmed,
                Level::Finalized => node.settled_slots().finalized,
            };
            (record.slot <= reached).then_some(record)
        };
        let (id, due) = node.subscriptions.subscribe(request, settled);
        self.pending.lock().expect("pending lock").extend(due);
        id
    }
}

pub(crate) fn handler() -> Handler {
    let mut io = MetaIoHandler::default();
    method(
        &mut io,
        "accountSubscribe",
        arity(1, 2),
        |session: Arc<Session>, (address, config): (String, Option<RpcAccountInfoConfig>)| async move {
            let pubkey = params::pubkey(&address)?;
            let config = config.unwrap_or_default();
            // Notified on change only: the state at subscribe time is the baseline.
            let current = session.node.bank(config.commitment).get_account(&pubkey).unwrap_or_default();
            let kind = Kind::Account {
                pubkey,
                encoding: config.encoding.unwrap_or(UiAccountEncoding::Binary),
                data_slice: config.data_slice,
                last: Some(fingerprint(&current)),
            };
            Ok(session.subscribe(Level::of(config.commitment), kind))
        },
    );
    method(
        &mut io,
        "programSubscribe",
        arity(1, 2),
        |session: Arc<Session>, (program_id, config): (String, Option<RpcProgramAccountsConfig>)| async move {
            let program_id = params::pubkey(&program_id)?;
            let config = config.unwrap_or_default();
            let filters = config.filters.unwrap_or_default();
            if filters.len() > MAX_GET_PROGRAM_ACCOUNT_FILTERS {
                return Err(Error::invalid_params(format!(
                    "Too many filters provided; max {MAX_GET_PROGRAM_ACCOUNT_FILTERS}"
                )));
            }
            for filter in &filters {
                filter.verify().map_err(|err| Error::invalid_params(format!("Invalid param: {err}")))?;
            }
            let account_config = config.account_config;
            let kind = Kind::Program {
                program_id,
                filters,
                encoding: account_config.encoding.unwrap_or(UiAccountEncoding::Binary),
                data_slice: account_config.data_slice,
            };
            Ok(session.subscribe(Level::of(account_config.commitment), kind))
        },
    );
    method(
        &mut io,
        "logsSubscribe",
        arity(1, 2),
        |session: Arc<Session>, (filter, config): (RpcTransactionLogsFilter, Option<RpcTransactionLogsConfig>)| async move {
            let mentions = match filter {
                RpcTransactionLogsFilter::All | RpcTransactionLogsFilter::AllWithVotes => None,
                RpcTransactionLogsFilter::Mentions(addresses) => match addresses.as_slice() {
                    [address] => Some(params::pubkey(address)?),
                    _ => return Err(Error::invalid_params("Invalid Request: Only 1 address supported")),
                },
            };
            let commitment = config.and_then(|config| config.commitment);
            Ok(session.subscribe(Level::of(commitment), Kind::Logs { mentions }))
        },
    );
    method(
        &mut io,
        "signatureSubscribe",
        arity(1, 2),
        |session: Arc<Session>, (signature, config): (String, Option<RpcSignatureSubscribeConfig>)| async move {
            let signature = params::signature(&signature)?;
            let config = config.unwrap_or_default();
            let received = config.enable_received_notification.unwrap_or(false);
            Ok(session.subscribe(Level::of(config.commitment), Kind::Signature { signature, received }))
        },
    );
    method(&mut io, "slotSubscribe", arity(0, 0), |session: Arc<Session>, NoParams()| async move {
        Ok(session.subscribe(Level::Processed, Kind::Slot))
    });
    for name in
        ["accountUnsubscribe", "programUnsubscribe", "logsUnsubscribe", "signatureUnsubscribe", "slotUnsubscribe"]
    {
        method(
            &mut io,
            name,
            arity(1, 1),
            |session: Arc<Session>, (id,): (u64,)| async move { unsubscribe(&session, id) },
        );
    }
    io
}

fn unsubscribe(session: &Session, id: u64) -> RpcResult<bool> {
    if session.node.subscriptions.unsubscribe(session.connection, id) {
        Ok(true)
    } else {
        Err(Error::invalid_params("Invalid subscription id."))
    }
}
