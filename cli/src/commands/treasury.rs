//! `treasury show`.

use crate::{context::Context, output};
use serde::Serialize;
use smart_treasury::state::{decode_name, CrankAccess};
use smart_treasury_client::read;
use std::io::Write;

#[derive(Serialize)]
pub struct TreasuryReport {
    pub address: String,
    pub authority: String,
    pub pending_authority: Option<String>,
    pub guardian: String,
    pub paused: bool,
    pub crank_access: &'static str,
    pub keepers: Vec<String>,
    pub config_version: u64,
    pub pools: Vec<PoolReport>,
    pub managed_balances: usize,
    pub spenders: Vec<SpenderReport>,
}

#[derive(Serialize)]
pub struct PoolReport {
    pub id: u16,
    pub name: String,
    pub address: String,
}

#[derive(Serialize)]
pub struct SpenderReport {
    pub spender: String,
    pub vault: String,
    pub enabled: bool,
    pub limit_per_period: u64,
    pub period_seconds: u32,
    pub spent_in_period: u64,
}

pub async fn show(ctx: &Context, out: &mut dyn Write) -> anyhow::Result<()> {
    let (address, treasury) = ctx.treasury().await?;
    let pools = read::pools(&ctx.rpc, &address).await?;
    let balances = read::managed_balances(&ctx.rpc, &address).await?;
    let spenders = read::spenders(&ctx.rpc, &address).await?;
    let report = TreasuryReport {
        address: address.to_string(),
        authority: treasury.authority.to_string(),
        pending_authority: treasury.pending_authority.map(|key| key.to_string()),
        guardian: treasury.guardian.to_string(),
        paused: treasury.paused,
        crank_access: match treasury.crank_access {
            CrankAccess::Permissionless => "permissionless",
            CrankAccess::AllowList => "allow-list",
        },
        keepers: treasury.active_keepers().iter().map(ToString::to_string).collect(),
        config_version: treasury.config_version,
        pools: pools
            .iter()
            .map(|(address, pool)| PoolReport {
                id: pool.pool_id,
                name: decode_name(&pool.name).to_string(),
                address: address.to_string(),
            })
            .collect(),
        managed_balances: balances.len(),
        spenders: spenders
            .iter()
            .map(|(_, s)| SpenderReport {
                spender: s.spender.to_string(),
                vault: s.vault.to_string(),
                enabled: s.enabled,
                limit_per_period: s.limit_per_period,
                period_seconds: s.period_seconds,
                spent_in_period: s.spent_in_period(unix_now()),
            })
            .collect(),
    };
    if ctx.global.json {
        return output::json(out, &report);
    }
    output::fields(
        out,
        &[
            ("treasury", report.address.clone()),
            ("authority", report.authority.clone()),
            ("pending authority", report.pending_authority.clone().unwrap_or_else(|| "-".into())),
            ("guardian", report.guardian.clone()),
            ("paused", if report.paused { "yes".into() } else { "no".into() }),
            ("crank access", report.crank_access.to_string()),
            ("keepers", if report.keepers.is_empty() { "-".into() } else { report.keepers.join(", ") }),
            ("config version", report.config_version.to_string()),
            ("managed balances", report.managed_balances.to_string()),
        ],
    )?;
    let mut table = output::Table::new(&["POOL", "NAME", "ADDRESS"]);
    for pool in &report.pools {
        table.row(vec![pool.id.to_string(), pool.name.clone(), pool.address.clone()]);
    }
    write!(out, "\n{}", table.render())?;
    if !report.spenders.is_empty() {
        let mut table = output::Table::new(&["SPENDER", "VAULT", "LIMIT", "PERIOD", "SPENT", "ENABLED"]);
        for s in &report.spenders {
            table.row(vec![
                s.spender.clone(),
                s.vault.clone(),
                s.limit_per_period.to_string(),
                format!("{}s", s.period_seconds),
                s.spent_in_period.to_string(),
                if s.enabled { "yes".into() } else { "no".into() },
            ]);
        }
        write!(out, "\n{}", table.render())?;
    }
    Ok(())
}

/// Unix seconds now: the local cluster's clock and real clusters' follow the wall clock.
fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64)
}
