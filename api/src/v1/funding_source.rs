//! `/api/v1/managed-balance/{id}/funding-source`: link a funding source or change one
//! (PUT, by its token account), and unlink one (DELETE).

use crate::{
    amount::AmountInput,
    core::changes::{ChangeResult, Planned},
    error::{ApiResult, Problem},
    extract::{ApiJson, ApiPath, ApiQuery},
    state::AppState,
    v1::{
        common::{parse_address, AccountType, ChangeQuery},
        managed_balance::{self, parse_amount},
    },
};
use anchor_lang::prelude::Pubkey;
use axum::extract::State;
use serde::Deserialize;
use smart_treasury::{
    constants::MAX_SOURCES,
    instructions::{LinkSourceArgs, UpdateSourceArgs},
    state::{AccountKind, ManagedBalance, Pool},
};
use smart_treasury_client::{pda, read, TokenAmount};
use std::sync::Arc;
use utoipa::ToSchema;

/// A funding source as a client names it.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FundingSourceInput {
    /// ASSET_POOL: a vault of one of the treasury's pools; VENUE: an account whose owner
    /// delegates to a pool.
    pub source_type: AccountType,
    /// The source's token account.
    #[schema(pattern = r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")]
    pub source_id: String,
    /// The pool that signs pulls. For a vault, its owner (may be left out); for a venue,
    /// the pool it delegates to (may be left out once the delegation is in place).
    pub pool_id: Option<u16>,
    /// 1 is drawn first; unique within the managed balance.
    #[schema(minimum = 1)]
    pub priority: u8,
    /// Never drawn below this; default 0.
    pub reserve_floor: Option<AmountInput>,
    /// Default true.
    pub enabled: Option<bool>,
    /// VENUE only: the venue may take returned funds (sweeps, ratio pushes); default
    /// false. A pool's vault always may.
    pub returns_allowed: Option<bool>,
}

/// The sources a change is building up, to refuse clashes before any transaction.
pub struct Sketch {
    destination: Pubkey,
    mint: Pubkey,
    decimals: u8,
    /// (token account, priority) of every source linked or about to be.
    linked: Vec<(Pubkey, u8)>,
}

impl Sketch {
    pub fn new(destination: Pubkey, mint: Pubkey, decimals: u8) -> Self {
        Self { destination, mint, decimals, linked: Vec::new() }
    }

    pub fn of(managed: &ManagedBalance) -> Self {
        let mut sketch = Self::new(managed.destination, managed.mint, managed.decimals);
        sketch.linked = managed.linked_sources().iter().map(|source| (source.token_account, source.priority)).collect();
        sketch
    }
}

/// One link, checked and ready.
pub struct Linked {
    pub token_account: Pubkey,
    pub pool: Pubkey,
    pub args: LinkSourceArgs,
    pub effect: String,
}

