pub mod admin;
pub mod crank;
pub mod managed;
pub mod pool;

pub use admin::*;
pub use crank::*;
pub use managed::*;
pub use pool::*;
