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
    /// The vault's mint's decimals: the amounts here are base units.
    pub decimals: u8,
    pub limit_per_period: u64,
    pub period_seconds: u32,
    pub spent_in_period: u64,
}

pub async fn show(ctx: &Context, out: &mut dyn Write) -> anyhow::Result<()> {
    let (address, treasury) = ctx.treasury().await?;
    let pools = read::pools(&ctx.rpc, &address).await?;
    let balances = read::managed_balances(&ctx.rpc, &address).await?;
    let spenders = read::spenders(&ctx.rpc, &address).await?;
    let decimals = vault_decimals(ctx, spenders.iter().map(|(_, spender)| spender.vault).collect()).await?;
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
                decimals: decimals.get(&s.vault).copied().unwrap_or(0),
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
                ctx.show(s.limit_per_period, s.decimals),
                format!("{}s", s.period_seconds),
                ctx.show(s.spent_in_period, s.decimals),
                if s.enabled { "yes".into() } else { "no".into() },
            ]);
        }
        write!(out, "\n{}", table.render())?;
    }
    Ok(())
}

/// The decimals of each vault's mint.
async fn vault_decimals(
    ctx: &Context,
    mut vaults: Vec<anchor_lang::prelude::Pubkey>,
) -> anyhow::Result<std::collections::BTreeMap<anchor_lang::prelude::Pubkey, u8>> {
    vaults.sort();
    vaults.dedup();
    let accounts = read::token_accounts(&ctx.rpc, &vaults).await?;
    let mut by_mint = std::collections::BTreeMap::new();
    let mut decimals = std::collections::BTreeMap::new();
    for account in accounts.into_iter().flatten() {
        let mint_decimals = match by_mint.get(&account.mint) {
            Some(known) => *known,
            None => {
                let read = read::mint(&ctx.rpc, &account.mint).await?.decimals;
                by_mint.insert(account.mint, read);
                read
            }
        };
        decimals.insert(account.address, mint_decimals);
    }
    Ok(decimals)
}

/// Unix seconds now: the local cluster's clock and real clusters' follow the wall clock.
fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64)
}
