mod managed_balance;
mod name;
mod pool;
mod spender;
mod treasury;

pub use managed_balance::*;
pub use name::*;
pub use pool::*;
pub use spender::*;
pub use treasury::*;
