//! How long the store keeps what. Everything within the forecast window
//! (`history_days`) stays; beyond it only what something still reads: each balance's
//! opening sample, its last movement (the balance page shows it) and its last decision
//! (the activity log's latest word on it), the treasury's configuration events (its
//! vaults are read from them), the events of the transaction back-fill resumes from,
//! the newest alert of each kind per balance (so an alert still standing is never raised
//! twice), pending claims, and every webhook delivery not yet settled. Pruning goes in
//! bounded chunks, each its own short transaction.

use crate::{event_log::Outbox, store::Store};
use anyhow::Result;
use rusqlite::{params, Transaction, TransactionBehavior};
use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

/// Rows one chunk deletes at most.
pub const CHUNK_ROWS: usize = 2_000;
/// Managed balances whose old samples one chunk deletes.
const CHUNK_BALANCES: usize = 200;
/// Free pages one chunk gives back to the file system (4 MiB at 4 KiB pages).
const CHUNK_PAGES: u32 = 1_024;

/// Program events that describe the treasury rather than move money: rare, and read
/// for as long as the treasury exists.
pub const CONFIGURATION_EVENTS: &[&str] =
    &["TreasuryChanged", "PoolCreated", "VaultCreated", "SpenderChanged", "ManagedBalanceChanged"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Samples,
    Movements,
    Actions,
    Events,
    Decisions,
    Alerts,
    Outbox,
    Reclaim,
    Done,
}

impl Stage {
    fn next(self) -> Self {
        match self {
            Self::Samples => Self::Movements,
            Self::Movements => Self::Actions,
            Self::Actions => Self::Events,
            Self::Events => Self::Decisions,
            Self::Decisions => Self::Alerts,
            Self::Alerts => Self::Outbox,
            Self::Outbox => Self::Reclaim,
            Self::Reclaim | Self::Done => Self::Done,
        }
    }
}

/// Where a prune stands; each [`Store::prune_chunk`] moves it on.
#[derive(Clone, Debug)]
pub struct Pruning {
    /// Chain time: older rows of the keeper's tables go.
    pub cutoff: i64,
    /// The same moment on the host's clock, for tables stamped with it (webhooks).
    pub host_cutoff: i64,
    stage: Stage,
    /// The last (time, key) the stage visited: the next chunk starts after it.
    resume: (i64, i64),
    /// Rows deleted so far.
    pub deleted: u64,
    pub chunks: u64,
}

const START: (i64, i64) = (i64::MIN, i64::MIN);

impl Pruning {
    pub fn new(cutoff: i64, host_cutoff: i64) -> Self {
        Self { cutoff, host_cutoff, stage: Stage::Samples, resume: START, deleted: 0, chunks: 0 }
    }

    pub fn done(&self) -> bool {
        self.stage == Stage::Done
    }
}

/// How a prune went.
#[derive(Clone, Copy, Debug)]
pub struct PruneReport {
    pub deleted: u64,
    pub chunks: u64,
    /// The longest the store was held for one chunk: what a claim or a read waited at most.
    pub longest_hold: Duration,
    pub took: Duration,
    /// Stopped before the end (the keeper is stopping); the next prune carries on.
    pub stopped: bool,
}

/// Runs `pruning` a chunk at a time, holding `store` for one chunk only, so claims,
/// reactions and reads wait for a chunk at most, never for the whole prune. Between
/// chunks, with the store free, `between` runs; it returns false to stop. Blocks: call
/// it from a blocking thread.
pub fn prune_in_chunks(
    store: &Mutex<Store>,
    mut pruning: Pruning,
    outbox: Option<&dyn Outbox>,
    mut between: impl FnMut() -> bool,
) -> Result<PruneReport> {
    let started = Instant::now();
    let mut longest_hold = Duration::ZERO;
    let mut stopped = false;
    loop {
        let more = {
            let store = store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let held = Instant::now();
            let more = store.prune_chunk(&mut pruning, outbox)?;
            longest_hold = longest_hold.max(held.elapsed());
            more
        };
        if !more {
            break;
        }
        if !between() {
            stopped = true;
            break;
        }
    }
    Ok(PruneReport { deleted: pruning.deleted, chunks: pruning.chunks, longest_hold, took: started.elapsed(), stopped })
}

/// A table pruned by age, oldest first, except the rows `keep` (an SQL expression over
/// the row, aliased `e`) holds.
struct Aged {
    table: &'static str,
    key: &'static str,
    time: &'static str,
    keep: &'static str,
}

const MOVEMENTS: Aged = Aged { table: "movement", key: "rowid", time: "unix_timestamp", keep: "0" };

