//! One pass over the fleet: read the chain, keep the history, refresh forecasts, plan
//! the fleet (pure), publish what was seen and planned, dispatch the cranks. Cranks land
//! in the background; the next pass does not wait for them.

use crate::{
    advice::{explain, Advice},
    event_log::Alert,
    fleet_plan::{plan_balances, plan_fleet, FleetPlan, Hold, Planned, Planner},
    forecast::forecast_net_flow,
    history::Sample,
    metrics,
    observe::{observe, Observed},
    service::Shared,
    status::{FleetSummary, StatusKey},
};
use anchor_lang::prelude::Pubkey;
use anyhow::Result;
use smart_treasury_client::TokenAmount;
use std::{sync::Arc, time::Instant};

/// Forecast refits one cycle may spend. Every forecast goes stale at the same bucket
/// boundary, and refitting a large fleet's all at once stalls the cycle, and every
/// breach waiting on it, for minutes (10,000 balances: ~2.5 minutes on two cores).
pub const FORECAST_BUDGET: std::time::Duration = std::time::Duration::from_millis(250);

/// Another keeper's pending claim older than this is taken over: a landing gives up
/// well before (three blockhashes of about a minute each).
pub const STALE_CLAIM_SECONDS: i64 = 300;

/// One pass over the fleet.
pub async fn cycle(shared: &Arc<Shared>) -> Result<()> {
    let observed = observe(shared).await?;
    let now = shared.chain_now().await;
    record_history(shared, now).await?;
    refresh_forecasts(shared, now).await?;
    let plan = {
        let fleet = shared.fleet.read().await;
        plan_fleet(&fleet, &planner(shared, now))
    };
    publish(shared, &plan, &observed, now).await;
    crate::decisions::note_plan(shared, &plan, now).await;
    dispatch(shared, plan, now).await
}

/// Plans and acts on `managed_balances` alone, from what the fleet already holds (a
/// notification just brought their destination's balance): a breach is answered in the
/// slot it is seen, not after the next read of the whole fleet.
pub async fn react(shared: &Arc<Shared>, managed_balances: &std::collections::BTreeSet<Pubkey>) -> Result<()> {
    let now = shared.chain_now().await;
    let plan = {
        let fleet = shared.fleet.read().await;
        plan_balances(&fleet, &planner(shared, now), managed_balances)
    };
    dispatch(shared, plan, now).await
}

fn planner(shared: &Shared, now: i64) -> Planner<'_> {
    Planner {
        keeper: shared.keeper,
        cranks: shared.config.crank,
        now,
        bucket_seconds: shared.config.bucket_seconds,
        config: &shared.config.planner,
    }
}

/// Keeps a sample of each destination read when it changed or opened a bucket.
async fn record_history(shared: &Shared, now: i64) -> Result<()> {
    let bucket = shared.config.bucket_seconds;
    let samples: Vec<Sample> = {
        let fleet = shared.fleet.read().await;
        let mut sampler = shared.sampler.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        fleet
            .balances
            .iter()
            .filter_map(|(address, tracked)| {
                let destination = &tracked.managed.destination;
                let account = fleet.accounts.get(destination)?;
                let slot = *fleet.observed.get(destination)?;
                Some(Sample {
                    managed_balance: address.to_string(),
                    slot,
                    unix_timestamp: now,
                    balance: account.amount,
                })
            })
            .filter(|sample| sampler.keep(sample, bucket))
            .collect()
    };
    if !samples.is_empty() {
        shared.store().record_samples(&samples)?;
    }
    Ok(())
}

/// Refits forecasts gone stale (one per bucket), within the cycle's budget: past it, a
/// balance keeps its last forecast, or has none yet; threshold rules never wait on one.
async fn refresh_forecasts(shared: &Shared, now: i64) -> Result<()> {
    let bucket = shared.config.bucket_seconds;
    let current_bucket = now.div_euclid(bucket);
    let stale: Vec<Pubkey> = shared
        .fleet
        .read()
        .await
        .balances
        .iter()
        .filter(|(_, tracked)| tracked.forecast.as_ref().is_none_or(|(made, _)| *made != current_bucket))
        .map(|(address, _)| *address)
        .collect();
    let started = Instant::now();
    let history_buckets = (shared.config.forecast.weekly_period * 4) as i64;
    let from = (current_bucket - history_buckets) * bucket;
    for address in stale {
        if started.elapsed() >= FORECAST_BUDGET {
            break;
        }
        let history = shared.store().flow_history(&address.to_string(), bucket, from, current_bucket * bucket)?;
        let first = history.iter().position(|flow| *flow != 0.0).unwrap_or(history.len());
        let forecast = forecast_net_flow(&history[first..], &shared.config.forecast);
        if let Some(tracked) = shared.fleet.write().await.balances.get_mut(&address) {
            tracked.forecast = Some((current_bucket, forecast));
        }
    }
    Ok(())
}

