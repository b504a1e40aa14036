pub mod config;
pub mod forecast;
pub mod planner;
pub mod store;
