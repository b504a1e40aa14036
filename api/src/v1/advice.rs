//! `/api/v1/managed-balance/{id}/advice`, `.../stress-test` and `.../execute-advice`: the
//! keeper planner's next move for a balance with its reason in words, the same planner
//! and policy run on the balance after a hypothetical outflow, and the move carried out
//! (the keeper's key sends the crank, or it is exported unsigned).

use crate::{
    amount::{Amount, AmountInput},
    config::ChangeMode,
    core::{
        balances,
        changes::{self, ChangeResult, ChangeStatus, Planned},
        operator_moves::{self, OperatorMove},
    },
    error::{ApiResult, Problem},
    extract::{ApiJson, ApiPath, ApiQuery},
    state::AppState,
    v1::{
        common::{rfc3339, ChangeQuery},
        managed_balance::{self, HealthView, IdPath},
    },
};
use anchor_lang::prelude::Pubkey;
use anchor_spl::associated_token::get_associated_token_address_with_program_id;
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use smart_treasury::state::{AccountKind, ManagedBalance};
use smart_treasury_client::{cluster, health::Health, ix, ix::VaultAccounts, pda};
use smart_treasury_keeper::{
    advice::{self, Advice},
    crank::crank_for,
    executor::Outcome,
    fleet_plan::{plan_balances, Hold, Planned as PlannedMove, Planner},
    forecast::FlowForecast,
    planner::{Action, Wait},
};
use solana_signer::Signer;
use std::sync::Arc;
use utoipa::ToSchema;

/// What the keeper would do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MoveKind {
    /// Nothing now: `wait` says why.
    Wait,
    /// Below min: back to target.
    TopUp,
    /// Ahead of a forecast breach, inside the forecast band.
    ForecastTopUp,
    /// Above max: the excess over target back to the first source.
    Sweep,
    /// Ratio mode: from the counterpart into this balance.
    RebalanceToLocal,
    /// Ratio mode: from this balance to the counterpart.
    RebalanceToCounterpart,
}

/// Why the keeper waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WaitReason {
    Disabled,
    Healthy,
    CoolingDown,
    CapReached,
    NoFunds,
    WithinBand,
    /// A move is due but the destination's pool may move nothing out of it.
    NotSignable,
}

/// The planner's next move for one managed balance, in words.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdviceView {
    #[serde(rename = "move")]
    pub kind: MoveKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitReason>,
    /// When cooling down: when the next automatic move is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_at: Option<String>,
    /// What the move would transfer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// What the sources could not cover (a partial top-up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortfall: Option<Amount>,
    /// The move in a few words: "Top up 3,000".
    pub headline: String,
    /// Why, with the numbers that decided it.
    pub reason: String,
    /// Whether `execute-advice` has a crank to send.
    pub executable: bool,
}

/// The advice for one managed balance.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdviceResponse {
    pub managed_balance_id: u32,
    /// The config version the advice was made on.
    pub config_version: u64,
    pub balance: Amount,
    pub health: HealthView,
    #[serde(flatten)]
    pub advice: AdviceView,
}

fn advice_view(advice: &Advice, decimals: u8) -> AdviceView {
    let amount = |units: u64| Some(Amount::new(units, decimals));
    let (kind, wait, ready_at, moved, shortfall) = match advice.action {
        Action::Wait(wait) => {
            let (reason, ready_at) = match wait {
                Wait::Disabled => (WaitReason::Disabled, None),
                Wait::Healthy => (WaitReason::Healthy, None),
                Wait::CoolingDown { ready_at } => (WaitReason::CoolingDown, Some(rfc3339(ready_at))),
                Wait::CapReached => (WaitReason::CapReached, None),
                Wait::NoFunds => (WaitReason::NoFunds, None),
                Wait::WithinBand => (WaitReason::WithinBand, None),
                Wait::NotSignable => (WaitReason::NotSignable, None),
            };
            (MoveKind::Wait, Some(reason), ready_at, None, None)
        }
        Action::TopUp { forecast, amount: units, shortfall } => (
            if forecast { MoveKind::ForecastTopUp } else { MoveKind::TopUp },
            None,
            None,
            amount(units),
            (shortfall > 0).then(|| Amount::new(shortfall, decimals)),
        ),
        Action::Sweep { amount: units } => (MoveKind::Sweep, None, None, amount(units), None),
        Action::Rebalance { to_local, amount: units } => (
            if to_local { MoveKind::RebalanceToLocal } else { MoveKind::RebalanceToCounterpart },
            None,
            None,
            amount(units),
            None,
        ),
    };
    AdviceView {
        kind,
        wait,
        ready_at,
        amount: moved,
        shortfall,
        headline: advice.headline.clone(),
        reason: advice.reason.clone(),
        executable: advice.is_move(),
    }
}

