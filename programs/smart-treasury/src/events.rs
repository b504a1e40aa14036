//! Every change and every movement emits one of these through a self-CPI, so they
//! survive log truncation and can be read from the transaction's inner instructions.

use crate::state::{AutomationSettings, BalanceMode, CrankAccess, FundingSource, TransferFeeLimit};
use anchor_lang::{prelude::*, solana_program::instruction::Instruction, Event};

/// Why tokens moved. For a top-up the balance decided it on-chain: below `min` a
/// threshold top-up, inside the forecast band a forecast one.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MovementReason {
    Threshold,
    Forecast,
    Manual,
    Sweep,
    Rebalance,
}

/// What one funding source gave in a top-up.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceMovement {
    pub source: Pubkey,
    pub sent: u64,
    pub source_before: u64,
    pub source_after: u64,
}

#[event]
#[derive(Debug)]
pub struct ToppedUp {
    pub treasury: Pubkey,
    pub managed_balance: Pubkey,
    pub reason: MovementReason,
    pub balance_before: u64,
    pub balance_after: u64,
    /// What reaching the goal took.
    pub needed: u64,
    /// `needed` after the automation cap.
    pub allowed: u64,
    /// What arrived (less than sent for transfer-fee mints).
    pub received: u64,
    /// What the sources together could not provide.
    pub shortfall: u64,
    pub sources: Vec<SourceMovement>,
    pub config_version: u64,
    pub slot: u64,
    pub unix_timestamp: i64,
}

