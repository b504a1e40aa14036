//! `/api/v1/managed-balance`: list and read managed balances with their live balance,
//! band, health, automation limits, sources and forecast; create one, change its
//! thresholds and settings, enable, disable and close it.

use crate::core::describe::tokens;
use crate::{
    amount::{Amount, AmountInput, SignedAmount},
    core::{
        balances::{self, ForecastFacts, Snapshot},
        changes::{self, ChangeResult, Planned},
        describe, rules,
    },
    error::{ApiResult, FieldError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery},
    state::AppState,
    v1::{
        common::{page_bounds, parse_address, rfc3339, AccountType, ChangeQuery, Page},
        funding_source::{self, FundingSourceInput},
    },
};
use anchor_lang::prelude::Pubkey;
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use smart_treasury::{
    instructions::CreateManagedBalanceArgs,
    state::{AutomationSettings, BalanceMode, ManagedBalance, TransferFeeLimit},
};
use smart_treasury_client::{pda, read, HealthLevel};
use smart_treasury_policy::Thresholds;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    /// At or above twice `min`.
    Healthy,
    /// Between 50% and 100%.
    Watch,
    /// Below 50%: under `min`.
    Critical,
}

impl From<HealthLevel> for Level {
    fn from(level: HealthLevel) -> Self {
        match level {
            HealthLevel::Healthy => Self::Healthy,
            HealthLevel::Watch => Self::Watch,
            HealthLevel::Critical => Self::Critical,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BandPosition {
    BelowMin,
    WithinBand,
    AboveMax,
}

impl From<smart_treasury_client::BandPosition> for BandPosition {
    fn from(position: smart_treasury_client::BandPosition) -> Self {
        match position {
            smart_treasury_client::BandPosition::BelowMin => Self::BelowMin,
            smart_treasury_client::BandPosition::WithinBand => Self::WithinBand,
            smart_treasury_client::BandPosition::AboveMax => Self::AboveMax,
        }
    }
}

/// Health: 100% at or above twice `min`, red below 50% (under `min`).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthView {
    /// Basis points, 0 to 10,000.
    pub bps: u16,
    /// `87.5%`.
    pub percent: String,
    pub level: Level,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModeType {
    /// Between min and max, restored to target.
    Threshold,
    /// A share of the combined total with the priority-1 source.
    Ratio,
}

/// How the balance is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mode {
    #[serde(rename = "type")]
    pub kind: ModeType,
    /// Ratio mode: the share to keep, in basis points of the combined total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio_bps: Option<u16>,
    /// Ratio mode: the drift, in basis points of the total, that triggers a rebalance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_bps: Option<u16>,
}

impl Mode {
    pub fn of(mode: &BalanceMode) -> Self {
        match *mode {
            BalanceMode::Threshold => Self { kind: ModeType::Threshold, ratio_bps: None, band_bps: None },
            BalanceMode::Ratio { ratio_bps, band_bps } => {
                Self { kind: ModeType::Ratio, ratio_bps: Some(ratio_bps), band_bps: Some(band_bps) }
            }
        }
    }

    /// The program's mode, or the field at fault.
    pub fn to_program(&self) -> ApiResult<BalanceMode> {
        match self.kind {
            ModeType::Threshold => {
                if self.ratio_bps.is_some() || self.band_bps.is_some() {
                    return Err(Problem::invalid("mode.ratioBps", "ratioBps and bandBps apply only to RATIO mode"));
                }
                Ok(BalanceMode::Threshold)
            }
            ModeType::Ratio => {
                let ratio_bps =
                    self.ratio_bps.ok_or_else(|| Problem::invalid("mode.ratioBps", "RATIO mode needs ratioBps"))?;
                let band_bps =
                    self.band_bps.ok_or_else(|| Problem::invalid("mode.bandBps", "RATIO mode needs bandBps"))?;
                smart_treasury_client::rules::ratio(ratio_bps, band_bps).map_err(|v| rules::problem("mode.", v))?;
                Ok(BalanceMode::Ratio { ratio_bps, band_bps })
            }
        }
    }
}

/// Rate limits and the forecast band, with what is left of them now.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomationView {
    /// Seconds between two automatic movements.
    pub cooldown_seconds: u32,
    pub period_seconds: u32,
    /// What automation may move per period.
    pub period_cap: Amount,
    /// Forecast top-ups are allowed below `min + band * (target - min)`.
    pub forecast_band_bps: u16,
    pub moved_in_period: Amount,
    pub remaining_in_period: Amount,
    /// When the cooldown lets the next automatic movement through; absent when it does not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_automation_at: Option<String>,
}

/// A Token-2022 transfer fee: basis points of each transfer, capped per transfer.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransferFeeView {
    pub basis_points: u16,
    pub maximum_fee: Amount,
}

