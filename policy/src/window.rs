//! What was moved in the last period, with bounded memory: a rolling window that holds
//! for every window of one period, not only for fixed periods.
//!
//! The period is cut into at most `WINDOW_SLICES` slices of `ceil(period /
//! WINDOW_SLICES)` seconds (at least one); one amount is kept per slice, for the current
//! slice and the period's worth of slices before it. Any window of one period ending now
//! starts inside the oldest of those, so their sum is at least what the window holds: a
//! movement is counted for between one period and one period plus one slice.

use crate::PolicyError;

/// Slices one period is cut into.
pub const WINDOW_SLICES: u32 = 8;
/// Amounts kept: the current slice and the `WINDOW_SLICES` before it.
pub const WINDOW_SLOTS: usize = WINDOW_SLICES as usize + 1;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RollingWindow {
    /// Index (`unix seconds / slice length`) of the newest slice written.
    pub newest_slice: u64,
    /// `amounts[slice mod WINDOW_SLOTS]` is what moved in that slice.
    pub amounts: [u64; WINDOW_SLOTS],
}

fn slice_length(period_seconds: u32) -> u32 {
    period_seconds.div_ceil(WINDOW_SLICES).max(1)
}

/// Slices one period spans: `WINDOW_SLICES`, fewer for periods under that many seconds.
fn slices_per_period(period_seconds: u32) -> u64 {
    u64::from(period_seconds.div_ceil(slice_length(period_seconds)))
}

fn slot(slice: u64) -> usize {
    (slice % WINDOW_SLOTS as u64) as usize
}

/// The slice `now` falls in. Unsigned throughout (SBPF v0 has no signed division); a
/// time before 1970 counts as 1970.
fn slice_at(now: i64, period_seconds: u32) -> u64 {
    u64::try_from(now).unwrap_or(0) / u64::from(slice_length(period_seconds))
}

impl RollingWindow {
    /// The slice `now` falls in; never before the newest one written, so a clock that
    /// steps back counts everything kept.
    fn current_slice(&self, now: i64, period_seconds: u32) -> u64 {
        slice_at(now, period_seconds).max(self.newest_slice)
    }

    /// What counts against the limit at `now`: everything moved in the slices that
    /// overlap the last `period_seconds`.
    pub fn moved(&self, now: i64, period_seconds: u32) -> u64 {
        let oldest = self.current_slice(now, period_seconds).saturating_sub(slices_per_period(period_seconds));
        (0..WINDOW_SLOTS as u64)
            .filter_map(|age| self.newest_slice.checked_sub(age))
            .filter(|&slice| slice >= oldest)
            .fold(0u64, |total, slice| total.saturating_add(self.amounts[slot(slice)]))
    }

    /// When the oldest amount still counted at `now` stops counting: the moment more
    /// frees up. `None` when nothing is counted.
    pub fn frees_up_at(&self, now: i64, period_seconds: u32) -> Option<i64> {
        let oldest = self.current_slice(now, period_seconds).saturating_sub(slices_per_period(period_seconds));
        let counted = (oldest..=self.newest_slice)
            .find(|&slice| self.newest_slice - slice < WINDOW_SLOTS as u64 && self.amounts[slot(slice)] > 0)?;
        let leaves = (counted + slices_per_period(period_seconds) + 1) * u64::from(slice_length(period_seconds));
        Some(i64::try_from(leaves).unwrap_or(i64::MAX))
    }

    /// What may still move at `now` under `limit`.
    pub fn remaining(&self, now: i64, period_seconds: u32, limit: u64) -> u64 {
        limit.saturating_sub(self.moved(now, period_seconds))
    }

    /// Counts `amount` as moved at `now`.
    pub fn record(&mut self, amount: u64, now: i64, period_seconds: u32) -> Result<(), PolicyError> {
        let current = self.current_slice(now, period_seconds);
        let passed = current - self.newest_slice;
        if passed >= WINDOW_SLOTS as u64 {
            self.amounts = [0; WINDOW_SLOTS];
        } else {
            for slice in self.newest_slice + 1..=current {
                self.amounts[slot(slice)] = 0;
            }
        }
        self.newest_slice = current;
        let entry = &mut self.amounts[slot(current)];
        *entry = entry.checked_add(amount).ok_or(PolicyError::Overflow)?;
        Ok(())
    }

