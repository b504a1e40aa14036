//! What the handlers call: live balances, changes as transactions, idempotency, the
//! operator's own moves, the program's rules as problems, changes in words, and
//! thresholds recommended from the recorded outflow.

pub mod balances;
pub mod changes;
pub mod describe;
pub mod idempotency;
pub mod operator_moves;
pub mod recommend;
pub mod rules;
