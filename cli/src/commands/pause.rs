//! `pause` and `unpause`.

use crate::context::{nothing_to_change, Context};
use smart_treasury_client::{ix, Change};
use std::io::Write;

pub async fn pause(ctx: &Context, out: &mut dyn Write) -> anyhow::Result<()> {
    let (address, treasury) = ctx.treasury().await?;
    if treasury.paused {
        let note = format!("treasury {address} is already paused: nothing to change");
        return nothing_to_change(out, ctx.global.json, ctx.global.export, &note);
    }
    let signer = ctx.signer_key(&treasury)?;
    let change = Change::new(format!("pause treasury {address}"), ix::pause(signer, address));
    let allowed = [(treasury.authority, "authority"), (treasury.guardian, "guardian")];
    ctx.submit(out, &allowed, vec![change]).await
}

pub async fn unpause(ctx: &Context, out: &mut dyn Write) -> anyhow::Result<()> {
    let (address, treasury) = ctx.treasury().await?;
    if !treasury.paused {
        let note = format!("treasury {address} is not paused: nothing to change");
        return nothing_to_change(out, ctx.global.json, ctx.global.export, &note);
    }
    let signer = ctx.signer_key(&treasury)?;
    let change = Change::new(format!("unpause treasury {address}"), ix::unpause(signer, address));
    ctx.submit(out, &[(treasury.authority, "authority")], vec![change]).await
}
