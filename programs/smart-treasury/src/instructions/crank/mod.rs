mod adjust_balance;
mod funding;
mod rebalance_ratio;
mod sweep_excess;
mod top_up;

pub use adjust_balance::*;
pub use funding::*;
pub use rebalance_ratio::*;
pub use sweep_excess::*;
pub use top_up::*;
