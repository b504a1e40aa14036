pub mod config;
pub mod fees;
pub mod forecast;
pub mod metrics;
pub mod planner;
pub mod store;
