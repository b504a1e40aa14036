use anchor_lang::{AnchorDeserialize, Discriminator};
use solana_message::inner_instruction::InnerInstructions;
use solana_transaction::Transaction;

/// One event carried by a self-CPI of the program: its discriminator and fields.
#[derive(Clone, Debug)]
pub struct RawEvent {
    pub discriminator: Vec<u8>,
    pub data: Vec<u8>,
}

/// Picks the program's event self-CPIs out of a transaction's inner instructions.
pub fn decode_events(tx: &Transaction, inner: &[InnerInstructions]) -> Vec<RawEvent> {
    let keys = &tx.message.account_keys;
    let tag = anchor_lang::event::EVENT_IX_TAG_LE;
    inner
        .iter()
        .flatten()
        .filter(|ix| keys[usize::from(ix.instruction.program_id_index)] == smart_treasury::ID)
        .filter_map(|ix| ix.instruction.data.strip_prefix(tag))
        .filter(|rest| rest.len() >= 8)
        .map(|rest| RawEvent { discriminator: rest[..8].to_vec(), data: rest[8..].to_vec() })
        .collect()
}

/// Every event of type `E`, decoded, in emission order.
pub fn events_of<E: AnchorDeserialize + Discriminator>(events: &[RawEvent]) -> Vec<E> {
    events
        .iter()
        .filter(|event| event.discriminator == E::DISCRIMINATOR)
        .map(|event| E::deserialize(&mut event.data.as_slice()).expect("event decodes"))
        .collect()
}

/// The single event of type `E`; panics when there is none or more than one.
pub fn one_event<E: AnchorDeserialize + Discriminator>(events: &[RawEvent]) -> E {
    let mut found = events_of::<E>(events);
    assert_eq!(found.len(), 1, "expected exactly one {} event", std::any::type_name::<E>());
    found.remove(0)
}
