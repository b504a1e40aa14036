//! Reads of the recorded balance history for charts: the samples of one managed
//! balance in a time window, with the last one before it.

use crate::store::Store;
use anyhow::Result;
use rusqlite::{params, OptionalExtension};

/// One recorded balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    pub unix_timestamp: i64,
    pub slot: u64,
    pub balance: u64,
}

impl Store {
    /// Samples in `[from, to)`, oldest first, and the last sample before `from`.
    pub fn samples_between(&self, managed_balance: &str, from: i64, to: i64) -> Result<(Option<Sample>, Vec<Sample>)> {
        let row = |row: &rusqlite::Row<'_>| {
            Ok(Sample {
                unix_timestamp: row.get(0)?,
                slot: row.get::<_, i64>(1)? as u64,
                balance: row.get::<_, i64>(2)? as u64,
            })
        };
        let before = self
            .conn
            .prepare_cached(
                "SELECT unix_timestamp, slot, balance FROM balance_sample WHERE managed_balance = ?1 AND unix_timestamp < ?2
                 ORDER BY unix_timestamp DESC, slot DESC LIMIT 1",
            )?
            .query_row(params![managed_balance, from], row)
            .optional()?;
        let samples = self
            .conn
            .prepare_cached(
                "SELECT unix_timestamp, slot, balance FROM balance_sample
                 WHERE managed_balance = ?1 AND unix_timestamp >= ?2 AND unix_timestamp < ?3 ORDER BY unix_timestamp, slot",
            )?
            .query_map(params![managed_balance, from, to], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((before, samples))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_window_and_what_came_before() {
        let store = Store::in_memory().unwrap();
        for (slot, at, balance) in [(1, 90, 5), (2, 100, 6), (3, 110, 7), (4, 120, 8)] {
            store.record_sample("mb", slot, at, balance).unwrap();
        }
        let (before, samples) = store.samples_between("mb", 100, 120).unwrap();
        assert_eq!(before.map(|s| s.balance), Some(5));
        assert_eq!(samples.iter().map(|s| s.balance).collect::<Vec<_>>(), [6, 7]);
    }
}
