//! PDA seeds and hard limits, in one place so clients derive the same addresses.

pub const TREASURY_SEED: &[u8] = b"treasury";
pub const POOL_SEED: &[u8] = b"pool";
pub const MANAGED_BALANCE_SEED: &[u8] = b"managed_balance";
pub const SPENDER_SEED: &[u8] = b"spender";

/// Keepers an allow-list can hold.
pub const MAX_KEEPERS: usize = 8;
/// Funding sources one managed balance can link.
pub const MAX_SOURCES: usize = smart_treasury_policy::MAX_SOURCES;
/// Bytes of a pool or managed-balance name (UTF-8, zero padded).
pub const NAME_LEN: usize = 32;

/// Longest cooldown between automatic movements: 30 days.
pub const MAX_COOLDOWN_SECONDS: u32 = 30 * 24 * 3600;
/// Longest rate-limit period: 366 days.
pub const MAX_PERIOD_SECONDS: u32 = 366 * 24 * 3600;

/// Layout version written into every account this program creates.
pub const LAYOUT_VERSION: u8 = 1;
