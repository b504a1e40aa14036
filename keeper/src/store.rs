//! The keeper's history: balance samples, the program's own movements, and the
//! actions it took. One SQLite file in WAL mode, so a restarted keeper (even after
//! SIGKILL) keeps its history and knows what it already sent.

use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::Path;

/// Schema steps, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE balance_sample (
        managed_balance TEXT NOT NULL,
        slot INTEGER NOT NULL,
        unix_timestamp INTEGER NOT NULL,
        balance INTEGER NOT NULL,
        PRIMARY KEY (managed_balance, slot)
    ) WITHOUT ROWID;
    CREATE TABLE movement (
        signature TEXT NOT NULL,
        managed_balance TEXT NOT NULL,
        kind TEXT NOT NULL,
        amount INTEGER NOT NULL,
        balance_before INTEGER NOT NULL,
        balance_after INTEGER NOT NULL,
        slot INTEGER NOT NULL,
        unix_timestamp INTEGER NOT NULL,
        fee_lamports INTEGER,
        PRIMARY KEY (signature, managed_balance, kind)
    );
    CREATE INDEX movement_by_balance ON movement (managed_balance, unix_timestamp);
    CREATE TABLE action (
        need TEXT PRIMARY KEY,
        managed_balance TEXT NOT NULL,
        kind TEXT NOT NULL,
        amount INTEGER NOT NULL,
        signature TEXT,
        status TEXT NOT NULL,
        detail TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX action_by_status ON action (status);",
    // Forecast history reads a balance's samples by time.
    "CREATE INDEX balance_sample_by_time ON balance_sample (managed_balance, unix_timestamp);",
    // Every program event of the treasury, once, keyed by where the chain put it; what
    // back-fill has covered; the managed balances ever seen (names outlive a close); the
    // keeper's decisions as they change; alerts, once each.
    "CREATE TABLE program_event (
        signature TEXT NOT NULL,
        event_index INTEGER NOT NULL,
        slot INTEGER NOT NULL,
        block_time INTEGER,
        fee_lamports INTEGER NOT NULL,
        kind TEXT NOT NULL,
        managed_balance TEXT,
        vault TEXT,
        balance_after INTEGER,
        amount INTEGER,
        data BLOB NOT NULL,
        recorded_at INTEGER NOT NULL,
        PRIMARY KEY (signature, event_index)
    );
    CREATE INDEX program_event_by_balance ON program_event (managed_balance, slot) WHERE managed_balance IS NOT NULL;
    CREATE INDEX program_event_by_vault ON program_event (vault, slot) WHERE vault IS NOT NULL;
    CREATE INDEX program_event_by_slot ON program_event (slot);
    CREATE TABLE ingest_cursor (
        treasury TEXT PRIMARY KEY,
        signature TEXT NOT NULL,
        slot INTEGER NOT NULL
    );
    CREATE TABLE balance_directory (
        managed_balance TEXT PRIMARY KEY,
        id INTEGER NOT NULL,
        name TEXT NOT NULL,
        mint TEXT NOT NULL,
        decimals INTEGER NOT NULL,
        destination TEXT NOT NULL
    );
    CREATE INDEX balance_directory_by_destination ON balance_directory (destination);
    CREATE TABLE keeper_decision (
        id INTEGER PRIMARY KEY,
        managed_balance TEXT NOT NULL,
        at INTEGER NOT NULL,
        slot INTEGER,
        keeper TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        amount INTEGER,
        need TEXT,
        signature TEXT,
        fee_lamports INTEGER,
        balance INTEGER,
        detail TEXT
    );
    CREATE INDEX keeper_decision_by_balance ON keeper_decision (managed_balance, at);
    CREATE TABLE keeper_alert (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        managed_balance TEXT,
        at INTEGER NOT NULL,
        slot INTEGER,
        detail TEXT NOT NULL
    );
    CREATE TABLE schema_extension (
        name TEXT PRIMARY KEY,
        applied INTEGER NOT NULL
    );",
];

/// A movement the program made, read from its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement {
    pub signature: String,
    pub managed_balance: String,
    /// threshold, forecast, manual, sweep or rebalance.
    pub kind: String,
    /// Signed change of the managed balance (a sweep is negative).
    pub amount: i128,
    pub balance_before: u64,
    pub balance_after: u64,
    pub slot: u64,
    pub unix_timestamp: i64,
    pub fee_lamports: Option<u64>,
}

