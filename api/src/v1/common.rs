//! Shapes several resources share: pages, times, addresses, account kinds.

use crate::error::Problem;
use anchor_lang::prelude::Pubkey;
use serde::{Deserialize, Serialize};
use smart_treasury::state::AccountKind;
use utoipa::ToSchema;

/// The largest page a list returns.
pub const MAX_PAGE_SIZE: u32 = 1_000;
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The last page number a list accepts.
pub const MAX_PAGE: u32 = 1_000_000;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// 1 for the first page.
    pub page: u32,
    pub size: u32,
    /// Items over all pages.
    pub total: u64,
}

/// Which page: `page` from 1, `size` up to 1,000.
pub fn page_bounds(page: Option<u32>, size: Option<u32>) -> Result<(u32, u32), Problem> {
    let page = page.unwrap_or(1);
    let size = size.unwrap_or(DEFAULT_PAGE_SIZE);
    if page == 0 || page > MAX_PAGE {
        return Err(Problem::invalid("page", format!("pages count from 1 to {MAX_PAGE}")));
    }
    if size == 0 || size > MAX_PAGE_SIZE {
        return Err(Problem::invalid("size", format!("{size} must be 1 to {MAX_PAGE_SIZE}")));
    }
    Ok((page, size))
}

/// Unix seconds as RFC 3339 (UTC).
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// An RFC 3339 time a client sent, as unix seconds.
pub fn parse_time(field: &str, text: &str) -> Result<i64, Problem> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|at| at.unix_timestamp())
        .map_err(|_| Problem::invalid(field, format!("{text:?} is not an RFC 3339 time like 2026-01-31T12:00:00Z")))
}

/// A base58 address a client sent.
pub fn parse_address(field: &str, text: &str) -> Result<Pubkey, Problem> {
    text.trim().parse().map_err(|_| Problem::invalid(field, format!("{text:?} is not a base58 address (32 bytes)")))
}

/// Whose token account it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountType {
    /// A vault of one of the treasury's pools.
    AssetPool,
    /// Someone else's account (an exchange deposit account, a partner's) that delegated
    /// to a pool.
    Venue,
}

impl From<AccountKind> for AccountType {
    fn from(kind: AccountKind) -> Self {
        match kind {
            AccountKind::PoolVault => Self::AssetPool,
            AccountKind::Venue => Self::Venue,
        }
    }
}

/// How a change was carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChangeModeParam {
    Sign,
    Export,
}

/// `?changeMode=sign|export` on every change.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ChangeQuery {
    /// `sign` (the server's authority key signs and sends) or `export` (returned
    /// unsigned for a DAO or multisig); the server's default when absent.
    pub change_mode: Option<ChangeModeParam>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_and_pages_are_bounded() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_time("from", "2026-01-31T12:00:00Z").unwrap(), 1_769_860_800);
        assert_eq!(parse_time("from", "yesterday").unwrap_err().errors[0].field, "from");
        assert_eq!(page_bounds(None, None).unwrap(), (1, 50));
        assert_eq!(page_bounds(Some(0), None).unwrap_err().errors[0].field, "page");
        assert_eq!(page_bounds(None, Some(1_001)).unwrap_err().errors[0].field, "size");
    }
}
