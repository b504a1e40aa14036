//! Moves an operator made through this server: a recommended move executed by hand and
//! a stress test applied for real. On chain such a crank looks like any keeper's, so
//! the server remembers its transaction, and the activity log tells who moved.

use anyhow::Result;
use rusqlite::{params, Connection};
use smart_treasury_keeper::store::Store;
use std::collections::HashMap;

const SCHEMA: &[&str] = &["CREATE TABLE api_operator_move (
    signature TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL
)"];

pub fn migrate(store: &Store) -> Result<()> {
    store.migrate_extension("api_operator_move", SCHEMA)
}

/// Why an operator moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperatorMove {
    /// "Execute recommended move".
    Manual,
    /// A stress test's outflow, withdrawn for real.
    StressTest,
}

impl OperatorMove {
    fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::StressTest => "stress_test",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "manual" => Some(Self::Manual),
            "stress_test" => Some(Self::StressTest),
            _ => None,
        }
    }
}

/// Remembers that the transaction `signature` was an operator's `kind` of move, made at
/// `at` (unix seconds, the host's clock).
pub fn record(store: &Store, signature: &str, kind: OperatorMove, at: i64) -> Result<()> {
    store.connection().execute(
        "INSERT OR REPLACE INTO api_operator_move VALUES (?1, ?2, ?3)",
        params![signature, kind.as_str(), at],
    )?;
    Ok(())
}

/// The operator moves among `signatures`.
pub fn of<'a>(store: &Store, signatures: impl IntoIterator<Item = &'a str>) -> Result<HashMap<String, OperatorMove>> {
    let conn = store.connection();
    let mut query = conn.prepare_cached("SELECT kind FROM api_operator_move WHERE signature = ?1")?;
    let mut found = HashMap::new();
    for signature in signatures {
        let mut rows = query.query(params![signature])?;
        if let Some(row) = rows.next()? {
            if let Some(kind) = OperatorMove::parse(&row.get::<_, String>(0)?) {
                found.insert(signature.to_string(), kind);
            }
        }
    }
    Ok(found)
}

/// Deletes up to `limit` moves recorded before `cutoff` (unix seconds): by then the
/// keeper has pruned their events too.
pub fn prune(conn: &Connection, cutoff: i64, limit: usize) -> Result<u64> {
    let deleted = conn.execute(
        "DELETE FROM api_operator_move WHERE rowid IN (SELECT rowid FROM api_operator_move WHERE at < ?1 LIMIT ?2)",
        params![cutoff, limit as i64],
    )?;
    Ok(deleted as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_move_is_found_by_its_signature_only() {
        let store = Store::in_memory().unwrap();
        migrate(&store).unwrap();
        record(&store, "sig-a", OperatorMove::Manual, 1).unwrap();
        record(&store, "sig-b", OperatorMove::StressTest, 2).unwrap();
        let found = of(&store, ["sig-a", "sig-b", "sig-c"]).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found["sig-a"], OperatorMove::Manual);
        assert_eq!(found["sig-b"], OperatorMove::StressTest);
        assert_eq!(prune(store.connection(), 2, 100).unwrap(), 1);
        assert_eq!(of(&store, ["sig-a", "sig-b"]).unwrap().keys().collect::<Vec<_>>(), ["sig-b"]);
    }
}
