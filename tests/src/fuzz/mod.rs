//! Stateful fuzzing in the real runtime: random sequences of every instruction, from
//! random signers (authority, guardian, keeper, spender, stranger, venue owner), with
//! random arguments and now and then a tampered account meta, between moves of the rest
//! of the world (time passing, a venue's owner moving, closing or freezing it, fee
//! changes). After every step the invariants of `check.rs` must hold.
//!
//! Seeded and reproducible: a failure prints its seed, the step and a shrunk trace;
//! `FUZZ_SEED=<seed> FUZZ_SEQUENCES=1 scripts/fuzz-program` runs it again.

mod action;
mod check;
mod exec;
mod rng;
mod snapshot;
mod world;

pub use action::{Action, Call, Env, Mutation, Sources};
pub use world::Role;

use crate::runtime::Runtime;
use check::{Ledger, Step};
use exec::Exec;
use rng::Rng;
use snapshot::Snapshot;
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};
use world::World;

/// Where every sequence's clock starts, so a replay sees the same times.
const START_TIME: i64 = 1_700_000_000;

/// Sequences run in one runtime before a fresh one replaces it.
const SEQUENCES_PER_RUNTIME: u64 = 250;

#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// The first sequence's seed; sequence `i` uses `seed + i`.
    pub seed: u64,
    pub sequences: u64,
    pub steps: usize,
}

impl Settings {
    /// `FUZZ_SEED`, `FUZZ_SEQUENCES` and `FUZZ_STEPS` from the environment, else the
    /// defaults given (the seed defaults to a fixed one, so CI runs are repeatable).
    pub fn from_env(sequences: u64, steps: usize) -> Self {
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|value| value.parse::<u64>().unwrap_or_else(|_| panic!("{name}={value} is not a whole number")))
        };
        Self {
            seed: read("FUZZ_SEED").unwrap_or(0x5EED),
            sequences: read("FUZZ_SEQUENCES").unwrap_or(sequences),
            steps: read("FUZZ_STEPS").map_or(steps, |steps| steps as usize),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub sequences: u64,
    pub steps: u64,
    pub transactions: u64,
    pub elapsed: Duration,
    /// Per instruction: how often it was sent, and how often it landed.
    pub coverage: BTreeMap<&'static str, Coverage>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Coverage {
    pub sent: u64,
    pub landed: u64,
}

impl Summary {
    /// One line per instruction: sent, landed.
    pub fn coverage_table(&self) -> String {
        self.coverage
            .iter()
            .map(|(name, c)| format!("  {name:<20} {:>7} sent {:>7} landed\n", c.sent, c.landed))
            .collect()
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seconds = self.elapsed.as_secs_f64().max(1e-9);
        write!(
            f,
            "{} sequences, {} steps, {} transactions in {:.1} s: {:.1} sequences/s, {:.0} steps/s",
            self.sequences,
            self.steps,
            self.transactions,
            seconds,
            self.sequences as f64 / seconds,
            self.steps as f64 / seconds
        )
    }
}

/// A broken invariant: the sequence's seed, the shrunk steps that still break it, and
/// what broke.
#[derive(Clone, Debug)]
pub struct Failure {
    pub seed: u64,
    pub violation: String,
    pub trace: Vec<Action>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "invariant broken in sequence seed {}: {}", self.seed, self.violation)?;
        writeln!(f, "shrunk to {} steps (the last one breaks it):", self.trace.len())?;
        for (index, action) in self.trace.iter().enumerate() {
            writeln!(f, "  {:>3}. {action:?}", index + 1)?;
        }
        write!(f, "reproduce: FUZZ_SEED={} FUZZ_SEQUENCES=1 scripts/fuzz-program", self.seed)
    }
}

/// What one sequence does: random steps, or the given ones again.
enum Plan {
    Random(usize),
    Replay(Vec<Action>),
}

/// A sequence that broke an invariant: the steps up to the breaking one, and why.
type Broken = (Vec<Action>, String);

