//! Account values for unit tests.

use anchor_lang::prelude::Pubkey;
use smart_treasury::state::{
    AccountKind, AutomationSettings, BalanceMode, FundingSource, ManagedBalance, MovedWindow, TransferFeeLimit,
};

pub fn managed_balance(min: u64, target: u64, max: u64) -> ManagedBalance {
    ManagedBalance {
        layout_version: smart_treasury::constants::MANAGED_BALANCE_LAYOUT_VERSION,
        bump: 255,
        treasury: Pubkey::new_from_array([1; 32]),
        id: 1,
        name: [0; 32],
        mint: Pubkey::new_from_array([2; 32]),
        token_program: anchor_spl::token::ID,
        decimals: 6,
        destination: Pubkey::new_from_array([3; 32]),
        destination_kind: AccountKind::PoolVault,
        destination_pool: Pubkey::new_from_array([4; 32]),
        min,
        target,
        max,
        enabled: true,
        mode: BalanceMode::Threshold,
        automation: AutomationSettings {
            cooldown_seconds: 60,
            period_seconds: 86_400,
            period_cap: 1,
            forecast_band_bps: 0,
        },
        accepted_transfer_fee: TransferFeeLimit::default(),
        moved: MovedWindow::default(),
        last_automation_at: 0,
        last_automation_slot: 0,
        config_version: 1,
        source_count: 0,
        sources: [FundingSource::default(); smart_treasury::constants::MAX_SOURCES],
        reserved: [0; 64],
    }
}
