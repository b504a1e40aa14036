//! The webhook tables, beside the keeper's in the same SQLite file: destinations and
//! the event patterns they subscribe to, messages (the outbox, written in the same
//! transaction as the event), one delivery per message and destination, and every
//! attempt. Times are unix milliseconds.

use crate::webhook::catalogue::Message;
use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use smart_treasury_keeper::store::Store;

const SCHEMA: &[&str] = &[
    "CREATE TABLE hook_destination (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        kind TEXT NOT NULL,
        description TEXT,
        secret TEXT NOT NULL,
        previous_secret TEXT,
        previous_secret_until INTEGER,
        enabled INTEGER NOT NULL,
        disabled_reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE hook_destination_event (
        destination TEXT NOT NULL,
        pattern TEXT NOT NULL,
        PRIMARY KEY (destination, pattern)
    );
    CREATE TABLE hook_message (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        managed_balance TEXT,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE hook_delivery (
        id INTEGER PRIMARY KEY,
        message TEXT NOT NULL,
        destination TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at INTEGER,
        lease_until INTEGER,
        last_response_status INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (message, destination)
    );
    CREATE INDEX hook_delivery_due ON hook_delivery (status, next_attempt_at);
    CREATE INDEX hook_delivery_by_destination ON hook_delivery (destination, id);
    CREATE TABLE hook_attempt (
        id INTEGER PRIMARY KEY,
        delivery INTEGER NOT NULL,
        at INTEGER NOT NULL,
        response_status INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL
    );
    CREATE INDEX hook_attempt_by_delivery ON hook_attempt (delivery);",
    // Retention finds settled deliveries and old messages oldest first.
    "CREATE INDEX hook_delivery_settled ON hook_delivery (updated_at) WHERE status IN ('delivered', 'failed');
    CREATE INDEX hook_message_by_time ON hook_message (created_at);",
];

pub fn migrate(store: &Store) -> Result<()> {
    store.migrate_extension("webhooks", SCHEMA)
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// Writes a message and one delivery per enabled destination whose patterns match its
/// type, inside the caller's transaction. A message already written is left alone.
pub fn enqueue(tx: &Transaction<'_>, message: &Message, now: i64) -> Result<usize> {
    let payload = serde_json::to_string(&message.payload)?;
    let inserted = tx
        .prepare_cached("INSERT OR IGNORE INTO hook_message VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![message.id, message.kind, message.managed_balance, payload, now])?;
    if inserted == 0 {
        return Ok(0);
    }
    let deliveries = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO hook_delivery
                 (message, destination, status, attempts, next_attempt_at, created_at, updated_at)
             SELECT ?1, d.id, 'pending', 0, ?3, ?3, ?3 FROM hook_destination d
             WHERE d.enabled = 1
               AND EXISTS (SELECT 1 FROM hook_destination_event p WHERE p.destination = d.id AND ?2 GLOB p.pattern)",
        )?
        .execute(params![message.id, message.kind, now])?;
    Ok(deliveries)
}

/// A destination as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    pub id: String,
    pub url: String,
    /// `web` or `slack`.
    pub kind: String,
    pub description: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<i64>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub events: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Destination {
    /// The secrets that sign now: the current one, and a rotated-out one in its overlap.
    pub fn signing_secrets(&self, now: i64) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until) {
            if now < until {
                secrets.push(previous);
            }
        }
        secrets
    }
}

pub fn insert_destination(conn: &Connection, destination: &Destination) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "INSERT INTO hook_destination VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL, 1, NULL, ?6, ?6)",
        params![
            destination.id,
            destination.url,
            destination.kind,
            destination.description,
            destination.secret,
            destination.created_at
        ],
    )?;
    for pattern in &destination.events {
        tx.execute("INSERT OR IGNORE INTO hook_destination_event VALUES (?1, ?2)", params![destination.id, pattern])?;
    }
    tx.commit()?;
    Ok(())
}