/// Metrics, the fleet's outlooks, degraded balances, the fee payer and (every few
/// seconds) the status lines.
async fn publish(shared: &Shared, plan: &FleetPlan, observed: &Observed, now: i64) {
    {
        let mut fleet = shared.fleet.write().await;
        for planned in &plan.planned {
            if let Some(tracked) = fleet.balances.get_mut(&planned.address) {
                tracked.outlook = planned.outlook.clone();
            }
        }
    }
    let hold = plan.planned.first().and_then(|planned| planned.hold.clone());
    shared.metrics.set(&metrics::PAUSED, &[], f64::from(u8::from(hold == Some(Hold::Paused))));
    note_hold(shared, hold.as_ref());
    for planned in &plan.planned {
        let key = planned.address.to_string();
        let labels = [key.as_str(), planned.name.as_str()];
        let view = &planned.view;
        shared.metrics.set(&metrics::BALANCE, &labels, view.balance as f64);
        shared.metrics.set(&metrics::HEALTH_BPS, &labels, f64::from(view.thresholds.health_bps(view.balance)));
        shared.metrics.set(&metrics::DEGRADED, &labels, 0.0);
        if let Some(outlook) = &planned.outlook {
            shared.metrics.set(&metrics::BREACH_PROBABILITY, &labels, outlook.breach_probability);
            shared.metrics.set(&metrics::AMOUNT_NEEDED, &labels, outlook.amount_needed as f64);
        }
    }
    publish_degraded(shared, &plan.degraded).await;
    if let Some(lamports) = observed.fee_payer_lamports {
        if note_fee_payer(shared, lamports) {
            crate::decisions::payer_low(shared, lamports).await;
        }
    }
    if shared.status_due() {
        status_lines(shared, plan, now);
    }
}

/// The fleet's summary line, and the balances' lines that are due (see `status`).
fn status_lines(shared: &Shared, plan: &FleetPlan, now: i64) {
    let summary = FleetSummary::of(plan);
    let written = Instant::now();
    let mut log = shared.status_log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for planned in &plan.planned {
        if log.due(&planned.address, StatusKey::of(planned), summary.balances, written) {
            status_line(shared, planned, now);
        }
    }
    let present: std::collections::BTreeSet<&Pubkey> =
        plan.planned.iter().map(|planned| &planned.address).chain(plan.degraded.iter().map(|(a, _)| a)).collect();
    log.retain(|address| present.contains(address));
    tracing::info!(
        balances = summary.balances,
        healthy = summary.healthy,
        watch = summary.watch,
        critical = summary.critical,
        degraded = summary.degraded,
        moves = summary.moves,
        cranks_in_flight = shared.cranks_in_flight(),
        held = plan.planned.first().and_then(|planned| planned.hold.as_ref()).map(Hold::words),
        "fleet"
    );
}

/// Says once when a hold starts and when it ends.
fn note_hold(shared: &Shared, hold: Option<&Hold>) {
    let mut last = shared.last_hold.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if last.as_ref() == hold {
        return;
    }
    match hold {
        Some(Hold::Paused) => tracing::warn!("the treasury is paused: no cranks are sent until it is unpaused"),
        Some(Hold::NotOnAllowList) => tracing::error!(
            keeper = %shared.keeper,
            "this keeper is not on the treasury's crank allow-list: no cranks are sent; ask the authority to add \
             it (set_crank_access) or run it watch-only"
        ),
        Some(Hold::WatchOnly) => tracing::info!("watching only: this process sends no cranks"),
        None if last.is_some() => tracing::info!("cranking again"),
        None => {}
    }
    *last = hold.cloned();
}