/// `{configuration}` is replaced by [`CONFIGURATION_EVENTS`].
const EVENTS: Aged = Aged {
    table: "program_event",
    key: "rowid",
    time: "COALESCE(block_time, recorded_at)",
    keep: "e.kind IN ({configuration})
        OR e.signature IN (SELECT signature FROM ingest_cursor)
        OR (e.managed_balance IS NOT NULL AND e.amount IS NOT NULL AND e.rowid =
            (SELECT n.rowid FROM program_event AS n WHERE n.managed_balance = e.managed_balance AND n.amount IS NOT NULL
             ORDER BY n.slot DESC, n.rowid DESC LIMIT 1))",
};

const DECISIONS: Aged = Aged {
    table: "keeper_decision",
    key: "id",
    time: "at",
    keep: "e.id = (SELECT n.id FROM keeper_decision AS n WHERE n.managed_balance = e.managed_balance
                   ORDER BY n.at DESC, n.id DESC LIMIT 1)",
};

const ALERTS: Aged = Aged {
    table: "keeper_alert",
    key: "rowid",
    time: "at",
    keep: "e.rowid = (SELECT n.rowid FROM keeper_alert AS n WHERE n.managed_balance IS e.managed_balance
                      AND n.kind = e.kind ORDER BY n.at DESC, n.rowid DESC LIMIT 1)",
};

impl Aged {
    /// Deletes the next chunk of old rows; returns (rows deleted, whether more may remain).
    fn prune_chunk(&self, tx: &Transaction<'_>, cutoff: i64, resume: &mut (i64, i64)) -> Result<(u64, bool)> {
        let Aged { table, key, time, keep } = self;
        let quoted: Vec<String> = CONFIGURATION_EVENTS.iter().map(|kind| format!("'{kind}'")).collect();
        let keep = keep.replace("{configuration}", &quoted.join(", "));
        let rows: Vec<(i64, i64, bool)> = tx
            .prepare_cached(&format!(
                "SELECT e.{key}, {time}, {keep} FROM {table} AS e
                 WHERE {time} < ?1 AND ({time}, e.{key}) > (?2, ?3) ORDER BY {time}, e.{key} LIMIT ?4"
            ))?
            .query_map(params![cutoff, resume.0, resume.1, CHUNK_ROWS as i64], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut delete = tx.prepare_cached(&format!("DELETE FROM {table} WHERE {key} = ?1"))?;
        let mut deleted = 0;
        for (id, _, kept) in &rows {
            if !kept {
                deleted += delete.execute(params![id])? as u64;
            }
        }
        if let Some(&(id, at, _)) = rows.last() {
            *resume = (at, id);
        }
        Ok((deleted, rows.len() == CHUNK_ROWS))
    }
}

impl Store {
    /// Prunes everything beyond the window at once (see [`Store::prune_chunk`]).
    /// Returns the rows deleted.
    pub fn prune(&self, pruning: &mut Pruning, outbox: Option<&dyn Outbox>) -> Result<u64> {
        while self.prune_chunk(pruning, outbox)? {}
        Ok(pruning.deleted)
    }

    /// Samples, movements, settled actions and the keeper's records older than `cutoff`
    /// (chain time), as [`Store::prune`] keeps them; then gives the freed pages back.
    pub fn prune_history(&self, cutoff: i64) -> Result<u64> {
        self.prune(&mut Pruning::new(cutoff, cutoff), None)
    }

    /// One bounded step of `pruning`, in its own transaction. False once nothing is left.
    pub fn prune_chunk(&self, pruning: &mut Pruning, outbox: Option<&dyn Outbox>) -> Result<bool> {
        let more = match pruning.stage {
            Stage::Done => return Ok(false),
            Stage::Reclaim => self.reclaim_chunk()?,
            stage => {
                let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
                let resume = &mut pruning.resume;
                let (deleted, more) = match stage {
                    Stage::Samples => self.prune_samples_chunk(&tx, pruning.cutoff, resume)?,
                    Stage::Movements => MOVEMENTS.prune_chunk(&tx, pruning.cutoff, resume)?,
                    Stage::Actions => (self.prune_actions(pruning.cutoff)?, false),
                    Stage::Events => EVENTS.prune_chunk(&tx, pruning.cutoff, resume)?,
                    Stage::Decisions => DECISIONS.prune_chunk(&tx, pruning.cutoff, resume)?,
                    Stage::Alerts => ALERTS.prune_chunk(&tx, pruning.cutoff, resume)?,
                    Stage::Outbox => match outbox {
                        Some(outbox) => {
                            let deleted = outbox.prune(&tx, pruning.host_cutoff, CHUNK_ROWS)?;
                            (deleted, deleted > 0)
                        }
                        None => (0, false),
                    },
                    Stage::Reclaim | Stage::Done => unreachable!("handled above"),
                };
                tx.commit()?;
                pruning.deleted += deleted;
                more
            }
        };
        pruning.chunks += 1;
        if !more {
            pruning.stage = pruning.stage.next();
            pruning.resume = START;
        }
        Ok(!pruning.done())
    }

