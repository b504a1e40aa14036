//! Token-2022 transfer fees, and the highest one the authority accepts.

use crate::{limits::BPS_DENOMINATOR, PolicyError};

/// A transfer fee as Token-2022 charges it: basis points of the amount sent, rounded
/// up, at most `maximum_fee`. Mints without the extension charge `TransferFee::NONE`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransferFee {
    pub basis_points: u16,
    pub maximum_fee: u64,
}

impl TransferFee {
    pub const NONE: Self = Self { basis_points: 0, maximum_fee: 0 };

    /// The fee withheld from a transfer of `amount`.
    pub fn on(&self, amount: u64) -> u64 {
        if self.basis_points == 0 || amount == 0 {
            return 0;
        }
        let raw = (u128::from(amount) * u128::from(self.basis_points)).div_ceil(u128::from(BPS_DENOMINATOR));
        // The raw fee is at most `amount * 65_535 / 10_000` rounded up; `maximum_fee` caps it.
        u64::try_from(raw).unwrap_or(u64::MAX).min(self.maximum_fee)
    }

    /// The fee on `amount`, refused when it is above what `accepted` would charge.
    pub fn within(&self, accepted: &TransferFee, amount: u64) -> Result<u64, PolicyError> {
        let fee = self.on(amount);
        if fee > accepted.on(amount) {
            return Err(PolicyError::TransferFeeAboveAccepted);
        }
        Ok(fee)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_rounds_up_and_is_capped() {
        let fee = TransferFee { basis_points: 100, maximum_fee: 5_000 };
        assert_eq!(fee.on(0), 0);
        assert_eq!(fee.on(1), 1);
        assert_eq!(fee.on(10_000), 100);
        assert_eq!(fee.on(10_001), 101);
        assert_eq!(fee.on(1_000_000_000), 5_000);
        assert_eq!(TransferFee::NONE.on(u64::MAX), 0);
        assert_eq!(TransferFee { basis_points: 10_000, maximum_fee: u64::MAX }.on(u64::MAX), u64::MAX);
    }

    #[test]
    fn a_fee_above_the_accepted_one_is_refused() {
        let accepted = TransferFee { basis_points: 100, maximum_fee: 5_000 };
        assert_eq!(accepted.within(&accepted, 10_000), Ok(100));
        let raised = TransferFee { basis_points: 10_000, maximum_fee: u64::MAX };
        assert_eq!(raised.within(&accepted, 10_000), Err(PolicyError::TransferFeeAboveAccepted));
        // A higher rate under a lower cap charges less on large amounts: judged per amount.
        let steeper = TransferFee { basis_points: 200, maximum_fee: 1_000 };
        assert_eq!(steeper.within(&accepted, 1_000_000), Ok(1_000));
        assert_eq!(steeper.within(&accepted, 10_000), Err(PolicyError::TransferFeeAboveAccepted));
        assert_eq!(TransferFee::NONE.within(&TransferFee::NONE, 5), Ok(0));
    }
}
