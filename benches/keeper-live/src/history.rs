//! Weeks of keeper history written straight into a keeper store, as the keeper would have
//! recorded them, through the keeper's own code: its `Sampler` decides which balance
//! reads are kept (a sample when a balance changes, one per hour bucket otherwise), its
//! store records them, and every top-up is recorded as the program's `ToppedUp` event
//! through the store's event path (which also derives the forecast's movement).
//!
//! What happened: most balances sit idle at their target; a tenth are paid out of with
//! the demo's withdrawal model (480 withdrawals a day on average, with daily and weekly
//! seasonality and bank runs, one seed per balance) and topped up to target whenever
//! they fall below min. Hours are written in order, every balance's reads in each, as a
//! running keeper writes them.

use crate::fleet::{MIN, TARGET};
use anchor_lang::{prelude::Pubkey, AnchorSerialize, Discriminator};
use anyhow::Result;
use smart_treasury::events::{MovementReason, SourceMovement, ToppedUp};
use smart_treasury_client::{
    events::{IndexedEvent, ProgramEvent, RawEvent, TransactionEvents},
    workload::WorkloadModel,
};
use smart_treasury_keeper::{
    event_log::BalanceInfo,
    history::{Sample, Sampler},
    store::Store,
};

/// Slots per second at 400 ms slots.
const SLOTS_PER_SECOND: f64 = 2.5;
const HOUR: i64 = 3_600;

/// One managed balance as the generator sees it.
pub struct Balance {
    pub info: BalanceInfo,
    pub source: Pubkey,
    /// Paid out of (`Some(model)`) or idle.
    pub workload: Option<WorkloadModel>,
}

/// What was written.
#[derive(Clone, Copy, Debug, Default)]
pub struct Written {
    pub samples: u64,
    pub top_ups: u64,
    pub withdrawals: u64,
}

/// Writes `days` of history ending at `end` (unix seconds) for `balances` of `treasury`.
/// Calls `progress` with each day done.
pub fn write(
    store: &Store,
    treasury: &Pubkey,
    balances: &[Balance],
    days: u64,
    end: i64,
    mut progress: impl FnMut(u64, &Written),
) -> Result<Written> {
    let hours = days as i64 * 24;
    let start = (end.div_euclid(HOUR) - hours) * HOUR;
    let slot_of = |at: i64| ((at - start) as f64 * SLOTS_PER_SECOND) as u64 + 1;
    let mut sampler = Sampler::default();
    let mut held: Vec<u64> = vec![TARGET; balances.len()];
    let mut written = Written::default();
    let mut signature_counter: u64 = 0;
    for hour in 0..hours {
        let from = start + hour * HOUR;
        let mut samples = Vec::new();
        let mut top_ups = Vec::new();
        for (index, balance) in balances.iter().enumerate() {
            let key = balance.info.address.to_string();
            let mut read = |at: i64, amount: u64, samples: &mut Vec<Sample>| {
                let sample =
                    Sample { managed_balance: key.clone(), slot: slot_of(at), unix_timestamp: at, balance: amount };
                if sampler.keep(&sample, HOUR) {
                    samples.push(sample);
                }
            };
            // The first read of the hour: one sample per bucket, changed or not.
            read(from, held[index], &mut samples);
            let Some(model) = &balance.workload else { continue };
            let simulated = (hour as u64) * HOUR as u64;
            for withdrawal in model.withdrawals(simulated, simulated + HOUR as u64) {
                let at = from + (withdrawal.at - simulated) as i64;
                let paid = withdrawal.amount.min(held[index]);
                held[index] -= paid;
                written.withdrawals += 1;
                read(at, held[index], &mut samples);
                if held[index] < MIN {
                    // Two seconds later the keeper's top-up to target has landed.
                    let before = held[index];
                    held[index] = TARGET;
                    signature_counter += 1;
                    top_ups.push((index, before, at + 2, signature_counter));
                    read(at + 2, TARGET, &mut samples);
                }
            }
        }
        written.samples += samples.len() as u64;
        store.record_samples(&samples)?;
        for (index, before, at, counter) in top_ups {
            let balance = &balances[index];
            let event = ToppedUp {
                treasury: *treasury,
                managed_balance: balance.info.address,
                reason: MovementReason::Threshold,
                balance_before: before,
                balance_after: TARGET,
                needed: TARGET - before,
                allowed: TARGET - before,
                received: TARGET - before,
                shortfall: 0,
                sources: vec![SourceMovement {
                    source: balance.source,
                    sent: TARGET - before,
                    source_before: 10_000_000_000_000,
                    source_after: 10_000_000_000_000 - (TARGET - before),
                }],
                config_version: 1 << 32 | 2,
                slot: slot_of(at),
                unix_timestamp: at,
            };
            let mut data = Vec::new();
            event.serialize(&mut data)?;
            let raw = RawEvent { index: 0, discriminator: ToppedUp::DISCRIMINATOR.try_into()?, data };
            let events = TransactionEvents {
                signature: signature(counter),
                slot: slot_of(at),
                block_time: Some(at),
                fee_lamports: 5_000,
                events: vec![IndexedEvent { event: ProgramEvent::decode(&raw), raw }],
            };
            store.record_events(&events, treasury, &[Some(balance.info.clone())], None, at)?;
            written.top_ups += 1;
        }
        if (hour + 1) % 24 == 0 {
            progress(((hour + 1) / 24) as u64, &written);
        }
    }
    Ok(written)
}

/// A distinct, well-formed transaction signature for the `n`th generated top-up.
fn signature(n: u64) -> String {
    let mut bytes = [0u8; 64];
    bytes[..8].copy_from_slice(&n.to_le_bytes());
    bytes[8..16].copy_from_slice(&0x5eed_u64.to_le_bytes());
    bs58::encode(bytes).into_string()
}