/// A linked funding source, with what it could give now.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FundingSourceView {
    /// The source's token account.
    pub source_id: String,
    pub source_type: AccountType,
    /// The pool whose key signs pulls (the vault's owner, or the venue's delegate).
    pub pool: String,
    pub priority: u8,
    pub enabled: bool,
    /// Never drawn below this.
    pub reserve_floor: Amount,
    /// Absent when the token account no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<Amount>,
    /// What the venue delegated to the pool; absent for a pool's own vault (no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowance: Option<Amount>,
    /// What a top-up could draw from it now.
    pub available: Amount,
    /// May take returned funds (sweeps, ratio pushes): a pool's vault always, a venue
    /// when the authority allowed it.
    pub returns_allowed: bool,
}

/// The last movement the program made for this balance.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastMovement {
    /// `ToppedUp`, `ExcessSwept` or `RatioRebalanced`.
    pub event: String,
    pub signature: String,
    pub slot: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// The change of the balance (negative for a sweep).
    pub amount: SignedAmount,
    pub balance_after: Amount,
}

/// The forecast's headline: when a breach is expected and what avoiding it takes.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ForecastSummary {
    /// `DAILY_WEEKLY`, `DAILY`, `MEAN` or `NONE`.
    pub method: String,
    /// Buckets of history the forecast had.
    pub history_buckets: u64,
    pub made_at: String,
    /// Probability of falling below min within the forecast horizon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breach_probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_breach_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pessimistic_breach_at: Option<String>,
    /// Tokens needed now so the pessimistic path stays at or above min.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_needed: Option<Amount>,
    /// What the top-up at the expected breach moves: from min back to target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_top_up: Option<Amount>,
}

/// A top-up at the expected breach finds the balance just below min and restores target.
pub fn expected_top_up(managed: &ManagedBalance) -> u64 {
    managed.target.saturating_sub(managed.min)
}

/// A managed balance as an operator sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagedBalanceView {
    pub id: u32,
    /// The managed balance account.
    pub address: String,
    pub name: String,
    pub mint: String,
    pub decimals: u8,
    /// The token account kept in band.
    pub destination: String,
    pub destination_type: AccountType,
    pub destination_pool: String,
    /// Absent when the destination account no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<Amount>,
    pub min: Amount,
    pub target: Amount,
    pub max: Amount,
    pub health: HealthView,
    pub band_position: BandPosition,
    pub mode: Mode,
    pub enabled: bool,
    /// Bumped by every change; cranks and changes name the version they were built on.
    pub config_version: u64,
    pub automation: AutomationView,
    /// The highest Token-2022 transfer fee movements accept.
    pub accepted_transfer_fee: TransferFeeView,
    pub funding_sources: Vec<FundingSourceView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_movement: Option<LastMovement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forecast: Option<ForecastSummary>,
}

pub fn method_name(method: smart_treasury_keeper::forecast::Method) -> &'static str {
    use smart_treasury_keeper::forecast::Method;
    match method {
        Method::DailyWeekly => "DAILY_WEEKLY",
        Method::Daily => "DAILY",
        Method::Mean => "MEAN",
        Method::None => "NONE",
    }
}

/// The forecast as the list shows it; `top_up` is what a top-up at the expected breach
/// would move.
fn forecast_summary(
    facts: &ForecastFacts,
    top_up: u64,
    decimals: u8,
    bucket_seconds: i64,
    now: i64,
) -> ForecastSummary {
    let outlook = facts.outlook.as_ref();
    let expected_buckets = outlook.and_then(|o| o.expected_buckets);
    // The keeper's outlook counts buckets from its last cycle: now, near enough.
    let at =
        |buckets: Option<f64>| buckets.map(|buckets| rfc3339(now + (buckets * bucket_seconds as f64).round() as i64));
    ForecastSummary {
        method: method_name(facts.method).to_string(),
        history_buckets: facts.history_buckets as u64,
        made_at: rfc3339(facts.made_at),
        breach_probability: outlook.map(|o| o.breach_probability),
        expected_breach_at: at(expected_buckets),
        pessimistic_breach_at: at(outlook.and_then(|o| o.pessimistic_buckets)),
        amount_needed: outlook.map(|o| Amount::new(o.amount_needed, decimals)),
        expected_top_up: expected_buckets.map(|_| Amount::new(top_up, decimals)),
    }
}

