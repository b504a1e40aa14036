//! The program's events, read back from transactions. Every event is a self-CPI of the
//! program (`emit_cpi!` style) whose data is the event tag, the event's discriminator
//! and its Borsh fields, so it survives log truncation. This is the one decoder every
//! off-chain piece uses: the keeper's history, the activity log, webhooks, tests and
//! benchmarks.

use crate::read::{self, ReadError};
use anchor_lang::{prelude::Pubkey, AnchorDeserialize, Discriminator};
use smart_treasury::events::{
    ExcessSwept, ManagedBalanceChanged, PoolCreated, RatioRebalanced, SpenderChanged, Spent, TopUpShortfall, ToppedUp,
    TreasuryChanged, VaultCreated, VaultFlow,
};
use solana_commitment_config::CommitmentConfig;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::RpcTransactionConfig;
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, EncodedConfirmedTransactionWithStatusMeta, UiInstruction,
    UiTransactionEncoding,
};
use std::str::FromStr;

/// One event as emitted: where it sits among the transaction's program events, and its
/// bytes (discriminator, then the Borsh fields).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEvent {
    /// 0 for the transaction's first program event, then 1, 2, ... in execution order.
    pub index: u32,
    pub discriminator: [u8; 8],
    pub data: Vec<u8>,
}

impl RawEvent {
    /// Discriminator and fields together, as the program wrote them after the tag.
    pub fn bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(8 + self.data.len());
        bytes.extend_from_slice(&self.discriminator);
        bytes.extend_from_slice(&self.data);
        bytes
    }

    /// The inverse of [`RawEvent::bytes`].
    pub fn from_bytes(index: u32, bytes: &[u8]) -> Option<Self> {
        let (discriminator, data) = bytes.split_first_chunk::<8>()?;
        Some(Self { index, discriminator: *discriminator, data: data.to_vec() })
    }
}

/// Picks the program's event self-CPIs out of inner instructions, given as
/// `(program id index, data)` in execution order over `account_keys` (static keys, then
/// any loaded from lookup tables).
pub fn raw_events<'a>(account_keys: &[Pubkey], inner: impl IntoIterator<Item = (u8, &'a [u8])>) -> Vec<RawEvent> {
    let tag = anchor_lang::event::EVENT_IX_TAG_LE;
    inner
        .into_iter()
        .filter(|(program, _)| account_keys.get(usize::from(*program)) == Some(&smart_treasury::ID))
        .filter_map(|(_, data)| data.strip_prefix(tag))
        .filter_map(|event| event.split_first_chunk::<8>())
        .enumerate()
        .map(|(index, (discriminator, data))| RawEvent {
            index: index as u32,
            discriminator: *discriminator,
            data: data.to_vec(),
        })
        .collect()
}

/// Every event the program emits, decoded.
#[derive(Debug)]
pub enum ProgramEvent {
    ToppedUp(ToppedUp),
    TopUpShortfall(TopUpShortfall),
    ExcessSwept(ExcessSwept),
    RatioRebalanced(RatioRebalanced),
    TreasuryChanged(TreasuryChanged),
    PoolCreated(PoolCreated),
    VaultCreated(VaultCreated),
    VaultFlow(VaultFlow),
    SpenderChanged(SpenderChanged),
    Spent(Spent),
    ManagedBalanceChanged(ManagedBalanceChanged),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("event {index} has an unknown discriminator {discriminator:?}: the program is newer than this client")]
    Unknown { index: u32, discriminator: [u8; 8] },
    #[error("event {index} ({kind}) does not decode: {reason}")]
    Malformed { index: u32, kind: &'static str, reason: String },
}

fn decode_as<E: AnchorDeserialize>(raw: &RawEvent, kind: &'static str) -> Result<E, EventError> {
    let mut fields = raw.data.as_slice();
    let event = E::deserialize(&mut fields).map_err(|error| EventError::Malformed {
        index: raw.index,
        kind,
        reason: error.to_string(),
    })?;
    if !fields.is_empty() {
        return Err(EventError::Malformed {
            index: raw.index,
            kind,
            reason: format!("{} bytes left over", fields.len()),
        });
    }
    Ok(event)
}

