//! What the handlers call: live balances, changes as transactions, idempotency, the
//! program's rules as problems, and changes in words.

pub mod balances;
pub mod changes;
pub mod describe;
pub mod idempotency;
pub mod rules;
