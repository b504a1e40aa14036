//! Smart Treasury in a real agave runtime with the real SPL Token and Token-2022
//! programs: one module per instruction or rule.

mod adjust_balance;
mod adversarial;
mod config_version;
mod dead_source;
mod fuzz;
mod governance;
mod logs;
mod managed_balance;
mod pool;
mod rebalance_ratio;
mod spender;
mod sweep_excess;
mod token_2022;
mod top_up;
mod transaction_size;
mod treasury;
