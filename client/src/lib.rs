//! The library every off-chain piece of Smart Treasury shares (the CLI, the keeper):
//! program addresses, one builder per instruction, typed reads over standard JSON-RPC,
//! health, and changes turned into transactions, signed locally or exported unsigned.

pub mod amount;
pub mod cluster;
pub mod events;
pub mod fees;
pub mod health;
pub mod ix;
pub mod keypair;
pub mod land;
pub mod pda;
pub mod program_error;
pub mod read;
pub mod redact;
pub mod rules;
pub mod status;
pub mod tx;
pub mod workload;

#[cfg(test)]
mod test_support;

pub use amount::{AmountError, TokenAmount};
pub use health::{BandPosition, Health, HealthLevel};
pub use read::{connect, ReadError};
pub use status::{balance_statuses, BalanceStatus, SourceStatus};
pub use tx::{Change, Exported, SendError, Sent};
