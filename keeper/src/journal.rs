//! The action journal: which keeper claimed which need, every signature it sent for it,
//! and how it ended. Claims are what keep one keeper (or several sharing a store) from
//! acting twice on one need; times are the chain's clock, as the planner's are.

use crate::store::Store;
use anyhow::Result;
use rusqlite::params;

/// Where an action stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionStatus {
    /// Claimed, and maybe sent, not yet confirmed.
    Pending,
    Confirmed,
    Failed,
}

impl ActionStatus {
    pub(crate) fn as_str(self) -> &'static str {
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
    /// The signature that met the need (confirmed), or the last one sent.
    pub signature: Option<String>,
    pub status: ActionStatus,
    /// The keeper (its public key) that claimed it.
    pub keeper: String,
}

/// A claim on a need, as one keeper makes it.
#[derive(Clone, Copy, Debug)]
pub struct Claim<'a> {
    pub need: &'a str,
    pub managed_balance: &'a str,
    pub kind: &'a str,
    pub amount: u64,
    pub keeper: &'a str,
    /// The chain's time.
    pub now: i64,
    /// Another keeper's pending claim older than this many seconds is taken over: that
    /// keeper stopped without settling it (a landing never takes this long), and the
    /// program's cooldown and config version make a late copy of its crank harmless.
    pub stale_after: i64,
}

