//! What the handlers call: live balances, changes as transactions, idempotency, the
//! program's rules as problems, changes in words, and thresholds recommended from the
//! recorded outflow.

pub mod balances;
pub mod changes;
pub mod describe;
pub mod idempotency;
pub mod recommend;
pub mod rules;
