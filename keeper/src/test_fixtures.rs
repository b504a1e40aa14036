//! Records the keeper's unit tests build: a threshold top-up event and a keeper
//! decision, with only what a test varies as arguments.

use crate::decisions::Decision;
use anchor_lang::prelude::Pubkey;
use smart_treasury::events::{MovementReason, ToppedUp};

/// A threshold top-up of `managed_balance` from 100 to 500 at `at` (slot and time).
pub fn topped_up(treasury: Pubkey, managed_balance: Pubkey, at: i64) -> ToppedUp {
    ToppedUp {
        treasury,
        managed_balance,
        reason: MovementReason::Threshold,
        balance_before: 100,
        balance_after: 500,
        needed: 400,
        allowed: 400,
        received: 400,
        shortfall: 0,
        sources: vec![],
        config_version: 1,
        slot: at as u64,
        unix_timestamp: at,
    }
}

/// A decision of keeper "k" about `managed_balance` at `at`, for reason "healthy".
pub fn decision(managed_balance: &str, at: i64, outcome: &str) -> Decision {
    Decision {
        id: 0,
        managed_balance: managed_balance.into(),
        at,
        slot: None,
        keeper: "k".into(),
        outcome: outcome.into(),
        reason: "healthy".into(),
        amount: None,
        need: None,
        signature: None,
        fee_lamports: None,
        balance: Some(10),
        detail: None,
    }
}
