//! Typed access to the program's events in a test: the decoding itself is the client's
//! (`smart_treasury_client::events`), the one decoder every off-chain piece uses.

use anchor_lang::{AnchorDeserialize, Discriminator};
use solana_message::inner_instruction::InnerInstructions;
use solana_transaction::Transaction;

pub use smart_treasury_client::events::RawEvent;

/// Picks the program's event self-CPIs out of a transaction's inner instructions.
pub fn decode_events(tx: &Transaction, inner: &[InnerInstructions]) -> Vec<RawEvent> {
    let instructions =
        inner.iter().flatten().map(|ix| (ix.instruction.program_id_index, ix.instruction.data.as_slice()));
    smart_treasury_client::events::raw_events(&tx.message.account_keys, instructions)
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