/// Marks each degraded balance (metric, one log line and one `keeper.action_failed`
/// alert per cause) and clears those that recovered.
async fn publish_degraded(shared: &Shared, degraded: &[(Pubkey, String)]) {
    let fleet = shared.fleet.read().await;
    let mut known = shared.degraded.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let now_degraded: std::collections::BTreeSet<Pubkey> = degraded.iter().map(|(address, _)| *address).collect();
    known.retain(|address| {
        let still = now_degraded.contains(address);
        if !still {
            tracing::info!(managed_balance = %address, "the managed balance's destination is usable again");
        }
        still
    });
    for (address, reason) in degraded {
        let Some(tracked) = fleet.balances.get(address) else { continue };
        let key = address.to_string();
        let name = smart_treasury::state::decode_name(&tracked.managed.name).to_string();
        shared.metrics.set(&metrics::DEGRADED, &[key.as_str(), name.as_str()], 1.0);
        if !known.insert(*address) {
            continue;
        }
        let destination = tracked.managed.destination;
        tracing::warn!(
            managed_balance = %address, balance_name = %name, %destination, %reason,
            "cannot act on this managed balance: its destination is unusable; the rest of the fleet carries on. \
             Re-create the destination or close the managed balance"
        );
        shared.metrics.add(&metrics::ALERTS, &["destination_unusable"], 1.0);
        let alert = Alert {
            // The same cause at the same configuration is one alert, for every keeper.
            id: format!("{address}:v{}:destination-unusable", tracked.managed.config_version),
            kind: "keeper.action_failed",
            managed_balance: Some(*address),
            at: fleet.clock.map_or_else(crate::service::unix_now, |clock| clock.now()),
            slot: fleet.observed.get(&destination).copied(),
            detail: serde_json::json!({ "destination": destination.to_string(), "reason": reason }),
        };
        let info = crate::events::info_of(address, &tracked.managed);
        let outbox = shared.outbox();
        if let Err(error) = shared.store().record_alert(&alert, Some(&info), outbox.as_deref()) {
            tracing::warn!(%error, "could not record the alert");
        }
    }
}

/// The fee payer's balance, every cycle: a gauge, and a warning when it crosses below
/// the threshold. True when it just did.
fn note_fee_payer(shared: &Shared, lamports: u64) -> bool {
    shared.metrics.set(&metrics::FEE_PAYER_LAMPORTS, &[], lamports as f64);
    let low = lamports < shared.config.executor.low_balance_lamports;
    let mut was_low = shared.fee_payer_low.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if low && !*was_low {
        tracing::warn!(
            fee_payer = %shared.keeper,
            sol = %TokenAmount::new(lamports, 9),
            threshold_sol = %TokenAmount::new(shared.config.executor.low_balance_lamports, 9),
            "the keeper's fee payer is running low: fund it or cranks will stop"
        );
        shared.metrics.add(&metrics::ALERTS, &["fee_payer_low"], 1.0);
    }
    let crossed = low && !*was_low;
    *was_low = low;
    crossed
}

fn status_line(shared: &Shared, planned: &Planned, now: i64) {
    let view = &planned.view;
    let bucket = shared.config.bucket_seconds as f64;
    let tokens = |amount: u64| TokenAmount::new(amount, planned.decimals).grouped();
    let outlook = planned.outlook.as_ref();
    tracing::info!(
        balance_name = %planned.name,
        balance = %tokens(view.balance),
        min = %tokens(view.thresholds.min),
        target = %tokens(view.thresholds.target),
        health_pct = f64::from(view.thresholds.health_bps(view.balance)) / 100.0,
        breach_probability = outlook.map(|outlook| format!("{:.2}", outlook.breach_probability)),
        breach_in_s = outlook.and_then(|outlook| outlook.pessimistic_buckets).map(|buckets| (buckets * bucket).round() as i64),
        needed = outlook.map(|outlook| tokens(outlook.amount_needed)),
        next = %explained(shared, planned, now).headline,
        held = planned.hold.as_ref().map(Hold::words),
        "status"
    );
}

/// The planned action in an operator's words, as the API's advice gives it.
fn explained(shared: &Shared, planned: &Planned, now: i64) -> Advice {
    explain(&planned.view, planned.outlook.as_ref(), planned.action, now, &shared.config.planner, planned.decimals)
}

/// Claims each crank's need and lands it in the background.
async fn dispatch(shared: &Arc<Shared>, plan: FleetPlan, now: i64) -> Result<()> {
    for mut planned in plan.planned {
        let Some(crank) = planned.crank.take() else { continue };
        if !crate::dispatch::claim(shared, &crank, now)? {
            continue;
        }
        let advice = explained(shared, &planned, now);
        tracing::info!(need = %crank.need, balance_name = %planned.name, action = %advice.headline, reason = %advice.reason, "acting");
        let shared_for_crank = shared.clone();
        shared.spawn_crank(async move {
            crate::dispatch::finish(&shared_for_crank, crank).await;
        });
    }
    Ok(())
}
