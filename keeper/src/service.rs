//! The keeper as named subsystems sharing one fleet view: discovery, watcher, the
//! plan-and-crank cycle, and metrics. All stop together on SIGINT/SIGTERM or when the
//! shutdown token fires.

use crate::{
    config::{Commitment, KeeperConfig},
    cycle, dispatch,
    event_log::Outbox,
    events,
    executor::Executor,
    fleet::Fleet,
    fleet_plan::Hold,
    history::Sampler,
    keys,
    metrics::{self, Metrics},
    retention,
    store::Store,
    watcher,
};
use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use smart_treasury_client::{read, redact::Redacted};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signer::Signer;
use std::{
    str::FromStr,
    sync::{Arc, Mutex},
    time::{Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::{Notify, RwLock};
use tokio_util::sync::CancellationToken;

/// Everything the subsystems share.
pub struct Shared {
    pub config: KeeperConfig,
    pub rpc: Arc<RpcClient>,
    pub treasury: Pubkey,
    pub fleet: RwLock<Fleet>,
    pub store: Mutex<Store>,
    pub metrics: Metrics,
    pub executor: Executor,
    pub keeper: Pubkey,
    /// Wakes the cycle early when a watched balance changes; `changed` says which.
    pub wake: Notify,
    pub(crate) changed: Mutex<std::collections::BTreeSet<Pubkey>>,
    /// Cranks being landed; shutdown stops them where they are (their actions stay
    /// pending with every signature sent, for the next run to settle) and waits for them.
    in_flight: tokio_util::task::TaskTracker,
    stopping: CancellationToken,
    /// When the last status lines were written, and which balances' lines are due.
    last_status: Mutex<Option<Instant>>,
    pub(crate) status_log: Mutex<crate::status::StatusLog>,
    /// Which balance reads are worth keeping as history.
    pub sampler: Mutex<Sampler>,
    /// What held the fleet's cranks at the last cycle, and the balances found degraded,
    /// so each is said once.
    pub(crate) last_hold: Mutex<Option<Hold>>,
    pub(crate) degraded: Mutex<std::collections::BTreeSet<Pubkey>>,
    pub(crate) fee_payer_low: Mutex<bool>,
    /// Where recorded events and alerts are also written (the webhook outbox), when a
    /// process serves webhooks.
    outbox: std::sync::OnceLock<Arc<dyn Outbox>>,
    /// The last decision per managed balance, so the activity log records changes only.
    pub decisions: crate::decisions::Journal,
}

/// How often the keeper writes its status lines (see `status` for which).
const STATUS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// How often (chain time) history beyond the window is pruned.
const PRUNE_EVERY_SECONDS: i64 = 3_600;

/// The pause between two chunks of a prune.
const PRUNE_PAUSE: std::time::Duration = std::time::Duration::from_millis(2);

pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs() as i64).unwrap_or(0)
}

fn commitment(level: Commitment) -> CommitmentConfig {
    match level {
        Commitment::Processed => CommitmentConfig::processed(),
        Commitment::Confirmed => CommitmentConfig::confirmed(),
        Commitment::Finalized => CommitmentConfig::finalized(),
    }
}

impl Shared {
    pub fn new(config: KeeperConfig) -> Result<Arc<Self>> {
        let treasury = Pubkey::from_str(&config.treasury).context("treasury address")?;
        // A process that only serves (no cranks) signs nothing: a throwaway key will do.
        let payer = Arc::new(if config.crank {
            keys::load(config.keypair.as_deref())?
        } else {
            solana_keypair::Keypair::new()
        });
        let rpc = Arc::new(RpcClient::new_with_commitment(config.rpc_url.clone(), commitment(config.commitment)));
        let store = Store::open(&config.store)?;
        let sampler = Sampler::from_store(&store)?;
        let metrics = Metrics::default();
        let executor = Executor::new(rpc.clone(), payer.clone(), config.executor, metrics.clone());
        Ok(Arc::new(Self {
            keeper: payer.pubkey(),
            config,
            rpc,
            treasury,
            fleet: RwLock::new(Fleet::default()),
            store: Mutex::new(store),
            metrics,
            executor,
            wake: Notify::new(),
            changed: Mutex::default(),
            last_status: Mutex::new(None),
            status_log: Mutex::default(),
            sampler: Mutex::new(sampler),
            last_hold: Mutex::new(None),
            degraded: Mutex::default(),
            fee_payer_low: Mutex::new(false),
            in_flight: tokio_util::task::TaskTracker::new(),
            stopping: CancellationToken::new(),
            outbox: std::sync::OnceLock::new(),
            decisions: crate::decisions::Journal::default(),
        }))
    }

