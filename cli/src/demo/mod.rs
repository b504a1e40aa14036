//! The demo treasury and its synthetic withdrawal workload, for `local-cluster --demo
//! --workload`.

pub mod setup;
pub mod tokens;
pub mod workload;
