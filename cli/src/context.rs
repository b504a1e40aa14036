//! What every command needs from the global options: the RPC client, the treasury, the
//! local keypair, and the sign-or-export choice for changes.

use crate::{args::Global, output};
use anchor_lang::prelude::Pubkey;
use anyhow::{bail, Context as _};
use serde::Serialize;
use smart_treasury::state::Treasury;
use smart_treasury_client::{keypair, read, tx, Change, TokenAmount};
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signer::Signer;
use std::io::Write;

pub struct Context {
    pub global: Global,
    pub rpc: RpcClient,
}

pub fn parse_pubkey(what: &str, text: &str) -> anyhow::Result<Pubkey> {
    text.trim().parse().map_err(|_| anyhow::anyhow!("{what} `{text}` is not a base58 public key (32 bytes)"))
}

impl Context {
    pub fn new(global: Global) -> Self {
        let rpc = read::connect(&global.url);
        Self { global, rpc }
    }

    pub fn treasury_address(&self) -> anyhow::Result<Pubkey> {
        match &self.global.treasury {
            Some(text) => parse_pubkey("--treasury", text),
            None => bail!("no treasury given: pass --treasury ADDRESS or set SMART_TREASURY_TREASURY"),
        }
    }

    /// The treasury's address and account.
    pub async fn treasury(&self) -> anyhow::Result<(Pubkey, Treasury)> {
        let address = self.treasury_address()?;
        Ok((address, read::treasury(&self.rpc, &address).await?))
    }

    /// An amount typed in `flag`, in base units of a mint with `decimals`: token units,
    /// or base units with --base-units.
    pub fn amount(&self, flag: &str, text: &str, decimals: u8) -> anyhow::Result<u64> {
        if self.global.base_units {
            return text.parse::<u64>().map_err(|_| {
                anyhow::anyhow!("{flag} `{text}` is not a whole number of base units (--base-units is set)")
            });
        }
        TokenAmount::parse(text, decimals)
            .map(|amount| amount.base_units)
            .map_err(|error| anyhow::anyhow!("{flag}: {error}"))
    }

    /// An amount for people: grouped token units (`50,000.25`), or base units with
    /// --base-units.
    pub fn show(&self, base_units: u64, decimals: u8) -> String {
        if self.global.base_units {
            base_units.to_string()
        } else {
            TokenAmount::new(base_units, decimals).grouped()
        }
    }

    pub fn keypair(&self) -> anyhow::Result<Keypair> {
        Ok(keypair::load_keypair(&self.global.keypair, "--keypair FILE or set SMART_TREASURY_KEYPAIR")?)
    }

    /// The key changes are built for: the local keypair, or with --export the given
    /// --authority or else the treasury's authority.
    pub fn signer_key(&self, treasury: &Treasury) -> anyhow::Result<Pubkey> {
        if self.global.export {
            return match &self.global.authority {
                Some(text) => parse_pubkey("--authority", text),
                None => Ok(treasury.authority),
            };
        }
        Ok(self.keypair()?.pubkey())
    }

    /// Signs and sends `changes` with the local keypair, which must be one of
    /// `allowed`, or prints them unsigned with --export.
    pub async fn submit(
        &self,
        out: &mut dyn Write,
        allowed: &[(Pubkey, &str)],
        changes: Vec<Change>,
    ) -> anyhow::Result<()> {
        if self.global.export {
            let signer = match &self.global.authority {
                Some(text) => parse_pubkey("--authority", text)?,
                None => allowed.first().map(|(key, _)| *key).context("no signer for this change")?,
            };
            let exported = tx::export(&self.rpc, &signer, changes).await?;
            return print_exported(out, self.global.json, &exported);
        }
        let keypair = self.keypair()?;
        if !allowed.iter().any(|(key, _)| *key == keypair.pubkey()) {
            let roles: Vec<String> = allowed.iter().map(|(key, role)| format!("{role} {key}")).collect();
            bail!(
                "the keypair {} ({}) is not the {}: pass that key with --keypair, or --export to print unsigned \
                 transactions for it to sign",
                keypair.pubkey(),
                self.global.keypair.display(),
                roles.join(" or the ")
            );
        }
        let sent = tx::send(&self.rpc, &keypair, changes).await?;
        print_sent(out, self.global.json, &sent)
    }
}

#[derive(Serialize)]
struct SentReport<'a> {
    applied: &'a [tx::Sent],
}

#[derive(Serialize)]
struct ExportReport<'a> {
    exported: &'a [tx::Exported],
}

pub fn print_sent(out: &mut dyn Write, json: bool, sent: &[tx::Sent]) -> anyhow::Result<()> {
    if json {
        return output::json(out, &SentReport { applied: sent });
    }
    if sent.is_empty() {
        writeln!(out, "nothing to change")?;
    }
    for change in sent {
        writeln!(out, "applied  {}\n         signature {}", change.summary, change.signature)?;
    }
    Ok(())
}

/// Plain output is one base64 transaction per line, in order, and nothing else, so it
/// pipes straight into a proposal tool; the summaries go to the log.
pub fn print_exported(out: &mut dyn Write, json: bool, exported: &[tx::Exported]) -> anyhow::Result<()> {
    if json {
        return output::json(out, &ExportReport { exported });
    }
    for (index, change) in exported.iter().enumerate() {
        tracing::info!(step = index + 1, total = exported.len(), change = %change.summary, signers = ?change.signers, "exported");
        writeln!(out, "{}", change.transaction)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct NothingReport<'a> {
    applied: [(); 0],
    note: &'a str,
}

/// Reports that a command had nothing to change (and sent nothing).
pub fn nothing_to_change(out: &mut dyn Write, json: bool, export: bool, note: &str) -> anyhow::Result<()> {
    tracing::info!(note, "nothing to change");
    if json {
        return output::json(out, &NothingReport { applied: [], note });
    }
    if !export {
        writeln!(out, "{note}")?;
    }
    Ok(())
}
