//! The fleet the soak and the scale benchmark run on: one treasury with many managed
//! balances, each keeping its own venue account (an exchange's deposit account, owned by
//! the exchange, which pays customers out of it) topped up from one of many reserve
//! accounts of the treasury, shared by a handful of balances each.

use crate::chain::{self, BalanceSettings, Base, SOL, UNIT};
use anchor_lang::prelude::Pubkey;
use anchor_spl::token_2022::spl_token_2022;
use anyhow::Result;
use smart_treasury::state::AutomationSettings;
use smart_treasury_client::{pda, tx, Change};
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_signer::Signer;

pub const MIN: u64 = 1_000 * UNIT;
pub const TARGET: u64 = 5_000 * UNIT;
pub const MAX: u64 = 10_000 * UNIT;

#[derive(Clone, Copy, Debug)]
pub struct FleetSpec {
    pub balances: usize,
    /// Distinct source accounts; balance `i` draws on source `i % sources`.
    pub sources: usize,
    /// What each source holds at the start.
    pub source_funds: u64,
    pub cooldown_seconds: u32,
}

pub struct Fleet {
    pub base: Base,
    /// Owns every venue account and pays out of them.
    pub exchange: Keypair,
    /// Where the exchange's payouts go.
    pub sink: Pubkey,
    pub venues: Vec<Pubkey>,
    pub sources: Vec<Pubkey>,
    pub managed_balances: Vec<Pubkey>,
}

impl FleetSpec {
    pub fn settings(&self) -> BalanceSettings {
        BalanceSettings {
            min: MIN,
            target: TARGET,
            max: MAX,
            automation: AutomationSettings {
                cooldown_seconds: self.cooldown_seconds,
                period_seconds: 86_400,
                period_cap: 1_000_000 * UNIT,
                // Threshold top-ups only: every move answers a breach, which the soak counts.
                forecast_band_bps: 0,
            },
            reserve_floor: 0,
        }
    }
}

/// Builds the fleet over RPC: venues (each at its target), sources (each funded), then
/// the managed balances, many to a transaction, `in_flight` transactions at once.
pub async fn build(rpc: &RpcClient, faucet: &Keypair, spec: &FleetSpec, in_flight: usize) -> Result<Fleet> {
    let authority_sol = 200 + (spec.balances as u64 + spec.sources as u64) / 50;
    let base = chain::base(rpc, faucet, authority_sol, 0).await?;
    let exchange = Keypair::new();
    let a = base.authority.pubkey();
    let fund = Change::new(
        "fund the exchange",
        anchor_lang::solana_program::system_instruction::transfer(&faucet.pubkey(), &exchange.pubkey(), 1_000 * SOL),
    );
    tx::send(rpc, faucet, vec![fund]).await?;
    let rent = chain::token_account_rent(rpc).await?;
    let (sink, sink_instructions) = chain::seeded_token_account(&base, "sink", &exchange.pubkey(), rent, 0)?;
    let mut groups = vec![sink_instructions];
    let mut venues = Vec::with_capacity(spec.balances);
    for i in 0..spec.balances {
        let (venue, instructions) =
            chain::seeded_token_account(&base, &format!("venue-{i}"), &exchange.pubkey(), rent, TARGET)?;
        venues.push(venue);
        groups.push(instructions);
    }
    let mut sources = Vec::with_capacity(spec.sources);
    for j in 0..spec.sources {
        let (source, instructions) =
            chain::seeded_token_account(&base, &format!("source-{j}"), &base.reserve_pool, rent, spec.source_funds)?;
        sources.push(source);
        groups.push(instructions);
    }
    chain::send_all(rpc, &base.authority, chain::pack(&a, groups)?, "token accounts", in_flight).await?;
    let settings = spec.settings();
    let groups = venues
        .iter()
        .enumerate()
        .map(|(i, venue)| {
            let source = (sources[i % sources.len()], base.reserve_pool);
            chain::managed_balance_from(&base, i as u32 + 1, &format!("venue {i}"), *venue, source, &settings)
        })
        .collect();
    chain::send_all(rpc, &base.authority, chain::pack(&a, groups)?, "managed balances", in_flight).await?;
    let managed_balances = (1..=spec.balances as u32).map(|id| pda::managed_balance_pda(&base.treasury, id)).collect();
    Ok(Fleet { base, exchange, sink, venues, sources, managed_balances })
}

impl Fleet {
    /// The exchange pays `amount` out of venue `index` (a customer's withdrawal).
    pub fn payout(&self, index: usize, amount: u64) -> Result<Change> {
        let transfer = spl_token_2022::instruction::transfer_checked(
            &chain::SPL_TOKEN,
            &self.venues[index],
            &self.base.mint,
            &self.sink,
            &self.exchange.pubkey(),
            &[],
            amount,
            6,
        )?;
        Ok(Change::new(format!("payout of {amount} from venue {index}"), transfer))
    }
}
