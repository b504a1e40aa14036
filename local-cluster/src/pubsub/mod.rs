//! PubSub over WebSocket: account, program, logs, signature and slot subscriptions.

mod events;
mod messages;
mod methods;
mod registry;
mod session;

pub(crate) use registry::Subscriptions;

use crate::node::Node;
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};
use tokio::{net::TcpListener, sync::watch, task::JoinSet};

/// Serves until `shutdown` turns true; open sockets are closed then.
pub(crate) async fn serve(listener: TcpListener, node: Arc<Node>, mut shutdown: watch::Receiver<bool>) {
    let handler = Arc::new(methods::handler());
    let next_connection = AtomicU64::new(0);
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let connection = next_connection.fetch_add(1, Ordering::Relaxed);
                    sessions.spawn(session::run(stream, connection, node.clone(), handler.clone()));
                }
                Err(err) => tracing::warn!(%err, "cannot accept a WebSocket connection"),
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    sessions.abort_all();
    node.subscriptions.clear();
}
