//! Version 1 of the API: one module per resource.

pub mod activity_log;
pub mod advice;
pub mod balance_adjustment;
pub mod common;
pub mod funding_source;
pub mod health;
pub mod history;
pub mod hook;
pub mod keeper;
pub mod managed_balance;
pub mod predictions;
pub mod recommendation;
pub mod treasury;
