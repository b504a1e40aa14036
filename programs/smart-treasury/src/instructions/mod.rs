pub mod admin;
pub mod crank;
mod create_account;
pub mod managed;
pub mod pool;

pub use admin::*;
pub use crank::*;
pub use create_account::create_program_account;
pub use managed::*;
pub use pool::*;