fn health_view(managed: &ManagedBalance, balance: u64) -> HealthView {
    let health = Health::of(managed, balance);
    HealthView { bps: health.bps, percent: health.percent(), level: health.level.into() }
}

/// One managed balance as the keeper plans it now: the planner's view, outlook and
/// move, and what would hold this server's keeper key from cranking it.
struct Planning {
    address: Pubkey,
    managed: ManagedBalance,
    planned: PlannedMove,
    forecast: Option<FlowForecast>,
    now: i64,
}

async fn planning(state: &Arc<AppState>, id: u32) -> ApiResult<Planning> {
    let keeper = &state.keeper;
    let address = pda::managed_balance_pda(&keeper.treasury, id);
    // Advice is acted on at once, so it is planned on the chain's state now: the
    // keeper's copy may not yet hold another keeper's last move, whose cooldown then
    // refuses the crank.
    if !balances::refresh(state, &address).await? {
        return Err(managed_balance::not_found(state, id));
    }
    let now = keeper.chain_now().await;
    let fleet = keeper.fleet.read().await;
    let tracked = fleet.balances.get(&address).ok_or_else(|| managed_balance::not_found(state, id))?;
    if let Some(reason) = fleet.degraded(&address) {
        return Err(Problem::conflict(format!("managed balance {id} cannot be acted on: {reason}")));
    }
    // What a keeper would do, cranking with the key this server would send it with.
    let planner = Planner {
        keeper: cranker(state),
        cranks: true,
        now,
        bucket_seconds: keeper.config.bucket_seconds,
        config: &keeper.config.planner,
    };
    let planned = plan_balances(&fleet, &planner, [&address]).planned.pop().ok_or_else(|| {
        Problem::conflict(format!(
            "the destination of managed balance {id} ({}) has not been read yet: retry in a moment",
            tracked.managed.destination
        ))
    })?;
    let forecast = tracked.forecast.as_ref().map(|(_, forecast)| forecast.clone());
    Ok(Planning { address, managed: tracked.managed.clone(), planned, forecast, now })
}

/// The key `execute-advice` signs with: the keeper's when this process cranks, else the
/// authority's (`smart-treasury serve` keeps no keeper key).
fn cranker(state: &AppState) -> Pubkey {
    match &state.authority {
        Some(authority) if !state.keeper.config.crank => authority.pubkey(),
        _ => state.keeper.keeper,
    }
}

/// Why nothing can run now although the planner has a move, in words.
fn held(hold: &Option<Hold>) -> Option<&'static str> {
    match hold {
        Some(Hold::Paused) => Some("The treasury is paused: no crank can run until it is unpaused."),
        Some(Hold::NotOnAllowList) => Some(
            "Cranking is restricted to the treasury's keeper allow-list, which does not hold the key this server \
             would crank with: export the crank for a listed keeper.",
        ),
        Some(Hold::WatchOnly) | None => None,
    }
}

fn advice_of(planning: &Planning, state: &AppState) -> (Advice, Option<&'static str>) {
    let planned = &planning.planned;
    let advice = advice::advise(
        &planned.view,
        planned.outlook.as_ref(),
        planning.now,
        &state.keeper.config.planner,
        planning.managed.decimals,
    );
    (advice, held(&planned.hold))
}

