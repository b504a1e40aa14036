pub mod forecast;
pub mod planner;
