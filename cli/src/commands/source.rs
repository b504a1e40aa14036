//! `source link|unlink`.

use super::balance::{find, resolve_account};
use crate::{
    args::{SourceLinkArgs, SourceUnlinkArgs},
    context::{parse_pubkey, Context},
};
use anyhow::bail;
use smart_treasury::{constants::MAX_SOURCES, instructions::LinkSourceArgs, state::decode_name};
use smart_treasury_client::{ix, read, Change};
use std::io::Write;

pub async fn link(ctx: &Context, out: &mut dyn Write, args: &SourceLinkArgs) -> anyhow::Result<()> {
    let (treasury_address, treasury) = ctx.treasury().await?;
    let (address, managed) = find(ctx, &treasury_address, args.balance).await?;
    let label = format!("managed balance {} \"{}\"", managed.id, decode_name(&managed.name));
    let (account, pool) =
        resolve_account(&treasury_address, args.pool, args.venue.as_ref(), &managed.mint, &managed.token_program)?;
    if account == managed.destination {
        bail!("{account} is the destination of {label}: a source must be another account");
    }
    let linked = managed.linked_sources();
    if let Some(existing) = linked.iter().find(|source| source.token_account == account) {
        bail!(
            "{account} is already linked to {label} at priority {}: unlink it first to change its pool",
            existing.priority
        );
    }
    if let Some(existing) = linked.iter().find(|source| source.priority == args.priority) {
        bail!("--priority {} is taken by {} in {label}: pick a free priority", args.priority, existing.token_account);
    }
    if linked.len() >= MAX_SOURCES {
        bail!("{label} already links {MAX_SOURCES} sources, the most it can: unlink one first");
    }
    read::required::<smart_treasury::state::Pool>(&ctx.rpc, "pool", &pool).await?;
    let token = read::token_account(&ctx.rpc, &account).await?;
    if token.mint != managed.mint {
        bail!("{account} holds mint {}, but {label} keeps mint {}", token.mint, managed.mint);
    }
    let floor = ctx.amount("--floor", &args.floor, managed.decimals)?;
    let signer = ctx.signer_key(&treasury)?;
    let link_args = LinkSourceArgs {
        priority: args.priority,
        reserve_floor: floor,
        enabled: !args.disabled,
        returns_allowed: args.allow_returns,
    };
    let returns = if args.allow_returns { ", may take returned funds" } else { "" };
    let summary = format!(
        "link {account} to {label} at priority {}, floor {}{returns}",
        args.priority,
        ctx.show(floor, managed.decimals)
    );
    let change = Change::new(summary, ix::link_source(signer, treasury_address, address, account, pool, link_args));
    ctx.submit(out, &[(treasury.authority, "authority")], vec![change]).await
}

pub async fn unlink(ctx: &Context, out: &mut dyn Write, args: &SourceUnlinkArgs) -> anyhow::Result<()> {
    let account = parse_pubkey("--account", &args.account)?;
    let (treasury_address, treasury) = ctx.treasury().await?;
    let (address, managed) = find(ctx, &treasury_address, args.balance).await?;
    let label = format!("managed balance {} \"{}\"", managed.id, decode_name(&managed.name));
    if !managed.linked_sources().iter().any(|source| source.token_account == account) {
        bail!("{account} is not a source of {label}: `smart-treasury balance list` shows its sources");
    }
    let signer = ctx.signer_key(&treasury)?;
    let change = Change::new(
        format!("unlink {account} from {label}"),
        ix::unlink_source(signer, treasury_address, address, account),
    );
    ctx.submit(out, &[(treasury.authority, "authority")], vec![change]).await
}