/// What the keeper would do now for this balance, and why.
#[utoipa::path(
    get, path = "/api/v1/managed-balance/{id}/advice", tag = "advice", params(IdPath),
    responses(
        (status = 200, description = "The keeper planner's next move", body = AdviceResponse),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The balance's token account has not been read yet", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
) -> ApiResult<Json<AdviceResponse>> {
    let planning = planning(&state, path.id).await?;
    let decimals = planning.managed.decimals;
    let (advice, hold) = advice_of(&planning, &state);
    let mut view = advice_view(&advice, decimals);
    if let Some(hold) = hold {
        view.reason = format!("{} {hold}", view.reason);
        view.executable = view.executable && !matches!(planning.planned.hold, Some(Hold::Paused));
    }
    let balance = planning.planned.view.balance;
    Ok(Json(AdviceResponse {
        managed_balance_id: path.id,
        config_version: planning.managed.config_version,
        balance: Amount::new(balance, decimals),
        health: health_view(&planning.managed, balance),
        advice: view,
    }))
}

/// A hypothetical outflow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StressTestInput {
    /// Paid out of the balance now (token units as a string, or base units).
    pub outflow: AmountInput,
    /// Withdraw the outflow for real (the authority key, to its own token account), so
    /// the keeper meets it. Only where `applicable` says so: a pool-vault destination
    /// on a local cluster whose server allows it (`api.stress_test_apply`).
    #[serde(default)]
    pub apply: bool,
}

/// When the balance falls below min after the outflow, by the keeper's forecast.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BreachView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pessimistic_at: Option<String>,
    /// Probability of falling below min within the forecast's horizon.
    pub probability: f64,
    /// Tokens needed now so the pessimistic path stays at or above min.
    pub amount_needed: Amount,
}

/// The balance after the outflow and what the keeper would do then.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StressTestResult {
    pub managed_balance_id: u32,
    pub outflow: Amount,
    pub balance_before: Amount,
    pub balance_after: Amount,
    pub health_before: HealthView,
    pub health_after: HealthView,
    /// Absent while the keeper has no forecast for this balance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breach: Option<BreachView>,
    pub advice_before: AdviceView,
    pub advice_after: AdviceView,
    /// Whether this outflow can be applied for real here (`apply`).
    pub applicable: bool,
    /// Why it cannot, when it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
    /// When applied: the withdrawal that took the outflow out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<ChangeResult>,
}

/// Runs the keeper's planner and the program's policy on the balance after a
/// hypothetical outflow. Nothing is sent, unless `apply` asks for the outflow to be
/// withdrawn for real (a local cluster only).
#[utoipa::path(
    post, path = "/api/v1/managed-balance/{id}/stress-test", tag = "advice", params(IdPath),
    request_body = StressTestInput,
    responses(
        (status = 200, description = "Health, breach outlook and the keeper's move after the outflow; with `apply`, the withdrawal that took it out", body = StressTestResult),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The balance's token account has not been read yet, or `apply` where it is not applicable (`notApplicable` says why)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The outflow is not an amount, or more than the balance when applied", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn stress_test(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
    ApiJson(body): ApiJson<StressTestInput>,
) -> ApiResult<Json<StressTestResult>> {
    let planning = planning(&state, path.id).await?;
    let decimals = planning.managed.decimals;
    let outflow = managed_balance::parse_amount("outflow", &body.outflow, decimals)?;
    if outflow == 0 {
        return Err(Problem::invalid("outflow", "must be above 0"));
    }
    let not_applicable = apply_refusal(&state, &planning.managed).await?;
    let applied = if body.apply {
        Some(apply_outflow(&state, &planning, outflow, not_applicable.as_deref()).await?)
    } else {
        None
    };
    let now = planning.now;
    let config = &state.keeper.config.planner;
    let view = &planning.planned.view;
    let result = advice::stress_test(view, planning.forecast.as_ref(), outflow, now, config, decimals);
    let bucket = config.bucket_seconds;
    let at = |buckets: Option<f64>| buckets.map(|buckets| rfc3339(now + (buckets * bucket).round() as i64));
    Ok(Json(StressTestResult {
        managed_balance_id: path.id,
        outflow: Amount::new(outflow, decimals),
        balance_before: Amount::new(result.balance_before, decimals),
        balance_after: Amount::new(result.balance_after, decimals),
        health_before: health_view(&planning.managed, result.balance_before),
        health_after: health_view(&planning.managed, result.balance_after),
        breach: result.outlook_after.as_ref().map(|outlook| BreachView {
            expected_at: at(outlook.expected_buckets),
            pessimistic_at: at(outlook.pessimistic_buckets),
            probability: outlook.breach_probability,
            amount_needed: Amount::new(outlook.amount_needed, decimals),
        }),
        advice_before: advice_view(&result.advice_before, decimals),
        advice_after: advice_view(&result.advice_after, decimals),
        applicable: not_applicable.is_none(),
        not_applicable,
        applied,
    }))
}

