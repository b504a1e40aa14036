//! The treasury's program events as the store keeps them: each once, keyed by where the
//! chain put it (signature, event index), with its slot, block time, fee, the balance
//! after it and the event's own bytes. The forecast's movements are derived from the
//! same records in the same SQLite transaction, and so are the webhook outbox's rows
//! (through [`Outbox`]), so an event is either recorded with everything that follows
//! from it or not at all.

use crate::store::{Movement, Store};
use anchor_lang::prelude::Pubkey;
use anyhow::{Context, Result};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use smart_treasury_client::events::{ProgramEvent, RawEvent, TransactionEvents};

/// What operators call a managed balance, kept so that events stay readable after the
/// balance is closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceInfo {
    pub address: Pubkey,
    pub id: u32,
    pub name: String,
    pub mint: Pubkey,
    pub decimals: u8,
    pub destination: Pubkey,
}

/// One event being recorded, with what a notification about it needs.
pub struct RecordedEvent<'a> {
    pub signature: &'a str,
    pub index: u32,
    pub slot: u64,
    pub block_time: Option<i64>,
    pub fee_lamports: u64,
    pub event: &'a ProgramEvent,
    /// The managed balance it is about (named directly, or through its destination vault).
    pub balance: Option<&'a BalanceInfo>,
}

/// Something the keeper noticed that is not a program event (a breach it is about to
/// answer, a forecast breach, a crank that failed), under an id derived from the chain
/// state it is about, so every keeper and every restart names it the same.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub id: String,
    /// The webhook event type, e.g. `balance.below_min`.
    pub kind: &'static str,
    pub managed_balance: Option<Pubkey>,
    pub at: i64,
    pub slot: Option<u64>,
    /// The alert's facts as JSON (amounts in base units).
    pub detail: serde_json::Value,
}

/// Receives what the store records, inside the same SQLite transaction: the webhook
/// outbox writes its rows here, so an event and its deliveries commit together.
pub trait Outbox: Send + Sync {
    fn on_event(&self, tx: &Transaction<'_>, event: &RecordedEvent<'_>) -> Result<()>;
    fn on_alert(&self, tx: &Transaction<'_>, alert: &Alert, balance: Option<&BalanceInfo>) -> Result<()>;
    /// Called after a transaction that wrote through this outbox committed: the rows are
    /// now visible to other connections (a delivery worker can be woken).
    fn committed(&self) {}
    /// Deletes up to about `limit` of the outbox's rows settled before `host_cutoff` (unix
    /// seconds, the host's clock), inside the store's pruning transaction; never one
    /// still waiting to be delivered. Returns how many went (0: nothing left).
    fn prune(&self, _tx: &Transaction<'_>, _host_cutoff: i64, _limit: usize) -> Result<u64> {
        Ok(0)
    }
}

/// An event as stored, for the activity log and history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub signature: String,
    pub index: u32,
    pub slot: u64,
    pub block_time: Option<i64>,
    pub fee_lamports: u64,
    pub kind: String,
    pub managed_balance: Option<String>,
    pub vault: Option<String>,
    pub balance_after: Option<u64>,
    /// Signed change of the balance it is about.
    pub amount: Option<i64>,
    pub raw: RawEvent,
}

impl StoredEvent {
    pub fn decode(&self) -> Option<ProgramEvent> {
        ProgramEvent::decode(&self.raw).ok()
    }
}

/// Which stored events to read: those of one managed balance (and of its destination
/// vault) or all of the treasury's, in a slot or time window.
#[derive(Clone, Debug, Default)]
pub struct EventQuery {
    pub managed_balance: Option<String>,
    pub vault: Option<String>,
    /// Only events of these names (`VaultCreated`); empty: of every name.
    pub kinds: Vec<String>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    pub from_slot: Option<u64>,
    pub to_slot: Option<u64>,
    pub from_time: Option<i64>,
    pub to_time: Option<i64>,
    pub offset: u64,
    pub limit: u64,
}

