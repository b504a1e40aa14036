mod create_pool;
mod create_vault;
mod deposit;
mod spend;
mod spender_admin;
mod withdraw;

pub use create_pool::*;
pub use create_vault::*;
pub use deposit::*;
pub use spend::*;
pub use spender_admin::*;
pub use withdraw::*;
