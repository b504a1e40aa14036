//! What the keeper says about its fleet in the log each status interval: one summary
//! line, and a line per managed balance when it is worth reading. A small fleet (the
//! demo's) gets every balance's line every interval; a large one gets a balance's line
//! when something about it changed (health level, next move, what holds it), and
//! otherwise once per heartbeat, the heartbeats spread over the period so they never
//! come all at once.

use crate::{
    fleet_plan::{FleetPlan, Hold, Planned},
    planner::Action,
};
use anchor_lang::prelude::Pubkey;
use smart_treasury_client::HealthLevel;
use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

/// Fleets up to this size get every balance's line every interval.
pub const EVERY_INTERVAL_UP_TO: usize = 20;

/// In a larger fleet, a balance's line comes at least this often.
pub const HEARTBEAT: Duration = Duration::from_secs(30 * 60);

/// What a balance's line says that matters for telling whether it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusKey {
    pub level: HealthLevel,
    /// The next move (`top_up`, `sweep`, ...) or why it waits (`healthy`, `cooling_down`, ...).
    pub next: &'static str,
    pub held: Option<Hold>,
}

impl StatusKey {
    pub fn of(planned: &Planned) -> Self {
        let next = match planned.action {
            Action::Wait(wait) => crate::decisions::wait_reason(&wait).0,
            Action::TopUp { forecast: false, .. } => "top_up",
            Action::TopUp { forecast: true, .. } => "forecast_top_up",
            Action::Sweep { .. } => "sweep",
            Action::Rebalance { .. } => "rebalance",
        };
        let view = &planned.view;
        Self { level: HealthLevel::of_bps(view.thresholds.health_bps(view.balance)), next, held: planned.hold.clone() }
    }

    /// Worth a line the first time a large fleet's balance is seen: not healthy, or a
    /// move to make.
    fn notable(&self) -> bool {
        self.level != HealthLevel::Healthy || !matches!(self.next, "healthy" | "within_band" | "disabled")
    }
}

/// The last line written per balance, deciding whether the next one is.
#[derive(Default)]
pub struct StatusLog {
    last: HashMap<Pubkey, (StatusKey, Instant)>,
}

impl StatusLog {
    /// Whether `address`'s line is due at `now` in a fleet of `fleet_size`; notes it as
    /// written when it is.
    pub fn due(&mut self, address: &Pubkey, key: StatusKey, fleet_size: usize, now: Instant) -> bool {
        let small = fleet_size <= EVERY_INTERVAL_UP_TO;
        let (due, heartbeat_from) = match self.last.get(address) {
            _ if small => (true, now),
            None => {
                // Start the heartbeat somewhere in its period, by address: spread out.
                let phase = HEARTBEAT.mul_f64(spread(address));
                (key.notable(), now.checked_sub(phase).unwrap_or(now))
            }
            Some((last, _)) if *last != key => (true, now),
            Some((_, at)) if now.duration_since(*at) >= HEARTBEAT => (true, now),
            Some(_) => return false,
        };
        self.last.insert(*address, (key, heartbeat_from));
        due
    }

    /// Forgets balances no longer in the fleet.
    pub fn retain(&mut self, keep: impl Fn(&Pubkey) -> bool) {
        self.last.retain(|address, _| keep(address));
    }
}

/// Where in `[0, 1)` an address falls, evenly over a fleet and the same every run.
fn spread(address: &Pubkey) -> f64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    address.hash(&mut hasher);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The fleet in one line's numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FleetSummary {
    pub balances: usize,
    pub healthy: usize,
    pub watch: usize,
    pub critical: usize,
    /// Destination unusable: nothing can be planned for them.
    pub degraded: usize,
    /// Balances with a move to make now.
    pub moves: usize,
}

