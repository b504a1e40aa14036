//! A TCP proxy on loopback that a test can cut: every open connection is closed and new
//! ones are refused until it is restored. Put in front of a cluster's WebSocket, it
//! drops a client's subscriptions the way a flaky network or a restarted node does.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub struct TcpProxy {
    pub addr: SocketAddr,
    cut: Arc<AtomicBool>,
    /// Cancelled to close every connection open now; replaced on each cut.
    connections: Arc<Mutex<CancellationToken>>,
    stop: CancellationToken,
}

impl TcpProxy {
    /// Forwards a free loopback port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let cut = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(CancellationToken::new()));
        let stop = CancellationToken::new();
        let (is_cut, open, stopped) = (cut.clone(), connections.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = stopped.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok((mut client, _)) = accepted else { continue };
                if is_cut.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let closed = open.lock().expect("proxy state").clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
                    tokio::select! {
                        _ = closed.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    }
                });
            }
        });
        Self { addr, cut, connections, stop }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Closes every connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        let mut open = self.connections.lock().expect("proxy state");
        open.cancel();
        *open = CancellationToken::new();
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.stop.cancel();
        self.connections.lock().expect("proxy state").cancel();
    }
}