/// Emitted beside `ToppedUp` when the sources were short: an alert, not a failure.
#[event]
#[derive(Debug)]
pub struct TopUpShortfall {
    pub treasury: Pubkey,
    pub managed_balance: Pubkey,
    pub reason: MovementReason,
    pub allowed: u64,
    pub sent: u64,
    pub shortfall: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct ExcessSwept {
    pub treasury: Pubkey,
    pub managed_balance: Pubkey,
    pub source: Pubkey,
    pub balance_before: u64,
    pub balance_after: u64,
    pub excess: u64,
    pub sent: u64,
    pub received: u64,
    pub source_before: u64,
    pub source_after: u64,
    pub config_version: u64,
    pub slot: u64,
    pub unix_timestamp: i64,
}

#[event]
#[derive(Debug)]
pub struct RatioRebalanced {
    pub treasury: Pubkey,
    pub managed_balance: Pubkey,
    pub counterpart: Pubkey,
    /// True when tokens moved from the counterpart into the managed balance.
    pub to_local: bool,
    pub sent: u64,
    pub received: u64,
    pub local_before: u64,
    pub local_after: u64,
    pub counterpart_before: u64,
    pub counterpart_after: u64,
    pub config_version: u64,
    pub slot: u64,
    pub unix_timestamp: i64,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum TreasuryChange {
    Created { authority: Pubkey, guardian: Pubkey, crank_access: CrankAccess },
    AuthorityProposed { proposed: Option<Pubkey> },
    AuthorityAccepted { previous: Pubkey, authority: Pubkey },
    GuardianSet { previous: Pubkey, guardian: Pubkey },
    CrankAccessSet { crank_access: CrankAccess, keepers: Vec<Pubkey> },
    Paused { by: Pubkey },
    Unpaused { by: Pubkey },
}

#[event]
#[derive(Debug)]
pub struct TreasuryChanged {
    pub treasury: Pubkey,
    pub change: TreasuryChange,
    pub config_version: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct PoolCreated {
    pub treasury: Pubkey,
    pub pool: Pubkey,
    pub pool_id: u16,
    pub name: String,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct VaultCreated {
    pub treasury: Pubkey,
    pub pool: Pubkey,
    pub vault: Pubkey,
    pub mint: Pubkey,
    pub slot: u64,
}

/// A deposit into, or a withdrawal out of, a pool vault.
#[event]
#[derive(Debug)]
pub struct VaultFlow {
    pub treasury: Pubkey,
    pub pool: Pubkey,
    pub vault: Pubkey,
    /// The depositor's or the recipient's token account.
    pub counterparty: Pubkey,
    pub deposit: bool,
    pub sent: u64,
    pub received: u64,
    pub vault_before: u64,
    pub vault_after: u64,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct SpenderChanged {
    pub treasury: Pubkey,
    pub spender_account: Pubkey,
    pub vault: Pubkey,
    pub spender: Pubkey,
    pub enabled: bool,
    pub limit_per_period: u64,
    pub period_seconds: u32,
    pub removed: bool,
    pub slot: u64,
}

#[event]
#[derive(Debug)]
pub struct Spent {
    pub treasury: Pubkey,
    pub vault: Pubkey,
    pub spender: Pubkey,
    pub recipient: Pubkey,
    pub amount: u64,
    pub received: u64,
    pub spent_in_period: u64,
    pub limit_per_period: u64,
    pub vault_before: u64,
    pub vault_after: u64,
    pub slot: u64,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum ManagedBalanceChange {
    Created { name: String, destination: Pubkey, mint: Pubkey, min: u64, target: u64, max: u64 },
    ThresholdsUpdated { old_min: u64, old_target: u64, old_max: u64, min: u64, target: u64, max: u64 },
    SettingsUpdated { mode: BalanceMode, automation: AutomationSettings },
    EnabledSet { enabled: bool },
    SourceLinked { source: FundingSource },
    SourceUpdated { previous: FundingSource, source: FundingSource },
    SourceUnlinked { source: FundingSource },
    Closed,
    TransferFeeAccepted { previous: TransferFeeLimit, accepted: TransferFeeLimit },
}

#[event]
#[derive(Debug)]
pub struct ManagedBalanceChanged {
    pub treasury: Pubkey,
    pub managed_balance: Pubkey,
    pub change: ManagedBalanceChange,
    pub config_version: u64,
    pub slot: u64,
}

/// `emit_cpi!` for code that holds the event authority instead of `ctx`: a self-CPI
/// whose data is the event tag, the event's discriminator and its fields.
pub fn emit_event<E: Event>(event_authority: &AccountInfo, event: &E) -> Result<()> {
    // Serialised straight into the instruction's buffer: collecting the tag and
    // `event.data()` byte by byte cost about 1,000-2,000 CU per event on SBF.
    let mut data = Vec::with_capacity(EVENT_DATA_CAPACITY);
    data.extend_from_slice(anchor_lang::event::EVENT_IX_TAG_LE);
    data.extend_from_slice(E::DISCRIMINATOR);
    event.serialize(&mut data).map_err(|_| error!(ErrorCode::InstructionDidNotSerialize))?;
    let ix = Instruction {
        program_id: crate::ID,
        accounts: vec![AccountMeta::new_readonly(event_authority.key(), true)],
        data,
    };
    let bump = [crate::EVENT_AUTHORITY_AND_BUMP.1];
    let seeds: &[&[u8]] = &[b"__event_authority", &bump];
    anchor_lang::solana_program::program::invoke_signed(&ix, core::slice::from_ref(event_authority), &[seeds])?;
    Ok(())
}

/// Room for the largest event (a top-up across eight sources, about 600 bytes), so the
/// buffer never grows.
const EVENT_DATA_CAPACITY: usize = 1024;

/// Slot and unix time, read once per instruction.
pub fn now() -> Result<(u64, i64)> {
    let clock = Clock::get()?;
    Ok((clock.slot, clock.unix_timestamp))
}

/// The clock as a movement reads it, once: the epoch decides the transfer fee.
#[derive(Clone, Copy, Debug)]
pub struct Now {
    pub slot: u64,
    pub unix_timestamp: i64,
    pub epoch: u64,
}

pub fn clock() -> Result<Now> {
    let clock = Clock::get()?;
    Ok(Now { slot: clock.slot, unix_timestamp: clock.unix_timestamp, epoch: clock.epoch })
}
