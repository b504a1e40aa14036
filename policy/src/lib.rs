//! Pure rules of Smart Treasury: what a top-up, an excess sweep or a ratio rebalance
//! moves, and from where; which settings are valid; how the cooldown and the rolling
//! rate limits run. No I/O and no Solana types, so the on-chain program and the
//! off-chain keeper, CLI and benchmarks run exactly the same decisions.

mod automation;
mod error;
mod fee;
mod limits;
mod mode;
mod ratio;
mod source;
mod sweep;
mod thresholds;
mod top_up;
mod window;

pub use automation::{check_cooldown, cooldown_ready_at, AutomationLimits, SpendLimit};
pub use error::PolicyError;
pub use fee::TransferFee;
pub use limits::{
    validate_bps, validate_period, validate_ratio, BPS_DENOMINATOR, MAX_COOLDOWN_SECONDS, MAX_PERIOD_SECONDS,
    MAX_SOURCES,
};
pub use mode::BalanceMode;
pub use ratio::{plan_ratio_rebalance, ratio_counterpart, RatioMove, RatioRequest};
pub use source::{clamp_push, validate_priorities, SourceLink, SourceState, TokenAccountFacts};
pub use sweep::{plan_sweep, return_target, SweepPlan, SweepRequest};
pub use thresholds::Thresholds;
pub use top_up::{automatic_trigger, plan_top_up, Leg, TopUpPlan, TopUpReason, TopUpRequest, Trigger};
pub use window::{RollingWindow, WINDOW_SLICES, WINDOW_SLOTS};
