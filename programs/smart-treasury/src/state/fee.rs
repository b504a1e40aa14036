use anchor_lang::prelude::*;
use smart_treasury_policy::TransferFee;

/// A Token-2022 transfer fee: basis points of the amount sent, at most `maximum_fee`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
pub struct TransferFeeLimit {
    pub basis_points: u16,
    pub maximum_fee: u64,
}

impl From<TransferFeeLimit> for TransferFee {
    fn from(limit: TransferFeeLimit) -> Self {
        Self { basis_points: limit.basis_points, maximum_fee: limit.maximum_fee }
    }
}

impl From<TransferFee> for TransferFeeLimit {
    fn from(fee: TransferFee) -> Self {
        Self { basis_points: fee.basis_points, maximum_fee: fee.maximum_fee }
    }
}