/// The movement an event made, for the forecast's organic flow: the program's own
/// top-ups, sweeps and rebalances (payouts and deposits are the organic flow itself).
pub fn movement_of(signature: &str, fee_lamports: u64, event: &ProgramEvent) -> Option<Movement> {
    use smart_treasury::events::MovementReason;
    let (managed_balance, kind, before, after, unix_timestamp, slot) = match event {
        ProgramEvent::ToppedUp(e) => {
            let kind = match e.reason {
                MovementReason::Threshold => "threshold",
                MovementReason::Forecast => "forecast",
                MovementReason::Manual => "manual",
                MovementReason::Sweep => "sweep",
                MovementReason::Rebalance => "rebalance",
            };
            (e.managed_balance, kind, e.balance_before, e.balance_after, e.unix_timestamp, e.slot)
        }
        ProgramEvent::ExcessSwept(e) => {
            (e.managed_balance, "sweep", e.balance_before, e.balance_after, e.unix_timestamp, e.slot)
        }
        ProgramEvent::RatioRebalanced(e) => {
            (e.managed_balance, "rebalance", e.local_before, e.local_after, e.unix_timestamp, e.slot)
        }
        _ => return None,
    };
    Some(Movement {
        signature: signature.to_string(),
        managed_balance: managed_balance.to_string(),
        kind: kind.to_string(),
        amount: i128::from(after) - i128::from(before),
        balance_before: before,
        balance_after: after,
        slot,
        unix_timestamp,
        fee_lamports: Some(fee_lamports),
    })
}

/// The `WHERE` clause of an [`EventQuery`], over parameters 1 to 7.
const EVENT_FILTER: &str = "(?1 IS NULL AND ?2 IS NULL OR managed_balance = ?1 OR vault = ?2)
    AND (?3 IS NULL OR slot >= ?3) AND (?4 IS NULL OR slot <= ?4)
    AND (?5 IS NULL OR block_time >= ?5) AND (?6 IS NULL OR block_time <= ?6)
    AND (?7 IS NULL OR instr(?7, ',' || kind || ',') > 0)";

fn filter_params(query: &EventQuery) -> Vec<Box<dyn rusqlite::ToSql>> {
    vec![
        Box::new(query.managed_balance.clone()),
        Box::new(query.vault.clone()),
        Box::new(query.from_slot.map(|slot| slot as i64)),
        Box::new(query.to_slot.map(|slot| slot as i64)),
        Box::new(query.from_time),
        Box::new(query.to_time),
        // `,ToppedUp,ExcessSwept,`: event names hold no comma.
        Box::new((!query.kinds.is_empty()).then(|| format!(",{},", query.kinds.join(",")))),
    ]
}

fn opt_u64(value: Option<i64>) -> Option<u64> {
    value.map(|v| v as u64)
}

impl Store {
    /// The connection itself, for a component that keeps its own tables in this file
    /// (see [`Store::migrate_extension`]).
    pub fn connection(&self) -> &rusqlite::Connection {
        &self.conn
    }