    /// Sends what the store records to `outbox` too; set once, before `run_shared`.
    pub fn set_outbox(&self, outbox: Arc<dyn Outbox>) -> Result<()> {
        self.outbox.set(outbox).map_err(|_| anyhow::anyhow!("an outbox is already set"))
    }

    pub fn outbox(&self) -> Option<Arc<dyn Outbox>> {
        self.outbox.get().cloned()
    }

    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The chain's time (the Clock sysvar as last read, plus what elapsed since); the
    /// host's before the first read.
    pub async fn chain_now(&self) -> i64 {
        self.fleet.read().await.clock.map_or_else(unix_now, |clock| clock.now())
    }

    /// Lands a crank in the background, tracked so shutdown can wait for it.
    pub(crate) fn spawn_crank(&self, crank: impl std::future::Future<Output = ()> + Send + 'static) {
        self.in_flight.spawn(crank);
    }

    /// Cranks being landed now.
    pub fn cranks_in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Fires when the keeper is stopping: in-flight cranks stop where they are.
    pub(crate) async fn stopping(&self) {
        self.stopping.cancelled().await
    }

    /// Notes that `managed_balances` changed and wakes the cycle to act on them.
    pub(crate) fn changed(&self, managed_balances: impl IntoIterator<Item = Pubkey>) {
        self.changed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend(managed_balances);
        self.wake.notify_one();
    }

    /// Whether the status lines are due, noting that they are written now.
    pub(crate) fn status_due(&self) -> bool {
        let mut last = self.last_status.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = last.is_none_or(|at| at.elapsed() >= STATUS_INTERVAL);
        if due {
            *last = Some(Instant::now());
        }
        due
    }
}

/// Runs every subsystem until `shutdown` fires; the first subsystem error stops all.
pub async fn run(config: KeeperConfig, shutdown: CancellationToken) -> Result<()> {
    run_shared(Shared::new(config)?, shutdown).await
}

/// `run`, for a caller that holds the shared state too (the API server beside it).
pub async fn run_shared(shared: Arc<Shared>, shutdown: CancellationToken) -> Result<()> {
    if let Some(addr) = shared.config.metrics_addr {
        let bound = metrics::serve(addr, shared.metrics.clone(), shutdown.clone()).await?;
        tracing::info!(%bound, "metrics on /metrics");
    }
    if shared.config.crank {
        shared.executor.check_fee_payer().await;
    }
    // The RPC may be unreachable or flaky at first: keep trying until it answers.
    let mut attempt = 0;
    while let Err(error) = discover(&shared).await {
        attempt += 1;
        let delay = crate::fees::backoff(
            attempt.min(6),
            std::time::Duration::from_millis(250),
            std::time::Duration::from_secs(10),
            0.5,
            rand::random(),
        );
        tracing::warn!(%error, attempt, "cannot load the treasury's managed balances yet; retrying");
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(delay) => {}
        }
    }
    if let Err(error) = crate::observe::observe(&shared).await {
        tracing::warn!(%error, "cannot read the chain's clock yet; the first cycle will");
    }
    if shared.config.crank {
        dispatch::recover(&shared).await.context("resolving actions a previous run left pending")?;
        keys::warn_if_authority(&shared.rpc, &shared.treasury, &shared.keeper).await;
    }
    let managed_balances = shared.fleet.read().await.balances.len();
    tracing::info!(
        treasury = %shared.treasury,
        keeper = %shared.keeper,
        rpc = %Redacted(&shared.config.rpc_url),
        managed_balances,
        "keeper started"
    );
    let subsystems = [
        tokio::spawn(discovery_loop(shared.clone(), shutdown.clone())),
        tokio::spawn(watcher::run(shared.clone(), shutdown.clone())),
        tokio::spawn(events::run(shared.clone(), shutdown.clone())),
        tokio::spawn(cycle_loop(shared.clone(), shutdown.clone())),
        tokio::spawn(reactor(shared.clone(), shutdown.clone())),
    ];
    let mut first_error = None;
    for subsystem in subsystems {
        match subsystem.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                shutdown.cancel();
                first_error.get_or_insert(error);
            }
            Err(join) => {
                shutdown.cancel();
                first_error.get_or_insert(anyhow::anyhow!("subsystem panicked: {join}"));
            }
        }
    }
    tracing::info!("keeper stopped");
    first_error.map_or(Ok(()), Err)
}

