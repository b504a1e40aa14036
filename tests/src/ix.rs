//! The client crate's instruction builders and PDA helpers, under the names the suite uses.

pub use smart_treasury_client::{ix::*, pda::*};