    /// Records the events of one transaction that belong to `treasury`, with their
    /// movements and outbox rows, in one SQLite transaction. `balances` holds, per event,
    /// the managed balance it is about when known. An event already recorded is
    /// left alone (and notifies no one again). Returns how many were new.
    pub fn record_events(
        &self,
        events: &TransactionEvents,
        treasury: &Pubkey,
        balances: &[Option<BalanceInfo>],
        outbox: Option<&dyn Outbox>,
        now: i64,
    ) -> Result<usize> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let mut new = 0;
        for (position, indexed) in events.events.iter().enumerate() {
            let decoded = indexed.event.as_ref().ok();
            // An event this keeper cannot decode is kept (raw) only if it could be ours:
            // its treasury field sits right after the discriminator in every event.
            let ours = match decoded {
                Some(event) => event.treasury() == *treasury,
                None => indexed.raw.data.get(..32) == Some(treasury.as_ref()),
            };
            if !ours {
                continue;
            }
            let change = decoded.and_then(ProgramEvent::balance_change);
            let kind = decoded.map_or("unknown", ProgramEvent::name);
            let inserted = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO program_event VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )?
                .execute(params![
                    events.signature,
                    indexed.index(),
                    events.slot as i64,
                    events.block_time,
                    events.fee_lamports as i64,
                    kind,
                    decoded.and_then(ProgramEvent::managed_balance).map(|key| key.to_string()),
                    decoded.and_then(ProgramEvent::vault).map(|key| key.to_string()),
                    change.map(|change| change.after as i64),
                    change.map(|change| change.delta as i64),
                    indexed.raw.bytes(),
                    now,
                ])?;
            if inserted == 0 {
                continue;
            }
            new += 1;
            let Some(event) = decoded else {
                tracing::warn!(signature = %events.signature, index = indexed.index(), "recorded an event this keeper cannot decode");
                continue;
            };
            if let Some(movement) = movement_of(&events.signature, events.fee_lamports, event) {
                Store::insert_movement(&tx, &movement)?;
            }
            if let Some(outbox) = outbox {
                let balance = balances.get(position).cloned().flatten();
                outbox.on_event(
                    &tx,
                    &RecordedEvent {
                        signature: &events.signature,
                        index: indexed.index(),
                        slot: events.slot,
                        block_time: events.block_time,
                        fee_lamports: events.fee_lamports,
                        event,
                        balance: balance.as_ref(),
                    },
                )?;
            }
        }
        tx.commit()?;
        if new > 0 {
            if let Some(outbox) = outbox {
                outbox.committed();
            }
        }
        Ok(new)
    }

    pub fn event_count(&self) -> Result<u64> {
        let count: i64 = self.conn.query_row("SELECT COUNT(*) FROM program_event", [], |row| row.get(0))?;
        Ok(count as u64)
    }

    /// Whether this event is already recorded.
    pub fn has_event(&self, signature: &str, index: u32) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM program_event WHERE signature = ?1 AND event_index = ?2")?
            .query_row(params![signature, index], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Stored events matching `query`, oldest first (or newest first): by slot, then in
    /// the order recorded (within a slot, the chain's order as ingested).
    pub fn events(&self, query: &EventQuery) -> Result<Vec<StoredEvent>> {
        let order = if query.newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT signature, event_index, slot, block_time, fee_lamports, kind, managed_balance, vault,
                    balance_after, amount, data
             FROM program_event WHERE {EVENT_FILTER}
             ORDER BY slot {order}, rowid {order}
             LIMIT ?8 OFFSET ?9"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let limit = if query.limit == 0 { i64::MAX } else { query.limit as i64 };
        let mut bound = filter_params(query);
        bound.push(Box::new(limit));
        bound.push(Box::new(query.offset as i64));
        let rows = statement.query_map(rusqlite::params_from_iter(bound.iter()), |row| {
            let index: u32 = row.get(1)?;
            let data: Vec<u8> = row.get(10)?;
            Ok((
                StoredEvent {
                    signature: row.get(0)?,
                    index,
                    slot: row.get::<_, i64>(2)? as u64,
                    block_time: row.get(3)?,
                    fee_lamports: row.get::<_, i64>(4)? as u64,
                    kind: row.get(5)?,
                    managed_balance: row.get(6)?,
                    vault: row.get(7)?,
                    balance_after: opt_u64(row.get(8)?),
                    amount: row.get(9)?,
                    raw: RawEvent { index, discriminator: [0; 8], data: Vec::new() },
                },
                data,
            ))
        })?;
        rows.map(|row| {
            let (mut event, data) = row?;
            event.raw = RawEvent::from_bytes(event.index, &data)
                .with_context(|| format!("event {}:{} is stored without its bytes", event.signature, event.index))?;
            Ok(event)
        })
        .collect()
    }

    /// How many stored events match `query` (its paging aside).
    pub fn count_events(&self, query: &EventQuery) -> Result<u64> {
        let sql = format!("SELECT COUNT(*) FROM program_event WHERE {EVENT_FILTER}");
        let count: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(filter_params(query).iter()), |row| row.get(0))?;
        Ok(count as u64)
    }

    /// The newest signature back-fill has covered, with its slot.
    pub fn cursor(&self, treasury: &Pubkey) -> Result<Option<(String, u64)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT signature, slot FROM ingest_cursor WHERE treasury = ?1",
                params![treasury.to_string()],
                |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as u64)),
            )
            .optional()?)
    }

    /// Moves the cursor forward (never back: two processes sharing a store may race).
    pub fn advance_cursor(&self, treasury: &Pubkey, signature: &str, slot: u64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO ingest_cursor VALUES (?1, ?2, ?3)
             ON CONFLICT (treasury) DO UPDATE SET signature = excluded.signature, slot = excluded.slot
             WHERE excluded.slot >= ingest_cursor.slot",
            params![treasury.to_string(), signature, slot as i64],
        )?;
        Ok(())
    }

    /// Remembers what operators call these managed balances.
    pub fn remember_balances(&self, balances: &[BalanceInfo]) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO balance_directory VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (managed_balance) DO UPDATE SET name = excluded.name, destination = excluded.destination",
            )?;
            for info in balances {
                upsert.execute(params![
                    info.address.to_string(),
                    info.id,
                    info.name,
                    info.mint.to_string(),
                    info.decimals,
                    info.destination.to_string()
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// A managed balance by address, or by its destination, as last remembered.
    pub fn balance_info(&self, address: Option<&Pubkey>, destination: Option<&Pubkey>) -> Result<Option<BalanceInfo>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT managed_balance, id, name, mint, decimals, destination FROM balance_directory
                 WHERE managed_balance = ?1 OR destination = ?2 LIMIT 1",
            )?
            .query_row(params![address.map(Pubkey::to_string), destination.map(Pubkey::to_string)], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, u32>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, u8>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })
            .optional()?;
        row.map(|(address, id, name, mint, decimals, destination)| {
            Ok(BalanceInfo {
                address: address.parse().context("stored managed balance address")?,
                id,
                name,
                mint: mint.parse().context("stored mint")?,
                decimals,
                destination: destination.parse().context("stored destination")?,
            })
        })
        .transpose()
    }

    /// Records an alert once; returns false when it was already raised.
    pub fn record_alert(
        &self,
        alert: &Alert,
        balance: Option<&BalanceInfo>,
        outbox: Option<&dyn Outbox>,
    ) -> Result<bool> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO keeper_alert VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                alert.id,
                alert.kind,
                alert.managed_balance.map(|key| key.to_string()),
                alert.at,
                alert.slot.map(|slot| slot as i64),
                alert.detail.to_string(),
            ],
        )?;
        if inserted == 1 {
            if let Some(outbox) = outbox {
                outbox.on_alert(&tx, alert, balance)?;
            }
        }
        tx.commit()?;
        if let (1, Some(outbox)) = (inserted, outbox) {
            outbox.committed();
        }
        Ok(inserted == 1)
    }

    /// Applies the named component's schema steps that have not run yet (tables that
    /// live beside the keeper's, such as the webhook outbox), one transaction per step.
    pub fn migrate_extension(&self, name: &str, steps: &[&str]) -> Result<()> {
        loop {
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
            let applied: usize = tx
                .query_row("SELECT applied FROM schema_extension WHERE name = ?1", params![name], |row| row.get(0))
                .optional()?
                .unwrap_or(0);
            anyhow::ensure!(
                applied <= steps.len(),
                "the store's {name} tables were written by a newer version (schema {applied}, this one knows {}); upgrade",
                steps.len()
            );
            let Some(step) = steps.get(applied) else { break };
            tx.execute_batch(step).with_context(|| format!("{name} schema step {}", applied + 1))?;
            tx.execute(
                "INSERT INTO schema_extension VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET applied = excluded.applied",
                params![name, applied + 1],
            )?;
            tx.commit()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::topped_up;
    use smart_treasury::events::ToppedUp;
    use smart_treasury_client::events::IndexedEvent;
    use std::sync::Mutex;

    fn borsh_bytes(event: &ToppedUp) -> Vec<u8> {
        let mut bytes = Vec::new();
        anchor_lang::AnchorSerialize::serialize(event, &mut bytes).unwrap();
        bytes
    }

    fn transaction(signature: &str, events: Vec<ToppedUp>) -> TransactionEvents {
        use anchor_lang::Discriminator;
        TransactionEvents {
            signature: signature.into(),
            slot: 7,
            block_time: Some(1_000),
            fee_lamports: 5_000,
            events: events
                .into_iter()
                .enumerate()
                .map(|(index, event)| {
                    let raw = RawEvent {
                        index: index as u32,
                        discriminator: ToppedUp::DISCRIMINATOR.try_into().unwrap(),
                        data: borsh_bytes(&event),
                    };
                    IndexedEvent { event: ProgramEvent::decode(&raw), raw }
                })
                .collect(),
        }
    }

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Outbox for Recorder {
        fn on_event(&self, tx: &Transaction<'_>, event: &RecordedEvent<'_>) -> Result<()> {
            // Runs inside the store's transaction: the event is visible to it already.
            let seen: i64 = tx.query_row("SELECT COUNT(*) FROM program_event", [], |row| row.get(0))?;
            self.0.lock().unwrap().push(format!("{}:{} ({seen} stored)", event.signature, event.index));
            Ok(())
        }

        fn on_alert(&self, _: &Transaction<'_>, alert: &Alert, _: Option<&BalanceInfo>) -> Result<()> {
            self.0.lock().unwrap().push(alert.id.clone());
            Ok(())
        }
    }

    #[test]
    fn an_event_is_recorded_once_with_its_movement_and_notifies_once() {
        let store = Store::in_memory().unwrap();
        let (treasury, other, balance) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let outbox = Recorder::default();
        let tx = transaction("sig", vec![topped_up(treasury, balance, 1_000), topped_up(other, balance, 1_000)]);
        let none: [Option<BalanceInfo>; 0] = [];
        assert_eq!(store.record_events(&tx, &treasury, &none, Some(&outbox), 1).unwrap(), 1);
        assert_eq!(store.record_events(&tx, &treasury, &none, Some(&outbox), 2).unwrap(), 0);
        assert_eq!(*outbox.0.lock().unwrap(), ["sig:0 (1 stored)"]);
        let stored =
            store.events(&EventQuery { managed_balance: Some(balance.to_string()), ..Default::default() }).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!((stored[0].balance_after, stored[0].amount, stored[0].fee_lamports), (Some(500), Some(400), 5_000));
        assert_eq!(stored[0].decode().unwrap().name(), "ToppedUp");
        let movements = store.movements(&balance.to_string()).unwrap();
        assert_eq!((movements.len(), movements[0].amount), (1, 400));
        assert!(store.has_event("sig", 0).unwrap() && !store.has_event("sig", 1).unwrap());
    }

    #[test]
    fn a_failing_outbox_records_nothing() {
        struct Failing;
        impl Outbox for Failing {
            fn on_event(&self, _: &Transaction<'_>, _: &RecordedEvent<'_>) -> Result<()> {
                anyhow::bail!("disk full")
            }
            fn on_alert(&self, _: &Transaction<'_>, _: &Alert, _: Option<&BalanceInfo>) -> Result<()> {
                anyhow::bail!("disk full")
            }
        }
        let store = Store::in_memory().unwrap();
        let (treasury, balance) = (Pubkey::new_unique(), Pubkey::new_unique());
        let tx = transaction("sig", vec![topped_up(treasury, balance, 1_000)]);
        assert!(store.record_events(&tx, &treasury, &[], Some(&Failing), 1).is_err());
        assert_eq!(store.event_count().unwrap(), 0);
        assert!(store.movements(&balance.to_string()).unwrap().is_empty());
    }

    #[test]
    fn the_cursor_only_moves_forward_and_alerts_fire_once() {
        let store = Store::in_memory().unwrap();
        let treasury = Pubkey::new_unique();
        assert_eq!(store.cursor(&treasury).unwrap(), None);
        store.advance_cursor(&treasury, "b", 20).unwrap();
        store.advance_cursor(&treasury, "a", 10).unwrap();
        assert_eq!(store.cursor(&treasury).unwrap(), Some(("b".into(), 20)));
        let alert = Alert {
            id: "mb:top-up:v1:after-slot-0:balance.below_min".into(),
            kind: "balance.below_min",
            managed_balance: None,
            at: 1,
            slot: Some(3),
            detail: serde_json::json!({"balance": 5}),
        };
        let outbox = Recorder::default();
        assert!(store.record_alert(&alert, None, Some(&outbox)).unwrap());
        assert!(!store.record_alert(&alert, None, Some(&outbox)).unwrap());
        assert_eq!(outbox.0.lock().unwrap().len(), 1);
    }

    #[test]
    fn extensions_migrate_once() {
        let store = Store::in_memory().unwrap();
        let steps = ["CREATE TABLE a (x)", "CREATE TABLE b (y)"];
        store.migrate_extension("hooks", &steps[..1]).unwrap();
        store.migrate_extension("hooks", &steps).unwrap();
        store.migrate_extension("hooks", &steps).unwrap();
        assert!(store.migrate_extension("hooks", &steps[..1]).is_err());
    }

    #[test]
    fn the_directory_outlives_a_rename_and_finds_destinations() {
        let store = Store::in_memory().unwrap();
        let info = BalanceInfo {
            address: Pubkey::new_unique(),
            id: 1,
            name: "hot".into(),
            mint: Pubkey::new_unique(),
            decimals: 6,
            destination: Pubkey::new_unique(),
        };
        store.remember_balances(std::slice::from_ref(&info)).unwrap();
        store.remember_balances(&[BalanceInfo { name: "hot wallet".into(), ..info.clone() }]).unwrap();
        let found = store.balance_info(None, Some(&info.destination)).unwrap().unwrap();
        assert_eq!(found.name, "hot wallet");
        assert_eq!(store.balance_info(Some(&info.address), None).unwrap().unwrap().id, 1);
    }
}