impl FleetSummary {
    pub fn of(plan: &FleetPlan) -> Self {
        let mut summary = Self { degraded: plan.degraded.len(), ..Self::default() };
        summary.balances = plan.planned.len() + summary.degraded;
        for planned in &plan.planned {
            let key = StatusKey::of(planned);
            match key.level {
                HealthLevel::Healthy => summary.healthy += 1,
                HealthLevel::Watch => summary.watch += 1,
                HealthLevel::Critical => summary.critical += 1,
            }
            summary.moves += usize::from(!matches!(planned.action, Action::Wait(_)));
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(level: HealthLevel, next: &'static str) -> StatusKey {
        StatusKey { level, next, held: None }
    }

    const LARGE: usize = 10_000;

    #[test]
    fn a_small_fleet_gets_every_line_every_interval() {
        let mut log = StatusLog::default();
        let (address, start) = (Pubkey::new_unique(), Instant::now());
        for interval in 0..10 {
            let now = start + Duration::from_secs(5 * interval);
            assert!(log.due(&address, key(HealthLevel::Healthy, "healthy"), 2, now));
        }
    }

    #[test]
    fn a_large_fleet_gets_a_line_on_a_change_or_a_heartbeat() {
        let mut log = StatusLog::default();
        let (quiet, breached, start) = (Pubkey::new_unique(), Pubkey::new_unique(), Instant::now());
        let healthy = || key(HealthLevel::Healthy, "healthy");
        assert!(!log.due(&quiet, healthy(), LARGE, start), "a healthy balance first seen is in the summary");
        assert!(log.due(&breached, key(HealthLevel::Critical, "top_up"), LARGE, start), "a breach first seen");
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        assert!(!log.due(&breached, key(HealthLevel::Critical, "top_up"), LARGE, at(5)), "nothing changed");
        assert!(log.due(&breached, key(HealthLevel::Critical, "cooling_down"), LARGE, at(10)), "the next move");
        assert!(log.due(&breached, key(HealthLevel::Healthy, "cooling_down"), LARGE, at(15)), "the health level");
        let held = StatusKey { held: Some(Hold::Paused), ..key(HealthLevel::Healthy, "cooling_down") };
        assert!(log.due(&breached, held.clone(), LARGE, at(20)), "what holds it");
        assert!(!log.due(&breached, held.clone(), LARGE, at(25)));
        // Unchanged, a line per heartbeat and no more.
        let heartbeat = HEARTBEAT.as_secs();
        assert!(!log.due(&breached, held.clone(), LARGE, at(20 + heartbeat - 5)));
        assert!(log.due(&breached, held.clone(), LARGE, at(20 + heartbeat)));
        let quiet_lines = (1..=2 * heartbeat / 5).filter(|n| log.due(&quiet, healthy(), LARGE, at(5 * n))).count();
        assert_eq!(quiet_lines, 2, "a quiet balance: one line per heartbeat");
    }

    #[test]
    fn heartbeats_are_spread_over_the_period() {
        let mut log = StatusLog::default();
        let start = Instant::now() + HEARTBEAT;
        let fleet: Vec<Pubkey> = (0..1_000).map(|_| Pubkey::new_unique()).collect();
        let healthy = || key(HealthLevel::Healthy, "healthy");
        for address in &fleet {
            assert!(!log.due(address, healthy(), LARGE, start));
        }
        // Five-second intervals over one heartbeat: no interval writes more than a few
        // percent of the fleet, and every balance is written once.
        let mut written = 0;
        let mut busiest = 0;
        for n in 1..=HEARTBEAT.as_secs() / 5 {
            let now = start + Duration::from_secs(5 * n);
            let lines = fleet.iter().filter(|address| log.due(address, healthy(), LARGE, now)).count();
            busiest = busiest.max(lines);
            written += lines;
        }
        assert_eq!(written, fleet.len());
        assert!(busiest <= fleet.len() / 20, "{busiest} lines in one interval");
    }

    #[test]
    fn the_lines_per_interval_at_scale_are_a_few_not_one_per_balance() {
        // 10,000 quiet balances and ten that change every interval, over an hour.
        let mut log = StatusLog::default();
        let start = Instant::now() + HEARTBEAT;
        let quiet: Vec<Pubkey> = (0..10_000).map(|_| Pubkey::new_unique()).collect();
        let busy: Vec<Pubkey> = (0..10).map(|_| Pubkey::new_unique()).collect();
        let intervals = 3_600 / 5;
        let mut lines = 0;
        for n in 0..intervals {
            let now = start + Duration::from_secs(5 * n);
            let next = if n % 2 == 0 { "top_up" } else { "cooling_down" };
            lines += quiet.iter().filter(|a| log.due(a, key(HealthLevel::Healthy, "healthy"), LARGE, now)).count();
            lines += busy.iter().filter(|a| log.due(a, key(HealthLevel::Watch, next), LARGE, now)).count();
        }
        let per_second = lines as f64 / 3_600.0;
        // One heartbeat per quiet balance per 30 minutes, plus every change of the busy ones.
        assert!(per_second < 15.0, "{per_second:.1} lines per second, against 2,000 before");
    }
}