impl Store {
    /// Claims a need for acting on it. False when it is taken: pending (unless another
    /// keeper's claim went stale), confirmed, or failed and not yet due for a retry.
    pub fn claim_action(&self, claim: &Claim<'_>) -> Result<bool> {
        let claimed = self.conn.execute(
            "INSERT INTO action (need, managed_balance, kind, amount, signature, status, detail, created_at, updated_at,
                                 keeper, retry_at)
             VALUES (?1, ?2, ?3, ?4, NULL, 'pending', NULL, ?5, ?5, ?6, 0)
             ON CONFLICT (need) DO UPDATE SET status = 'pending', kind = excluded.kind, amount = excluded.amount,
                 signature = NULL, detail = NULL, updated_at = excluded.updated_at, keeper = excluded.keeper
             WHERE (action.status = 'failed' AND action.retry_at <= excluded.updated_at)
                OR (action.status = 'pending' AND action.keeper != excluded.keeper
                    AND action.updated_at <= excluded.updated_at - ?7)",
            params![claim.need, claim.managed_balance, claim.kind, claim.amount as i64, claim.now, claim.keeper, claim.stale_after],
        )?;
        Ok(claimed == 1)
    }

    /// Notes a signature sent for `need` before it goes out, so a restarted keeper looks
    /// it up instead of trusting it never went.
    pub fn record_send(&self, need: &str, keeper: &str, signature: &str, now: i64) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO action_send VALUES (?1, ?2, ?3, ?4)",
            params![need, signature, keeper, now],
        )?;
        self.conn.execute(
            "UPDATE action SET signature = ?2, updated_at = ?3 WHERE need = ?1 AND status = 'pending'",
            params![need, signature, now],
        )?;
        Ok(())
    }

    /// Every signature ever sent for `need`, oldest first.
    pub fn sends(&self, need: &str) -> Result<Vec<String>> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT signature FROM action_send WHERE need = ?1 ORDER BY sent_at, signature")?;
        let rows = statement.query_map(params![need], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The need was met by `signature`.
    pub fn confirm_action(&self, need: &str, signature: &str, now: i64) -> Result<()> {
        self.set_outcome(need, ActionStatus::Confirmed, Some(signature), None, 0, now)
    }

    /// The need was refused or given up; it may be claimed again from `retry_at` (chain
    /// time) on.
    pub fn fail_action(&self, need: &str, detail: &str, retry_at: i64, now: i64) -> Result<()> {
        self.set_outcome(need, ActionStatus::Failed, None, Some(detail), retry_at, now)
    }

    fn set_outcome(
        &self,
        need: &str,
        status: ActionStatus,
        signature: Option<&str>,
        detail: Option<&str>,
        retry_at: i64,
        now: i64,
    ) -> Result<()> {
        let changed = self.conn.execute(
            "UPDATE action SET status = ?2, signature = COALESCE(?3, signature), detail = ?4, retry_at = ?5,
                 updated_at = ?6
             WHERE need = ?1",
            params![need, status.as_str(), signature, detail, retry_at, now],
        )?;
        anyhow::ensure!(changed == 1, "no action recorded for need {need}");
        Ok(())
    }

    /// Lets go of a pending claim of `keeper` (nothing of it landed): the need may be
    /// claimed again at once. Its sends stay on record, to be watched by the next try.
    pub fn release_action(&self, need: &str, keeper: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM action WHERE need = ?1 AND keeper = ?2 AND status = 'pending'",
            params![need, keeper],
        )?;
        Ok(())
    }

    pub fn actions_with_status(&self, status: ActionStatus) -> Result<Vec<ActionRecord>> {
        let mut statement = self.conn.prepare(
            "SELECT need, managed_balance, kind, amount, signature, status, keeper FROM action WHERE status = ?1
             ORDER BY created_at",
        )?;
        let rows = statement.query_map(params![status.as_str()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
            ))
        })?;
        rows.map(|row| {
            let (need, managed_balance, kind, amount, signature, status, keeper) = row?;
            Ok(ActionRecord {
                need,
                managed_balance,
                kind,
                amount: amount as u64,
                signature,
                status: ActionStatus::parse(&status)?,
                keeper,
            })
        })
        .collect()
    }

    /// `keeper`'s own pending actions: what it left unsettled when it stopped.
    pub fn pending_actions_of(&self, keeper: &str) -> Result<Vec<ActionRecord>> {
        Ok(self
            .actions_with_status(ActionStatus::Pending)?
            .into_iter()
            .filter(|action| action.keeper == keeper)
            .collect())
    }

    /// Forgets settled actions (and their sends) last touched before `cutoff`.
    pub fn prune_actions(&self, cutoff: i64) -> Result<u64> {
        self.conn.execute(
            "DELETE FROM action_send WHERE need IN (SELECT need FROM action WHERE status != 'pending' AND updated_at < ?1)
                OR (sent_at < ?1 AND need NOT IN (SELECT need FROM action))",
            params![cutoff],
        )?;
        let deleted =
            self.conn.execute("DELETE FROM action WHERE status != 'pending' AND updated_at < ?1", params![cutoff])?;
        Ok(deleted as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim<'a>(need: &'a str, keeper: &'a str, now: i64) -> Claim<'a> {
        Claim { need, managed_balance: "mb", kind: "threshold", amount: 10, keeper, now, stale_after: 300 }
    }

    #[test]
    fn a_need_is_claimed_once() {
        let store = Store::in_memory().unwrap();
        assert!(store.claim_action(&claim("need", "k1", 1)).unwrap());
        assert!(!store.claim_action(&claim("need", "k1", 2)).unwrap());
        store.confirm_action("need", "sig", 3).unwrap();
        assert!(!store.claim_action(&claim("need", "k1", 100)).unwrap());
        let confirmed = store.actions_with_status(ActionStatus::Confirmed).unwrap();
        assert_eq!(confirmed.len(), 1);
        assert_eq!((confirmed[0].signature.as_deref(), confirmed[0].keeper.as_str()), (Some("sig"), "k1"));
        assert!(store.confirm_action("unknown", "sig", 4).is_err());
    }

    #[test]
    fn a_refused_need_is_claimable_again_when_its_retry_is_due() {
        let store = Store::in_memory().unwrap();
        assert!(store.claim_action(&claim("need", "k1", 1)).unwrap());
        // Refused by a cooldown that ends at 40 (chain time).
        store.fail_action("need", "cooldown", 40, 5).unwrap();
        assert!(!store.claim_action(&claim("need", "k1", 39)).unwrap());
        assert!(store.claim_action(&claim("need", "k1", 40)).unwrap());
        assert_eq!(store.actions_with_status(ActionStatus::Pending).unwrap().len(), 1);
    }

    #[test]
    fn keepers_sharing_a_store_keep_to_their_own_claims() {
        let store = Store::in_memory().unwrap();
        assert!(store.claim_action(&claim("need", "k1", 100)).unwrap());
        store.record_send("need", "k1", "sig-1", 101).unwrap();
        // A second keeper neither takes it over while it is live ...
        assert!(!store.claim_action(&claim("need", "k2", 200)).unwrap());
        assert!(store.pending_actions_of("k2").unwrap().is_empty());
        // ... nor releases it (its restart settles only its own).
        store.release_action("need", "k2").unwrap();
        assert_eq!(store.pending_actions_of("k1").unwrap().len(), 1);
        // Once stale, it is taken over, and the sends made so far stay on record.
        assert!(store.claim_action(&claim("need", "k2", 101 + 300)).unwrap());
        assert_eq!(store.pending_actions_of("k2").unwrap().len(), 1);
        assert_eq!(store.sends("need").unwrap(), vec!["sig-1".to_string()]);
    }

    #[test]
    fn a_released_claim_is_claimable_at_once_and_keeps_its_sends() {
        let store = Store::in_memory().unwrap();
        assert!(store.claim_action(&claim("need", "k1", 1)).unwrap());
        store.record_send("need", "k1", "sig-1", 2).unwrap();
        store.release_action("need", "k1").unwrap();
        assert!(store.claim_action(&claim("need", "k1", 2)).unwrap());
        assert_eq!(store.sends("need").unwrap(), vec!["sig-1".to_string()]);
    }

    #[test]
    fn settled_actions_are_pruned_with_their_sends() {
        let store = Store::in_memory().unwrap();
        for (need, at) in [("old", 10), ("new", 1_000)] {
            assert!(store.claim_action(&claim(need, "k1", at)).unwrap());
            store.record_send(need, "k1", &format!("{need}-sig"), at).unwrap();
            store.confirm_action(need, &format!("{need}-sig"), at).unwrap();
        }
        assert!(store.claim_action(&claim("pending", "k1", 10)).unwrap());
        assert_eq!(store.prune_actions(500).unwrap(), 1);
        assert!(store.sends("old").unwrap().is_empty());
        assert_eq!(store.sends("new").unwrap().len(), 1);
        assert_eq!(store.pending_actions_of("k1").unwrap().len(), 1, "a pending claim is never pruned");
    }
}
