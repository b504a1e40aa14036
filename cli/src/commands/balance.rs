//! `balance list|create|update|enable|disable`.

use crate::{
    args::{BalanceCreateArgs, BalanceUpdateArgs, Mode, SettingsArgs},
    context::{nothing_to_change, parse_pubkey, Context},
    output, rules,
};
use anchor_lang::prelude::Pubkey;
use anyhow::bail;
use serde::Serialize;
use smart_treasury::{
    instructions::CreateManagedBalanceArgs,
    state::{AccountKind, AutomationSettings, BalanceMode, ManagedBalance},
};
use smart_treasury_client::{balance_statuses, ix, pda, read, BalanceStatus, Change};
use smart_treasury_policy::Thresholds;
use std::io::Write;

/// A broken rule as a flag error: `--min: ...`.
pub fn flag_error((field, message): rules::Violation) -> anyhow::Error {
    anyhow::anyhow!("--{}: {message}", field.replace('_', "-"))
}

#[derive(Serialize)]
pub struct SourceReport {
    pub priority: u8,
    pub token_account: String,
    pub pool: String,
    pub kind: &'static str,
    pub enabled: bool,
    pub balance: Option<u64>,
    pub reserve_floor: u64,
    pub allowance: Option<u64>,
    pub available: u64,
}

#[derive(Serialize)]
pub struct BalanceReport {
    pub id: u32,
    pub name: String,
    pub address: String,
    pub mint: String,
    /// The mint's decimals: the amounts here are base units.
    pub decimals: u8,
    pub destination: String,
    pub destination_kind: &'static str,
    pub balance: Option<u64>,
    pub min: u64,
    pub target: u64,
    pub max: u64,
    pub health_bps: u16,
    pub health: smart_treasury_client::HealthLevel,
    pub position: smart_treasury_client::BandPosition,
    pub mode: String,
    pub enabled: bool,
    pub config_version: u64,
    pub sources: Vec<SourceReport>,
}

fn kind(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::PoolVault => "vault",
        AccountKind::Venue => "venue",
    }
}

pub fn mode_text(mode: &BalanceMode) -> String {
    match mode {
        BalanceMode::Threshold => "threshold".into(),
        BalanceMode::Ratio { ratio_bps, band_bps } => format!("ratio {ratio_bps}/{band_bps} bps"),
    }
}

fn report(status: &BalanceStatus) -> BalanceReport {
    let m = &status.managed;
    BalanceReport {
        id: m.id,
        name: status.name().to_string(),
        address: status.address.to_string(),
        mint: m.mint.to_string(),
        decimals: m.decimals,
        destination: m.destination.to_string(),
        destination_kind: kind(m.destination_kind),
        balance: status.balance,
        min: m.min,
        target: m.target,
        max: m.max,
        health_bps: status.health.bps,
        health: status.health.level,
        position: status.position,
        mode: mode_text(&m.mode),
        enabled: m.enabled,
        config_version: m.config_version,
        sources: status
            .sources
            .iter()
            .map(|s| SourceReport {
                priority: s.source.priority,
                token_account: s.source.token_account.to_string(),
                pool: s.source.pool.to_string(),
                kind: kind(s.source.kind),
                enabled: s.source.enabled,
                balance: s.balance,
                reserve_floor: s.source.reserve_floor,
                allowance: s.allowance,
                available: s.available,
            })
            .collect(),
    }
}

pub async fn list(ctx: &Context, out: &mut dyn Write) -> anyhow::Result<()> {
    let (address, _) = ctx.treasury().await?;
    let reports: Vec<BalanceReport> = balance_statuses(&ctx.rpc, &address).await?.iter().map(report).collect();
    if ctx.global.json {
        return output::json(out, &reports);
    }
    if reports.is_empty() {
        writeln!(out, "no managed balances in treasury {address}")?;
        return Ok(());
    }
    let mut table = output::Table::new(&[
        "ID", "NAME", "BALANCE", "MIN", "TARGET", "MAX", "HEALTH", "BAND", "MODE", "AUTO", "SOURCES",
    ]);
    for r in &reports {
        let health = smart_treasury_client::Health { bps: r.health_bps, level: r.health };
        let show = |units: u64| ctx.show(units, r.decimals);
        table.row(vec![
            r.id.to_string(),
            r.name.clone(),
            r.balance.map_or_else(|| "missing".into(), show),
            show(r.min),
            show(r.target),
            show(r.max),
            format!("{} {}", health.percent(), serde_plain(&r.health)),
            serde_plain(&r.position),
            r.mode.clone(),
            if r.enabled { "on".into() } else { "off".into() },
            r.sources.len().to_string(),
        ]);
    }
    write!(out, "{}", table.render())?;
    for r in reports.iter().filter(|r| !r.sources.is_empty()) {
        let mut sources = output::Table::new(&[
            "  PRIORITY",
            "SOURCE",
            "KIND",
            "BALANCE",
            "FLOOR",
            "ALLOWANCE",
            "AVAILABLE",
            "ENABLED",
        ]);
        let show = |units: u64| ctx.show(units, r.decimals);
        for s in &r.sources {
            sources.row(vec![
                format!("  {}", s.priority),
                s.token_account.clone(),
                s.kind.to_string(),
                s.balance.map_or_else(|| "missing".into(), show),
                show(s.reserve_floor),
                s.allowance.map_or_else(|| "all".into(), show),
                show(s.available),
                if s.enabled { "yes".into() } else { "no".into() },
            ]);
        }
        write!(out, "\nsources of {} \"{}\":\n{}", r.id, r.name, sources.render())?;
    }
    Ok(())
}

