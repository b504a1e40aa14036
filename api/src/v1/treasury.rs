//! `/api/v1/treasury`: the treasury's authority, guardian, pause, crank access, pools
//! with their vaults, and spenders; pause and unpause.

use crate::{
    amount::Amount,
    core::changes::{self, ChangeResult, Planned},
    error::{ApiResult, Problem},
    extract::ApiQuery,
    state::AppState,
    v1::common::ChangeQuery,
};
use anchor_lang::prelude::Pubkey;
use axum::{extract::State, Json};
use serde::Serialize;
use smart_treasury::state::{decode_name, CrankAccess, Treasury};
use smart_treasury_client::{events::ProgramEvent, read};
use smart_treasury_keeper::event_log::EventQuery;
use std::{collections::BTreeMap, sync::Arc};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CrankAccessView {
    /// Anyone may crank; the program decides what moves.
    Permissionless,
    /// Only keys on the keeper allow-list.
    AllowList,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VaultView {
    pub address: String,
    pub mint: String,
    pub decimals: u8,
    /// Absent when the account no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<Amount>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoolView {
    pub id: u16,
    pub name: String,
    pub address: String,
    pub vaults: Vec<VaultView>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SpenderView {
    pub spender: String,
    pub vault: String,
    pub enabled: bool,
    pub limit_per_period: Amount,
    pub period_seconds: u32,
    pub spent_in_period: Amount,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TreasuryView {
    pub address: String,
    /// Governs everything: a DAO governance PDA, a multisig vault or a plain key.
    pub authority: String,
    /// Proposed new authority, until it accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_authority: Option<String>,
    /// May pause, nothing else.
    pub guardian: String,
    pub paused: bool,
    pub crank_access: CrankAccessView,
    /// The keeper allow-list (with ALLOW_LIST access).
    pub keepers: Vec<String>,
    pub config_version: u64,
    pub pools: Vec<PoolView>,
    pub spenders: Vec<SpenderView>,
    pub managed_balances: u64,
}

/// The treasury's vaults, as their creation events recorded them: (pool, vault, mint).
async fn vaults(state: &Arc<AppState>) -> ApiResult<Vec<(Pubkey, Pubkey, Pubkey)>> {
    state
        .with_db(|store| {
            let events = store.events(&EventQuery { kinds: vec!["VaultCreated".into()], ..EventQuery::default() })?;
            Ok(events
                .iter()
                .filter_map(|event| match event.decode() {
                    Some(ProgramEvent::VaultCreated(created)) => Some((created.pool, created.vault, created.mint)),
                    _ => None,
                })
                .collect())
        })
        .await
}

/// The treasury as it stands.
#[utoipa::path(
    get, path = "/api/v1/treasury", tag = "treasury",
    responses((status = 200, description = "The treasury", body = TreasuryView))
)]
pub async fn get(State(state): State<Arc<AppState>>) -> ApiResult<Json<TreasuryView>> {
    let rpc = &state.keeper.rpc;
    let address = state.keeper.treasury;
    let treasury = read::treasury(rpc, &address).await?;
    let pools = read::pools(rpc, &address).await?;
    let spenders = read::spenders(rpc, &address).await?;
    let managed_balances = read::managed_balances(rpc, &address).await?.len() as u64;
    let now = smart_treasury_keeper::service::unix_now();
    let vaults = vaults(&state).await?;
    let mut decimals = BTreeMap::new();
    for (_, _, mint) in &vaults {
        if !decimals.contains_key(mint) {
            decimals.insert(*mint, read::mint(rpc, mint).await?.decimals);
        }
    }
    let addresses: Vec<Pubkey> = vaults.iter().map(|(_, vault, _)| *vault).collect();
    let accounts = read::token_accounts(rpc, &addresses).await?;
    let balance_of: BTreeMap<Pubkey, u64> =
        accounts.iter().flatten().map(|account| (account.address, account.amount)).collect();
    let vault_mint: BTreeMap<Pubkey, Pubkey> = vaults.iter().map(|(_, vault, mint)| (*vault, *mint)).collect();
    let decimals_of_vault =
        |vault: &Pubkey| vault_mint.get(vault).and_then(|mint| decimals.get(mint)).copied().unwrap_or(0);
    Ok(Json(TreasuryView {
        address: address.to_string(),
        authority: treasury.authority.to_string(),
        pending_authority: treasury.pending_authority.map(|key| key.to_string()),
        guardian: treasury.guardian.to_string(),
        paused: treasury.paused,
        crank_access: match treasury.crank_access {
            CrankAccess::Permissionless => CrankAccessView::Permissionless,
            CrankAccess::AllowList => CrankAccessView::AllowList,
        },
        keepers: treasury.active_keepers().iter().map(ToString::to_string).collect(),
        config_version: treasury.config_version,
        pools: pools
            .iter()
            .map(|(pool_address, pool)| PoolView {
                id: pool.pool_id,
                name: decode_name(&pool.name).to_string(),
                address: pool_address.to_string(),
                vaults: vaults
                    .iter()
                    .filter(|(owner, _, _)| owner == pool_address)
                    .map(|(_, vault, mint)| {
                        let decimals = decimals.get(mint).copied().unwrap_or(0);
                        VaultView {
                            address: vault.to_string(),
                            mint: mint.to_string(),
                            decimals,
                            balance: balance_of.get(vault).map(|units| Amount::new(*units, decimals)),
                        }
                    })
                    .collect(),
            })
            .collect(),
        spenders: spenders
            .iter()
            .map(|(_, spender)| {
                let decimals = decimals_of_vault(&spender.vault);
                SpenderView {
                    spender: spender.spender.to_string(),
                    vault: spender.vault.to_string(),
                    enabled: spender.enabled,
                    limit_per_period: Amount::new(spender.limit_per_period, decimals),
                    period_seconds: spender.period_seconds,
                    spent_in_period: Amount::new(spender.spent_in_period(now), decimals),
                }
            })
            .collect(),
        managed_balances,
    }))
}

async fn current(state: &Arc<AppState>) -> ApiResult<Treasury> {
    Ok(read::treasury(&state.keeper.rpc, &state.keeper.treasury).await?)
}

/// Stops every crank and spender payout (the guardian or the authority signs).
#[utoipa::path(
    post, path = "/api/v1/treasury/pause", tag = "treasury", params(ChangeQuery),
    responses(
        (status = 200, description = "Applied: signed here and landed", body = ChangeResult),
        (status = 422, description = "Already paused", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn pause(
    State(state): State<Arc<AppState>>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
) -> ApiResult<ChangeResult> {
    let treasury = current(&state).await?;
    let address = state.keeper.treasury;
    if treasury.paused {
        return Err(Problem::conflict(format!("treasury {address} is already paused: nothing to change")));
    }
    // The guardian signs when this server holds its key; otherwise the authority.
    let signer = match &state.authority {
        Some(key) if solana_signer::Signer::pubkey(key) == treasury.guardian => treasury.guardian,
        _ => treasury.authority,
    };
    let planned = Planned {
        summary: format!("pause treasury {address}"),
        effects: vec!["every crank and spender payout stops until the authority unpauses".into()],
        instructions: vec![
            smart_treasury_client::ix::expect_treasury_version(address, treasury.config_version),
            smart_treasury_client::ix::pause(signer, address),
        ],
        signers: vec![(signer, if signer == treasury.guardian { "guardian" } else { "authority" })],
    };
    changes::submit(&state, planned, changes::mode_of(&state, query.change_mode)).await
}

/// Resumes cranks and payouts (the authority signs).
#[utoipa::path(
    post, path = "/api/v1/treasury/unpause", tag = "treasury", params(ChangeQuery),
    responses(
        (status = 200, description = "Applied: signed here and landed", body = ChangeResult),
        (status = 422, description = "Not paused", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unpause(
    State(state): State<Arc<AppState>>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
) -> ApiResult<ChangeResult> {
    let treasury = current(&state).await?;
    let address = state.keeper.treasury;
    if !treasury.paused {
        return Err(Problem::conflict(format!("treasury {address} is not paused: nothing to change")));
    }
    let planned = Planned {
        summary: format!("unpause treasury {address}"),
        effects: vec!["cranks and spender payouts resume".into()],
        instructions: vec![
            smart_treasury_client::ix::expect_treasury_version(address, treasury.config_version),
            smart_treasury_client::ix::unpause(treasury.authority, address),
        ],
        signers: vec![(treasury.authority, "authority")],
    };
    changes::submit(&state, planned, changes::mode_of(&state, query.change_mode)).await
}
