//! Lands one claimed crank and records how it ended; and, at start-up, settles the
//! claims a previous run of this keeper left pending. Only a `confirmed` (or finalized)
//! landing counts: a processed one may still be dropped with its fork.

use crate::{
    crank::Crank, cycle::STALE_CLAIM_SECONDS, events, executor::Outcome, journal::Claim, metrics, service::Shared,
};
use anyhow::Result;
use smart_treasury::{error::TreasuryError, state::ManagedBalance};
use smart_treasury_client::read;
use solana_commitment_config::CommitmentConfig;
use solana_signature::Signature;
use std::{str::FromStr, sync::Arc};

/// Claims `crank`'s need for this keeper at `now` (chain time); false when a live claim
/// (this keeper's or another's) already holds it. The cycle and an operator's request
/// both claim through here, so neither acts on a need the other is landing.
pub fn claim(shared: &Shared, crank: &Crank, now: i64) -> Result<bool> {
    let (keeper, managed_balance) = (shared.keeper.to_string(), crank.managed_balance.to_string());
    shared.store().claim_action(&Claim {
        need: &crank.need,
        managed_balance: &managed_balance,
        kind: crank.kind,
        amount: crank.amount,
        keeper: &keeper,
        now,
        stale_after: STALE_CLAIM_SECONDS,
    })
}

/// Lands `crank`, watching whatever was sent for its need before, records the end and
/// says what it was (`None` when the keeper stops first or cannot read its journal).
pub async fn finish(shared: &Arc<Shared>, crank: Crank) -> Option<Outcome> {
    let keeper = shared.keeper.to_string();
    let earlier: Vec<Signature> = match shared.store().sends(&crank.need) {
        Ok(sends) => sends.iter().filter_map(|signature| Signature::from_str(signature).ok()).collect(),
        Err(error) => {
            tracing::error!(%error, need = %crank.need, "cannot read what was sent for this need; not acting");
            return None;
        }
    };
    let now = shared.chain_now().await;
    let record_sent = |signature: &Signature| {
        let signature = signature.to_string();
        if let Err(error) = shared.store().record_send(&crank.need, &keeper, &signature, now) {
            tracing::error!(%error, need = %crank.need, "could not record the signature about to be sent");
        }
        tracing::info!(need = %crank.need, kind = crank.kind, amount = %crank.tokens(), base_units = crank.amount, %signature, "sending");
    };
    let outcome = tokio::select! {
        outcome = shared.executor.execute(&crank, &earlier, &record_sent) => outcome,
        _ = shared.stopping() => {
            tracing::info!(need = %crank.need, "stopping: the crank stays pending for the next run to settle");
            return None;
        }
    };
    let result = match &outcome {
        Outcome::Landed { .. } => "landed",
        Outcome::Refused { .. } => "refused",
        Outcome::TooExpensive { .. } => "too_expensive",
        Outcome::GaveUp { .. } => "gave_up",
    };
    shared.metrics.add(&metrics::ACTIONS, &[crank.kind, result], 1.0);
    // The program's state moved on (or refused): read the managed balance again.
    let managed = refresh_managed_balance(shared, &crank).await;
    let now = shared.chain_now().await;
    crate::decisions::finished(shared, &crank, &outcome, now);
    let recorded = match &outcome {
        Outcome::Landed { signature, fee_lamports, sends, .. } => {
            tracing::info!(need = %crank.need, kind = crank.kind, amount = %crank.tokens(), base_units = crank.amount, %signature, fee_lamports, sends, "landed");
            if let Err(error) = events::ingest(shared, signature).await {
                tracing::warn!(%error, %signature, "could not read the crank's events yet; back-fill will");
            }
            shared.store().confirm_action(&crank.need, signature, now)
        }
        Outcome::Refused { code, reason } => {
            let retry_at = retry_after_refusal(shared, *code, managed.as_ref(), &crank, now).await;
            tracing::warn!(need = %crank.need, kind = crank.kind, %reason, retry_at, "refused by the program");
            shared.store().fail_action(&crank.need, reason, retry_at, now)
        }
        other => {
            tracing::warn!(need = %crank.need, kind = crank.kind, outcome = ?other, "not landed");
            let retry_at = now + shared.config.retry_refused_after.as_secs() as i64;
            shared.store().fail_action(&crank.need, &format!("{other:?}"), retry_at, now)
        }
    };
    if let Err(error) = recorded {
        tracing::error!(%error, need = %crank.need, "could not record the crank's outcome");
    }
    shared.changed([crank.managed_balance]);
    Some(outcome)
}

