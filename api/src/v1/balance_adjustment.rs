//! `POST /api/v1/balance-adjustment`: the authority's manual top-up of a managed balance,
//! drawn from its sources in priority order and capped at max; idempotent by
//! `requestId`.

use crate::{
    amount::AmountInput,
    core::{
        changes::{self, ChangeResult, ChangeStatus, Planned},
        idempotency::{self, Claim},
    },
    error::{ApiResult, Problem},
    extract::{ApiJson, ApiQuery},
    state::AppState,
    v1::{common::ChangeQuery, managed_balance},
};
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use smart_treasury_client::{ix::BalanceAccounts, TokenAmount};
use smart_treasury_keeper::service::unix_now;
use std::sync::Arc;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BalanceAdjustment {
    /// The managed balance's id.
    pub managed_balance_id: u32,
    /// What to add (capped at max).
    pub amount: AmountInput,
    /// Names this adjustment: a repeat with the same id gets the same answer and moves
    /// nothing again, for as long as the keeper keeps history (8 weeks by default).
    /// 1 to 128 characters of letters, digits and `._:-`.
    #[schema(min_length = 1, max_length = 128, pattern = r"^[A-Za-z0-9._:-]{1,128}$")]
    pub request_id: String,
}

fn check_request_id(id: &str) -> ApiResult<()> {
    let valid = !id.is_empty()
        && id.len() <= 128
        && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"._:-".contains(&byte));
    if !valid {
        return Err(Problem::invalid("requestId", "1 to 128 characters of letters, digits and `._:-`"));
    }
    Ok(())
}

/// Plans the adjustment, refusing what the program would refuse.
async fn plan(state: &Arc<AppState>, body: &BalanceAdjustment) -> ApiResult<Planned> {
    let (address, managed) = managed_balance::on_chain(state, body.managed_balance_id).await?;
    let amount = managed_balance::parse_amount("amount", &body.amount, managed.decimals)?;
    if amount == 0 {
        return Err(Problem::invalid("amount", "must be above 0"));
    }
    let label = format!("managed balance {} \"{}\"", managed.id, smart_treasury::state::decode_name(&managed.name));
    let sources = smart_treasury_client::ix::crank_sources(&managed);
    if sources.is_empty() {
        return Err(Problem::invalid(
            "managedBalanceId",
            format!("{label} has no enabled funding source to draw from: PUT one first"),
        ));
    }
    let destination = smart_treasury_client::read::token_account(&state.keeper.rpc, &managed.destination).await?;
    if destination.amount >= managed.max {
        return Err(Problem::invalid(
            "amount",
            format!(
                "{label} holds {}, at or above its max {}: a manual top-up is capped at max",
                TokenAmount::new(destination.amount, managed.decimals).grouped(),
                TokenAmount::new(managed.max, managed.decimals).grouped()
            ),
        ));
    }
    let authority = managed_balance::authority(state).await?;
    let accounts = BalanceAccounts {
        treasury: state.keeper.treasury,
        managed_balance: address,
        destination: managed.destination,
        destination_pool: managed.destination_pool,
        mint: managed.mint,
        token_program: managed.token_program,
    };
    let tokens = |units| TokenAmount::new(units, managed.decimals).grouped();
    let room = managed.max - destination.amount;
    Ok(Planned {
        summary: format!("top up {label} by {}", tokens(amount)),
        effects: vec![format!(
            "add up to {} (room below max: {}) from {} source(s) in priority order",
            tokens(amount.min(room)),
            tokens(room),
            sources.len()
        )],
        instructions: vec![
            smart_treasury_client::ix::expect_balance_version(state.keeper.treasury, address, managed.config_version),
            smart_treasury_client::ix::adjust_balance(authority, accounts, amount, &sources),
        ],
        signers: vec![(authority, "authority")],
    })
}

fn json_response(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() { "application/json" } else { "application/problem+json" };
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Tops up a managed balance by hand; a repeated `requestId` answers as the first did.
#[utoipa::path(
    post, path = "/api/v1/balance-adjustment", tag = "balance-adjustment", params(ChangeQuery),
    request_body = BalanceAdjustment,
    responses(
        (status = 200, description = "Applied: signed here and landed", body = ChangeResult),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same requestId is in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule, or the requestId was used for another request", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn adjust(
    State(state): State<Arc<AppState>>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
    ApiJson(body): ApiJson<BalanceAdjustment>,
) -> ApiResult<Response> {
    check_request_id(&body.request_id)?;
    let mode = changes::mode_of(&state, query.change_mode);
    let amount = serde_json::to_string(&match &body.amount {
        AmountInput::Tokens(text) => serde_json::json!({ "tokens": text }),
        AmountInput::BaseUnits(units) => serde_json::json!({ "baseUnits": units }),
    })
    .map_err(Problem::internal)?;
    let print = idempotency::fingerprint(&[&body.managed_balance_id.to_string(), &amount, &format!("{mode:?}")]);
    let key = body.request_id.clone();
    let claim = {
        let (key, print) = (key.clone(), print.clone());
        state.with_db(move |store| idempotency::claim(store, &key, &print, unix_now())).await??
    };
    if let Claim::Answered { status, body } = claim {
        return Ok(json_response(status, body));
    }
    let result = match plan(&state, &body).await {
        Ok(planned) => changes::submit(&state, planned, mode).await,
        Err(problem) => {
            // Nothing was sent: the same requestId may be used again once fixed.
            let key = key.clone();
            state.with_db(move |store| idempotency::release(store, &key)).await?;
            return Err(problem);
        }
    };
    let (status, text) = match &result {
        Ok(answer) => {
            let status = if answer.status == ChangeStatus::Applied { 200 } else { 202 };
            (status, serde_json::to_string(answer).map_err(Problem::internal)?)
        }
        Err(problem) => (problem.status, serde_json::to_string(problem).map_err(Problem::internal)?),
    };
    let kept = text.clone();
    state.with_db(move |store| idempotency::finish(store, &key, status, &kept)).await?;
    if let Ok(answer) = &result {
        if answer.status == ChangeStatus::Applied {
            let address =
                smart_treasury_client::pda::managed_balance_pda(&state.keeper.treasury, body.managed_balance_id);
            crate::core::balances::refresh(&state, &address).await?;
        }
    }
    Ok(json_response(status, text))
}