macro_rules! program_events {
    ($($kind:ident),* $(,)?) => {
        impl ProgramEvent {
            /// Every event name, as the IDL spells it.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($kind)),*];

            pub fn decode(raw: &RawEvent) -> Result<Self, EventError> {
                $(
                    if raw.discriminator == <$kind as Discriminator>::DISCRIMINATOR {
                        return decode_as::<$kind>(raw, stringify!($kind)).map(Self::$kind);
                    }
                )*
                Err(EventError::Unknown { index: raw.index, discriminator: raw.discriminator })
            }

            /// The event's name, as the IDL spells it.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$kind(_) => stringify!($kind),)*
                }
            }
        }
    };
}

program_events!(
    ToppedUp,
    TopUpShortfall,
    ExcessSwept,
    RatioRebalanced,
    TreasuryChanged,
    PoolCreated,
    VaultCreated,
    VaultFlow,
    SpenderChanged,
    Spent,
    ManagedBalanceChanged,
);

impl ProgramEvent {
    pub fn treasury(&self) -> Pubkey {
        match self {
            Self::ToppedUp(e) => e.treasury,
            Self::TopUpShortfall(e) => e.treasury,
            Self::ExcessSwept(e) => e.treasury,
            Self::RatioRebalanced(e) => e.treasury,
            Self::TreasuryChanged(e) => e.treasury,
            Self::PoolCreated(e) => e.treasury,
            Self::VaultCreated(e) => e.treasury,
            Self::VaultFlow(e) => e.treasury,
            Self::SpenderChanged(e) => e.treasury,
            Self::Spent(e) => e.treasury,
            Self::ManagedBalanceChanged(e) => e.treasury,
        }
    }

    /// The managed balance the event is about, when it names one.
    pub fn managed_balance(&self) -> Option<Pubkey> {
        match self {
            Self::ToppedUp(e) => Some(e.managed_balance),
            Self::TopUpShortfall(e) => Some(e.managed_balance),
            Self::ExcessSwept(e) => Some(e.managed_balance),
            Self::RatioRebalanced(e) => Some(e.managed_balance),
            Self::ManagedBalanceChanged(e) => Some(e.managed_balance),
            _ => None,
        }
    }

    /// The pool vault whose tokens moved in or out outside automation (deposits,
    /// withdrawals, spender payouts): a managed destination's activity includes these.
    pub fn vault(&self) -> Option<Pubkey> {
        match self {
            Self::VaultFlow(e) => Some(e.vault),
            Self::Spent(e) => Some(e.vault),
            Self::VaultCreated(e) => Some(e.vault),
            Self::SpenderChanged(e) => Some(e.vault),
            _ => None,
        }
    }

    /// The slot the program read from its clock.
    pub fn slot(&self) -> u64 {
        match self {
            Self::ToppedUp(e) => e.slot,
            Self::TopUpShortfall(e) => e.slot,
            Self::ExcessSwept(e) => e.slot,
            Self::RatioRebalanced(e) => e.slot,
            Self::TreasuryChanged(e) => e.slot,
            Self::PoolCreated(e) => e.slot,
            Self::VaultCreated(e) => e.slot,
            Self::VaultFlow(e) => e.slot,
            Self::SpenderChanged(e) => e.slot,
            Self::Spent(e) => e.slot,
            Self::ManagedBalanceChanged(e) => e.slot,
        }
    }

    /// The balance of the managed balance (or of the vault) after the event, and its
    /// signed change, when the event moved tokens.
    pub fn balance_change(&self) -> Option<BalanceChange> {
        let change =
            |before: u64, after: u64| BalanceChange { before, after, delta: i128::from(after) - i128::from(before) };
        match self {
            Self::ToppedUp(e) => Some(change(e.balance_before, e.balance_after)),
            Self::ExcessSwept(e) => Some(change(e.balance_before, e.balance_after)),
            Self::RatioRebalanced(e) => Some(change(e.local_before, e.local_after)),
            Self::VaultFlow(e) => Some(change(e.vault_before, e.vault_after)),
            Self::Spent(e) => Some(change(e.vault_before, e.vault_after)),
            _ => None,
        }
    }
}

