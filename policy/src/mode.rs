use crate::{validate_ratio, PolicyError};

/// How a managed balance is kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BalanceMode {
    /// Between `min` and `max`, restored to `target` (top-up and sweep).
    #[default]
    Threshold,
    /// A share of the combined total with the counterpart (the first live enabled
    /// source), moved back to the ratio once it drifts past the band (rebalance).
    Ratio { ratio_bps: u16, band_bps: u16 },
}

impl BalanceMode {
    pub fn validate(&self) -> Result<(), PolicyError> {
        match *self {
            Self::Threshold => Ok(()),
            Self::Ratio { ratio_bps, band_bps } => validate_ratio(ratio_bps, band_bps),
        }
    }
}
