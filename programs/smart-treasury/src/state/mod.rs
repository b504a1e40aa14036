mod fee;
mod managed_balance;
mod name;
mod pool;
mod spender;
mod treasury;
mod window;

pub use fee::*;
pub use managed_balance::*;
pub use name::*;
pub use pool::*;
pub use spender::*;
pub use treasury::*;
pub use window::*;