/// How one event moved a balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalanceChange {
    pub before: u64,
    pub after: u64,
    pub delta: i128,
}

/// One decoded event with its place in the transaction. An event this client cannot
/// decode (a newer program) is kept raw, so nothing is dropped on the floor.
#[derive(Debug)]
pub struct IndexedEvent {
    pub raw: RawEvent,
    pub event: Result<ProgramEvent, EventError>,
}

impl IndexedEvent {
    pub fn index(&self) -> u32 {
        self.raw.index
    }
}

/// What one successful transaction did, as the program reported it.
#[derive(Debug)]
pub struct TransactionEvents {
    pub signature: String,
    pub slot: u64,
    pub block_time: Option<i64>,
    pub fee_lamports: u64,
    pub events: Vec<IndexedEvent>,
}

impl TransactionEvents {
    /// The decoded events, skipping any this client does not know.
    pub fn decoded(&self) -> impl Iterator<Item = (u32, &ProgramEvent)> {
        self.events.iter().filter_map(|indexed| indexed.event.as_ref().ok().map(|event| (indexed.index(), event)))
    }
}

fn keys_of(tx: &EncodedConfirmedTransactionWithStatusMeta) -> Option<Vec<Pubkey>> {
    let decoded = tx.transaction.transaction.decode()?;
    let mut keys = decoded.message.static_account_keys().to_vec();
    if let Some(OptionSerializer::Some(loaded)) = tx.transaction.meta.as_ref().map(|meta| &meta.loaded_addresses) {
        for address in loaded.writable.iter().chain(&loaded.readonly) {
            keys.push(Pubkey::from_str(address).ok()?);
        }
    }
    Some(keys)
}

/// The program's events in a fetched transaction (base64 or binary encoding). `None`
/// for a failed transaction (it changed nothing) or one whose body does not decode.
pub fn transaction_events(
    signature: &str,
    tx: &EncodedConfirmedTransactionWithStatusMeta,
) -> Option<TransactionEvents> {
    let meta = tx.transaction.meta.as_ref()?;
    if meta.err.is_some() {
        return None;
    }
    let keys = keys_of(tx)?;
    let groups: Vec<_> = match &meta.inner_instructions {
        OptionSerializer::Some(groups) => groups.iter().collect(),
        _ => Vec::new(),
    };
    let mut sorted = groups;
    // Groups are per outer instruction; keep execution order even if a node lists them
    // out of order.
    sorted.sort_by_key(|group| group.index);
    let inner: Vec<(u8, Vec<u8>)> = sorted
        .iter()
        .flat_map(|group| group.instructions.iter())
        .filter_map(|instruction| match instruction {
            UiInstruction::Compiled(compiled) => {
                bs58::decode(&compiled.data).into_vec().ok().map(|data| (compiled.program_id_index, data))
            }
            UiInstruction::Parsed(_) => None,
        })
        .collect();
    let events = raw_events(&keys, inner.iter().map(|(program, data)| (*program, data.as_slice())))
        .into_iter()
        .map(|raw| {
            let event = ProgramEvent::decode(&raw);
            IndexedEvent { raw, event }
        })
        .collect();
    Some(TransactionEvents {
        signature: signature.to_string(),
        slot: tx.slot,
        block_time: tx.block_time,
        fee_lamports: meta.fee,
        events,
    })
}

/// The request every reader of program events makes: base64 (so inner instructions
/// come back compiled), at `confirmed`, versioned transactions included.
pub fn transaction_config() -> RpcTransactionConfig {
    RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Base64),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    }
}

