//! Requests that must not run twice (a balance adjustment moves money): the first with a
//! given key runs and its answer is kept; a repeat with the same body gets the same
//! answer, a repeat with a different body is refused, and one that arrives while the
//! first still runs is told to wait.

use crate::error::{ApiResult, Problem};
use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use smart_treasury_keeper::store::Store;

const SCHEMA: &[&str] = &["CREATE TABLE api_idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    status INTEGER,
    response TEXT,
    created_at INTEGER NOT NULL
)"];

pub fn migrate(store: &Store) -> Result<()> {
    store.migrate_extension("api_idempotency", SCHEMA)
}

/// What a request's key says about it.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// First time: run it, then `finish`.
    Run,
    /// Already answered: this status and JSON body.
    Answered { status: u16, body: String },
}

/// A stable digest of what was asked.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Claims `key` for a request with `fingerprint`.
pub fn claim(store: &Store, key: &str, fingerprint: &str, now: i64) -> Result<ApiResult<Claim>> {
    let conn = store.connection();
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO api_idempotency VALUES (?1, ?2, 'running', NULL, NULL, ?3)",
        params![key, fingerprint, now],
    )?;
    if inserted == 1 {
        return Ok(Ok(Claim::Run));
    }
    let (stored, state, status, body): (String, String, Option<u16>, Option<String>) = conn
        .query_row(
            "SELECT fingerprint, state, status, response FROM api_idempotency WHERE key = ?1",
            params![key],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?
        .ok_or_else(|| anyhow::anyhow!("idempotency key {key} vanished"))?;
    if stored != fingerprint {
        return Ok(Err(Problem::invalid(
            "requestId",
            format!("{key:?} was already used for a different request: use a new requestId"),
        )));
    }
    match (state.as_str(), status, body) {
        ("done", Some(status), Some(body)) => Ok(Ok(Claim::Answered { status, body })),
        _ => Ok(Err(Problem::conflict(format!(
            "a request with requestId {key:?} is in progress, or the server stopped while carrying it out: \
             check the activity log before retrying under a new requestId"
        )))),
    }
}

/// Keeps the answer to the request that claimed `key`.
pub fn finish(store: &Store, key: &str, status: u16, body: &str) -> Result<()> {
    store.connection().execute(
        "UPDATE api_idempotency SET state = 'done', status = ?2, response = ?3 WHERE key = ?1",
        params![key, status, body],
    )?;
    Ok(())
}

/// Forgets a claim whose request changed nothing (it failed before sending anything).
pub fn release(store: &Store, key: &str) -> Result<()> {
    store.connection().execute("DELETE FROM api_idempotency WHERE key = ?1 AND state = 'running'", params![key])?;
    Ok(())
}

/// Deletes up to `limit` finished keys made before `cutoff` (unix seconds): a key is
/// remembered for as long as the keeper keeps history. One still running stays.
pub fn prune(conn: &Connection, cutoff: i64, limit: usize) -> Result<u64> {
    let deleted = conn.execute(
        "DELETE FROM api_idempotency WHERE rowid IN (
             SELECT rowid FROM api_idempotency WHERE state = 'done' AND created_at < ?1 LIMIT ?2)",
        params![cutoff, limit as i64],
    )?;
    Ok(deleted as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_runs_once_and_answers_the_same_after() {
        let store = Store::in_memory().unwrap();
        migrate(&store).unwrap();
        let print = fingerprint(&["1", "100"]);
        assert_eq!(claim(&store, "req-1", &print, 1).unwrap().unwrap(), Claim::Run);
        assert_eq!(claim(&store, "req-1", &print, 2).unwrap().unwrap_err().status, 409);
        finish(&store, "req-1", 200, "{\"ok\":true}").unwrap();
        assert_eq!(
            claim(&store, "req-1", &print, 3).unwrap().unwrap(),
            Claim::Answered { status: 200, body: "{\"ok\":true}".into() }
        );
        let other = fingerprint(&["1", "200"]);
        assert_eq!(claim(&store, "req-1", &other, 4).unwrap().unwrap_err().errors[0].field, "requestId");
        assert_eq!(claim(&store, "req-2", &other, 5).unwrap().unwrap(), Claim::Run);
        release(&store, "req-2").unwrap();
        assert_eq!(claim(&store, "req-2", &other, 6).unwrap().unwrap(), Claim::Run);
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
    }

    #[test]
    fn old_finished_keys_are_pruned_and_running_ones_stay() {
        let store = Store::in_memory().unwrap();
        migrate(&store).unwrap();
        let print = fingerprint(&["1"]);
        for (key, at) in [("old-done", 10), ("old-running", 10), ("new-done", 100)] {
            assert_eq!(claim(&store, key, &print, at).unwrap().unwrap(), Claim::Run);
        }
        finish(&store, "old-done", 200, "{}").unwrap();
        finish(&store, "new-done", 200, "{}").unwrap();
        assert_eq!(prune(store.connection(), 50, 100).unwrap(), 1);
        assert_eq!(claim(&store, "old-done", &print, 101).unwrap().unwrap(), Claim::Run, "forgotten: runs again");
        assert_eq!(claim(&store, "old-running", &print, 101).unwrap().unwrap_err().status, 409);
        assert!(matches!(claim(&store, "new-done", &print, 101).unwrap().unwrap(), Claim::Answered { .. }));
    }
}