/// Where an action stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionStatus {
    /// Built and about to be sent (or sent, not yet confirmed).
    Pending,
    Confirmed,
    Failed,
}

impl ActionStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "pending" => Ok(Self::Pending),
            "confirmed" => Ok(Self::Confirmed),
            "failed" => Ok(Self::Failed),
            other => anyhow::bail!("unknown action status {other:?} in the store"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    pub need: String,
    pub managed_balance: String,
    pub kind: String,
    pub amount: u64,
    pub signature: Option<String>,
    pub status: ActionStatus,
}

pub struct Store {
    pub(crate) conn: Connection,
}

impl Store {
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).with_context(|| format!("opening the keeper store {}", path.display()))?;
        Self::prepare(conn).with_context(|| format!("preparing the keeper store {}", path.display()))
    }

    pub fn in_memory() -> Result<Self> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(mut conn: Connection) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Another process (a second keeper, a restarted one, a reader) may open the same
        // file at the same moment: each step re-reads the version under a write lock.
        loop {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let applied: usize = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
            anyhow::ensure!(
                applied <= MIGRATIONS.len(),
                "the store was written by a newer keeper (schema {applied}, this keeper knows {}); upgrade the keeper",
                MIGRATIONS.len()
            );
            let Some(step) = MIGRATIONS.get(applied) else { break };
            tx.execute_batch(step)?;
            tx.pragma_update(None, "user_version", applied + 1)?;
            tx.commit()?;
        }
        Ok(Self { conn })
    }

    pub fn schema_version(&self) -> Result<usize> {
        Ok(self.conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
    }

    pub fn record_sample(&self, managed_balance: &str, slot: u64, unix_timestamp: i64, balance: u64) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO balance_sample VALUES (?1, ?2, ?3, ?4)",
            params![managed_balance, slot as i64, unix_timestamp, balance as i64],
        )?;
        Ok(())
    }

    /// Records balances seen at one slot in one transaction: one commit, not one per row.
    pub fn record_samples<'a>(
        &self,
        samples: impl IntoIterator<Item = (&'a str, u64)>,
        slot: u64,
        unix_timestamp: i64,
    ) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut insert = tx.prepare_cached("INSERT OR IGNORE INTO balance_sample VALUES (?1, ?2, ?3, ?4)")?;
            for (managed_balance, balance) in samples {
                insert.execute(params![managed_balance, slot as i64, unix_timestamp, balance as i64])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn sample_count(&self, managed_balance: &str) -> Result<u64> {
        let count: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM balance_sample WHERE managed_balance = ?1",
            params![managed_balance],
            |row| row.get(0),
        )?;
        Ok(count as u64)
    }

    /// Records a movement once, however often its transaction is seen.
    pub fn record_movement(&self, movement: &Movement) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO movement VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                movement.signature,
                movement.managed_balance,
                movement.kind,
                i64::try_from(movement.amount).context("movement amount does not fit the store")?,
                movement.balance_before as i64,
                movement.balance_after as i64,
                movement.slot as i64,
                movement.unix_timestamp,
                movement.fee_lamports.map(|fee| fee as i64),
            ],
        )?;
        Ok(())
    }

    pub fn movements(&self, managed_balance: &str) -> Result<Vec<Movement>> {
        let mut statement = self.conn.prepare(
            "SELECT signature, managed_balance, kind, amount, balance_before, balance_after, slot, unix_timestamp, fee_lamports
             FROM movement WHERE managed_balance = ?1 ORDER BY slot, signature",
        )?;
        let rows = statement.query_map(params![managed_balance], |row| {
            Ok(Movement {
                signature: row.get(0)?,
                managed_balance: row.get(1)?,
                kind: row.get(2)?,
                amount: i128::from(row.get::<_, i64>(3)?),
                balance_before: row.get::<_, i64>(4)? as u64,
                balance_after: row.get::<_, i64>(5)? as u64,
                slot: row.get::<_, i64>(6)? as u64,
                unix_timestamp: row.get(7)?,
                fee_lamports: row.get::<_, Option<i64>>(8)?.map(|fee| fee as u64),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Organic net flow (what payouts and deposits did, without the program's own
    /// movements) per bucket of `bucket_seconds`, for buckets `[from, to)`. A bucket
    /// without a sample carries the last known balance.
    pub fn flow_history(&self, managed_balance: &str, bucket_seconds: i64, from: i64, to: i64) -> Result<Vec<f64>> {
        anyhow::ensure!(bucket_seconds > 0 && to >= from, "invalid flow window");
        let buckets = ((to - from) / bucket_seconds) as usize;
        let mut closing: Vec<Option<i64>> = vec![None; buckets];
        // Cached statements: a fleet's re-forecast runs these once per managed balance.
        let mut opening: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT balance FROM balance_sample WHERE managed_balance = ?1 AND unix_timestamp < ?2
                 ORDER BY unix_timestamp DESC, slot DESC LIMIT 1",
            )?
            .query_row(params![managed_balance, from], |row| row.get(0))
            .optional()?;
        let mut samples = self.conn.prepare_cached(
            "SELECT unix_timestamp, balance FROM balance_sample
             WHERE managed_balance = ?1 AND unix_timestamp >= ?2 AND unix_timestamp < ?3 ORDER BY unix_timestamp, slot",
        )?;
        for row in samples.query_map(params![managed_balance, from, from + bucket_seconds * buckets as i64], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
        })? {
            let (timestamp, balance) = row?;
            closing[((timestamp - from) / bucket_seconds) as usize] = Some(balance);
        }
        let mut moved = vec![0i64; buckets];
        let mut movements = self.conn.prepare_cached(
            "SELECT unix_timestamp, amount FROM movement
             WHERE managed_balance = ?1 AND unix_timestamp >= ?2 AND unix_timestamp < ?3",
        )?;
        for row in movements
            .query_map(params![managed_balance, from, from + bucket_seconds * buckets as i64], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
            })?
        {
            let (timestamp, amount) = row?;
            moved[((timestamp - from) / bucket_seconds) as usize] += amount;
        }
        let mut flows = Vec::with_capacity(buckets);
        for (close, program_moved) in closing.into_iter().zip(moved) {
            let close = close.or(opening);
            let flow = match (opening, close) {
                (Some(open), Some(close)) => (close - open - program_moved) as f64,
                _ => 0.0,
            };
            flows.push(flow);
            opening = close;
        }
        Ok(flows)
    }

    /// Claims a need (one breach, one forecast window, one excess) for acting on it.
    /// Returns false when it is already claimed: pending, confirmed, or failed less than
    /// `retry_after` seconds ago.
    pub fn claim_action(
        &self,
        need: &str,
        managed_balance: &str,
        kind: &str,
        amount: u64,
        now: i64,
        retry_after: i64,
    ) -> Result<bool> {
        let claimed = self.conn.execute(
            "INSERT INTO action VALUES (?1, ?2, ?3, ?4, NULL, 'pending', NULL, ?5, ?5)
             ON CONFLICT (need) DO UPDATE SET status = 'pending', kind = excluded.kind, amount = excluded.amount,
                 signature = NULL, detail = NULL, updated_at = excluded.updated_at
             WHERE action.status = 'failed' AND action.updated_at <= excluded.updated_at - ?6",
            params![need, managed_balance, kind, amount as i64, now, retry_after],
        )?;
        Ok(claimed == 1)
    }

    pub fn update_action(
        &self,
        need: &str,
        status: ActionStatus,
        signature: Option<&str>,
        detail: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let changed = self.conn.execute(
            "UPDATE action SET status = ?2, signature = COALESCE(?3, signature), detail = ?4, updated_at = ?5 WHERE need = ?1",
            params![need, status.as_str(), signature, detail, now],
        )?;
        anyhow::ensure!(changed == 1, "no action recorded for need {need}");
        Ok(())
    }

    pub fn actions_with_status(&self, status: ActionStatus) -> Result<Vec<ActionRecord>> {
        let mut statement = self.conn.prepare(
            "SELECT need, managed_balance, kind, amount, signature, status FROM action WHERE status = ?1 ORDER BY created_at",
        )?;
        let rows = statement.query_map(params![status.as_str()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, String>(5)?,
            ))
        })?;
        rows.map(|row| {
            let (need, managed_balance, kind, amount, signature, status) = row?;
            Ok(ActionRecord {
                need,
                managed_balance,
                kind,
                amount: amount as u64,
                signature,
                status: ActionStatus::parse(&status)?,
            })
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn movement(signature: &str, amount: i128, unix_timestamp: i64) -> Movement {
        Movement {
            signature: signature.into(),
            managed_balance: "mb".into(),
            kind: "threshold".into(),
            amount,
            balance_before: 0,
            balance_after: 0,
            slot: 1,
            unix_timestamp,
            fee_lamports: Some(5_000),
        }
    }

    #[test]
    fn migrations_run_once_and_survive_reopening() {
        let dir = std::env::temp_dir().join(format!("keeper-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("history.sqlite");
        let _ = std::fs::remove_file(&path);
        {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
            store.record_sample("mb", 1, 100, 42).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        assert_eq!(store.flow_history("mb", 10, 100, 110).unwrap(), vec![0.0]);
        let journal: String = store.conn.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
        assert_eq!(journal, "wal");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn concurrent_openers_migrate_once() {
        let dir = std::env::temp_dir().join(format!("keeper-store-race-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("history.sqlite");
        let _ = std::fs::remove_file(&path);
        let openers: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Store::open(&path).map(|store| store.schema_version().unwrap()))
            })
            .collect();
        for opener in openers {
            assert_eq!(opener.join().unwrap().unwrap(), MIGRATIONS.len());
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn samples_recorded_together_read_back_as_single_ones() {
        let store = Store::in_memory().unwrap();
        store.record_samples([("a", 1_000), ("b", 50)], 1, 95).unwrap();
        store.record_samples([("a", 700), ("b", 50)], 2, 105).unwrap();
        // A second sample at the same slot is ignored, as `record_sample` ignores it.
        store.record_samples([("a", 1)], 2, 106).unwrap();
        assert_eq!(store.sample_count("a").unwrap(), 2);
        assert_eq!(store.flow_history("a", 10, 100, 110).unwrap(), vec![-300.0]);
        assert_eq!(store.flow_history("b", 10, 100, 110).unwrap(), vec![0.0]);
    }

    #[test]
    fn flow_history_removes_the_programs_own_movements() {
        let store = Store::in_memory().unwrap();
        // Bucket 0: 1,000 -> 700 (payouts). Bucket 1: 700 -> 4,500 with a 4,000 top-up,
        // so payouts were 200. Bucket 2: no sample, flat. Bucket 3: 4,500 -> 4,400.
        store.record_sample("mb", 1, 95, 1_000).unwrap();
        store.record_sample("mb", 2, 105, 700).unwrap();
        store.record_sample("mb", 3, 115, 4_500).unwrap();
        store.record_movement(&movement("sig", 4_000, 112)).unwrap();
        store.record_sample("mb", 4, 135, 4_400).unwrap();
        let flows = store.flow_history("mb", 10, 100, 140).unwrap();
        assert_eq!(flows, vec![-300.0, -200.0, 0.0, -100.0]);
    }

    #[test]
    fn a_movement_is_recorded_once() {
        let store = Store::in_memory().unwrap();
        store.record_movement(&movement("sig", 10, 1)).unwrap();
        store.record_movement(&movement("sig", 10, 1)).unwrap();
        assert_eq!(store.movements("mb").unwrap().len(), 1);
    }

    #[test]
    fn a_need_is_claimed_once() {
        let store = Store::in_memory().unwrap();
        assert!(store.claim_action("mb:v3:breach@200", "mb", "threshold", 10, 1, 30).unwrap());
        assert!(!store.claim_action("mb:v3:breach@200", "mb", "threshold", 10, 2, 30).unwrap());
        store.update_action("mb:v3:breach@200", ActionStatus::Confirmed, Some("sig"), None, 3).unwrap();
        assert!(!store.claim_action("mb:v3:breach@200", "mb", "threshold", 10, 100, 30).unwrap());
        let confirmed = store.actions_with_status(ActionStatus::Confirmed).unwrap();
        assert_eq!(confirmed.len(), 1);
        assert_eq!(confirmed[0].signature.as_deref(), Some("sig"));
        assert!(store.update_action("unknown", ActionStatus::Failed, None, None, 4).is_err());
    }

    #[test]
    fn a_refused_need_can_be_claimed_again_after_the_retry_delay() {
        let store = Store::in_memory().unwrap();
        assert!(store.claim_action("need", "mb", "threshold", 10, 1, 30).unwrap());
        store.update_action("need", ActionStatus::Failed, None, Some("cooldown"), 5).unwrap();
        assert!(!store.claim_action("need", "mb", "threshold", 10, 20, 30).unwrap());
        assert!(store.claim_action("need", "mb", "threshold", 12, 35, 30).unwrap());
        let pending = store.actions_with_status(ActionStatus::Pending).unwrap();
        assert_eq!((pending.len(), pending[0].amount), (1, 12));
    }
}
