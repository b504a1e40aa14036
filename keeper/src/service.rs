//! The keeper as named subsystems sharing one fleet view: discovery, watcher, the
//! plan-and-crank cycle, and metrics. All stop together on SIGINT/SIGTERM or when the
//! shutdown token fires.

use crate::{
    config::{Commitment, KeeperConfig},
    crank::{crank_for, Crank},
    event_log::Outbox,
    events,
    executor::{Executor, Outcome},
    fleet::Fleet,
    forecast::{breach_outlook, forecast_net_flow},
    keys,
    metrics::{self, Metrics},
    planner::plan,
    store::{ActionStatus, Store},
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
    /// Wakes the cycle early when a watched balance changes.
    pub wake: Notify,
    /// Cranks being landed; shutdown stops them where they are (their actions stay
    /// pending with every signature sent, for the next run to settle) and waits for them.
    in_flight: tokio_util::task::TaskTracker,
    stopping: CancellationToken,
    /// When the last status lines were written.
    last_status: Mutex<Option<Instant>>,
    /// Where recorded events and alerts are also written (the webhook outbox), when a
    /// process serves webhooks.
    outbox: std::sync::OnceLock<Arc<dyn Outbox>>,
}

/// How often the keeper writes one status line per managed balance.
const STATUS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

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
            last_status: Mutex::new(None),
            in_flight: tokio_util::task::TaskTracker::new(),
            stopping: CancellationToken::new(),
            outbox: std::sync::OnceLock::new(),
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
    if shared.config.crank {
        recover(&shared).await.context("resolving actions a previous run left pending")?;
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

/// Settles actions a previous run left pending (it may have been killed mid-flight):
/// a recorded signature that landed is confirmed, anything else re-opens its need. A
/// crank that lands late is harmless: the program's cooldown and checks refuse a second.
async fn recover(shared: &Shared) -> Result<()> {
    let pending = shared.store().actions_with_status(ActionStatus::Pending)?;
    for action in pending {
        let landed = match &action.signature {
            Some(signature) => {
                let parsed = solana_signature::Signature::from_str(signature)?;
                let status =
                    shared.rpc.get_signature_statuses_with_history(&[parsed]).await?.value.into_iter().next().flatten();
                status.map(|status| status.err.is_none())
            }
            None => None,
        };
        let now = unix_now();
        match landed {
            Some(true) => {
                let signature = action.signature.as_deref().unwrap_or_default();
                shared.store().update_action(&action.need, ActionStatus::Confirmed, None, None, now)?;
                events::ingest(shared, signature).await?;
                tracing::info!(need = %action.need, %signature, "a crank sent before the restart had landed");
            }
            Some(false) => {
                shared.store().update_action(&action.need, ActionStatus::Failed, None, Some("refused"), now)?
            }
            None => shared.store().update_action(&action.need, ActionStatus::Failed, None, Some("interrupted"), now)?,
        }
    }
    Ok(())
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

/// Reads every watched token account in batches and records destination samples.
pub async fn reconcile(shared: &Shared) -> Result<()> {
    let addresses: Vec<Pubkey> = shared.fleet.read().await.watched_accounts().into_iter().collect();
    let metrics = &shared.metrics;
    let observe = |took: std::time::Duration| metrics.observe_rpc("getMultipleAccounts", took.as_secs_f64());
    let accounts = read::token_accounts_observed(&shared.rpc, &addresses, &observe).await?;
    let slot = shared.rpc.get_slot().await.unwrap_or(0);
    let now = unix_now();
    let mut fleet = shared.fleet.write().await;
    for (address, account) in addresses.into_iter().zip(accounts) {
        match account {
            Some(account) => {
                fleet.accounts.insert(address, account);
            }
            None => {
                fleet.accounts.remove(&address);
            }
        }
    }
    let samples: Vec<(String, u64)> = fleet
        .balances
        .iter()
        .filter_map(|(address, tracked)| {
            fleet.accounts.get(&tracked.managed.destination).map(|account| (address.to_string(), account.amount))
        })
        .collect();
    shared.store().record_samples(samples.iter().map(|(key, amount)| (key.as_str(), *amount)), slot, now)?;
    Ok(())
}

async fn cycle_loop(shared: Arc<Shared>, shutdown: CancellationToken) -> Result<()> {
    loop {
        let started = Instant::now();
        if let Err(error) = cycle(&shared).await {
            shared.metrics.add(&metrics::FAILURES, &["cycle"], 1.0);
            tracing::warn!(%error, "cycle failed; retrying next cycle");
        }
        shared.metrics.set(&metrics::CYCLE_SECONDS, &[], started.elapsed().as_secs_f64());
        tokio::select! {
            _ = shutdown.cancelled() => {
                shared.stopping.cancel();
                shared.in_flight.close();
                shared.in_flight.wait().await;
                return Ok(());
            }
            _ = tokio::time::sleep(shared.config.cycle) => {}
            _ = shared.wake.notified() => {}
        }
    }
}

/// Forecast refits one cycle may spend. Every forecast goes stale at the same bucket
/// boundary, and refitting a large fleet's all at once stalls the cycle, and every
/// breach waiting on it, for minutes (10,000 balances: ~2.5 minutes on two cores).
pub const FORECAST_BUDGET: std::time::Duration = std::time::Duration::from_millis(250);

/// One watch + plan pass over the fleet; cranks run in the background.
pub async fn cycle(shared: &Arc<Shared>) -> Result<()> {
    reconcile(shared).await?;
    let now = unix_now();
    let bucket = shared.config.bucket_seconds;
    let mut cranks = Vec::new();
    let status_due = {
        let mut last = shared.last_status.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = last.is_none_or(|at| at.elapsed() >= STATUS_INTERVAL);
        if due {
            *last = Some(Instant::now());
        }
        due
    };
    {
        let mut fleet = shared.fleet.write().await;
        let mut forecasting = std::time::Duration::ZERO;
        let addresses: Vec<Pubkey> = fleet.balances.keys().copied().collect();
        for address in addresses {
            let Some(view) = fleet.view(&address) else { continue };
            let key = address.to_string();
            let name = smart_treasury::state::decode_name(&fleet.balances[&address].managed.name).to_string();
            let current_bucket = now.div_euclid(bucket);
            // Re-forecast once per bucket: the history only changes bucket by bucket.
            let stale = fleet.balances[&address].forecast.as_ref().is_none_or(|(made, _)| *made != current_bucket);
            if stale && forecasting < FORECAST_BUDGET {
                let started = Instant::now();
                let history_buckets = (shared.config.forecast.weekly_period * 4) as i64;
                let from = (current_bucket - history_buckets) * bucket;
                let history = shared.store().flow_history(&key, bucket, from, current_bucket * bucket)?;
                let first = history.iter().position(|flow| *flow != 0.0).unwrap_or(history.len());
                let forecast = forecast_net_flow(&history[first..], &shared.config.forecast);
                fleet.balances.get_mut(&address).expect("tracked").forecast = Some((current_bucket, forecast));
                forecasting += started.elapsed();
            }
            let tracked = fleet.balances.get_mut(&address).expect("tracked");
            // Past the budget, a balance keeps its last forecast, or has none yet: the
            // threshold rules still apply, only a forecast top-up waits.
            let method = tracked.forecast.as_ref().map(|(_, forecast)| forecast.method);
            let outlook = tracked
                .forecast
                .as_ref()
                .map(|(_, forecast)| breach_outlook(view.balance, view.thresholds.min, forecast));
            let labels = [key.as_str(), name.as_str()];
            shared.metrics.set(&metrics::BALANCE, &labels, view.balance as f64);
            shared.metrics.set(&metrics::HEALTH_BPS, &labels, f64::from(view.thresholds.health_bps(view.balance)));
            if let Some(outlook) = &outlook {
                shared.metrics.set(&metrics::BREACH_PROBABILITY, &labels, outlook.breach_probability);
                shared.metrics.set(&metrics::AMOUNT_NEEDED, &labels, outlook.amount_needed as f64);
            }
            if status_due {
                let seconds = |buckets: Option<f64>| buckets.map(|b| (b * bucket as f64).round() as i64);
                tracing::info!(
                    balance_name = %name,
                    balance = view.balance,
                    min = view.thresholds.min,
                    target = view.thresholds.target,
                    health_pct = f64::from(view.thresholds.health_bps(view.balance)) / 100.0,
                    forecast = method.map(tracing::field::debug),
                    breach_probability = outlook.as_ref().map(|o| format!("{:.2}", o.breach_probability)),
                    breach_in_s = ?seconds(outlook.as_ref().and_then(|o| o.pessimistic_buckets)),
                    needed = outlook.as_ref().map(|o| o.amount_needed),
                    "status"
                );
            }
            let action = plan(&view, outlook.as_ref(), now, &shared.config.planner);
            tracked.outlook = outlook;
            if !shared.config.crank {
                continue;
            }
            if let Some(crank) = crank_for(shared.keeper, address, &tracked.managed, &action) {
                cranks.push((crank, action));
            }
        }
    }
    for (crank, action) in cranks {
        let retry_after = shared.config.retry_refused_after.as_secs() as i64;
        let claimed = shared.store().claim_action(
            &crank.need,
            &crank.managed_balance.to_string(),
            crank.kind,
            crank.amount,
            now,
            retry_after,
        )?;
        if !claimed {
            continue;
        }
        tracing::info!(need = %crank.need, ?action, "acting");
        let shared = shared.clone();
        shared.in_flight.clone().spawn(async move { finish(&shared, crank).await });
    }
    Ok(())
}

/// Carries a claimed crank out and records how it ended.
async fn finish(shared: &Arc<Shared>, crank: Crank) {
    let record_sent = |signature: &solana_signature::Signature| {
        let signature = signature.to_string();
        if let Err(error) =
            shared.store().update_action(&crank.need, ActionStatus::Pending, Some(&signature), None, unix_now())
        {
            tracing::error!(%error, need = %crank.need, "could not record the sent signature");
        }
        tracing::info!(need = %crank.need, kind = crank.kind, amount = crank.amount, %signature, "sent");
    };
    let outcome = tokio::select! {
        outcome = shared.executor.execute(&crank, &[], &record_sent) => outcome,
        _ = shared.stopping.cancelled() => {
            tracing::info!(need = %crank.need, "stopping: the crank stays pending for the next run to settle");
            return;
        }
    };
    let now = unix_now();
    let (status, signature, detail, result) = match &outcome {
        Outcome::Landed { signature, .. } => (ActionStatus::Confirmed, Some(signature.as_str()), None, "landed"),
        Outcome::Refused { reason, .. } => (ActionStatus::Failed, None, Some(reason.clone()), "refused"),
        Outcome::TooExpensive { fee_lamports } => (
            ActionStatus::Failed,
            None,
            Some(format!("fee {fee_lamports} lamports above the maximum")),
            "too_expensive",
        ),
        Outcome::GaveUp { reason, .. } => (ActionStatus::Failed, None, Some(reason.clone()), "gave_up"),
    };
    shared.metrics.add(&metrics::ACTIONS, &[crank.kind, result], 1.0);
    match &outcome {
        Outcome::Landed { signature, fee_lamports, sends, .. } => {
            tracing::info!(need = %crank.need, kind = crank.kind, amount = crank.amount, %signature, fee_lamports, sends, "landed");
            if let Err(error) = events::ingest(shared, signature).await {
                tracing::warn!(%error, %signature, "could not read the crank's events; the log subscription will");
            }
        }
        other => tracing::warn!(need = %crank.need, kind = crank.kind, outcome = ?other, "not landed"),
    }
    if let Err(error) = shared.store().update_action(&crank.need, status, signature, detail.as_deref(), now) {
        tracing::error!(%error, need = %crank.need, "could not record the crank's outcome");
    }
    // The program's state moved on (or refused): read the managed balance again.
    if let Ok(Some((_, data))) = read::account(&shared.rpc, &crank.managed_balance).await {
        if let Ok(managed) = <smart_treasury::state::ManagedBalance as anchor_lang::AccountDeserialize>::try_deserialize(
            &mut data.as_slice(),
        ) {
            if let Some(tracked) = shared.fleet.write().await.balances.get_mut(&crank.managed_balance) {
                tracked.managed = managed;
            }
        }
    }
    shared.wake.notify_one();
}
