//! The balance history the forecast reads: a sample when a balance changes and one per
//! bucket otherwise (not one per cycle), the program's own movements lined up with the
//! samples by slot. What is kept beyond the forecast window: `retention`.

use crate::store::Store;
use anyhow::Result;
use rusqlite::{params, OptionalExtension};
use std::collections::HashMap;

/// One managed balance's balance as read at a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    pub managed_balance: String,
    pub slot: u64,
    /// The chain's time at the read.
    pub unix_timestamp: i64,
    pub balance: u64,
}

/// The last sample kept per managed balance, deciding whether the next read is kept.
#[derive(Clone, Debug, Default)]
pub struct Sampler {
    last: HashMap<String, (u64, i64)>,
}

impl Sampler {
    /// Starts from the latest sample of each balance in the store.
    pub fn from_store(store: &Store) -> Result<Self> {
        Ok(Self { last: store.latest_samples()?.into_iter().map(|(key, balance, at)| (key, (balance, at))).collect() })
    }

    /// Whether `sample` is worth keeping: the balance changed, or no sample was kept in
    /// its bucket yet. Notes it as the last when it is.
    pub fn keep(&mut self, sample: &Sample, bucket_seconds: i64) -> bool {
        let bucket = |at: i64| at.div_euclid(bucket_seconds);
        let keep = match self.last.get(&sample.managed_balance) {
            None => true,
            Some(&(balance, at)) => balance != sample.balance || bucket(at) != bucket(sample.unix_timestamp),
        };
        if keep {
            self.last.insert(sample.managed_balance.clone(), (sample.balance, sample.unix_timestamp));
        }
        keep
    }

    pub fn forget(&mut self, managed_balance: &str) {
        self.last.remove(managed_balance);
    }
}

/// Bytes the store's file takes, and how many of them are free pages waiting for reuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreSize {
    pub bytes: u64,
    pub free_bytes: u64,
}