/// Loads the treasury's managed balances (getProgramAccounts).
pub async fn discover(shared: &Shared) -> Result<()> {
    let started = Instant::now();
    let discovered = read::managed_balances(&shared.rpc, &shared.treasury).await?;
    shared.metrics.observe_rpc("getProgramAccounts", started.elapsed().as_secs_f64());
    let directory: Vec<_> = discovered.iter().map(|(address, managed)| events::info_of(address, managed)).collect();
    shared.store().remember_balances(&directory)?;
    let gone = shared.fleet.write().await.refresh(discovered);
    for address in gone {
        tracing::info!(managed_balance = %address, "managed balance closed; no longer watched");
        shared.metrics.forget(metrics::MANAGED_BALANCE, &address.to_string());
    }
    Ok(())
}

async fn discovery_loop(shared: Arc<Shared>, shutdown: CancellationToken) -> Result<()> {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(shared.config.discovery_interval) => {}
        }
        if let Err(error) = discover(&shared).await {
            tracing::warn!(%error, "discovery failed; keeping the last known managed balances");
        }
    }
}

/// A full cycle every `cycle` interval; once an hour, a prune beside it.
async fn cycle_loop(shared: Arc<Shared>, shutdown: CancellationToken) -> Result<()> {
    let mut pruned_in = None;
    let mut pruning: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        let started = Instant::now();
        let hour = shared.chain_now().await.div_euclid(PRUNE_EVERY_SECONDS);
        if pruned_in != Some(hour) && pruning.as_ref().is_none_or(|prune| prune.is_finished()) {
            pruned_in = Some(hour);
            pruning = Some(prune(shared.clone(), shutdown.clone()).await);
        }
        if let Err(error) = cycle::cycle(&shared).await {
            shared.metrics.add(&metrics::FAILURES, &["cycle"], 1.0);
            tracing::warn!(%error, "cycle failed; retrying next cycle");
        }
        shared.metrics.set(&metrics::CYCLE_SECONDS, &[], started.elapsed().as_secs_f64());
        shared.metrics.set(&metrics::LAST_CYCLE, &[], unix_now() as f64);
        tokio::select! {
            _ = shutdown.cancelled() => {
                shared.stopping.cancel();
                shared.in_flight.close();
                shared.in_flight.wait().await;
                if let Some(prune) = pruning {
                    // It stops at its next chunk.
                    let _ = prune.await;
                }
                return Ok(());
            }
            _ = tokio::time::sleep(shared.config.cycle) => {}
        }
    }
}

/// Beside the cycle, not after it: a balance a notification changed is planned and acted
/// on at once, even while a full cycle (hundreds of milliseconds over a large fleet) runs.
async fn reactor(shared: Arc<Shared>, shutdown: CancellationToken) -> Result<()> {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = shared.wake.notified() => {}
        }
        let changed = std::mem::take(&mut *shared.changed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        if changed.is_empty() {
            continue;
        }
        if let Err(error) = cycle::react(&shared, &changed).await {
            tracing::warn!(%error, "acting on a change failed; the next cycle will");
        }
    }
}

/// Drops what is older than the window (see `retention`) and gives its space back, on a
/// blocking thread and a chunk at a time: the cycle, reactions and the API keep the store
/// between chunks. Stops at the next chunk on shutdown.
async fn prune(shared: Arc<Shared>, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    let window = shared.config.history_window.as_secs() as i64;
    let pruning = retention::Pruning::new(shared.chain_now().await - window, unix_now() - window);
    tokio::task::spawn_blocking(move || {
        let outbox = shared.outbox();
        let between = || {
            // Whatever waits for the store gets it before the next chunk.
            std::thread::sleep(PRUNE_PAUSE);
            !shutdown.is_cancelled()
        };
        match retention::prune_in_chunks(&shared.store, pruning, outbox.as_deref(), between) {
            Ok(report) if report.deleted == 0 => {}
            Ok(report) => tracing::info!(
                rows = report.deleted,
                chunks = report.chunks,
                took_ms = report.took.as_millis() as u64,
                longest_hold_ms = report.longest_hold.as_millis() as u64,
                stopped = report.stopped,
                "pruned records older than the window"
            ),
            Err(error) => tracing::warn!(%error, "could not prune the store; trying again next hour"),
        }
    })
}
