//! One WebSocket connection: requests in, replies and notifications out, and its
//! subscriptions dropped when it closes.

use crate::{
    node::Node,
    pubsub::methods::{Handler, Session},
};
use futures_util::{SinkExt, StreamExt};
use std::sync::{Arc, Mutex};
use tokio::{net::TcpStream, sync::mpsc};
use tokio_tungstenite::tungstenite::Message;

pub(super) async fn run(stream: TcpStream, connection: u64, node: Arc<Node>, handler: Arc<Handler>) {
    let socket = match tokio_tungstenite::accept_async(stream).await {
        Ok(socket) => socket,
        Err(err) => {
            tracing::debug!(%err, "WebSocket handshake failed");
            return;
        }
    };
    let (mut sink, mut source) = socket.split();
    let (outbox, mut outgoing) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        while let Some(text) = outgoing.recv().await {
            if sink.send(Message::text(text)).await.is_err() {
                break;
            }
        }
    });
    let session =
        Arc::new(Session { node: node.clone(), connection, outbox: outbox.clone(), pending: Mutex::default() });
    while let Some(message) = source.next().await {
        let text = match message {
            Ok(Message::Text(text)) => text.to_string(),
            Ok(Message::Binary(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        if let Some(reply) = handler.handle_request(&text, session.clone()).await {
            let _ = outbox.send(reply);
        }
        // Notifications that were due at subscribe time go out after the reply with their id.
        for notification in session.take_pending() {
            crate::pubsub::messages::deliver_or_stall(&node.faults, &outbox, notification);
        }
    }
    node.subscriptions.drop_connection(connection);
    drop(session);
    drop(outbox);
    let _ = writer.await;
    tracing::debug!(connection, "WebSocket closed");
}