/// The view of one snapshot (with its last movement, when known).
pub fn view(snapshot: &Snapshot, last_movement: Option<LastMovement>, bucket_seconds: i64) -> ManagedBalanceView {
    let m = snapshot.managed();
    let decimals = m.decimals;
    let amount = |units: u64| Amount::new(units, decimals);
    let status = &snapshot.status;
    ManagedBalanceView {
        id: m.id,
        address: snapshot.address().to_string(),
        name: status.name().to_string(),
        mint: m.mint.to_string(),
        decimals,
        destination: m.destination.to_string(),
        destination_type: m.destination_kind.into(),
        destination_pool: m.destination_pool.to_string(),
        balance: status.balance.map(amount),
        min: amount(m.min),
        target: amount(m.target),
        max: amount(m.max),
        health: HealthView {
            bps: status.health.bps,
            percent: status.health.percent(),
            level: status.health.level.into(),
        },
        band_position: status.position.into(),
        mode: Mode::of(&m.mode),
        enabled: m.enabled,
        config_version: m.config_version,
        automation: AutomationView {
            cooldown_seconds: m.automation.cooldown_seconds,
            period_seconds: m.automation.period_seconds,
            period_cap: amount(m.automation.period_cap),
            forecast_band_bps: m.automation.forecast_band_bps,
            moved_in_period: amount(snapshot.moved_in_period),
            remaining_in_period: amount(snapshot.remaining_in_period),
            next_automation_at: snapshot.next_automation_at.map(rfc3339),
        },
        accepted_transfer_fee: TransferFeeView {
            basis_points: m.accepted_transfer_fee.basis_points,
            maximum_fee: amount(m.accepted_transfer_fee.maximum_fee),
        },
        funding_sources: status
            .sources
            .iter()
            .map(|source| FundingSourceView {
                source_id: source.source.token_account.to_string(),
                source_type: source.source.kind.into(),
                pool: source.source.pool.to_string(),
                priority: source.source.priority,
                enabled: source.source.enabled,
                reserve_floor: amount(source.source.reserve_floor),
                balance: source.balance.map(amount),
                allowance: source.allowance.map(amount),
                available: amount(source.available),
                returns_allowed: source.source.returns_allowed,
            })
            .collect(),
        last_movement,
        forecast: snapshot
            .forecast
            .as_ref()
            .map(|facts| forecast_summary(facts, expected_top_up(m), decimals, bucket_seconds, snapshot.taken_at)),
    }
}

/// The last program movement of each of `snapshots`, from the event store.
async fn last_movements(state: &Arc<AppState>, snapshots: &[&Snapshot]) -> ApiResult<Vec<Option<LastMovement>>> {
    let wanted: Vec<(String, u8)> =
        snapshots.iter().map(|snapshot| (snapshot.address().to_string(), snapshot.managed().decimals)).collect();
    state
        .with_db(move |store| {
            let mut statement = store.connection().prepare_cached(
                "SELECT kind, signature, slot, block_time, amount, balance_after FROM program_event
                 WHERE managed_balance = ?1 AND amount IS NOT NULL ORDER BY slot DESC, rowid DESC LIMIT 1",
            )?;
            wanted
                .iter()
                .map(|(address, decimals)| {
                    use rusqlite::OptionalExtension;
                    Ok(statement
                        .query_row([address], |row| {
                            Ok(LastMovement {
                                event: row.get(0)?,
                                signature: row.get(1)?,
                                slot: row.get::<_, i64>(2)? as u64,
                                at: row.get::<_, Option<i64>>(3)?.map(rfc3339),
                                amount: SignedAmount::new(i128::from(row.get::<_, i64>(4)?), *decimals),
                                balance_after: Amount::new(row.get::<_, i64>(5)? as u64, *decimals),
                            })
                        })
                        .optional()?)
                })
                .collect()
        })
        .await
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
    /// Items per page, 1 to 1,000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub size: Option<u32>,
    /// Only names containing this (case-insensitive).
    pub name: Option<String>,
    /// Only this health level.
    pub health: Option<Level>,
    /// Only this band position.
    pub band_position: Option<BandPosition>,
    pub enabled: Option<bool>,
    /// Only balances of this mint.
    #[param(pattern = r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")]
    pub mint: Option<String>,
}