/// The treasury's pool at `address`, if it is one.
async fn pool_at(state: &Arc<AppState>, address: &Pubkey) -> ApiResult<Option<Pool>> {
    match read::program_account::<Pool>(&state.keeper.rpc, "pool", address).await {
        Ok(Some(pool)) if pool.treasury == state.keeper.treasury => Ok(Some(pool)),
        Ok(_) | Err(read::ReadError::Invalid { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

fn check_priority(sketch: &Sketch, priority: u8, except: Option<&Pubkey>, field: &str) -> ApiResult<()> {
    if priority == 0 {
        return Err(Problem::invalid(field, "priorities start at 1 (drawn first)"));
    }
    if let Some((holder, _)) =
        sketch.linked.iter().find(|(account, taken)| *taken == priority && Some(account) != except)
    {
        return Err(Problem::invalid(field, format!("priority {priority} is in use by {holder}: pick a free one")));
    }
    Ok(())
}

/// Checks a new source against the chain and the sketch; adds it to the sketch.
pub async fn plan_link(
    state: &Arc<AppState>,
    sketch: &mut Sketch,
    input: &FundingSourceInput,
    prefix: &str,
) -> ApiResult<Linked> {
    let field = |name: &str| if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
    let account = parse_address(&field("sourceId"), &input.source_id)?;
    if account == sketch.destination {
        return Err(Problem::invalid(
            field("sourceId"),
            "this is the managed balance's destination: a source must be another account",
        ));
    }
    if sketch.linked.iter().any(|(linked, _)| *linked == account) {
        return Err(Problem::invalid(field("sourceId"), format!("{account} is already linked")));
    }
    if sketch.linked.len() >= MAX_SOURCES {
        return Err(Problem::invalid(
            field("sourceId"),
            format!("a managed balance links at most {MAX_SOURCES} sources: unlink one first"),
        ));
    }
    check_priority(sketch, input.priority, None, &field("priority"))?;
    let floor = input
        .reserve_floor
        .as_ref()
        .map(|floor| parse_amount(&field("reserveFloor"), floor, sketch.decimals))
        .transpose()?;
    let token = match read::token_account(&state.keeper.rpc, &account).await {
        Ok(token) => token,
        Err(read::ReadError::NotFound { .. } | read::ReadError::Invalid { .. }) => {
            return Err(Problem::invalid(
                field("sourceId"),
                format!("{account} is not a token account on this cluster"),
            ))
        }
        Err(other) => return Err(other.into()),
    };
    if token.mint != sketch.mint {
        return Err(Problem::invalid(
            field("sourceId"),
            format!("{account} holds mint {}, not {}", token.mint, sketch.mint),
        ));
    }
    if input.source_type == AccountType::AssetPool && input.returns_allowed == Some(false) {
        return Err(Problem::invalid(field("returnsAllowed"), "a pool's vault always takes returned funds"));
    }
    let named_pool = input.pool_id.map(|id| pda::pool_pda(&state.keeper.treasury, id));
    let pool = match input.source_type {
        AccountType::AssetPool => {
            if pool_at(state, &token.owner).await?.is_none() {
                return Err(Problem::invalid(
                    field("sourceId"),
                    format!("{account} is not a vault of this treasury's pools (its owner is {})", token.owner),
                ));
            }
            if named_pool.is_some_and(|named| named != token.owner) {
                return Err(Problem::invalid(
                    field("poolId"),
                    format!("{account} belongs to pool {}, not the one named", token.owner),
                ));
            }
            token.owner
        }
        AccountType::Venue => {
            let pool = named_pool.or(token.delegate).ok_or_else(|| {
                Problem::invalid(
                    field("poolId"),
                    "the venue has no delegate yet: name the pool it will approve (poolId)",
                )
            })?;
            if pool_at(state, &pool).await?.is_none() {
                let what = if named_pool.is_some() { "poolId" } else { "sourceId" };
                return Err(Problem::invalid(field(what), format!("{pool} is not a pool of this treasury")));
            }
            if token.owner == pool {
                return Err(Problem::invalid(
                    field("sourceType"),
                    format!("{account} is the pool's own vault: use ASSET_POOL"),
                ));
            }
            pool
        }
    };
    sketch.linked.push((account, input.priority));
    let reserve_floor = floor.unwrap_or(0);
    let enabled = input.enabled.unwrap_or(true);
    Ok(Linked {
        token_account: account,
        pool,
        args: LinkSourceArgs {
            priority: input.priority,
            reserve_floor,
            enabled,
            returns_allowed: input.source_type == AccountType::AssetPool || input.returns_allowed.unwrap_or(false),
        },
        effect: format!(
            "link {account} as funding source at priority {}, floor {}{}",
            input.priority,
            TokenAmount::new(reserve_floor, sketch.decimals).grouped(),
            if enabled { "" } else { ", disabled" }
        ),
    })
}

/// Links a funding source, or changes the one linked at `sourceId` (priority, floor,
/// enabled).
#[utoipa::path(
    put, path = "/api/v1/managed-balance/{id}/funding-source", tag = "funding-source",
    params(managed_balance::IdPath, ChangeQuery),
    request_body = FundingSourceInput,
    responses(
        (status = 200, description = "Applied: signed here and landed", body = ChangeResult),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule (a priority in use, an account of another mint)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<managed_balance::IdPath>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
    ApiJson(body): ApiJson<FundingSourceInput>,
) -> ApiResult<ChangeResult> {
    let (address, current) = managed_balance::on_chain(&state, path.id).await?;
    let account = parse_address("sourceId", &body.source_id)?;
    let authority = managed_balance::authority(&state).await?;
    let treasury = state.keeper.treasury;
    let label = format!("managed balance {} \"{}\"", current.id, smart_treasury::state::decode_name(&current.name));
    let existing = current.linked_sources().iter().find(|source| source.token_account == account).copied();
    let planned = match existing {
        None => {
            let mut sketch = Sketch::of(&current);
            let linked = plan_link(&state, &mut sketch, &body, "").await?;
            Planned {
                summary: format!("link a funding source to {label}"),
                effects: vec![linked.effect],
                instructions: vec![
                    smart_treasury_client::ix::expect_balance_version(treasury, address, current.config_version),
                    smart_treasury_client::ix::link_source(
                        authority,
                        treasury,
                        address,
                        linked.token_account,
                        linked.pool,
                        linked.args,
                    ),
                ],
                signers: vec![(authority, "authority")],
            }
        }
        Some(source) => {
            let kind = match body.source_type {
                AccountType::AssetPool => AccountKind::PoolVault,
                AccountType::Venue => AccountKind::Venue,
            };
            if kind != source.kind {
                return Err(Problem::invalid(
                    "sourceType",
                    format!(
                        "{account} is linked as {:?}; unlink it to change its type",
                        AccountType::from(source.kind)
                    ),
                ));
            }
            if body.pool_id.is_some_and(|id| pda::pool_pda(&treasury, id) != source.pool) {
                return Err(Problem::invalid(
                    "poolId",
                    format!("{account} is linked through pool {}; unlink it to change its pool", source.pool),
                ));
            }
            check_priority(&Sketch::of(&current), body.priority, Some(&account), "priority")?;
            let reserve_floor = match &body.reserve_floor {
                Some(floor) => parse_amount("reserveFloor", floor, current.decimals)?,
                None => source.reserve_floor,
            };
            let enabled = body.enabled.unwrap_or(source.enabled);
            if kind == AccountKind::PoolVault && body.returns_allowed == Some(false) {
                return Err(Problem::invalid("returnsAllowed", "a pool's vault always takes returned funds"));
            }
            let returns_allowed = body.returns_allowed.unwrap_or(source.returns_allowed);
            let now = (source.priority, source.reserve_floor, source.enabled, source.returns_allowed);
            if (body.priority, reserve_floor, enabled, returns_allowed) == now {
                return Err(Problem::conflict(format!(
                    "{account} is already linked with these settings: nothing to change"
                )));
            }
            let tokens = |units| TokenAmount::new(units, current.decimals).grouped();
            Planned {
                summary: format!("change a funding source of {label}"),
                effects: vec![format!(
                    "{account}: priority {} -> {}, floor {} -> {}, {} -> {}",
                    source.priority,
                    body.priority,
                    tokens(source.reserve_floor),
                    tokens(reserve_floor),
                    if source.enabled { "enabled" } else { "disabled" },
                    if enabled { "enabled" } else { "disabled" }
                )],
                instructions: vec![
                    smart_treasury_client::ix::expect_balance_version(treasury, address, current.config_version),
                    smart_treasury_client::ix::update_source(
                        authority,
                        treasury,
                        address,
                        UpdateSourceArgs {
                            token_account: account,
                            priority: body.priority,
                            reserve_floor,
                            enabled,
                            returns_allowed,
                        },
                    ),
                ],
                signers: vec![(authority, "authority")],
            }
        }
    };
    submit(&state, &address, planned, &query).await
}

async fn submit(
    state: &Arc<AppState>,
    address: &Pubkey,
    planned: Planned,
    query: &ChangeQuery,
) -> ApiResult<ChangeResult> {
    let mode = crate::core::changes::mode_of(state, query.change_mode);
    let result = crate::core::changes::submit(state, planned, mode).await?;
    if result.status == crate::core::changes::ChangeStatus::Applied {
        crate::core::balances::refresh(state, address).await?;
    }
    Ok(result)
}

/// Unlinks the funding source at `sourceId`.
#[utoipa::path(
    delete, path = "/api/v1/managed-balance/{id}/funding-source/{sourceId}", tag = "funding-source",
    params(
        ("id" = u32, Path, description = "The managed balance's id"),
        ("sourceId" = String, Path, description = "The source's token account", pattern = r"^[1-9A-HJ-NP-Za-km-z]{32,44}$"),
        ChangeQuery
    ),
    responses(
        (status = 200, description = "Applied: signed here and landed", body = ChangeResult),
        (status = 404, description = "No such managed balance, or the account is not one of its sources", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The source id is not an address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(
    State(state): State<Arc<AppState>>,
    ApiPath((id, source_id)): ApiPath<(u32, String)>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
) -> ApiResult<ChangeResult> {
    let account = parse_address("sourceId", &source_id)?;
    let (address, current) = managed_balance::on_chain(&state, id).await?;
    let label = format!("managed balance {} \"{}\"", current.id, smart_treasury::state::decode_name(&current.name));
    if !current.linked_sources().iter().any(|source| source.token_account == account) {
        return Err(Problem::not_found(format!("{account} is not a funding source of {label}")));
    }
    let authority = managed_balance::authority(&state).await?;
    let planned = Planned {
        summary: format!("unlink a funding source from {label}"),
        effects: vec![format!("unlink {account}")],
        instructions: vec![smart_treasury_client::ix::unlink_source(
            authority,
            state.keeper.treasury,
            address,
            account,
        )],
        signers: vec![(authority, "authority")],
    };
    submit(&state, &address, planned, &query).await
}