/// `Healthy` -> `healthy`, as the JSON has it.
fn serde_plain(value: &impl Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// The mode the flags ask for, on top of `current`.
fn mode_from(settings: &SettingsArgs, current: BalanceMode) -> anyhow::Result<BalanceMode> {
    let (current_ratio, current_band) = match current {
        BalanceMode::Ratio { ratio_bps, band_bps } => (Some(ratio_bps), Some(band_bps)),
        BalanceMode::Threshold => (None, None),
    };
    let wants_ratio = match settings.mode {
        Some(Mode::Ratio) => true,
        Some(Mode::Threshold) => false,
        None => matches!(current, BalanceMode::Ratio { .. }),
    };
    if !wants_ratio {
        if settings.ratio_bps.is_some() || settings.band_bps.is_some() {
            bail!("--ratio-bps and --band-bps apply only with --mode ratio");
        }
        return Ok(BalanceMode::Threshold);
    }
    let (Some(ratio_bps), Some(band_bps)) = (settings.ratio_bps.or(current_ratio), settings.band_bps.or(current_band))
    else {
        bail!("--mode ratio needs --ratio-bps and --band-bps");
    };
    rules::ratio(ratio_bps, band_bps).map_err(flag_error)?;
    Ok(BalanceMode::Ratio { ratio_bps, band_bps })
}

fn automation_from(
    ctx: &Context,
    settings: &SettingsArgs,
    current: AutomationSettings,
    decimals: u8,
) -> anyhow::Result<AutomationSettings> {
    let period_cap =
        settings.period_cap.as_deref().map(|text| ctx.amount("--period-cap", text, decimals)).transpose()?;
    let automation = AutomationSettings {
        cooldown_seconds: settings.cooldown_seconds.unwrap_or(current.cooldown_seconds),
        period_seconds: settings.period_seconds.unwrap_or(current.period_seconds),
        period_cap: period_cap.unwrap_or(current.period_cap),
        forecast_band_bps: settings.forecast_band_bps.unwrap_or(current.forecast_band_bps),
    };
    if let Some(violation) = rules::automation(&automation).into_iter().next() {
        return Err(flag_error(violation));
    }
    Ok(automation)
}

/// The token account and pool an operator names with `--pool` and maybe `--venue`.
pub fn resolve_account(
    treasury: &Pubkey,
    pool_id: u16,
    venue: Option<&String>,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> anyhow::Result<(Pubkey, Pubkey)> {
    let pool = pda::pool_pda(treasury, pool_id);
    let account = match venue {
        Some(text) => parse_pubkey("--venue", text)?,
        None => pda::vault_address(&pool, mint, token_program),
    };
    Ok((account, pool))
}

pub async fn create(ctx: &Context, out: &mut dyn Write, args: &BalanceCreateArgs) -> anyhow::Result<()> {
    rules::name("name", &args.name).map_err(flag_error)?;
    let mint_key = parse_pubkey("--mint", &args.mint)?;
    let (treasury_address, treasury) = ctx.treasury().await?;
    let mint = read::mint(&ctx.rpc, &mint_key).await?;
    let decimals = mint.decimals;
    let thresholds = Thresholds {
        min: ctx.amount("--min", &args.min, decimals)?,
        target: ctx.amount("--target", &args.target, decimals)?,
        max: ctx.amount("--max", &args.max, decimals)?,
    };
    rules::thresholds(&thresholds).map_err(flag_error)?;
    let mode = mode_from(&args.settings, BalanceMode::Threshold)?;
    let defaults = AutomationSettings {
        cooldown_seconds: 60,
        period_seconds: 86_400,
        period_cap: thresholds.max,
        forecast_band_bps: 0,
    };
    let automation = automation_from(ctx, &args.settings, defaults, decimals)?;
    let (destination, destination_pool) =
        resolve_account(&treasury_address, args.pool, args.venue.as_ref(), &mint.address, &mint.token_program)?;
    read::required::<smart_treasury::state::Pool>(&ctx.rpc, "pool", &destination_pool).await?;
    let account = read::token_account(&ctx.rpc, &destination).await?;
    if account.mint != mint.address {
        bail!("{destination} holds mint {}, not --mint {}", account.mint, mint.address);
    }
    let address = pda::managed_balance_pda(&treasury_address, args.id);
    if read::account(&ctx.rpc, &address).await?.is_some() {
        bail!("managed balance {} already exists ({address}): pick another --id, or use `balance update`", args.id);
    }
    let signer = ctx.signer_key(&treasury)?;
    let create_args = CreateManagedBalanceArgs {
        id: args.id,
        name: args.name.clone(),
        min: thresholds.min,
        target: thresholds.target,
        max: thresholds.max,
        mode,
        automation,
        enabled: !args.disabled,
    };
    let ix = ix::create_managed_balance(
        signer,
        signer,
        treasury_address,
        destination,
        destination_pool,
        mint.address,
        mint.token_program,
        create_args,
    );
    let summary = format!("create managed balance {} \"{}\" on {destination}", args.id, args.name);
    ctx.submit(out, &[(treasury.authority, "authority")], vec![Change::new(summary, ix)]).await
}

/// A managed balance of the treasury by id, with a hint when it does not exist.
pub async fn find(ctx: &Context, treasury: &Pubkey, id: u32) -> anyhow::Result<(Pubkey, ManagedBalance)> {
    let address = pda::managed_balance_pda(treasury, id);
    match read::program_account::<ManagedBalance>(&ctx.rpc, "managed balance", &address).await? {
        Some(managed) => Ok((address, managed)),
        None => bail!(
            "managed balance {id} not found in treasury {treasury} on {}: `smart-treasury balance list` shows the ids",
            read::shown_url(&ctx.rpc)
        ),
    }
}

pub async fn update(ctx: &Context, out: &mut dyn Write, args: &BalanceUpdateArgs) -> anyhow::Result<()> {
    let (treasury_address, treasury) = ctx.treasury().await?;
    let (address, current) = find(ctx, &treasury_address, args.id).await?;
    let decimals = current.decimals;
    let given = |flag: &str, text: &Option<String>, now: u64| match text {
        Some(text) => ctx.amount(flag, text, decimals),
        None => Ok(now),
    };
    let thresholds = Thresholds {
        min: given("--min", &args.min, current.min)?,
        target: given("--target", &args.target, current.target)?,
        max: given("--max", &args.max, current.max)?,
    };
    rules::thresholds(&thresholds).map_err(flag_error)?;
    let mode = mode_from(&args.settings, current.mode)?;
    let automation = automation_from(ctx, &args.settings, current.automation, decimals)?;
    let signer = ctx.signer_key(&treasury)?;
    let label = format!("managed balance {} \"{}\"", args.id, smart_treasury::state::decode_name(&current.name));
    let mut changes = Vec::new();
    if thresholds != current.thresholds() {
        let show = |units: u64| ctx.show(units, decimals);
        let summary = format!(
            "update {label}: min / target / max {} / {} / {} -> {} / {} / {}",
            show(current.min),
            show(current.target),
            show(current.max),
            show(thresholds.min),
            show(thresholds.target),
            show(thresholds.max)
        );
        let ix =
            ix::update_thresholds(signer, treasury_address, address, thresholds.min, thresholds.target, thresholds.max);
        changes.push(Change::new(summary, ix));
    }
    if mode != current.mode || automation != current.automation {
        let summary = format!("update {label}: mode {}, automation {:?}", mode_text(&mode), automation);
        changes.push(Change::new(summary, ix::update_settings(signer, treasury_address, address, mode, automation)));
    }
    if changes.is_empty() {
        let note = format!("{label} already has these settings: nothing to change");
        return nothing_to_change(out, ctx.global.json, ctx.global.export, &note);
    }
    ctx.submit(out, &[(treasury.authority, "authority")], changes).await
}

pub async fn set_enabled(ctx: &Context, out: &mut dyn Write, id: u32, enabled: bool) -> anyhow::Result<()> {
    let (treasury_address, treasury) = ctx.treasury().await?;
    let (address, current) = find(ctx, &treasury_address, id).await?;
    let word = if enabled { "enabled" } else { "disabled" };
    let label = format!("managed balance {id} \"{}\"", smart_treasury::state::decode_name(&current.name));
    if current.enabled == enabled {
        let note = format!("{label} is already {word}: nothing to change");
        return nothing_to_change(out, ctx.global.json, ctx.global.export, &note);
    }
    let signer = ctx.signer_key(&treasury)?;
    let change = Change::new(
        format!("{} {label}", &word[..word.len() - 1]),
        ix::set_enabled(signer, treasury_address, address, enabled),
    );
    ctx.submit(out, &[(treasury.authority, "authority")], vec![change]).await
}