/// Runs `settings.sequences` sequences in one runtime, each in a treasury of its own.
pub async fn run(settings: Settings) -> Result<Summary, Failure> {
    let started = Instant::now();
    let mut exec = Exec::new(Runtime::start().await).await;
    let mut summary = Summary::default();
    let mut reported = Instant::now();
    let mut transactions = 0;
    for index in 0..settings.sequences {
        // A bank that keeps every sequence's accounts grows: a fresh one now and then
        // bounds the memory of long runs.
        if index > 0 && index % SEQUENCES_PER_RUNTIME == 0 {
            transactions += exec.transactions;
            exec = Exec::new(Runtime::start().await).await;
        }
        let seed = settings.seed.wrapping_add(index);
        match run_sequence(&mut exec, seed, Plan::Random(settings.steps), Some(&mut summary.coverage)).await {
            Ok(steps) => summary.steps += steps as u64,
            Err((trace, violation)) => return Err(shrink(seed, trace, violation).await),
        }
        summary.sequences += 1;
        if reported.elapsed() > Duration::from_secs(10) {
            reported = Instant::now();
            let progress = Summary {
                elapsed: started.elapsed(),
                transactions: transactions + exec.transactions,
                coverage: BTreeMap::new(),
                ..summary
            };
            eprintln!("fuzz: {progress}");
        }
    }
    summary.transactions = transactions + exec.transactions;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Runs one sequence from its own world; the number of steps, or where it broke.
async fn run_sequence(
    exec: &mut Exec,
    seed: u64,
    plan: Plan,
    mut coverage: Option<&mut BTreeMap<&'static str, Coverage>>,
) -> Result<usize, Broken> {
    start_clock(exec).await;
    let world = World::create(exec, seed).await;
    let mut rng = Rng::new(seed);
    let mut before = Snapshot::read(exec, &world).await;
    let mut ledger = Ledger::new(&before);
    let steps = match &plan {
        Plan::Random(steps) => *steps,
        Plan::Replay(actions) => actions.len(),
    };
    let mut trace = Vec::with_capacity(steps);
    for index in 0..steps {
        let action = match &plan {
            Plan::Random(_) => Action::random(&mut rng, &world, &before),
            Plan::Replay(actions) => actions[index].clone(),
        };
        let (ok, signers) = perform(exec, &world, &before, &action).await;
        let after = Snapshot::read(exec, &world).await;
        if let (Action::Program { call, .. }, Some(coverage)) = (&action, coverage.as_deref_mut()) {
            let entry = coverage.entry(call.name()).or_default();
            entry.sent += 1;
            entry.landed += u64::from(ok);
        }
        trace.push(action);
        let step = Step { action: trace.last().expect("pushed"), ok, signers };
        if let Err(violation) = ledger.check(&world, &step, &before, &after) {
            return Err((trace, violation));
        }
        before = after;
    }
    Ok(steps)
}

/// Sets the clock to the same start for every sequence.
async fn start_clock(exec: &mut Exec) {
    exec.set_time(START_TIME).await;
    exec.refresh_blockhash().await;
}

/// Carries out one step: whether it landed, and which actors signed it.
async fn perform(
    exec: &mut Exec,
    world: &World,
    snapshot: &Snapshot,
    action: &Action,
) -> (bool, Vec<anchor_lang::prelude::Pubkey>) {
    match action {
        Action::Env(env) => {
            env.apply(exec, world, snapshot).await;
            (true, Vec::new())
        }
        Action::Program { call, signer, mutation } => {
            let key = world.key(*signer).insecure_clone();
            let payer = solana_signer::Signer::pubkey(exec.rt.payer());
            let mut instructions = call.instructions(world, snapshot, solana_signer::Signer::pubkey(&key), payer);
            if let Some(mutation) = mutation {
                mutation.apply(&mut instructions, &world.address_book());
            }
            let (result, signed) = exec.send_signed(&instructions, &[&key]).await;
            (result.is_ok(), signed)
        }
    }
}

/// Drops steps one at a time while the sequence still breaks an invariant, replaying
/// each candidate in a fresh runtime.
async fn shrink(seed: u64, trace: Vec<Action>, violation: String) -> Failure {
    eprintln!("fuzz: sequence seed {seed} broke an invariant after {} steps: {violation}; shrinking", trace.len());
    let mut best = Failure { seed, violation, trace };
    loop {
        let mut improved = false;
        let mut index = best.trace.len().saturating_sub(1);
        while index > 0 {
            index -= 1;
            let mut candidate = best.trace.clone();
            candidate.remove(index);
            let mut exec = Exec::new(Runtime::start().await).await;
            if let Err((trace, violation)) = run_sequence(&mut exec, seed, Plan::Replay(candidate), None).await {
                best = Failure { seed, violation, trace };
                improved = true;
                index = index.min(best.trace.len().saturating_sub(1));
            }
        }
        if !improved {
            return best;
        }
    }
}
