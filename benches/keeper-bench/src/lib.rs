//! Benchmarks of the Smart Treasury keeper, each a binary that writes a report:
//! `bench-forecast` (forecast quality and speed against seasonal naive and statsforecast)
//! and `bench-backtest` (a year of simulated withdrawals with bank runs, forecast-driven
//! keeper against threshold-only).

pub mod backtest;
pub mod datasets;
pub mod exchange;
pub mod machine;
pub mod metrics;

pub use smart_treasury_client::workload;
