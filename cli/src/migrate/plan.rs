//! The diff between the declared treasury and the chain: the ordered steps that make
//! the chain match the file (a pure function, so it is tested without a cluster), and
//! notes on what the file leaves alone.

use super::{
    chain::ChainState,
    declared::{Declared, DeclaredBalance, Endpoint, FieldError},
    locate::FieldPath,
    sources::{source_steps, WantedSource},
    step::*,
};
use anchor_lang::prelude::Pubkey;
use serde::Serialize;
use smart_treasury::{
    instructions::{CreateManagedBalanceArgs, CreateTreasuryArgs},
    state::{decode_name, ManagedBalance, TransferFeeLimit},
};
use smart_treasury_client::pda;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    #[serde(serialize_with = "as_string")]
    pub treasury: Pubkey,
    /// Who signs every step: the authority on chain, or the declared one for a new treasury.
    #[serde(serialize_with = "as_string")]
    pub authority: Pubkey,
    pub creates_treasury: bool,
    pub steps: Vec<Step>,
    pub notes: Vec<String>,
}

fn as_string<S: serde::Serializer>(key: &Pubkey, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(key)
}

/// Builds the plan, or every problem that stops it, each at its field of the file.
pub fn plan(declared: &Declared, chain: &ChainState) -> Result<Plan, Vec<FieldError>> {
    let mut errors = Vec::new();
    check_mints(declared, chain, &mut errors);
    check_venues(declared, chain, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let treasury = pda::treasury_pda(&declared.treasury.create_key);
    let mut plan = Plan {
        treasury,
        authority: chain.treasury.as_ref().map_or(declared.treasury.authority, |t| t.authority),
        creates_treasury: chain.treasury.is_none(),
        steps: Vec::new(),
        notes: Vec::new(),
    };
    treasury_steps(declared, chain, &mut plan);
    pool_steps(declared, chain, &mut plan, &mut errors);
    for balance in &declared.balances {
        balance_steps(chain, balance, &mut plan, &mut errors);
    }
    let declared_ids: BTreeSet<u32> = declared.balances.iter().map(|b| b.id).collect();
    for (id, (_, managed)) in chain.balances.iter().filter(|(id, _)| !declared_ids.contains(id)) {
        plan.notes.push(format!(
            "{} is on chain but not in the file: left alone",
            balance_label(*id, decode_name(&managed.name))
        ));
    }
    spender_steps(declared, chain, &mut plan);
    authority_step(declared, chain, &mut plan);
    guard_steps(chain, &mut plan);
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// Gives each change to an existing treasury or managed balance the config version it
/// will meet, counting the plan's own earlier changes: its transaction checks it first.
fn guard_steps(chain: &ChainState, plan: &mut Plan) {
    let mut treasury_version = chain.treasury.as_ref().map(|treasury| treasury.config_version);
    let mut balance_versions: BTreeMap<Pubkey, u64> =
        chain.balances.values().map(|(address, managed)| (*address, managed.config_version)).collect();
    for step in &mut plan.steps {
        if step.kind.changes_treasury() {
            if let Some(version) = treasury_version.as_mut() {
                step.guard = Some(Guard::Treasury(*version));
                *version += 1;
            }
        } else if let Some(address) = step.kind.changed_balance() {
            if let Some(version) = balance_versions.get_mut(&address) {
                step.guard = Some(Guard::Balance { managed_balance: address, version: *version });
                *version += 1;
            }
        }
    }
}

fn mint_paths(declared: &Declared) -> Vec<(FieldPath, Pubkey)> {
    let mut paths = Vec::new();
    for pool in &declared.pools {
        for (i, mint) in pool.mints.iter().enumerate() {
            paths.push((FieldPath::root("pools").index(pool.index).key("mints").index(i), *mint));
        }
    }
    for balance in &declared.balances {
        paths.push((FieldPath::root("managed_balances").index(balance.index).key("mint"), balance.mint));
    }
    for spender in &declared.spenders {
        paths.push((FieldPath::root("spenders").index(spender.index).key("mint"), spender.mint));
    }
    paths
}

fn check_mints(declared: &Declared, chain: &ChainState, errors: &mut Vec<FieldError>) {
    for (path, mint) in mint_paths(declared) {
        if chain.token_program(&mint).is_none() {
            errors.push(FieldError::new(
                path,
                format!("mint {mint} does not exist on this cluster: check the address and --url"),
            ));
        }
    }
}

/// Every venue a balance names must be a token account of the balance's mint.
fn check_venues(declared: &Declared, chain: &ChainState, errors: &mut Vec<FieldError>) {
    for balance in &declared.balances {
        let base = FieldPath::root("managed_balances").index(balance.index);
        let endpoints = std::iter::once((base.key("destination"), &balance.destination))
            .chain(balance.sources.iter().map(|s| (base.key("sources").index(s.index), &s.endpoint)));
        for (path, endpoint) in endpoints {
            let Endpoint::Venue { account, .. } = endpoint else { continue };
            match chain.token_accounts.get(account).copied().flatten() {
                None => errors.push(FieldError::new(
                    path.key("venue"),
                    format!("token account {account} does not exist on this cluster: create it first"),
                )),
                Some(found) if found.mint != balance.mint => errors.push(FieldError::new(
                    path.key("venue"),
                    format!(
                        "token account {account} holds mint {}, not this balance's mint {}",
                        found.mint, balance.mint
                    ),
                )),
                Some(_) => {}
            }
        }
    }
}

fn treasury_steps(declared: &Declared, chain: &ChainState, plan: &mut Plan) {
    let wanted = &declared.treasury;
    let Some(current) = &chain.treasury else {
        let args = CreateTreasuryArgs {
            authority: wanted.authority,
            guardian: wanted.guardian,
            crank_access: wanted.crank_access,
            keepers: wanted.keepers.clone(),
        };
        let detail = format!(
            "authority {}, guardian {}, {}",
            wanted.authority,
            wanted.guardian,
            describe_crank_access(&wanted.crank_access, &wanted.keepers)
        );
        plan.steps.push(Step::new(
            "create",
            format!("treasury {}", plan.treasury),
            detail,
            StepKind::CreateTreasury { args },
        ));
        return;
    };
    if current.guardian != wanted.guardian {
        let detail = format!("guardian {} -> {}", current.guardian, wanted.guardian);
        plan.steps.push(Step::new("update", "treasury", detail, StepKind::SetGuardian { guardian: wanted.guardian }));
    }
    let current_keepers: BTreeSet<Pubkey> = current.active_keepers().iter().copied().collect();
    let wanted_keepers: BTreeSet<Pubkey> = wanted.keepers.iter().copied().collect();
    if current.crank_access != wanted.crank_access || current_keepers != wanted_keepers {
        let detail = format!(
            "crank access {} -> {}",
            describe_crank_access(&current.crank_access, current.active_keepers()),
            describe_crank_access(&wanted.crank_access, &wanted.keepers)
        );
        let kind = StepKind::SetCrankAccess { crank_access: wanted.crank_access, keepers: wanted.keepers.clone() };
        plan.steps.push(Step::new("update", "treasury", detail, kind));
    }
}

/// Last, because every other step is signed by the current authority.
fn authority_step(declared: &Declared, chain: &ChainState, plan: &mut Plan) {
    let Some(current) = &chain.treasury else { return };
    let wanted = declared.treasury.authority;
    if current.authority == wanted {
        return;
    }
    if current.pending_authority == Some(wanted) {
        plan.notes
            .push(format!("authority handover to {wanted} is pending: it takes over once it signs accept_authority"));
        return;
    }
    let detail = format!("propose {} -> {wanted}; it takes over once it signs accept_authority", current.authority);
    plan.steps.push(Step::new("update", "treasury authority", detail, StepKind::ProposeAuthority { proposed: wanted }));
}

fn pool_steps(declared: &Declared, chain: &ChainState, plan: &mut Plan, errors: &mut Vec<FieldError>) {
    for pool in &declared.pools {
        let address = pda::pool_pda(&plan.treasury, pool.id);
        match chain.pools.get(&pool.id) {
            Some(existing) if decode_name(&existing.name) != pool.name => errors.push(FieldError::new(
                FieldPath::root("pools").index(pool.index).key("name"),
                format!(
                    "pool {} is named \"{}\" on chain and a pool's name cannot change: write that name here",
                    pool.id,
                    decode_name(&existing.name)
                ),
            )),
            Some(_) => {}
            None => plan.steps.push(Step::new(
                "create",
                pool_label(pool.id, &pool.name),
                format!("address {address}"),
                StepKind::CreatePool { pool_id: pool.id, name: pool.name.clone() },
            )),
        }
        for mint in &pool.mints {
            let Some(token_program) = chain.token_program(mint) else { continue };
            let vault = pda::vault_address(&address, mint, &token_program);
            if chain.token_accounts.get(&vault).copied().flatten().is_none() {
                plan.steps.push(Step::new(
                    "create",
                    format!("vault of {} for mint {mint}", pool_label(pool.id, &pool.name)),
                    format!("address {vault}"),
                    StepKind::CreateVault { pool: address, mint: *mint, token_program },
                ));
            }
        }
    }
}

fn endpoint_label(endpoint: &Endpoint) -> String {
    match endpoint {
        Endpoint::Vault { pool } => format!("vault of pool {pool}"),
        Endpoint::Venue { pool, account } => format!("venue {account} via pool {pool}"),
    }
}

fn balance_steps(chain: &ChainState, balance: &DeclaredBalance, plan: &mut Plan, errors: &mut Vec<FieldError>) {
    let treasury = plan.treasury;
    let path = FieldPath::root("managed_balances").index(balance.index);
    let Some(token_program) = chain.token_program(&balance.mint) else { return };
    let Some((destination, destination_pool)) = chain.resolve(&treasury, &balance.destination, &balance.mint) else {
        return;
    };
    let decimals = chain.decimals(&balance.mint);
    let amount = |base_units| tokens(base_units, decimals);
    let wanted: Vec<WantedSource> = balance
        .sources
        .iter()
        .filter_map(|source| {
            let (token_account, pool) = chain.resolve(&treasury, &source.endpoint, &balance.mint)?;
            Some(WantedSource {
                token_account,
                pool,
                label: endpoint_label(&source.endpoint),
                priority: source.priority,
                reserve_floor: source.reserve_floor,
                decimals,
                enabled: source.enabled,
                returns_allowed: source.returns_allowed,
            })
        })
        .collect();
    let object = balance_label(balance.id, &balance.name);
    let address = pda::managed_balance_pda(&treasury, balance.id);
    let t = &balance.thresholds;

    let Some((_, current)) = chain.balances.get(&balance.id) else {
        let args = CreateManagedBalanceArgs {
            id: balance.id,
            name: balance.name.clone(),
            min: t.min,
            target: t.target,
            max: t.max,
            mode: balance.mode,
            automation: balance.automation,
            enabled: balance.enabled,
        };
        let detail = format!(
            "{} of mint {}, min {} / target {} / max {}, {}{}",
            endpoint_label(&balance.destination),
            balance.mint,
            amount(t.min),
            amount(t.target),
            amount(t.max),
            describe_mode(&balance.mode),
            if balance.enabled { "" } else { ", disabled" }
        );
        let kind = StepKind::CreateBalance { destination, destination_pool, mint: balance.mint, token_program, args };
        plan.steps.push(Step::new("create", object.clone(), detail, kind));
        if let Some(accepted) = balance.accepted_transfer_fee {
            plan.steps.push(accepted_fee_step(&object, address, accepted, None, decimals));
        }
        plan.steps.extend(source_steps(&object, address, &[], &wanted));
        return;
    };

    if !immutable_fields_match(current, balance, destination, destination_pool, &path, errors) {
        return;
    }
    if current.thresholds() != *t {
        let detail = format!(
            "min / target / max {} / {} / {} -> {} / {} / {}",
            amount(current.min),
            amount(current.target),
            amount(current.max),
            amount(t.min),
            amount(t.target),
            amount(t.max)
        );
        let kind = StepKind::UpdateThresholds { managed_balance: address, min: t.min, target: t.target, max: t.max };
        plan.steps.push(Step::new("update", object.clone(), detail, kind));
    }
    if current.mode != balance.mode || current.automation != balance.automation {
        let mut parts = Vec::new();
        if current.mode != balance.mode {
            parts.push(format!("mode {} -> {}", describe_mode(&current.mode), describe_mode(&balance.mode)));
        }
        if current.automation != balance.automation {
            parts.push(format!(
                "automation {} -> {}",
                describe_automation(&current.automation, decimals),
                describe_automation(&balance.automation, decimals)
            ));
        }
        let kind =
            StepKind::UpdateSettings { managed_balance: address, mode: balance.mode, automation: balance.automation };
        plan.steps.push(Step::new("update", object.clone(), parts.join("; "), kind));
    }
    if current.enabled != balance.enabled {
        let detail = if balance.enabled { "enable automation" } else { "disable automation" };
        let kind = StepKind::SetEnabled { managed_balance: address, enabled: balance.enabled };
        plan.steps.push(Step::new("update", object.clone(), detail, kind));
    }
    if let Some(accepted) = balance.accepted_transfer_fee.filter(|fee| *fee != current.accepted_transfer_fee) {
        plan.steps.push(accepted_fee_step(&object, address, accepted, Some(current.accepted_transfer_fee), decimals));
    }
    plan.steps.extend(source_steps(&object, address, current.linked_sources(), &wanted));
}

fn describe_fee(fee: &TransferFeeLimit, decimals: u8) -> String {
    format!("{} bps, at most {}", fee.basis_points, tokens(fee.maximum_fee, decimals))
}

fn accepted_fee_step(
    object: &str,
    managed_balance: Pubkey,
    accepted: TransferFeeLimit,
    current: Option<TransferFeeLimit>,
    decimals: u8,
) -> Step {
    let describe = |fee: &TransferFeeLimit| describe_fee(fee, decimals);
    let detail = match current {
        Some(current) => format!("accepted transfer fee {} -> {}", describe(&current), describe(&accepted)),
        None => format!("accepted transfer fee {}", describe(&accepted)),
    };
    Step::new("update", object, detail, StepKind::SetAcceptedTransferFee { managed_balance, accepted })
}

/// Name, mint and destination are fixed at creation: a difference is an error that
/// says so, never a silent skip.
fn immutable_fields_match(
    current: &ManagedBalance,
    balance: &DeclaredBalance,
    destination: Pubkey,
    destination_pool: Pubkey,
    path: &FieldPath,
    errors: &mut Vec<FieldError>,
) -> bool {
    let before = errors.len();
    let fixed = "is fixed when a managed balance is created: keep it, or close the balance and declare a new id";
    if decode_name(&current.name) != balance.name {
        errors.push(FieldError::new(
            path.key("name"),
            format!(
                "managed balance {} is named \"{}\" on chain; the name {fixed}",
                balance.id,
                decode_name(&current.name)
            ),
        ));
    }
    if current.mint != balance.mint {
        errors.push(FieldError::new(
            path.key("mint"),
            format!("managed balance {} holds mint {} on chain; the mint {fixed}", balance.id, current.mint),
        ));
    }
    if current.destination != destination || current.destination_pool != destination_pool {
        errors.push(FieldError::new(
            path.key("destination"),
            format!(
                "managed balance {} keeps {} (pool {}) on chain; the destination {fixed}",
                balance.id, current.destination, current.destination_pool
            ),
        ));
    }
    errors.len() == before
}

fn spender_steps(declared: &Declared, chain: &ChainState, plan: &mut Plan) {
    let mut declared_accounts = BTreeSet::new();
    for spender in &declared.spenders {
        let Some(token_program) = chain.token_program(&spender.mint) else { continue };
        let pool = pda::pool_pda(&plan.treasury, spender.pool);
        let vault = pda::vault_address(&pool, &spender.mint, &token_program);
        let account = spender_account(&vault, &spender.spender);
        declared_accounts.insert(account);
        let object = spender_label(&spender.spender, &vault);
        let wanted = spender.limits;
        let amount = |base_units| tokens(base_units, chain.decimals(&spender.mint));
        let state = if wanted.enabled { "enabled" } else { "disabled" };
        match chain.spenders.get(&account) {
            None => plan.steps.push(Step::new(
                "create",
                object,
                format!("limit {} per {}s, {state}", amount(wanted.limit_per_period), wanted.period_seconds),
                StepKind::AddSpender { pool, vault, spender: spender.spender, limits: wanted },
            )),
            Some(current)
                if (current.enabled, current.limit_per_period, current.period_seconds)
                    != (wanted.enabled, wanted.limit_per_period, wanted.period_seconds) =>
            {
                let detail = format!(
                    "limit {} per {}s -> {} per {}s, {state}",
                    amount(current.limit_per_period),
                    current.period_seconds,
                    amount(wanted.limit_per_period),
                    wanted.period_seconds
                );
                plan.steps.push(Step::new(
                    "update",
                    object,
                    detail,
                    StepKind::UpdateSpender { spender_account: account, limits: wanted },
                ));
            }
            Some(_) => {}
        }
    }
    for (account, spender) in chain.spenders.iter().filter(|(account, _)| !declared_accounts.contains(account)) {
        plan.notes.push(format!(
            "{} ({account}) is on chain but not in the file: left alone",
            spender_label(&spender.spender, &spender.vault)
        ));
    }
}