    /// Old samples of the next few balances, each balance a range of the table's key;
    /// each keeps its last sample before the cutoff (the opening balance of the window).
    fn prune_samples_chunk(&self, tx: &Transaction<'_>, cutoff: i64, resume: &mut (i64, i64)) -> Result<(u64, bool)> {
        let ids: Vec<i64> = tx
            .prepare_cached("SELECT id FROM sampled_balance WHERE id > ?1 ORDER BY id LIMIT ?2")?
            .query_map(params![resume.1, CHUNK_BALANCES as i64], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut delete = tx.prepare_cached(
            "DELETE FROM sample WHERE balance_id = ?1 AND unix_timestamp <
                 (SELECT MAX(unix_timestamp) FROM sample WHERE balance_id = ?1 AND unix_timestamp < ?2)",
        )?;
        let mut deleted = 0;
        for id in &ids {
            deleted += delete.execute(params![id, cutoff])? as u64;
        }
        if let Some(&last) = ids.last() {
            resume.1 = last;
        }
        Ok((deleted, ids.len() == CHUNK_BALANCES))
    }

    /// Gives up to a chunk of free pages back; true while some remain. A store made
    /// before incremental auto-vacuum keeps its free pages for reuse instead.
    fn reclaim_chunk(&self) -> Result<bool> {
        let mode: i64 = self.conn.pragma_query_value(None, "auto_vacuum", |row| row.get(0))?;
        let free = || -> Result<i64> { Ok(self.conn.pragma_query_value(None, "freelist_count", |row| row.get(0))?) };
        let before = free()?;
        if mode != 2 || before == 0 {
            return Ok(false);
        }
        let mut statement = self.conn.prepare(&format!("PRAGMA incremental_vacuum({CHUNK_PAGES})"))?;
        let mut rows = statement.query([])?;
        while rows.next()?.is_some() {}
        let after = free()?;
        Ok(after > 0 && after < before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        event_log::{Alert, EventQuery},
        journal::Claim,
        store::Movement,
        test_fixtures::{decision, topped_up},
    };
    use anchor_lang::prelude::Pubkey;
    use smart_treasury::events::VaultCreated;
    use smart_treasury_client::events::{IndexedEvent, ProgramEvent, RawEvent, TransactionEvents};

    const DAY: i64 = 86_400;
    const NOW: i64 = 100 * DAY;
    const CUTOFF: i64 = NOW - 56 * DAY;

    fn event<E: anchor_lang::AnchorSerialize + anchor_lang::Discriminator>(index: u32, event: &E) -> IndexedEvent {
        let mut data = Vec::new();
        event.serialize(&mut data).unwrap();
        let raw = RawEvent { index, discriminator: E::DISCRIMINATOR.try_into().unwrap(), data };
        IndexedEvent { event: ProgramEvent::decode(&raw), raw }
    }

    fn transaction(signature: &str, at: i64, events: Vec<IndexedEvent>) -> TransactionEvents {
        TransactionEvents {
            signature: signature.into(),
            slot: at as u64,
            block_time: Some(at),
            fee_lamports: 5_000,
            events,
        }
    }

    fn alert(id: &str, managed_balance: Pubkey, at: i64) -> Alert {
        Alert {
            id: id.into(),
            kind: "balance.below_min",
            managed_balance: Some(managed_balance),
            at,
            slot: None,
            detail: serde_json::json!({}),
        }
    }

    fn signatures(store: &Store, query: EventQuery) -> Vec<String> {
        store.events(&query).unwrap().into_iter().map(|event| event.signature).collect()
    }

    #[test]
    fn configuration_events_are_named_as_the_program_names_them() {
        for kind in CONFIGURATION_EVENTS {
            assert!(ProgramEvent::NAMES.contains(kind), "{kind}");
        }
    }

    /// A busy balance and an idle one, with ten weeks of events, decisions and alerts.
    #[test]
    fn beyond_the_window_only_what_is_still_read_stays() {
        let dir = std::env::temp_dir().join(format!("keeper-retention-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keeper.sqlite");
        let _ = std::fs::remove_file(&path);
        let store = Store::open(&path).unwrap();
        let (treasury, busy, idle) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let vault = VaultCreated {
            treasury,
            pool: Pubkey::new_unique(),
            vault: Pubkey::new_unique(),
            mint: Pubkey::new_unique(),
            slot: 1,
        };
        let mut recorded = vec![transaction("vault", DAY, vec![event(0, &vault)])];
        recorded.push(transaction("idle-last", 2 * DAY, vec![event(0, &topped_up(treasury, idle, 2 * DAY))]));
        for day in 3..100 {
            let at = day * DAY;
            recorded.push(transaction(&format!("busy-{day}"), at, vec![event(0, &topped_up(treasury, busy, at))]));
        }
        for events in &recorded {
            store.record_events(events, &treasury, &[], None, events.block_time.unwrap()).unwrap();
        }
        // Back-fill last covered an old transaction (it lists newer ones from there).
        store.advance_cursor(&treasury, "busy-10", 10 * DAY as u64).unwrap();
        for day in [1, 30, 60, 99] {
            store.record_decision(&decision(&busy.to_string(), day * DAY, "waited")).unwrap();
        }
        store.record_decision(&decision(&idle.to_string(), 2 * DAY, "waited")).unwrap();
        store.record_alert(&alert("busy-old", busy, 5 * DAY), None, None).unwrap();
        store.record_alert(&alert("busy-new", busy, 90 * DAY), None, None).unwrap();
        store.record_alert(&alert("idle-standing", idle, 2 * DAY), None, None).unwrap();
        let claim = Claim {
            need: "old-pending",
            managed_balance: "mb",
            kind: "threshold",
            amount: 1,
            keeper: "k",
            now: DAY,
            stale_after: 300,
        };
        assert!(store.claim_action(&claim).unwrap());

        let deleted = store.prune(&mut Pruning::new(CUTOFF, CUTOFF), None).unwrap();
        assert!(deleted > 0);
        assert_eq!(store.prune(&mut Pruning::new(CUTOFF, CUTOFF), None).unwrap(), 0, "nothing more to prune");

        let busy_events =
            signatures(&store, EventQuery { managed_balance: Some(busy.to_string()), ..Default::default() });
        let oldest_kept = (CUTOFF / DAY..100).map(|day| format!("busy-{day}"));
        let expected: Vec<String> = std::iter::once("busy-10".to_string()).chain(oldest_kept).collect();
        assert_eq!(busy_events, expected, "the window, and the transaction back-fill resumes from");
        assert_eq!(
            signatures(&store, EventQuery { managed_balance: Some(idle.to_string()), ..Default::default() }),
            ["idle-last"],
            "an idle balance's last movement stays"
        );
        assert_eq!(
            signatures(&store, EventQuery { kinds: vec!["VaultCreated".into()], ..Default::default() }),
            ["vault"]
        );
        assert_eq!(store.cursor(&treasury).unwrap(), Some(("busy-10".into(), 10 * DAY as u64)));
        assert!(store.has_event("busy-10", 0).unwrap());
        store.advance_cursor(&treasury, "busy-99", 99 * DAY as u64).unwrap();
        assert_eq!(store.cursor(&treasury).unwrap().unwrap().0, "busy-99", "the cursor still moves on");
        // Movements follow their events; decisions keep the window and each balance's last.
        assert_eq!(store.movements(&busy.to_string()).unwrap().len(), (100 - CUTOFF / DAY) as usize);
        let kept: Vec<i64> =
            store.decisions(&busy.to_string(), (None, None), false, 0).unwrap().iter().map(|d| d.at / DAY).collect();
        assert_eq!(kept, [60, 99]);
        assert_eq!(store.decision_count(&idle.to_string(), (None, None)).unwrap(), 1);
        // The old alert went; the newest of a kind per balance stays, so it is not raised again.
        assert!(store.record_alert(&alert("busy-old", busy, 99 * DAY), None, None).unwrap());
        assert!(!store.record_alert(&alert("idle-standing", idle, 99 * DAY), None, None).unwrap());
        assert_eq!(store.pending_actions_of("k").unwrap().len(), 1, "a pending claim is never pruned");
        drop(store);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A fleet's worth of old records pruned while another thread keeps claiming needs:
    /// the store is free between chunks and the claims go on during the prune.
    #[test]
    fn a_prune_goes_in_chunks_and_lets_other_work_through() {
        use std::sync::{
            atomic::{AtomicBool, AtomicU64, Ordering},
            Arc,
        };
        let dir = std::env::temp_dir().join(format!("keeper-retention-chunks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keeper.sqlite");
        let _ = std::fs::remove_file(&path);
        let store = Store::open(&path).unwrap();
        let samples: Vec<crate::history::Sample> = (0..3_000u64)
            .flat_map(|balance| {
                (0..10).map(move |day| crate::history::Sample {
                    managed_balance: format!("balance-{balance}"),
                    slot: day,
                    unix_timestamp: day as i64 * DAY,
                    balance: day,
                })
            })
            .collect();
        store.record_samples(&samples).unwrap();
        let tx = store.conn.unchecked_transaction().unwrap();
        for balance in 0..2_000 {
            for day in 0..5 {
                let mut old = decision(&Pubkey::new_unique().to_string(), day * DAY, "waited");
                old.managed_balance = format!("balance-{balance}");
                store.record_decision(&old).unwrap();
            }
        }
        tx.commit().unwrap();
        let store = Arc::new(Mutex::new(store));
        let pruning = Arc::new(AtomicBool::new(true));
        let claims_during = Arc::new(AtomicU64::new(0));
        let claimer = {
            let (store, pruning, claims_during) = (store.clone(), pruning.clone(), claims_during.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    let need = format!("need-{n}");
                    let claim = Claim {
                        need: &need,
                        managed_balance: "mb",
                        kind: "threshold",
                        amount: 1,
                        keeper: "k",
                        now: NOW,
                        stale_after: 300,
                    };
                    assert!(store.lock().unwrap().claim_action(&claim).unwrap());
                    if !pruning.load(Ordering::SeqCst) {
                        return;
                    }
                    claims_during.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_micros(200));
                }
            })
        };
        let mut free_between = 0;
        let report = prune_in_chunks(&store, Pruning::new(9 * DAY, 9 * DAY), None, || {
            // The store is not held here (the claimer may hold it a moment).
            let asked = Instant::now();
            while asked.elapsed() < Duration::from_secs(1) {
                if let Ok(store) = store.try_lock() {
                    free_between += u64::from(store.sample_count("balance-0").is_ok());
                    break;
                }
                std::thread::sleep(Duration::from_micros(50));
            }
            std::thread::sleep(Duration::from_millis(1));
            true
        })
        .unwrap();
        pruning.store(false, Ordering::SeqCst);
        claimer.join().unwrap();

        // 3,000 balances keep one opening sample of nine; 2,000 keep their last decision.
        assert_eq!(report.deleted, 3_000 * 8 + 2_000 * 4);
        assert!(report.chunks >= 20, "{report:?}");
        assert!(!report.stopped);
        assert_eq!(free_between, report.chunks - 1, "the store is free between every two chunks");
        assert!(claims_during.load(Ordering::SeqCst) > 0, "no claim went through during the prune: {report:?}");
        assert!(report.longest_hold * 4 < report.took, "one chunk held the store most of the time: {report:?}");
        let store = store.lock().unwrap();
        assert_eq!(store.sample_count("balance-7").unwrap(), 2);
        drop(store);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_prune_stops_when_asked_and_the_next_one_carries_on() {
        let store = Store::in_memory().unwrap();
        for balance in 0..1_000 {
            store.record_sample(&format!("balance-{balance}"), 1, 1, 1).unwrap();
            store.record_sample(&format!("balance-{balance}"), 2, 2, 2).unwrap();
            store.record_sample(&format!("balance-{balance}"), 3, 3, 3).unwrap();
        }
        let store = Mutex::new(store);
        let first = prune_in_chunks(&store, Pruning::new(3, 3), None, || false).unwrap();
        assert!(first.stopped && first.deleted > 0 && first.deleted < 1_000, "{first:?}");
        let second = prune_in_chunks(&store, Pruning::new(3, 3), None, || true).unwrap();
        assert_eq!(first.deleted + second.deleted, 1_000);
    }

    #[test]
    fn movements_without_events_are_pruned_by_their_own_time() {
        let store = Store::in_memory().unwrap();
        for (signature, at) in [("old", CUTOFF - 1), ("new", CUTOFF)] {
            let movement = Movement {
                signature: signature.into(),
                managed_balance: "mb".into(),
                kind: "manual".into(),
                amount: 1,
                balance_before: 0,
                balance_after: 1,
                slot: at as u64,
                unix_timestamp: at,
                fee_lamports: None,
            };
            store.record_movement(&movement).unwrap();
        }
        assert_eq!(store.prune_history(CUTOFF).unwrap(), 1);
        assert_eq!(store.movements("mb").unwrap()[0].signature, "new");
    }
}
