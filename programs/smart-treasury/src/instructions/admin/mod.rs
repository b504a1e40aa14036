mod accept_authority;
mod create_treasury;
mod pause;
mod update_treasury;

pub use accept_authority::*;
pub use create_treasury::*;
pub use pause::*;
pub use update_treasury::*;
