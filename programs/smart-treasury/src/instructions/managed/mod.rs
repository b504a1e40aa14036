mod close_managed_balance;
mod configure;
mod create_managed_balance;
mod expect_version;
mod link_source;

pub use close_managed_balance::*;
pub use configure::*;
pub use create_managed_balance::*;
pub use expect_version::*;
pub use link_source::*;
