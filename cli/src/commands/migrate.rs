//! `migrate plan|apply|export`.

use crate::{
    args::{MigrateArgs, MigrateExportArgs},
    context::{print_exported, print_sent, Context},
    migrate::{self, Plan},
    output,
};
use anyhow::{bail, Context as _};
use smart_treasury_client::{keypair, tx};
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::io::Write;

fn print_plan(out: &mut dyn Write, plan: &Plan) -> anyhow::Result<()> {
    writeln!(out, "treasury   {}", plan.treasury)?;
    writeln!(out, "authority  {}", plan.authority)?;
    if plan.steps.is_empty() {
        writeln!(out, "\nno changes: the chain matches the file")?;
    } else {
        let mut table = output::Table::new(&["#", "ACTION", "OBJECT", "CHANGE"]);
        for (index, step) in plan.steps.iter().enumerate() {
            table.row(vec![(index + 1).to_string(), step.action.to_string(), step.object.clone(), step.detail.clone()]);
        }
        writeln!(out, "\n{} change(s), applied in this order:\n{}", plan.steps.len(), table.render().trim_end())?;
    }
    for note in &plan.notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
}

fn create_key(args: &MigrateArgs) -> anyhow::Result<Option<Keypair>> {
    args.create_key
        .as_deref()
        .map(|path| keypair::load_keypair(path, "--create-key FILE"))
        .transpose()
        .map_err(Into::into)
}

pub async fn plan(ctx: &Context, out: &mut dyn Write, args: &MigrateArgs) -> anyhow::Result<()> {
    let (_, plan) = migrate::prepare(&ctx.rpc, &args.file).await?;
    if ctx.global.json {
        return output::json(out, &plan);
    }
    print_plan(out, &plan)
}

pub async fn apply(ctx: &Context, out: &mut dyn Write, args: &MigrateArgs) -> anyhow::Result<()> {
    if ctx.global.export {
        bail!("`migrate apply` signs and sends; use `migrate export` for unsigned transactions");
    }
    let (document, plan) = migrate::prepare(&ctx.rpc, &args.file).await?;
    let authority = ctx.keypair()?;
    if authority.pubkey() != plan.authority {
        bail!(
            "the keypair {} ({}) is not the treasury's authority {}: pass that key with --keypair, or use \
             `migrate export` to produce unsigned transactions for it",
            authority.pubkey(),
            ctx.global.keypair.display(),
            plan.authority
        );
    }
    let changes = migrate::changes(&document, &plan, &plan.authority, create_key(args)?.as_ref())?;
    tracing::info!(changes = changes.len(), file = %args.file.display(), "applying");
    let sent = tx::send(&ctx.rpc, &authority, changes).await?;
    print_sent(out, ctx.global.json, &sent)
}

pub async fn export(ctx: &Context, out: &mut dyn Write, args: &MigrateExportArgs) -> anyhow::Result<()> {
    let (document, plan) = migrate::prepare(&ctx.rpc, &args.migrate.file).await?;
    let authority = match &ctx.global.authority {
        Some(text) => crate::context::parse_pubkey("--authority", text)?,
        None => plan.authority,
    };
    let changes = migrate::changes(&document, &plan, &authority, create_key(&args.migrate)?.as_ref())?;
    let exported = tx::export(&ctx.rpc, &authority, changes).await?;
    match &args.out {
        None => print_exported(out, ctx.global.json, &exported),
        Some(path) => {
            let mut buffer = Vec::new();
            print_exported(&mut buffer, ctx.global.json, &exported)?;
            std::fs::write(path, buffer).with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(file = %path.display(), transactions = exported.len(), "exported");
            if !ctx.global.json {
                writeln!(out, "wrote {} unsigned transaction(s) to {}", exported.len(), path.display())?;
            }
            Ok(())
        }
    }
}
