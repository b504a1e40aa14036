//! `top-up`: the authority's manual adjustment of a managed balance.

use super::balance::find;
use crate::{args::TopUpArgs, context::Context};
use anyhow::bail;
use smart_treasury::state::decode_name;
use smart_treasury_client::{
    ix::{self, BalanceAccounts},
    Change,
};
use std::io::Write;

pub async fn top_up(ctx: &Context, out: &mut dyn Write, args: &TopUpArgs) -> anyhow::Result<()> {
    let (treasury_address, treasury) = ctx.treasury().await?;
    let (address, managed) = find(ctx, &treasury_address, args.balance).await?;
    let label = format!("managed balance {} \"{}\"", managed.id, decode_name(&managed.name));
    // Every enabled source in priority order, as the program wants them.
    let sources: Vec<_> = managed.enabled_sources().map(|source| (source.token_account, source.pool)).collect();
    if sources.is_empty() {
        bail!("{label} has no enabled funding source to draw from: link one with `smart-treasury source link`");
    }
    let signer = ctx.signer_key(&treasury)?;
    let accounts = BalanceAccounts {
        treasury: treasury_address,
        managed_balance: address,
        destination: managed.destination,
        destination_pool: managed.destination_pool,
        mint: managed.mint,
        token_program: managed.token_program,
    };
    let amount = ctx.amount("--amount", &args.amount, managed.decimals)?;
    if amount == 0 {
        bail!("--amount must be above 0");
    }
    let summary = format!(
        "top up {label} by {} (capped at max {})",
        ctx.show(amount, managed.decimals),
        ctx.show(managed.max, managed.decimals)
    );
    let change = Change::new(summary, ix::adjust_balance(signer, accounts, amount, &sources));
    ctx.submit(out, &[(treasury.authority, "authority")], vec![change]).await
}