fn patterns(conn: &Connection, id: &str) -> Result<Vec<String>> {
    let mut statement =
        conn.prepare_cached("SELECT pattern FROM hook_destination_event WHERE destination = ?1 ORDER BY pattern")?;
    let rows = statement.query_map(params![id], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const DESTINATION_COLUMNS: &str = "id, url, kind, description, secret, previous_secret, previous_secret_until, enabled,
    disabled_reason, created_at, updated_at";

fn destination_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Destination> {
    Ok(Destination {
        id: row.get(0)?,
        url: row.get(1)?,
        kind: row.get(2)?,
        description: row.get(3)?,
        secret: row.get(4)?,
        previous_secret: row.get(5)?,
        previous_secret_until: row.get(6)?,
        enabled: row.get::<_, i64>(7)? == 1,
        disabled_reason: row.get(8)?,
        events: Vec::new(),
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
    })
}

pub fn destination(conn: &Connection, id: &str) -> Result<Option<Destination>> {
    let found = conn
        .prepare_cached(&format!("SELECT {DESTINATION_COLUMNS} FROM hook_destination WHERE id = ?1"))?
        .query_row(params![id], destination_row)
        .optional()?;
    found
        .map(|mut destination| {
            destination.events = patterns(conn, &destination.id)?;
            Ok(destination)
        })
        .transpose()
}

pub fn destinations(conn: &Connection) -> Result<Vec<Destination>> {
    let mut statement =
        conn.prepare_cached(&format!("SELECT {DESTINATION_COLUMNS} FROM hook_destination ORDER BY created_at, id"))?;
    let found = statement.query_map([], destination_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    found
        .into_iter()
        .map(|mut destination| {
            destination.events = patterns(conn, &destination.id)?;
            Ok(destination)
        })
        .collect()
}

/// Deletes a destination, its patterns and its deliveries; false when there was none.
pub fn delete_destination(conn: &Connection, id: &str) -> Result<bool> {
    let tx = conn.unchecked_transaction()?;
    let deleted = tx.execute("DELETE FROM hook_destination WHERE id = ?1", params![id])?;
    tx.execute("DELETE FROM hook_destination_event WHERE destination = ?1", params![id])?;
    tx.execute(
        "DELETE FROM hook_attempt WHERE delivery IN (SELECT id FROM hook_delivery WHERE destination = ?1)",
        params![id],
    )?;
    tx.execute("DELETE FROM hook_delivery WHERE destination = ?1", params![id])?;
    tx.commit()?;
    Ok(deleted == 1)
}

/// Replaces a destination's secret; the old one keeps signing beside it until `until`.
pub fn rotate_secret(conn: &Connection, id: &str, secret: &str, until: i64, now: i64) -> Result<bool> {
    let changed = conn.execute(
        "UPDATE hook_destination SET previous_secret = secret, previous_secret_until = ?3, secret = ?2, updated_at = ?4
         WHERE id = ?1",
        params![id, secret, until, now],
    )?;
    Ok(changed == 1)
}

/// A delivery to attempt now, claimed for `lease` ms.
#[derive(Clone, Debug)]
pub struct Due {
    pub delivery: i64,
    pub attempts: u32,
    pub message_id: String,
    pub payload: String,
    pub message_created_at: i64,
    pub destination: Destination,
}

/// Claims up to `limit` deliveries that are due and not leased by another worker.
pub fn claim_due(conn: &Connection, now: i64, lease: i64, limit: usize) -> Result<Vec<Due>> {
    let tx = Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
    let claimed: Vec<(i64, u32, String, String)> = {
        let mut statement = tx.prepare_cached(
            "UPDATE hook_delivery SET lease_until = ?2
             WHERE id IN (SELECT id FROM hook_delivery
                          WHERE status = 'pending' AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
                          ORDER BY next_attempt_at, id LIMIT ?3)
             RETURNING id, attempts, message, destination",
        )?;
        let rows = statement.query_map(params![now, now + lease, limit as i64], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut due = Vec::with_capacity(claimed.len());
    for (delivery, attempts, message_id, destination_id) in claimed {
        let (payload, message_created_at): (String, i64) = tx
            .prepare_cached("SELECT payload, created_at FROM hook_message WHERE id = ?1")?
            .query_row(params![message_id], |row| Ok((row.get(0)?, row.get(1)?)))
            .with_context(|| format!("delivery {delivery} names a missing message {message_id}"))?;
        let Some(destination) = destination(&tx, &destination_id)? else { continue };
        due.push(Due { delivery, attempts, message_id, payload, message_created_at, destination });
    }
    tx.commit()?;
    Ok(due)
}

/// How one attempt went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptResult {
    pub response_status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What comes after an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(i64),
    /// The last try failed: a dead letter, kept for inspection and replay.
    DeadLetter,
    /// The receiver answered 410 Gone: the destination is disabled.
    DestinationGone,
}

/// Records an attempt and what follows it.
pub fn record_attempt(conn: &Connection, due: &Due, result: &AttemptResult, next: &Next, now: i64) -> Result<()> {
    let tx = Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO hook_attempt (delivery, at, response_status, error, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![due.delivery, now, result.response_status, result.error, result.duration_ms],
    )?;
    let (status, next_at) = match next {
        Next::Delivered => ("delivered", None),
        Next::RetryAt(at) => ("pending", Some(*at)),
        Next::DeadLetter | Next::DestinationGone => ("failed", None),
    };
    tx.execute(
        "UPDATE hook_delivery SET status = ?2, attempts = attempts + 1, next_attempt_at = ?3, lease_until = NULL,
             last_response_status = ?4, last_error = ?5, updated_at = ?6
         WHERE id = ?1",
        params![due.delivery, status, next_at, result.response_status, result.error, now],
    )?;
    if *next == Next::DestinationGone {
        tx.execute(
            "UPDATE hook_destination SET enabled = 0, disabled_reason = ?2, updated_at = ?3 WHERE id = ?1",
            params![due.destination.id, "the receiver answered 410 Gone", now],
        )?;
        tx.execute(
            "UPDATE hook_delivery SET status = 'failed', last_error = 'the destination was disabled (410 Gone)',
                 next_attempt_at = NULL, updated_at = ?2
             WHERE destination = ?1 AND status = 'pending'",
            params![due.destination.id, now],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// A delivery as the API lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: i64,
    pub message_id: String,
    pub kind: String,
    pub destination: String,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<i64>,
    pub last_response_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const DELIVERY_SELECT: &str = "SELECT d.id, d.message, m.kind, d.destination, d.status, d.attempts, d.next_attempt_at,
        d.last_response_status, d.last_error, d.created_at, d.updated_at
    FROM hook_delivery d JOIN hook_message m ON m.id = d.message";

fn delivery_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: row.get(0)?,
        message_id: row.get(1)?,
        kind: row.get(2)?,
        destination: row.get(3)?,
        status: row.get(4)?,
        attempts: row.get(5)?,
        next_attempt_at: row.get(6)?,
        last_response_status: row.get(7)?,
        last_error: row.get(8)?,
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
    })
}

/// Deliveries, newest first, filtered by destination and status; and how many match.
pub fn deliveries(
    conn: &Connection,
    destination: Option<&str>,
    status: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<DeliveryRow>, u64)> {
    let filter = "WHERE (?1 IS NULL OR d.destination = ?1) AND (?2 IS NULL OR d.status = ?2)";
    let mut statement =
        conn.prepare_cached(&format!("{DELIVERY_SELECT} {filter} ORDER BY d.id DESC LIMIT ?3 OFFSET ?4"))?;
    let rows = statement
        .query_map(params![destination, status, limit as i64, offset as i64], delivery_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM hook_delivery d {filter}"),
        params![destination, status],
        |row| row.get(0),
    )?;
    Ok((rows, total as u64))
}

pub fn delivery(conn: &Connection, id: i64) -> Result<Option<DeliveryRow>> {
    Ok(conn
        .prepare_cached(&format!("{DELIVERY_SELECT} WHERE d.id = ?1"))?
        .query_row(params![id], delivery_row)
        .optional()?)
}

/// One attempt as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRow {
    pub at: i64,
    pub response_status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

pub fn attempts(conn: &Connection, delivery: i64) -> Result<Vec<AttemptRow>> {
    let mut statement = conn.prepare_cached(
        "SELECT at, response_status, error, duration_ms FROM hook_attempt WHERE delivery = ?1 ORDER BY id",
    )?;
    let rows = statement.query_map(params![delivery], |row| {
        Ok(AttemptRow { at: row.get(0)?, response_status: row.get(1)?, error: row.get(2)?, duration_ms: row.get(3)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Sends a delivery again from the start of the schedule (a dead letter included).
pub fn replay(conn: &Connection, id: i64, now: i64) -> Result<bool> {
    let changed = conn.execute(
        "UPDATE hook_delivery SET status = 'pending', attempts = 0, next_attempt_at = ?2, lease_until = NULL, updated_at = ?2
         WHERE id = ?1",
        params![id, now],
    )?;
    Ok(changed == 1)
}

/// Deletes up to `limit` deliveries settled (delivered or dead-lettered) before
/// `cutoff` (unix ms) with their attempts, then up to `limit` messages from before it
/// that no delivery names any more. A message with a delivery still pending stays, and
/// so does a replayed one (replaying makes it pending again). Returns rows deleted.
pub fn prune(conn: &Connection, cutoff: i64, limit: usize) -> Result<u64> {
    let settled: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM hook_delivery WHERE status IN ('delivered', 'failed') AND updated_at < ?1
             ORDER BY updated_at LIMIT ?2",
        )?
        .query_map(params![cutoff, limit as i64], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut deleted = 0;
    for delivery in settled {
        deleted += conn.prepare_cached("DELETE FROM hook_attempt WHERE delivery = ?1")?.execute(params![delivery])?;
        deleted += conn.prepare_cached("DELETE FROM hook_delivery WHERE id = ?1")?.execute(params![delivery])?;
    }
    deleted += conn
        .prepare_cached(
            "DELETE FROM hook_message WHERE rowid IN (
                 SELECT m.rowid FROM hook_message AS m
                 WHERE m.created_at < ?1 AND NOT EXISTS (SELECT 1 FROM hook_delivery AS d WHERE d.message = m.id)
                 ORDER BY m.created_at LIMIT ?2)",
        )?
        .execute(params![cutoff, limit as i64])?;
    Ok(deleted as u64)
}

/// When the next pending delivery falls due, if any.
pub fn next_due(conn: &Connection) -> Result<Option<i64>> {
    Ok(conn.query_row("SELECT MIN(next_attempt_at) FROM hook_delivery WHERE status = 'pending'", [], |row| {
        row.get::<_, Option<i64>>(0)
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::catalogue::{WebhookData, WebhookPayload};

    fn message(id: &str, kind: &'static str) -> Message {
        Message {
            id: id.into(),
            kind,
            managed_balance: None,
            payload: WebhookPayload {
                id: id.into(),
                kind: kind.into(),
                timestamp: "1970-01-01T00:00:00Z".into(),
                data: WebhookData {
                    treasury: "t".into(),
                    managed_balance: None,
                    managed_balance_id: None,
                    name: None,
                    description: "d".into(),
                    amount: None,
                    balance_before: None,
                    balance_after: None,
                    signature: None,
                    event_index: None,
                    slot: None,
                    details: serde_json::json!({}),
                },
            },
        }
    }

    fn destination(id: &str, events: &[&str]) -> Destination {
        Destination {
            id: id.into(),
            url: "https://example.com/hook".into(),
            kind: "web".into(),
            description: None,
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
            previous_secret: None,
            previous_secret_until: None,
            enabled: true,
            disabled_reason: None,
            events: events.iter().map(|e| e.to_string()).collect(),
            created_at: 1,
            updated_at: 1,
        }
    }

    #[test]
    fn messages_fan_out_to_matching_destinations_once() {
        let store = Store::in_memory().unwrap();
        migrate(&store).unwrap();
        let conn = store.connection();
        insert_destination(conn, &destination("all", &["*"])).unwrap();
        insert_destination(conn, &destination("balances", &["balance.*"])).unwrap();
        insert_destination(conn, &destination("pauses", &["treasury.paused"])).unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        assert_eq!(enqueue(&tx, &message("m1", "balance.topped_up"), 10).unwrap(), 2);
        assert_eq!(enqueue(&tx, &message("m1", "balance.topped_up"), 11).unwrap(), 0);
        assert_eq!(enqueue(&tx, &message("m2", "treasury.paused"), 12).unwrap(), 2);
        tx.commit().unwrap();
        let due = claim_due(conn, 100, 1_000, 10).unwrap();
        assert_eq!(due.len(), 4);
        // Leased: a second worker gets nothing until the lease ends.
        assert!(claim_due(conn, 200, 1_000, 10).unwrap().is_empty());
        let failed = AttemptResult { response_status: Some(500), error: None, duration_ms: 3 };
        record_attempt(conn, &due[0], &failed, &Next::RetryAt(5_000), 300).unwrap();
        record_attempt(
            conn,
            &due[1],
            &AttemptResult { response_status: Some(410), ..failed.clone() },
            &Next::DestinationGone,
            300,
        )
        .unwrap();
        let gone = &due[1].destination.id;
        assert!(!super::destination(conn, gone).unwrap().unwrap().enabled);
        let (rows, total) = deliveries(conn, Some(gone), Some("failed"), 0, 10).unwrap();
        assert_eq!(rows.len() as u64, total);
        assert!(total >= 1);
        assert!(next_due(conn).unwrap().is_some_and(|at| at <= 5_000));
        assert!(replay(conn, due[1].delivery, 400).unwrap());
        assert_eq!(attempts(conn, due[0].delivery).unwrap()[0].response_status, Some(500));
        assert!(delete_destination(conn, "all").unwrap());
        assert!(!delete_destination(conn, "all").unwrap());
    }

    /// Through the keeper's pruning, on a store file: settled deliveries older than the
    /// window go with their attempts and messages; pending and recent ones stay.
    #[test]
    fn settled_deliveries_beyond_the_window_go_and_pending_ones_stay() {
        use smart_treasury_keeper::retention::Pruning;
        const DAY_MS: i64 = 86_400_000;
        let (old, recent, cutoff) = (10 * DAY_MS, 70 * DAY_MS, 60 * DAY_MS);
        let dir = std::env::temp_dir().join(format!("api-hook-retention-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.sqlite");
        let _ = std::fs::remove_file(&path);
        let store = Store::open(&path).unwrap();
        crate::state::migrate(&store).unwrap();
        let conn = store.connection();
        let tx = conn.unchecked_transaction().unwrap();
        enqueue(&tx, &message("unrouted", "treasury.paused"), old).unwrap();
        tx.commit().unwrap();
        insert_destination(conn, &destination("d", &["*"])).unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        for id in ["delivered", "dead", "pending", "replayed"] {
            enqueue(&tx, &message(id, "balance.topped_up"), old).unwrap();
        }
        enqueue(&tx, &message("recent", "balance.topped_up"), recent).unwrap();
        tx.commit().unwrap();
        let due = claim_due(conn, recent, 1_000, 10).unwrap();
        let attempt = AttemptResult { response_status: Some(500), error: None, duration_ms: 3 };
        for item in &due {
            let (next, at) = match item.message_id.as_str() {
                "delivered" => (Next::Delivered, old + 1),
                "dead" | "replayed" => (Next::DeadLetter, old + 1),
                "pending" => (Next::RetryAt(recent + 1_000), old + 1),
                _ => (Next::Delivered, recent + 1),
            };
            record_attempt(conn, item, &attempt, &next, at).unwrap();
        }
        let replayed = due.iter().find(|item| item.message_id == "replayed").unwrap().delivery;
        assert!(replay(conn, replayed, old + 2).unwrap());
        let outbox = crate::webhook::outbox::WebhookOutbox { treasury: "t".into(), wake: Default::default() };
        let mut pruning = Pruning::new(0, cutoff / 1_000);
        store.prune(&mut pruning, Some(&outbox)).unwrap();

        let (rows, _) = deliveries(conn, None, None, 0, 100).unwrap();
        let mut left: Vec<&str> = rows.iter().map(|row| row.message_id.as_str()).collect();
        left.sort();
        assert_eq!(left, ["pending", "recent", "replayed"]);
        let messages: i64 = conn.query_row("SELECT COUNT(*) FROM hook_message", [], |row| row.get(0)).unwrap();
        assert_eq!(messages, 3, "the settled old messages and the unrouted one went");
        let attempts: i64 = conn.query_row("SELECT COUNT(*) FROM hook_attempt", [], |row| row.get(0)).unwrap();
        assert_eq!(attempts, 3, "the attempts of what is left");
        // What stays is still delivered.
        assert_eq!(claim_due(conn, recent + 1_000, 1_000, 10).unwrap().len(), 2);
        drop(store);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_rotated_secret_signs_beside_the_new_one_until_the_overlap_ends() {
        let store = Store::in_memory().unwrap();
        migrate(&store).unwrap();
        let conn = store.connection();
        insert_destination(conn, &destination("d", &["*"])).unwrap();
        assert!(rotate_secret(conn, "d", "whsec_new", 1_000, 10).unwrap());
        let rotated = super::destination(conn, "d").unwrap().unwrap();
        assert_eq!(rotated.signing_secrets(500), ["whsec_new", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]);
        assert_eq!(rotated.signing_secrets(1_000), ["whsec_new"]);
    }
}
