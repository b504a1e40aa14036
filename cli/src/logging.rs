//! Log output: `tracing` lines on stderr, filtered by RUST_LOG, with every URL in them
//! redacted on the way out. Libraries put URLs into their errors (an HTTP client names
//! the URL it failed on, keys and all); redacting the finished line covers those too.

use smart_treasury_client::redact;
use std::io::{self, Write};
use tracing_subscriber::{fmt::MakeWriter, EnvFilter};

/// What is logged when RUST_LOG is not set.
const DEFAULT_FILTER: &str = "info,solana=warn,agave=warn,tarpc=error";

/// A writer that redacts URLs in what passes through it. The formatter writes one whole
/// event per call, so no URL is split between two writes.
pub struct Redacting<W>(W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(redact::urls_in(text).as_bytes())?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Makes a [`Redacting`] writer around each writer `M` makes.
pub struct RedactingWriter<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingWriter<M> {
    type Writer = Redacting<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        Redacting(self.0.make_writer())
    }
}

/// The CLI's subscriber, writing to `writer` (in colour with `ansi`): what `main`
/// installs for stderr, and what tests install to read the lines back.
pub fn subscriber<M>(writer: M, ansi: bool) -> impl tracing::Subscriber + Send + Sync
where
    M: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(RedactingWriter(writer))
        .with_target(false)
        .with_ansi(ansi)
        .finish()
}

/// Installs the subscriber for the process's stderr, with the libraries' `log` records
/// (the Solana crates log through `log`) passed on to it.
pub fn init() {
    use std::io::IsTerminal;
    use tracing_subscriber::util::SubscriberInitExt;
    subscriber(io::stderr, io::stderr().is_terminal()).init();
}

/// An error as the binary prints it: the whole chain, URLs redacted.
pub fn error_line(error: &anyhow::Error) -> String {
    format!("error: {}", redact::urls_in(&format!("{error:#}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn a_url_a_library_put_in_an_error_is_masked_in_the_log_line() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let make = move || Captured(sink.clone());
        tracing::subscriber::with_default(subscriber(make, false), || {
            // As an HTTP client words it, and as a field of its own.
            let error = "error sending request for url (https://ops:pw1@rpc.example.com/?api-key=KEY1)";
            tracing::warn!(%error, endpoint = "wss://rpc.example.com/v2/abcdef0123456789abcd", "cannot reach the RPC");
        });
        let text = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
        assert!(text.contains("(https://***@rpc.example.com/?***)"), "{text}");
        assert!(text.contains("wss://rpc.example.com/v2/***"), "{text}");
        for secret in ["pw1", "KEY1", "abcdef0123456789abcd", "ops"] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    #[test]
    fn the_printed_error_masks_urls_anywhere_in_its_chain() {
        let error = anyhow::anyhow!("connection refused").context("calling http://a:b@127.0.0.1:1/?api-key=KEY2");
        assert_eq!(error_line(&error), "error: calling http://***@127.0.0.1:1/?***: connection refused");
    }

    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}
