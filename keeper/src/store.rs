//! The keeper's history: balance samples, the program's own movements, and the
//! actions it took. One SQLite file in WAL mode, so a restarted keeper (even after
//! SIGKILL) keeps its history and knows what it already sent.

pub use crate::journal::{ActionRecord, ActionStatus};
use anyhow::{Context, Result};
use rusqlite::{params, Connection, TransactionBehavior};
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
    // Actions carry the keeper that claimed them and when a refused one is due again (on
    // the chain's clock); every signature sent for a need is kept; movements line up
    // with samples by slot.
    "ALTER TABLE action ADD COLUMN keeper TEXT NOT NULL DEFAULT '';
    ALTER TABLE action ADD COLUMN retry_at INTEGER NOT NULL DEFAULT 0;
    UPDATE action SET retry_at = updated_at + 30 WHERE status = 'failed';
    CREATE TABLE action_send (
        need TEXT NOT NULL,
        signature TEXT NOT NULL,
        keeper TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        PRIMARY KEY (need, signature)
    ) WITHOUT ROWID;
    CREATE INDEX movement_by_slot ON movement (managed_balance, slot);",
    // Samples keyed by a small number per managed balance and stored in time order: a
    // fifth of the bytes of the address repeated in every row and in an index.
    // `balance_sample` stays, as a view.
    "CREATE TABLE sampled_balance (
        id INTEGER PRIMARY KEY,
        managed_balance TEXT NOT NULL UNIQUE
    );
    CREATE TABLE sample (
        balance_id INTEGER NOT NULL,
        unix_timestamp INTEGER NOT NULL,
        slot INTEGER NOT NULL,
        balance INTEGER NOT NULL,
        PRIMARY KEY (balance_id, unix_timestamp, slot)
    ) WITHOUT ROWID;
    INSERT INTO sampled_balance (managed_balance) SELECT DISTINCT managed_balance FROM balance_sample;
    INSERT OR IGNORE INTO sample
        SELECT b.id, s.unix_timestamp, s.slot, s.balance FROM balance_sample AS s JOIN sampled_balance AS b USING (managed_balance);
    DROP INDEX balance_sample_by_time;
    DROP TABLE balance_sample;
    CREATE VIEW balance_sample AS
        SELECT b.managed_balance, s.slot, s.unix_timestamp, s.balance FROM sample AS s JOIN sampled_balance AS b ON b.id = s.balance_id;",
    // The treasury's vaults and other rare events are read by kind.
    "CREATE INDEX program_event_by_kind ON program_event (kind, slot);",
    // Retention reads each record table oldest first, and an alert's latest of its kind.
    "CREATE INDEX program_event_by_time ON program_event (COALESCE(block_time, recorded_at));
    CREATE INDEX movement_by_time ON movement (unix_timestamp);
    CREATE INDEX keeper_decision_by_time ON keeper_decision (at);
    CREATE INDEX keeper_alert_by_time ON keeper_alert (at);
    CREATE INDEX keeper_alert_by_subject ON keeper_alert (managed_balance, kind, at);",
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
        // Set before the first table exists: pruned history's pages can then go back to
        // the file system (`retention`). A store made before keeps its pages for
        // reuse instead.
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
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

    /// Records a movement once, however often its transaction is seen.
    pub fn record_movement(&self, movement: &Movement) -> Result<()> {
        Self::insert_movement(&self.conn, movement)
    }

    /// Inserts a movement once, alone or inside a caller's database transaction.
    pub(crate) fn insert_movement(conn: &Connection, movement: &Movement) -> Result<()> {
        conn.prepare_cached("INSERT OR IGNORE INTO movement VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?.execute(
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
    fn a_new_store_gives_pruned_pages_back() {
        let dir = std::env::temp_dir().join(format!("keeper-store-vacuum-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("history.sqlite");
        let _ = std::fs::remove_file(&path);
        let store = Store::open(&path).unwrap();
        let mode: i64 = store.conn.pragma_query_value(None, "auto_vacuum", |row| row.get(0)).unwrap();
        assert_eq!(mode, 2, "incremental");
        let empty = store.size().unwrap();
        let samples: Vec<crate::history::Sample> = (0..20_000u64)
            .map(|i| crate::history::Sample {
                managed_balance: format!("balance-{}", i % 100),
                slot: i,
                unix_timestamp: i as i64,
                balance: i,
            })
            .collect();
        store.record_samples(&samples).unwrap();
        let full = store.size().unwrap();
        assert!(store.prune_history(19_000).unwrap() > 18_000);
        let pruned = store.size().unwrap();
        // Of what the samples took, at least two thirds went back (the schema stays).
        assert!((pruned.bytes - empty.bytes) * 3 < full.bytes - empty.bytes, "{empty:?}, {full:?} -> {pruned:?}");
        assert_eq!(pruned.free_bytes, 0);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn samples_written_before_the_compact_layout_survive_the_upgrade() {
        let conn = Connection::open_in_memory().unwrap();
        let before_compact =
            MIGRATIONS.iter().position(|step| step.contains("CREATE TABLE sampled_balance")).expect("the compact step");
        for step in &MIGRATIONS[..before_compact] {
            conn.execute_batch(step).unwrap();
        }
        conn.pragma_update(None, "user_version", before_compact).unwrap();
        conn.execute("INSERT INTO balance_sample VALUES ('mb', 7, 100, 42), ('mb', 9, 110, 40)", []).unwrap();
        let store = Store::prepare(conn).unwrap();
        assert_eq!(store.sample_count("mb").unwrap(), 2);
        assert_eq!(store.flow_history("mb", 10, 110, 120).unwrap(), vec![-2.0]);
        // Readers of the old table read the view.
        let latest: i64 = store
            .conn
            .query_row(
                "SELECT balance FROM balance_sample WHERE managed_balance = 'mb' ORDER BY slot DESC",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(latest, 40);
    }

    #[test]
    fn a_movement_is_recorded_once() {
        let store = Store::in_memory().unwrap();
        store.record_movement(&movement("sig", 10, 1)).unwrap();
        store.record_movement(&movement("sig", 10, 1)).unwrap();
        assert_eq!(store.movements("mb").unwrap().len(), 1);
    }
}
