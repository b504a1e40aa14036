//! PDA seeds, layout versions and hard limits, in one place so clients derive the same
//! addresses and read the same layouts.

pub const TREASURY_SEED: &[u8] = b"treasury";
pub const POOL_SEED: &[u8] = b"pool";
pub const MANAGED_BALANCE_SEED: &[u8] = b"managed_balance";
pub const SPENDER_SEED: &[u8] = b"spender";
/// Seed of the PDA that signs the program's event self-CPIs (Anchor's convention).
pub const EVENT_AUTHORITY_SEED: &[u8] = b"__event_authority";

/// Keepers an allow-list can hold.
pub const MAX_KEEPERS: usize = 8;
/// Funding sources one managed balance can link.
pub const MAX_SOURCES: usize = smart_treasury_policy::MAX_SOURCES;
/// Bytes of a pool or managed-balance name (UTF-8, zero padded).
pub const NAME_LEN: usize = 32;

pub use smart_treasury_policy::{MAX_COOLDOWN_SECONDS, MAX_PERIOD_SECONDS};

/// Layout versions, written into every account this program creates. A changed layout
/// gets a new version, never a silent change (README, "Accounts").
pub const TREASURY_LAYOUT_VERSION: u8 = 1;
pub const POOL_LAYOUT_VERSION: u8 = 1;
/// 2: rolling-window rate limit, accepted transfer fee, return targets per source.
pub const MANAGED_BALANCE_LAYOUT_VERSION: u8 = 2;
/// 2: rolling-window spend limit.
pub const SPENDER_LAYOUT_VERSION: u8 = 2;