/// Why a stress test's outflow cannot be withdrawn for real from this balance here.
async fn apply_refusal(state: &Arc<AppState>, managed: &ManagedBalance) -> ApiResult<Option<String>> {
    if !state.config.stress_test_apply {
        return Ok(Some(
            "This server runs stress tests in figures only: applying an outflow for real is for a local cluster \
             (`api.stress_test_apply = true` in the server's config, as the demo sets)."
                .into(),
        ));
    }
    if managed.destination_kind != AccountKind::PoolVault {
        return Ok(Some(
            "The destination is a venue account, which the treasury cannot withdraw from: only a pool vault's \
             outflow can be applied."
                .into(),
        ));
    }
    Ok(cluster::public_cluster(state.genesis_hash().await?).map(|name| {
        format!("This server's RPC serves {name}: a stress test is applied for real only on a local cluster.")
    }))
}

/// Withdraws `outflow` from the destination with the authority key, into the
/// authority's own token account, and remembers it as a stress test.
async fn apply_outflow(
    state: &Arc<AppState>,
    planning: &Planning,
    outflow: u64,
    not_applicable: Option<&str>,
) -> ApiResult<ChangeResult> {
    if let Some(reason) = not_applicable {
        return Err(Problem::conflict(reason));
    }
    let managed = &planning.managed;
    let balance = planning.planned.view.balance;
    let tokens = |units: u64| crate::core::describe::tokens(units, managed.decimals);
    if outflow > balance {
        return Err(Problem::invalid(
            "outflow",
            format!(
                "{} is more than the balance {}: an applied outflow cannot exceed it",
                tokens(outflow),
                tokens(balance)
            ),
        ));
    }
    let authority = managed_balance::authority(state).await?;
    let (mint, token_program) = (managed.mint, managed.token_program);
    let vault = VaultAccounts {
        treasury: managed.treasury,
        pool: managed.destination_pool,
        vault: managed.destination,
        mint,
        token_program,
    };
    let recipient = get_associated_token_address_with_program_id(&authority, &mint, &token_program);
    let planned = Planned {
        summary: format!("Stress test: withdraw {} from {}", tokens(outflow), managed_balance::label(managed)),
        effects: vec![format!(
            "{} leaves the destination for the authority's token account {recipient}",
            tokens(outflow)
        )],
        instructions: vec![
            ix::create_associated_account(authority, authority, mint, token_program),
            ix::withdraw(authority, recipient, vault, outflow),
        ],
        signers: vec![(authority, "authority")],
    };
    let result = changes::submit(state, planned, ChangeMode::Sign).await?;
    remember(state, &result, OperatorMove::StressTest).await?;
    Ok(result)
}

