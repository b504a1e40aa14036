//! Pure rules of Smart Treasury: what a top-up, an excess sweep or a ratio rebalance
//! moves, and from where. No I/O and no Solana types, so the on-chain program and the
//! off-chain keeper run exactly the same decisions.

mod error;
mod limits;
mod ratio;
mod source;
mod sweep;
mod thresholds;
mod top_up;

pub use error::PolicyError;
pub use limits::{validate_bps, validate_ratio, BPS_DENOMINATOR, MAX_SOURCES};
pub use ratio::{plan_ratio_rebalance, RatioMove, RatioRequest};
pub use source::{validate_priorities, SourceState};
pub use sweep::{plan_sweep, SweepPlan, SweepRequest};
pub use thresholds::Thresholds;
pub use top_up::{plan_top_up, Leg, TopUpPlan, TopUpReason, TopUpRequest};
