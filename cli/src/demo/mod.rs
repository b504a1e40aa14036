//! The demo: a treasury, the recorded history its keeper starts from, a synthetic
//! withdrawal workload, and a narrator that tells each movement in words, for
//! `local-cluster --demo --keeper --workload`.

pub mod history;
pub mod narrator;
pub mod session;
pub mod setup;
pub mod tokens;
pub mod workload;