/// Carries out the keeper's recommended move: sent by this process's keeper (beside
/// `keeper run`) or its authority key (beside `serve`), or returned unsigned with the
/// authority as fee payer (export).
#[utoipa::path(
    post, path = "/api/v1/managed-balance/{id}/execute-advice", tag = "advice", params(IdPath, ChangeQuery),
    responses(
        (status = 200, description = "Applied: the crank was sent and landed", body = ChangeResult),
        (status = 202, description = "Exported: the crank unsigned, for the authority to sign", body = ChangeResult),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing to execute (the keeper would wait), or the keeper is acting on it already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The program refused the crank", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn execute(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
) -> ApiResult<ChangeResult> {
    let planning = planning(&state, path.id).await?;
    let (advice, hold) = advice_of(&planning, &state);
    let mode = changes::mode_of(&state, query.change_mode);
    let export = mode == ChangeMode::Export;
    if matches!(planning.planned.hold, Some(Hold::Paused)) || (!export && hold.is_some()) {
        return Err(Problem::conflict(format!("{} {}", advice.headline, hold.unwrap_or_default())));
    }
    let by_keeper = !export && state.keeper.config.crank;
    let signer = if by_keeper {
        state.keeper.keeper
    } else if export {
        managed_balance::authority(&state).await?
    } else {
        cranker(&state)
    };
    let Some(crank) = crank_for(signer, planning.address, &planning.managed, &advice.action) else {
        return Err(Problem::conflict(format!("nothing to execute: {}. {}", advice.headline, advice.reason)));
    };
    let summary = format!("{} for {}", advice.headline, managed_balance::label(&planning.managed));
    if !by_keeper {
        // Exported for the authority, or signed and sent by this server's authority key.
        let planned = Planned {
            summary,
            effects: vec![advice.reason.clone()],
            instructions: vec![crank.instruction],
            signers: vec![(signer, "authority")],
        };
        let result = changes::submit(&state, planned, mode).await?;
        remember(&state, &result, OperatorMove::Manual).await?;
        return Ok(result);
    }
    let shared = state.keeper.clone();
    if !smart_treasury_keeper::dispatch::claim(&shared, &crank, planning.now).map_err(Problem::internal)? {
        return Err(Problem::conflict(format!(
            "a keeper is already acting on this ({}): the activity log shows how it ends",
            crank.need
        )));
    }
    let outcome = smart_treasury_keeper::dispatch::finish(&shared, crank).await;
    match outcome {
        Some(Outcome::Landed { signature, .. }) => {
            record_move(&state, &signature, OperatorMove::Manual).await?;
            let slot = shared
                .rpc
                .get_signature_statuses(&[signature.parse().map_err(Problem::internal)?])
                .await
                .ok()
                .and_then(|statuses| statuses.value.into_iter().next().flatten())
                .map(|status| status.slot);
            Ok(ChangeResult {
                status: ChangeStatus::Applied,
                summary,
                effects: vec![advice.reason],
                signature: Some(signature),
                slot,
                export: None,
            })
        }
        Some(Outcome::Refused { code: Some(code), reason }) => Err(Problem::program(code, reason)),
        Some(Outcome::Refused { code: None, reason }) => Err(Problem::invalid("transaction", reason)),
        Some(Outcome::TooExpensive { fee_lamports }) => Err(Problem::unavailable(format!(
            "the crank would cost {fee_lamports} lamports, more than the keeper's maximum fee: retry when fees fall"
        ))),
        Some(Outcome::GaveUp { reason, attempts }) => Err(Problem::unavailable(format!(
            "the crank did not land after {attempts} attempts ({reason}): retry in a moment"
        ))),
        None => Err(Problem::unavailable(
            "the server is stopping: the crank stays pending and is settled at its next start",
        )),
    }
}

/// Remembers an applied change as an operator's move, for the activity log.
async fn remember(state: &Arc<AppState>, result: &ChangeResult, kind: OperatorMove) -> ApiResult<()> {
    match &result.signature {
        Some(signature) if result.status == ChangeStatus::Applied => record_move(state, signature, kind).await,
        _ => Ok(()),
    }
}

async fn record_move(state: &Arc<AppState>, signature: &str, kind: OperatorMove) -> ApiResult<()> {
    let signature = signature.to_string();
    let at = smart_treasury_keeper::service::unix_now();
    state.with_db(move |store| operator_moves::record(store, &signature, kind, at)).await
}