/// Managed balances, by id.
#[utoipa::path(
    get, path = "/api/v1/managed-balance", tag = "managed-balance", params(ListQuery),
    responses(
        (status = 200, description = "A page of managed balances", body = Page<ManagedBalanceView>),
        (status = 422, description = "A query parameter is invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<ManagedBalanceView>>> {
    let (page, size) = page_bounds(query.page, query.size)?;
    let mint = query.mint.as_deref().map(|text| parse_address("mint", text)).transpose()?;
    let name = query.name.as_deref().map(str::to_lowercase);
    let snapshots = balances::all(&state).await;
    let matching: Vec<&Snapshot> = snapshots
        .iter()
        .filter(|s| name.as_ref().is_none_or(|name| s.status.name().to_lowercase().contains(name)))
        .filter(|s| query.health.is_none_or(|level| Level::from(s.status.health.level) == level))
        .filter(|s| query.band_position.is_none_or(|position| BandPosition::from(s.status.position) == position))
        .filter(|s| query.enabled.is_none_or(|enabled| s.managed().enabled == enabled))
        .filter(|s| mint.is_none_or(|mint| s.managed().mint == mint))
        .collect();
    let total = matching.len() as u64;
    let start = ((page - 1) as usize).saturating_mul(size as usize).min(matching.len());
    let shown = &matching[start..(start + size as usize).min(matching.len())];
    let movements = last_movements(&state, shown).await?;
    let bucket = state.keeper.config.bucket_seconds;
    let items = shown.iter().zip(movements).map(|(snapshot, movement)| view(snapshot, movement, bucket)).collect();
    Ok(Json(Page { items, page, size, total }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The managed balance's id in the treasury.
    #[param(example = 1)]
    pub id: u32,
}

/// The managed balance `id`: from the keeper's view, or read from chain when the keeper
/// has not seen it yet.
pub async fn snapshot(state: &Arc<AppState>, id: u32) -> ApiResult<Snapshot> {
    let address = pda::managed_balance_pda(&state.keeper.treasury, id);
    if let Some(snapshot) = balances::one(state, &address).await {
        return Ok(snapshot);
    }
    if balances::refresh(state, &address).await? {
        if let Some(snapshot) = balances::one(state, &address).await {
            return Ok(snapshot);
        }
    }
    Err(not_found(state, id))
}

pub fn not_found(state: &AppState, id: u32) -> Problem {
    Problem::not_found(format!(
        "managed balance {id} does not exist in treasury {}: GET /api/v1/managed-balance lists them",
        state.keeper.treasury
    ))
}

/// One managed balance.
#[utoipa::path(
    get, path = "/api/v1/managed-balance/{id}", tag = "managed-balance", params(IdPath),
    responses(
        (status = 200, description = "The managed balance", body = ManagedBalanceView),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
) -> ApiResult<Json<ManagedBalanceView>> {
    let snapshot = snapshot(&state, path.id).await?;
    let movement = last_movements(&state, &[&snapshot]).await?.pop().flatten();
    Ok(Json(view(&snapshot, movement, state.keeper.config.bucket_seconds)))
}

/// The managed balance `id` as the chain has it now (writes are built on this, not on
/// the keeper's possibly older copy).
pub async fn on_chain(state: &Arc<AppState>, id: u32) -> ApiResult<(Pubkey, ManagedBalance)> {
    let address = pda::managed_balance_pda(&state.keeper.treasury, id);
    match read::program_account::<ManagedBalance>(&state.keeper.rpc, "managed balance", &address).await? {
        Some(managed) => Ok((address, managed)),
        None => Err(not_found(state, id)),
    }
}

/// The treasury's authority, who signs every change of a managed balance.
pub async fn authority(state: &Arc<AppState>) -> ApiResult<Pubkey> {
    Ok(read::treasury(&state.keeper.rpc, &state.keeper.treasury).await?.authority)
}

pub fn label(managed: &ManagedBalance) -> String {
    format!("managed balance {} \"{}\"", managed.id, smart_treasury::state::decode_name(&managed.name))
}

/// Refuses a change built on a config version that has moved on.
fn check_version(expected: Option<u64>, managed: &ManagedBalance) -> ApiResult<()> {
    match expected {
        Some(expected) if expected != managed.config_version => Err(Problem::conflict(format!(
            "{} is at config version {}, not {expected}: read it again and retry",
            label(managed),
            managed.config_version
        ))),
        _ => Ok(()),
    }
}

/// Submits a change to one managed balance, then refreshes the keeper's copy.
async fn apply(
    state: &Arc<AppState>,
    address: &Pubkey,
    planned: Planned,
    query: &ChangeQuery,
) -> ApiResult<ChangeResult> {
    let mode = changes::mode_of(state, query.change_mode);
    let result = changes::submit(state, planned, mode).await?;
    if result.status == changes::ChangeStatus::Applied {
        balances::refresh(state, address).await?;
    }
    Ok(result)
}

/// A new managed balance: a pool's vault or a venue account as its destination.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateManagedBalance {
    /// Unique in the treasury; the next free id when absent.
    pub id: Option<u32>,
    /// What operators see: 1 to 32 bytes of UTF-8.
    #[schema(min_length = 1, max_length = 32)]
    pub name: String,
    /// The mint it holds.
    #[schema(pattern = r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")]
    pub mint: String,
    /// ASSET_POOL: the pool's vault for the mint; VENUE: the account named by `venue`.
    pub destination_type: AccountType,
    /// The pool whose vault it is, or that signs moves out of the venue (its delegate).
    pub pool_id: u16,
    /// VENUE only: the venue's token account.
    #[schema(pattern = r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")]
    pub venue: Option<String>,
    pub min: AmountInput,
    pub target: AmountInput,
    pub max: AmountInput,
    /// THRESHOLD when absent.
    pub mode: Option<Mode>,
    /// Default 60.
    pub cooldown_seconds: Option<u32>,
    /// Default 86,400.
    pub period_seconds: Option<u32>,
    /// What automation may move per period; default `max`.
    pub period_cap: Option<AmountInput>,
    /// Default 0 (no forecast top-ups).
    pub forecast_band_bps: Option<u16>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Sources linked in the same transaction.
    pub funding_sources: Option<Vec<FundingSourceInput>>,
}

/// Parses an amount of a mint with `decimals`, naming the field.
pub fn parse_amount(field: &str, input: &AmountInput, decimals: u8) -> ApiResult<u64> {
    input.base_units(decimals).map_err(|detail| Problem::invalid(field, detail))
}

/// Parses three thresholds together, naming each field at fault.
fn parse_thresholds(min: &AmountInput, target: &AmountInput, max: &AmountInput, decimals: u8) -> ApiResult<Thresholds> {
    let mut errors = Vec::new();
    let mut parse = |field: &str, input: &AmountInput| match input.base_units(decimals) {
        Ok(units) => units,
        Err(detail) => {
            errors.push(FieldError { field: field.into(), detail });
            0
        }
    };
    let thresholds = Thresholds { min: parse("min", min), target: parse("target", target), max: parse("max", max) };
    if !errors.is_empty() {
        return Err(Problem::invalid_fields(errors));
    }
    smart_treasury_client::rules::thresholds(&thresholds).map_err(|v| rules::problem("", v))?;
    Ok(thresholds)
}

/// The next id after the highest in use.
async fn next_id(state: &Arc<AppState>) -> ApiResult<u32> {
    let existing = read::managed_balances(&state.keeper.rpc, &state.keeper.treasury).await?;
    let highest = existing.iter().map(|(_, managed)| managed.id).max().unwrap_or(0);
    highest.checked_add(1).ok_or_else(|| Problem::invalid("id", "every id is taken: name one that is free"))
}

/// Creates a managed balance (and links its sources, in the same transaction).
#[utoipa::path(
    post, path = "/api/v1/managed-balance", tag = "managed-balance", params(ChangeQuery),
    request_body = CreateManagedBalance,
    responses(
        (status = 200, description = "Applied: signed here and landed", body = ChangeResult),
        (status = 404, description = "The treasury's pool or mint does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken, or the server's key is not the authority", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<Arc<AppState>>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
    ApiJson(body): ApiJson<CreateManagedBalance>,
) -> ApiResult<ChangeResult> {
    smart_treasury_client::rules::name("name", &body.name).map_err(|v| rules::problem("", v))?;
    let mode = body.mode.as_ref().map(Mode::to_program).transpose()?.unwrap_or(BalanceMode::Threshold);
    let mint_key = parse_address("mint", &body.mint)?;
    let treasury = state.keeper.treasury;
    let mint = match read::mint(&state.keeper.rpc, &mint_key).await {
        Ok(mint) => mint,
        Err(read::ReadError::NotFound { .. } | read::ReadError::Invalid { .. }) => {
            return Err(Problem::invalid("mint", format!("{mint_key} is not a mint on this cluster")))
        }
        Err(other) => return Err(other.into()),
    };
    let decimals = mint.decimals;
    let thresholds = parse_thresholds(&body.min, &body.target, &body.max, decimals)?;
    let period_cap = body.period_cap.as_ref().map(|cap| parse_amount("periodCap", cap, decimals)).transpose()?;
    let automation = AutomationSettings {
        cooldown_seconds: body.cooldown_seconds.unwrap_or(60),
        period_seconds: body.period_seconds.unwrap_or(86_400),
        period_cap: period_cap.unwrap_or(thresholds.max),
        forecast_band_bps: body.forecast_band_bps.unwrap_or(0),
    };
    rules::automation(&automation)?;
    let pool = pda::pool_pda(&treasury, body.pool_id);
    if read::program_account::<smart_treasury::state::Pool>(&state.keeper.rpc, "pool", &pool).await?.is_none() {
        return Err(Problem::invalid("poolId", format!("pool {} does not exist in treasury {treasury}", body.pool_id)));
    }
    let destination = match (body.destination_type, &body.venue) {
        (AccountType::AssetPool, None) => pda::vault_address(&pool, &mint.address, &mint.token_program),
        (AccountType::AssetPool, Some(_)) => {
            return Err(Problem::invalid("venue", "only a VENUE destination names a venue account"))
        }
        (AccountType::Venue, Some(text)) => parse_address("venue", text)?,
        (AccountType::Venue, None) => return Err(Problem::invalid("venue", "a VENUE destination needs `venue`")),
    };
    let field = if body.venue.is_some() { "venue" } else { "poolId" };
    match read::token_account(&state.keeper.rpc, &destination).await {
        Ok(account) if account.mint != mint.address => {
            return Err(Problem::invalid(
                field,
                format!("{destination} holds mint {}, not {}", account.mint, mint.address),
            ))
        }
        Ok(_) => {}
        Err(read::ReadError::NotFound { .. }) if body.venue.is_none() => {
            return Err(Problem::invalid(
                "poolId",
                format!("pool {} has no vault for mint {}: create the vault first", body.pool_id, mint.address),
            ))
        }
        Err(read::ReadError::NotFound { .. } | read::ReadError::Invalid { .. }) => {
            return Err(Problem::invalid(field, format!("{destination} is not a token account")))
        }
        Err(other) => return Err(other.into()),
    }
    let id = match body.id {
        Some(id) => id,
        None => next_id(&state).await?,
    };
    let address = pda::managed_balance_pda(&treasury, id);
    if read::account(&state.keeper.rpc, &address).await?.is_some() {
        return Err(Problem::conflict(format!("managed balance {id} already exists ({address}): pick another id")));
    }
    let authority = authority(&state).await?;
    let enabled = body.enabled.unwrap_or(true);
    let args = CreateManagedBalanceArgs {
        id,
        name: body.name.clone(),
        min: thresholds.min,
        target: thresholds.target,
        max: thresholds.max,
        mode,
        automation,
        enabled,
    };
    let mut instructions = vec![smart_treasury_client::ix::create_managed_balance(
        authority,
        authority,
        treasury,
        destination,
        pool,
        mint.address,
        mint.token_program,
        args,
    )];
    let mut effects = vec![format!(
        "create managed balance {id} \"{}\" on {destination}: min {} / target {} / max {}, {}",
        body.name,
        tokens(thresholds.min, decimals),
        tokens(thresholds.target, decimals),
        tokens(thresholds.max, decimals),
        if enabled { "automation on" } else { "automation off" }
    )];
    let mut sketch = funding_source::Sketch::new(destination, mint.address, decimals);
    for (index, source) in body.funding_sources.iter().flatten().enumerate() {
        let linked =
            funding_source::plan_link(&state, &mut sketch, source, &format!("fundingSources[{index}]")).await?;
        instructions.push(smart_treasury_client::ix::link_source(
            authority,
            treasury,
            address,
            linked.token_account,
            linked.pool,
            linked.args,
        ));
        effects.push(linked.effect);
    }
    let planned = Planned {
        summary: format!("create managed balance {id} \"{}\"", body.name),
        effects,
        instructions,
        signers: vec![(authority, "authority")],
    };
    apply(&state, &address, planned, &query).await
}

/// New thresholds; unset ones stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateThresholds {
    pub min: Option<AmountInput>,
    pub target: Option<AmountInput>,
    pub max: Option<AmountInput>,
    /// Refuse (409) unless the balance is still at this config version.
    pub expected_config_version: Option<u64>,
}

/// Changes min, target and max (min <= target <= max).
#[utoipa::path(
    patch, path = "/api/v1/managed-balance/{id}/thresholds", tag = "managed-balance", params(IdPath, ChangeQuery),
    request_body = UpdateThresholds,
    responses(
        (status = 200, description = "Applied: signed here and landed", body = ChangeResult),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The config version moved on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_thresholds(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
    ApiJson(body): ApiJson<UpdateThresholds>,
) -> ApiResult<ChangeResult> {
    let (address, current) = on_chain(&state, path.id).await?;
    check_version(body.expected_config_version, &current)?;
    let decimals = current.decimals;
    let keep = |input: &Option<AmountInput>, now: u64| input.clone().unwrap_or(AmountInput::BaseUnits(now));
    let thresholds = parse_thresholds(
        &keep(&body.min, current.min),
        &keep(&body.target, current.target),
        &keep(&body.max, current.max),
        decimals,
    )?;
    if thresholds == current.thresholds() {
        return Err(Problem::conflict(format!("{} already has these thresholds: nothing to change", label(&current))));
    }
    let authority = authority(&state).await?;
    let t = |units| tokens(units, decimals);
    let planned = Planned {
        summary: format!("set the thresholds of {}", label(&current)),
        effects: vec![format!(
            "min / target / max {} / {} / {} -> {} / {} / {}",
            t(current.min),
            t(current.target),
            t(current.max),
            t(thresholds.min),
            t(thresholds.target),
            t(thresholds.max)
        )],
        instructions: vec![
            smart_treasury_client::ix::expect_balance_version(state.keeper.treasury, address, current.config_version),
            smart_treasury_client::ix::update_thresholds(
                authority,
                state.keeper.treasury,
                address,
                thresholds.min,
                thresholds.target,
                thresholds.max,
            ),
        ],
        signers: vec![(authority, "authority")],
    };
    apply(&state, &address, planned, &query).await
}

/// New mode and automation limits; unset ones stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateSettings {
    pub mode: Option<Mode>,
    pub cooldown_seconds: Option<u32>,
    pub period_seconds: Option<u32>,
    pub period_cap: Option<AmountInput>,
    pub forecast_band_bps: Option<u16>,
    /// The highest Token-2022 transfer fee movements accept.
    pub accepted_transfer_fee: Option<TransferFeeInput>,
    /// Refuse (409) unless the balance is still at this config version.
    pub expected_config_version: Option<u64>,
}

/// A transfer fee limit as a client writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TransferFeeInput {
    /// 0 to 10,000.
    #[schema(maximum = 10000)]
    pub basis_points: u16,
    pub maximum_fee: AmountInput,
}

/// Changes the mode, cooldown, period cap, forecast band or accepted transfer fee.
#[utoipa::path(
    patch, path = "/api/v1/managed-balance/{id}/settings", tag = "managed-balance", params(IdPath, ChangeQuery),
    request_body = UpdateSettings,
    responses(
        (status = 200, description = "Applied: signed here and landed", body = ChangeResult),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The config version moved on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_settings(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
    ApiJson(body): ApiJson<UpdateSettings>,
) -> ApiResult<ChangeResult> {
    let (address, current) = on_chain(&state, path.id).await?;
    check_version(body.expected_config_version, &current)?;
    let mode = match &body.mode {
        Some(mode) => mode.to_program()?,
        None => current.mode,
    };
    let period_cap =
        body.period_cap.as_ref().map(|cap| parse_amount("periodCap", cap, current.decimals)).transpose()?;
    let automation = AutomationSettings {
        cooldown_seconds: body.cooldown_seconds.unwrap_or(current.automation.cooldown_seconds),
        period_seconds: body.period_seconds.unwrap_or(current.automation.period_seconds),
        period_cap: period_cap.unwrap_or(current.automation.period_cap),
        forecast_band_bps: body.forecast_band_bps.unwrap_or(current.automation.forecast_band_bps),
    };
    rules::automation(&automation)?;
    let fee = match &body.accepted_transfer_fee {
        Some(fee) => {
            if fee.basis_points > 10_000 {
                return Err(Problem::invalid("acceptedTransferFee.basisPoints", "0 to 10000"));
            }
            let maximum_fee = parse_amount("acceptedTransferFee.maximumFee", &fee.maximum_fee, current.decimals)?;
            TransferFeeLimit { basis_points: fee.basis_points, maximum_fee }
        }
        None => current.accepted_transfer_fee,
    };
    let settings_change = mode != current.mode || automation != current.automation;
    let fee_change = fee != current.accepted_transfer_fee;
    if !settings_change && !fee_change {
        return Err(Problem::conflict(format!("{} already has these settings: nothing to change", label(&current))));
    }
    let authority = authority(&state).await?;
    let treasury = state.keeper.treasury;
    let mut effects = Vec::new();
    let mut instructions =
        vec![smart_treasury_client::ix::expect_balance_version(treasury, address, current.config_version)];
    if settings_change {
        if mode != current.mode {
            effects.push(format!("mode {} -> {}", describe::mode_text(&current.mode), describe::mode_text(&mode)));
        }
        effects.extend(describe::automation_changes(&current.automation, &automation, current.decimals));
        instructions.push(smart_treasury_client::ix::update_settings(authority, treasury, address, mode, automation));
    }
    if fee_change {
        let before = current.accepted_transfer_fee;
        effects.push(format!(
            "accepted transfer fee {}% (at most {}) -> {}% (at most {})",
            describe::percent(before.basis_points),
            tokens(before.maximum_fee, current.decimals),
            describe::percent(fee.basis_points),
            tokens(fee.maximum_fee, current.decimals)
        ));
        instructions.push(smart_treasury_client::ix::set_accepted_transfer_fee(authority, treasury, address, fee));
    }
    let planned = Planned {
        summary: format!("change the settings of {}", label(&current)),
        effects,
        instructions,
        signers: vec![(authority, "authority")],
    };
    apply(&state, &address, planned, &query).await
}

async fn set_enabled(state: Arc<AppState>, id: u32, enabled: bool, query: ChangeQuery) -> ApiResult<ChangeResult> {
    let (address, current) = on_chain(&state, id).await?;
    let word = if enabled { "enable" } else { "disable" };
    if current.enabled == enabled {
        return Err(Problem::conflict(format!("{} is already {word}d: nothing to change", label(&current))));
    }
    let authority = authority(&state).await?;
    let planned = Planned {
        summary: format!("{word} {}", label(&current)),
        effects: vec![format!("automation {}", if enabled { "on" } else { "off" })],
        instructions: vec![
            smart_treasury_client::ix::expect_balance_version(state.keeper.treasury, address, current.config_version),
            smart_treasury_client::ix::set_enabled(authority, state.keeper.treasury, address, enabled),
        ],
        signers: vec![(authority, "authority")],
    };
    apply(&state, &address, planned, &query).await
}

/// Turns automation on.
#[utoipa::path(
    post, path = "/api/v1/managed-balance/{id}/enable", tag = "managed-balance", params(IdPath, ChangeQuery),
    responses(
        (status = 200, description = "Applied: signed here and landed", body = ChangeResult),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Already enabled", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn enable(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
) -> ApiResult<ChangeResult> {
    set_enabled(state, path.id, true, query).await
}

/// Turns automation off.
#[utoipa::path(
    post, path = "/api/v1/managed-balance/{id}/disable", tag = "managed-balance", params(IdPath, ChangeQuery),
    responses(
        (status = 200, description = "Applied: signed here and landed", body = ChangeResult),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Already disabled", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn disable(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
) -> ApiResult<ChangeResult> {
    set_enabled(state, path.id, false, query).await
}

/// Closes a managed balance (its account's rent goes back to the authority). The
/// destination account and its tokens are not touched.
#[utoipa::path(
    delete, path = "/api/v1/managed-balance/{id}", tag = "managed-balance", params(IdPath, ChangeQuery),
    responses(
        (status = 200, description = "Applied: signed here and landed", body = ChangeResult),
        (status = 404, description = "No managed balance has this id", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn close(
    State(state): State<Arc<AppState>>,
    ApiPath(path): ApiPath<IdPath>,
    ApiQuery(query): ApiQuery<ChangeQuery>,
) -> ApiResult<ChangeResult> {
    let (address, current) = on_chain(&state, path.id).await?;
    let authority = authority(&state).await?;
    let planned = Planned {
        summary: format!("close {}", label(&current)),
        effects: vec![format!(
            "stop managing {} (its tokens stay where they are); the account's rent returns to {authority}",
            current.destination
        )],
        instructions: vec![
            smart_treasury_client::ix::expect_balance_version(state.keeper.treasury, address, current.config_version),
            smart_treasury_client::ix::close_managed_balance(authority, state.keeper.treasury, address, authority),
        ],
        signers: vec![(authority, "authority")],
    };
    apply(&state, &address, planned, &query).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use smart_treasury_keeper::forecast::{BreachOutlook, Method};

    fn facts(expected_buckets: Option<f64>) -> ForecastFacts {
        let outlook = BreachOutlook {
            expected_buckets,
            pessimistic_buckets: Some(1.0),
            amount_needed: 90_926_986_723,
            breach_probability: 0.9,
        };
        ForecastFacts { method: Method::Daily, history_buckets: 48, made_at: 0, outlook: Some(outlook) }
    }

    #[test]
    fn a_predicted_top_up_is_what_it_moves_not_the_horizons_need() {
        let summary = forecast_summary(&facts(Some(2.0)), 3_000_000_000, 6, 3_600, 0);
        assert_eq!(summary.expected_top_up.map(|a| a.tokens), Some("3000".to_string()));
        assert_eq!(summary.amount_needed.map(|a| a.tokens), Some("90926.986723".to_string()));
        assert_eq!(summary.expected_breach_at.as_deref(), Some(rfc3339(7_200).as_str()));
    }

    #[test]
    fn no_expected_breach_no_predicted_top_up() {
        let summary = forecast_summary(&facts(None), 3_000_000_000, 6, 3_600, 0);
        assert!(summary.expected_top_up.is_none() && summary.expected_breach_at.is_none());
    }
}