/// When a refused need may be tried again (chain time): a cooldown refusal when the
/// cooldown ends, as the planner reads it from the balance just re-read; anything else
/// after the configured delay.
async fn retry_after_refusal(
    shared: &Shared,
    code: Option<u32>,
    managed: Option<&ManagedBalance>,
    crank: &Crank,
    now: i64,
) -> i64 {
    let later = now + shared.config.retry_refused_after.as_secs() as i64;
    if code != Some(u32::from(TreasuryError::CooldownActive)) || managed.is_none() {
        return later;
    }
    let ready_at = shared.fleet.read().await.view(&crank.managed_balance).map(|view| view.ready_at());
    ready_at.map_or(later, |ready_at| ready_at.max(now))
}

async fn refresh_managed_balance(shared: &Shared, crank: &Crank) -> Option<ManagedBalance> {
    let (_, data) = read::account(&shared.rpc, &crank.managed_balance).await.ok()??;
    let managed = <ManagedBalance as anchor_lang::AccountDeserialize>::try_deserialize(&mut data.as_slice()).ok()?;
    if let Some(tracked) = shared.fleet.write().await.balances.get_mut(&crank.managed_balance) {
        tracked.managed = managed.clone();
    }
    Some(managed)
}

/// Settles the claims this keeper left pending when it stopped: one that landed (at
/// `confirmed` or better) met its need; one refused on chain is failed; anything else,
/// not landed or only processed, is let go, so the need is claimable at once and its next
/// try watches what was sent. Another keeper's claims are its own to settle.
pub async fn recover(shared: &Shared) -> Result<()> {
    let keeper = shared.keeper.to_string();
    let pending = shared.store().pending_actions_of(&keeper)?;
    let now = shared.chain_now().await;
    for action in pending {
        let sends: Vec<Signature> = shared
            .store()
            .sends(&action.need)?
            .iter()
            .filter_map(|signature| Signature::from_str(signature).ok())
            .collect();
        let statuses = if sends.is_empty() {
            Vec::new()
        } else {
            shared.rpc.get_signature_statuses_with_history(&sends).await?.value
        };
        let settled: Vec<(Signature, bool)> = sends
            .iter()
            .zip(statuses)
            .filter_map(|(signature, status)| {
                let status = status?;
                status.satisfies_commitment(CommitmentConfig::confirmed()).then_some((*signature, status.err.is_none()))
            })
            .collect();
        if let Some((signature, _)) = settled.iter().find(|(_, succeeded)| *succeeded) {
            let signature = signature.to_string();
            shared.store().confirm_action(&action.need, &signature, now)?;
            if let Err(error) = events::ingest(shared, &signature).await {
                tracing::warn!(%error, %signature, "could not read the crank's events yet; back-fill will");
            }
            tracing::info!(need = %action.need, %signature, "a crank sent before the restart had landed");
        } else if !settled.is_empty() {
            let retry_at = now + shared.config.retry_refused_after.as_secs() as i64;
            shared.store().fail_action(&action.need, "refused on chain before the restart", retry_at, now)?;
        } else {
            shared.store().release_action(&action.need, &keeper)?;
            tracing::info!(need = %action.need, sends = sends.len(), "nothing of it landed before the restart; free to act again");
        }
    }
    Ok(())
}
