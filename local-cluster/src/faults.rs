//! Fault injection for tests: off by default, set at start and changed at runtime through
//! a [`Faults`] handle, so a test can make the cluster misbehave in the middle of a run.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, RwLock,
    },
    time::Duration,
};

/// What the cluster does wrong, and how often. `Default` is a well-behaved cluster.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultConfig {
    /// Added before every HTTP response.
    pub latency: Duration,
    /// Share (0..=1) of HTTP requests answered `429 Too Many Requests`.
    pub rate_limited: f64,
    /// Share of HTTP requests answered `503 Service Unavailable`.
    pub unavailable: f64,
    /// Share of JSON-RPC requests answered with a "node is unhealthy" error (-32005).
    pub rpc_errors: f64,
    /// Share of `sendTransaction` calls that return a signature but never land.
    pub dropped_transactions: f64,
    /// Blockhashes expire after this many slots instead of the runtime's 150.
    pub blockhash_expiry_slots: Option<u64>,
    /// Subscriptions stop delivering while their sockets stay open.
    pub stall_websocket: bool,
    /// No slot becomes confirmed or finalized (as when a cluster loses its supermajority);
    /// slots go on being produced, and both levels catch up once this is cleared.
    pub stall_confirmation: bool,
}

/// A fault setting that cannot be applied.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FaultError {
    #[error("fault `{name}` must be a share between 0 and 1, got {value}")]
    ShareOutOfRange { name: &'static str, value: f64 },
    #[error("fault `blockhash_expiry_slots` must be at least 1 slot")]
    ZeroBlockhashExpiry,
}

impl FaultConfig {
    pub fn validate(&self) -> Result<(), FaultError> {
        for (name, value) in [
            ("rate_limited", self.rate_limited),
            ("unavailable", self.unavailable),
            ("rpc_errors", self.rpc_errors),
            ("dropped_transactions", self.dropped_transactions),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(FaultError::ShareOutOfRange { name, value });
            }
        }
        if self.blockhash_expiry_slots == Some(0) {
            return Err(FaultError::ZeroBlockhashExpiry);
        }
        Ok(())
    }
}

/// How many times each fault fired since the cluster started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultStats {
    pub delayed_requests: u64,
    pub rate_limited: u64,
    pub unavailable: u64,
    pub rpc_errors: u64,
    pub dropped_transactions: u64,
    pub expired_blockhash_rejections: u64,
    pub stalled_notifications: u64,
}

/// The runtime handle: cheap to clone, shared by the cluster's services.
#[derive(Clone, Default)]
pub struct Faults {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    config: RwLock<FaultConfig>,
    /// Bumped by `expire_blockhashes`: blockhashes from an older generation are invalid.
    generation: AtomicU64,
    on_expire: Mutex<Option<Box<dyn Fn() + Send + Sync>>>,
    counters: [AtomicU64; 7],
}

#[derive(Clone, Copy)]
pub(crate) enum Fired {
    Delayed = 0,
    RateLimited,
    Unavailable,
    RpcError,
    DroppedTransaction,
    ExpiredBlockhash,
    StalledNotification,
}

impl Faults {
    pub fn new(config: FaultConfig) -> Result<Self, FaultError> {
        config.validate()?;
        let faults = Self::default();
        *faults.inner.config.write().expect("fault config lock") = config;
        Ok(faults)
    }

    /// The current settings.
    pub fn config(&self) -> FaultConfig {
        self.inner.config.read().expect("fault config lock").clone()
    }

    /// Replaces every setting at once.
    pub fn set(&self, config: FaultConfig) -> Result<(), FaultError> {
        config.validate()?;
        tracing::info!(?config, "fault settings changed");
        *self.inner.config.write().expect("fault config lock") = config;
        Ok(())
    }

    /// Changes some settings, keeping the rest.
    pub fn update(&self, change: impl FnOnce(&mut FaultConfig)) -> Result<(), FaultError> {
        let mut config = self.config();
        change(&mut config);
        self.set(config)
    }

    /// Back to a well-behaved cluster.
    pub fn clear(&self) {
        self.set(FaultConfig::default()).expect("the default fault config is valid");
    }

    /// Every blockhash handed out so far stops being valid; the cluster starts a new slot
    /// at once so a fresh one is available.
    pub fn expire_blockhashes(&self) {
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        tracing::info!("all current blockhashes expired");
        if let Some(on_expire) = self.inner.on_expire.lock().expect("fault hook lock").as_ref() {
            on_expire();
        }
    }

    pub fn stats(&self) -> FaultStats {
        let count = |fired: Fired| self.inner.counters[fired as usize].load(Ordering::Relaxed);
        FaultStats {
            delayed_requests: count(Fired::Delayed),
            rate_limited: count(Fired::RateLimited),
            unavailable: count(Fired::Unavailable),
            rpc_errors: count(Fired::RpcError),
            dropped_transactions: count(Fired::DroppedTransaction),
            expired_blockhash_rejections: count(Fired::ExpiredBlockhash),
            stalled_notifications: count(Fired::StalledNotification),
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::SeqCst)
    }

    pub(crate) fn set_on_expire(&self, hook: impl Fn() + Send + Sync + 'static) {
        *self.inner.on_expire.lock().expect("fault hook lock") = Some(Box::new(hook));
    }

    pub(crate) fn record(&self, fired: Fired) {
        self.inner.counters[fired as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// True with probability `share`; never for 0, always for 1.
    pub(crate) fn roll(share: f64) -> bool {
        share > 0.0 && (share >= 1.0 || rand::random::<f64>() < share)
    }
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults").field("config", &self.config()).field("stats", &self.stats()).finish()
    }
}
