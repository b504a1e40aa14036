//! Performance samples, as a validator takes them: every sample period (a minute by
//! default), the transactions and slots completed since the last sample; what
//! getRecentPerformanceSamples reads. A single node casts no votes, so every transaction
//! is a non-vote one.

use solana_clock::Slot;
use std::{
    collections::VecDeque,
    sync::Mutex,
    time::{Duration, Instant},
};

/// The most samples kept and served, as the RPC's limit (12 hours of minutes).
pub(crate) const MAX_SAMPLES: usize = 720;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sample {
    /// The last slot the sample covers.
    pub slot: Slot,
    pub transactions: u64,
    pub slots: u64,
    pub period_secs: u16,
}

pub(crate) struct Performance {
    period: Duration,
    inner: Mutex<Inner>,
}

struct Inner {
    since: Instant,
    transactions: u64,
    slots: u64,
    /// Newest first.
    samples: VecDeque<Sample>,
}

impl Performance {
    pub fn new(period: Duration) -> Self {
        let inner = Inner { since: Instant::now(), transactions: 0, slots: 0, samples: VecDeque::new() };
        Self { period, inner: Mutex::new(inner) }
    }

    /// Counts a completed slot, and takes a sample when the period is over.
    pub fn slot_ended(&self, slot: Slot, transactions: u64) {
        let mut inner = self.inner.lock().expect("performance lock");
        inner.transactions += transactions;
        inner.slots += 1;
        let elapsed = inner.since.elapsed();
        if elapsed < self.period {
            return;
        }
        let sample = Sample {
            slot,
            transactions: inner.transactions,
            slots: inner.slots,
            period_secs: u16::try_from(elapsed.as_secs_f64().round() as u64).unwrap_or(u16::MAX),
        };
        inner.samples.push_front(sample);
        inner.samples.truncate(MAX_SAMPLES);
        inner.since = Instant::now();
        inner.transactions = 0;
        inner.slots = 0;
    }

    /// Up to `limit` samples, newest first.
    pub fn recent(&self, limit: usize) -> Vec<Sample> {
        self.inner.lock().expect("performance lock").samples.iter().take(limit).copied().collect()
    }
}