/// Fetches `signature` at `confirmed` and reads its events. `Ok(None)` when the node
/// does not serve it (yet) or it failed.
pub async fn fetch(rpc: &RpcClient, signature: &str) -> Result<Option<TransactionEvents>, ReadError> {
    let parsed = solana_signature::Signature::from_str(signature).map_err(|error| ReadError::Rpc {
        url: rpc.url(),
        reason: format!("{signature:?} is not a transaction signature: {error}"),
    })?;
    match rpc.get_transaction_with_config(&parsed, transaction_config()).await {
        Ok(tx) => Ok(transaction_events(signature, &tx)),
        // Nodes answer "not found" for a transaction not yet served at this commitment.
        Err(error) if error.to_string().contains("invalid type: null") => Ok(None),
        Err(error) => Err(read::rpc_error(rpc, error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smart_treasury::events::{MovementReason, TreasuryChange};

    fn self_cpi<E: anchor_lang::Event>(event: &E) -> Vec<u8> {
        let mut data = anchor_lang::event::EVENT_IX_TAG_LE.to_vec();
        data.extend_from_slice(E::DISCRIMINATOR);
        event.serialize(&mut data).unwrap();
        data
    }

    fn topped_up(treasury: Pubkey, managed_balance: Pubkey) -> ToppedUp {
        ToppedUp {
            treasury,
            managed_balance,
            reason: MovementReason::Threshold,
            balance_before: 10,
            balance_after: 50,
            needed: 40,
            allowed: 40,
            received: 40,
            shortfall: 0,
            sources: vec![],
            config_version: 3,
            slot: 9,
            unix_timestamp: 1_700_000_000,
        }
    }

    #[test]
    fn reads_only_the_programs_self_cpis_and_numbers_them() {
        let (treasury, balance, other_program) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let keys = [Pubkey::new_unique(), smart_treasury::ID, other_program];
        let paused =
            TreasuryChanged { treasury, change: TreasuryChange::Paused { by: treasury }, config_version: 1, slot: 9 };
        let first = self_cpi(&topped_up(treasury, balance));
        let from_elsewhere = self_cpi(&topped_up(treasury, balance));
        let not_an_event = vec![1, 2, 3];
        let second = self_cpi(&paused);
        let inner = [
            (1u8, first.as_slice()),
            (2, from_elsewhere.as_slice()),
            (1, not_an_event.as_slice()),
            (1, second.as_slice()),
        ];
        let raw = raw_events(&keys, inner);
        assert_eq!(raw.iter().map(|event| event.index).collect::<Vec<_>>(), [0, 1]);
        let decoded: Vec<ProgramEvent> = raw.iter().map(|event| ProgramEvent::decode(event).unwrap()).collect();
        assert_eq!(decoded[0].name(), "ToppedUp");
        assert_eq!(decoded[0].managed_balance(), Some(balance));
        assert_eq!(decoded[0].balance_change(), Some(BalanceChange { before: 10, after: 50, delta: 40 }));
        assert_eq!(decoded[1].name(), "TreasuryChanged");
        assert_eq!(decoded[1].treasury(), treasury);
        assert_eq!(RawEvent::from_bytes(0, &raw[0].bytes()), Some(raw[0].clone()));
    }

    #[test]
    fn unknown_and_malformed_events_are_named_not_dropped() {
        let unknown = RawEvent { index: 4, discriminator: [9; 8], data: vec![] };
        assert!(matches!(ProgramEvent::decode(&unknown), Err(EventError::Unknown { index: 4, .. })));
        let mut bytes = self_cpi(&topped_up(Pubkey::new_unique(), Pubkey::new_unique()));
        bytes.truncate(bytes.len() - 3);
        let raw = raw_events(&[smart_treasury::ID], [(0u8, bytes.as_slice())]);
        assert!(matches!(ProgramEvent::decode(&raw[0]), Err(EventError::Malformed { kind: "ToppedUp", .. })));
        assert_eq!(ProgramEvent::NAMES.len(), 11);
    }
}