impl Store {
    /// Records samples in one transaction; a second sample of a balance at the same time
    /// and slot is ignored.
    pub fn record_samples(&self, samples: &[Sample]) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut name = tx.prepare_cached("INSERT OR IGNORE INTO sampled_balance (managed_balance) VALUES (?1)")?;
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO sample SELECT id, ?2, ?3, ?4 FROM sampled_balance WHERE managed_balance = ?1",
            )?;
            for sample in samples {
                name.execute(params![sample.managed_balance])?;
                insert.execute(params![
                    sample.managed_balance,
                    sample.unix_timestamp,
                    sample.slot as i64,
                    sample.balance as i64
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn record_sample(&self, managed_balance: &str, slot: u64, unix_timestamp: i64, balance: u64) -> Result<()> {
        self.record_samples(&[Sample { managed_balance: managed_balance.into(), slot, unix_timestamp, balance }])
    }

    /// Balances from before this keeper watched the chain (an operator's records, or the
    /// demo's earlier days), `(unix_timestamp, balance)`, all earlier than anything
    /// observed. They have no slot on this chain: they are recorded at slot 0, ahead of
    /// every observed sample, and the forecast reads them like any other. Importing the
    /// same list again changes nothing.
    pub fn import_samples(&self, managed_balance: &str, samples: &[(i64, u64)]) -> Result<()> {
        let imported: Vec<Sample> = samples
            .iter()
            .map(|&(unix_timestamp, balance)| Sample {
                managed_balance: managed_balance.to_string(),
                slot: 0,
                unix_timestamp,
                balance,
            })
            .collect();
        self.record_samples(&imported)
    }

    pub fn sample_count(&self, managed_balance: &str) -> Result<u64> {
        let count: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM sample WHERE balance_id = (SELECT id FROM sampled_balance WHERE managed_balance = ?1)",
            params![managed_balance],
            |row| row.get(0),
        )?;
        Ok(count as u64)
    }

    /// Each balance's latest sample: (managed balance, balance, time).
    pub fn latest_samples(&self) -> Result<Vec<(String, u64, i64)>> {
        let mut statement = self.conn.prepare(
            "SELECT b.managed_balance, s.balance, s.unix_timestamp FROM sampled_balance AS b
             JOIN sample AS s ON s.balance_id = b.id AND (s.unix_timestamp, s.slot) =
                 (SELECT unix_timestamp, slot FROM sample WHERE balance_id = b.id
                  ORDER BY unix_timestamp DESC, slot DESC LIMIT 1)",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as u64, row.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Organic net flow (what payouts and deposits did, without the program's own
    /// movements) per bucket of `bucket_seconds`, for buckets `[from, to)`. Between two
    /// consecutive samples the flow is the change of balance less the movements that
    /// landed in the slots between them (the later sample's slot included), and it counts
    /// in the later sample's bucket; a bucket without a sample has none.
    pub fn flow_history(&self, managed_balance: &str, bucket_seconds: i64, from: i64, to: i64) -> Result<Vec<f64>> {
        anyhow::ensure!(bucket_seconds > 0 && to >= from, "invalid flow window");
        let buckets = ((to - from) / bucket_seconds) as usize;
        let end = from + bucket_seconds * buckets as i64;
        let mut flows = vec![0.0; buckets];
        // Cached statements: a fleet's re-forecast runs these once per managed balance.
        let Some(id) = self.sampled_balance_id(managed_balance)? else { return Ok(flows) };
        let opening: Option<(i64, i64)> = self
            .conn
            .prepare_cached(
                "SELECT slot, balance FROM sample WHERE balance_id = ?1 AND unix_timestamp < ?2
                 ORDER BY unix_timestamp DESC, slot DESC LIMIT 1",
            )?
            .query_row(params![id, from], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let samples: Vec<(i64, i64, i64)> = self
            .conn
            .prepare_cached(
                "SELECT slot, unix_timestamp, balance FROM sample
                 WHERE balance_id = ?1 AND unix_timestamp >= ?2 AND unix_timestamp < ?3 ORDER BY unix_timestamp, slot",
            )?
            .query_map(params![id, from, end], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let (Some(&(first_slot, _, _)), Some(&(last_slot, _, _))) = (samples.first(), samples.last()) else {
            return Ok(flows);
        };
        let since = opening.map_or(first_slot, |(slot, _)| slot);
        let movements: Vec<(i64, i64)> = self
            .conn
            .prepare_cached(
                "SELECT slot, amount FROM movement WHERE managed_balance = ?1 AND slot > ?2 AND slot <= ?3 ORDER BY slot",
            )?
            .query_map(params![managed_balance, since, last_slot], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut movements = movements.into_iter().peekable();
        let mut previous = opening;
        for (slot, at, balance) in samples {
            let mut moved = 0;
            while let Some((_, amount)) = movements.next_if(|(moved_at, _)| *moved_at <= slot) {
                moved += amount;
            }
            if let Some((_, before)) = previous {
                flows[((at - from) / bucket_seconds) as usize] += (balance - before - moved) as f64;
            }
            previous = Some((slot, balance));
        }
        Ok(flows)
    }

    fn sampled_balance_id(&self, managed_balance: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM sampled_balance WHERE managed_balance = ?1")?
            .query_row(params![managed_balance], |row| row.get(0))
            .optional()?)
    }

    pub fn size(&self) -> Result<StoreSize> {
        let pragma = |name: &str| -> Result<u64> {
            Ok(self.conn.pragma_query_value(None, name, |row| row.get::<_, i64>(0))? as u64)
        };
        let page = pragma("page_size")?;
        Ok(StoreSize { bytes: pragma("page_count")? * page, free_bytes: pragma("freelist_count")? * page })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Movement;

    fn sample(slot: u64, unix_timestamp: i64, balance: u64) -> Sample {
        Sample { managed_balance: "mb".into(), slot, unix_timestamp, balance }
    }

    fn movement(signature: &str, amount: i128, slot: u64, unix_timestamp: i64) -> Movement {
        Movement {
            signature: signature.into(),
            managed_balance: "mb".into(),
            kind: "threshold".into(),
            amount,
            balance_before: 0,
            balance_after: 0,
            slot,
            unix_timestamp,
            fee_lamports: Some(5_000),
        }
    }

    #[test]
    fn a_sample_is_kept_on_a_change_or_a_new_bucket_only() {
        let mut sampler = Sampler::default();
        let kept: Vec<bool> = [
            sample(1, 100, 500),
            sample(2, 101, 500),
            sample(3, 150, 500),
            sample(4, 151, 480),
            sample(5, 199, 480),
            sample(6, 200, 480),
        ]
        .iter()
        .map(|sample| sampler.keep(sample, 100))
        .collect();
        assert_eq!(kept, vec![true, false, false, true, false, true]);
    }

    #[test]
    fn a_restarted_keeper_continues_from_the_stored_samples() {
        let store = Store::in_memory().unwrap();
        store.record_samples(&[sample(1, 100, 500), sample(7, 130, 450)]).unwrap();
        let mut sampler = Sampler::from_store(&store).unwrap();
        assert!(!sampler.keep(&sample(9, 140, 450), 100));
        assert!(sampler.keep(&sample(10, 141, 449), 100));
    }

    #[test]
    fn imported_history_precedes_what_is_observed_and_feeds_the_flows() {
        let store = Store::in_memory().unwrap();
        // Observed from slot 0 on; the import comes after but is older.
        store.record_sample("mb", 0, 130, 650).unwrap();
        store.import_samples("mb", &[(105, 1_000), (115, 900), (125, 700)]).unwrap();
        store.import_samples("mb", &[(105, 1_000), (115, 900), (125, 700)]).unwrap();
        assert_eq!(store.sample_count("mb").unwrap(), 4, "nothing replaced, nothing doubled");
        assert_eq!(store.flow_history("mb", 10, 100, 140).unwrap(), vec![0.0, -100.0, -200.0, -50.0]);
        assert_eq!(
            store.latest_samples().unwrap(),
            vec![("mb".to_string(), 650, 130)],
            "the observed one is the latest"
        );
    }

    #[test]
    fn flow_history_removes_the_programs_own_movements() {
        let store = Store::in_memory().unwrap();
        // Bucket 0: 1,000 -> 700 (payouts). Bucket 1: 700 -> 4,500 with a 4,000 top-up,
        // so payouts were 200. Bucket 2: no sample, flat. Bucket 3: 4,500 -> 4,400.
        store.record_samples(&[sample(1, 95, 1_000), sample(2, 105, 700), sample(3, 115, 4_500)]).unwrap();
        store.record_movement(&movement("sig", 4_000, 3, 112)).unwrap();
        store.record_sample("mb", 4, 135, 4_400).unwrap();
        let flows = store.flow_history("mb", 10, 100, 140).unwrap();
        assert_eq!(flows, vec![-300.0, -200.0, 0.0, -100.0]);
    }

    #[test]
    fn movements_line_up_with_samples_by_slot_not_by_clock() {
        let store = Store::in_memory().unwrap();
        // The top-up landed in slot 12, before the sample read at slot 12 (its clock
        // says 109, a bucket earlier than the sample's 111: clocks disagree by seconds).
        store.record_samples(&[sample(10, 95, 1_000), sample(12, 111, 5_000), sample(14, 125, 4_900)]).unwrap();
        store.record_movement(&movement("top-up", 4_500, 12, 109)).unwrap();
        let flows = store.flow_history("mb", 10, 100, 130).unwrap();
        // 1,000 -> 5,000 with 4,500 of it the top-up: a payout of 500, then one of 100.
        assert_eq!(flows, vec![0.0, -500.0, -100.0]);
    }

    #[test]
    fn pruning_keeps_the_window_and_its_opening_balance() {
        let store = Store::in_memory().unwrap();
        store.record_samples(&[sample(1, 10, 100), sample(2, 20, 90), sample(3, 30, 80), sample(4, 40, 70)]).unwrap();
        store.record_movement(&movement("old", 5, 2, 20)).unwrap();
        store.record_movement(&movement("new", 5, 4, 40)).unwrap();
        // Cut at 35: the samples at 10 and 20 go; 30 stays as the opening balance.
        assert_eq!(store.prune_history(35).unwrap(), 3);
        assert_eq!(store.sample_count("mb").unwrap(), 2);
        assert_eq!(store.movements("mb").unwrap().len(), 1);
        assert_eq!(store.flow_history("mb", 10, 40, 50).unwrap(), vec![-15.0]);
    }
}