    /// The period changes from `old_period` to `new_period` at `now`: slices change
    /// length, so what the old window still counts is kept as moved now. Never less
    /// strict than before; at most one new period stricter.
    pub fn restart(&mut self, now: i64, old_period: u32, new_period: u32) {
        let kept = self.moved(now, old_period);
        *self = Self::default();
        self.newest_slice = slice_at(now, new_period);
        self.amounts[slot(self.newest_slice)] = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u32 = 86_400;
    const T0: i64 = 1_700_000_000;

    fn window_with(moves: &[(i64, u64)], period: u32) -> RollingWindow {
        let mut window = RollingWindow::default();
        for &(at, amount) in moves {
            window.record(amount, at, period).unwrap();
        }
        window
    }

    #[test]
    fn a_limit_cannot_be_used_twice_across_a_period_boundary() {
        // Spent just before the old fixed period would have rolled over.
        let window = window_with(&[(T0 + i64::from(DAY) - 1, 100)], DAY);
        assert_eq!(window.remaining(T0 + i64::from(DAY), DAY, 100), 0);
        assert_eq!(window.remaining(T0 + 2 * i64::from(DAY) - 2, DAY, 100), 0);
    }

    #[test]
    fn a_movement_is_released_after_one_period_plus_at_most_one_slice() {
        let slice = i64::from(DAY / WINDOW_SLICES);
        let at = T0 - T0 % slice + 5;
        let window = window_with(&[(at, 70)], DAY);
        assert_eq!(window.moved(at + i64::from(DAY), DAY), 70);
        // The slice it fell in is older than the window's oldest once a full period
        // and the rest of that slice have passed.
        let released = at - 5 + slice * WINDOW_SLOTS as i64;
        assert_eq!(window.moved(released - 1, DAY), 70);
        assert_eq!(window.moved(released, DAY), 0);
    }

    #[test]
    fn amounts_in_different_slices_add_up_and_age_out_one_by_one() {
        let slice = i64::from(DAY / WINDOW_SLICES);
        let start = T0 - T0 % slice;
        let window = window_with(&[(start, 10), (start + slice, 20), (start + 3 * slice, 30)], DAY);
        assert_eq!(window.moved(start + 3 * slice, DAY), 60);
        assert_eq!(window.moved(start + 9 * slice, DAY), 50);
        assert_eq!(window.moved(start + 10 * slice, DAY), 30);
        assert_eq!(window.moved(start + 12 * slice, DAY), 0);
    }

    #[test]
    fn the_oldest_counted_amount_says_when_more_frees_up() {
        let slice = i64::from(DAY / WINDOW_SLICES);
        let start = T0 - T0 % slice;
        let window = window_with(&[(start + 5, 10), (start + 2 * slice, 20)], DAY);
        let first_leaves = start + 9 * slice;
        assert_eq!(window.frees_up_at(start + 2 * slice, DAY), Some(first_leaves));
        assert_eq!(window.moved(first_leaves - 1, DAY), 30);
        assert_eq!(window.moved(first_leaves, DAY), 20);
        assert_eq!(window.frees_up_at(first_leaves, DAY), Some(start + 11 * slice));
        assert_eq!(window.frees_up_at(start + 11 * slice, DAY), None);
        assert_eq!(RollingWindow::default().frees_up_at(T0, DAY), None);
    }

    #[test]
    fn a_long_pause_clears_everything() {
        let mut window = window_with(&[(T0, 5), (T0 + 1, 6)], 60);
        window.record(1, T0 + 10 * 60, 60).unwrap();
        assert_eq!(window.moved(T0 + 10 * 60, 60), 1);
    }

    #[test]
    fn a_clock_stepping_back_counts_everything_kept() {
        let window = window_with(&[(T0, 5)], 60);
        assert_eq!(window.moved(T0 - 3_600, 60), 5);
        assert_eq!(window_with(&[(-5, 7)], 60).moved(-1, 60), 7);
    }

    #[test]
    fn short_periods_use_one_second_slices() {
        let window = window_with(&[(T0, 3)], 1);
        assert_eq!(window.moved(T0, 1), 3);
        assert_eq!(window.moved(T0 + 1, 1), 3);
        assert_eq!(window.moved(T0 + 2, 1), 0);
        let window = window_with(&[(T0, 3)], 5);
        assert_eq!(window.moved(T0 + 5, 5), 3);
        assert_eq!(window.moved(T0 + 6, 5), 0);
    }

    #[test]
    fn a_new_period_keeps_what_the_old_window_counted() {
        let mut window = window_with(&[(T0, 40), (T0 + 100, 2)], DAY);
        window.restart(T0 + 200, DAY, 60);
        assert_eq!(window.moved(T0 + 200, 60), 42);
        assert_eq!(window.moved(T0 + 200 + 60 + 60, 60), 0);
    }

    #[test]
    fn overflowing_a_slice_is_refused() {
        let mut window = window_with(&[(T0, u64::MAX)], DAY);
        assert_eq!(window.record(1, T0, DAY), Err(PolicyError::Overflow));
        assert_eq!(window.moved(T0, DAY), u64::MAX);
    }
}
