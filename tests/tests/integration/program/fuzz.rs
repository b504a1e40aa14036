//! The program under random instruction sequences in the real runtime, the invariants
//! checked after every step (`smart_treasury_tests::fuzz`). A bounded run here, in two
//! halves that run side by side; `scripts/fuzz-program` runs as many as asked, from any
//! seed.

use smart_treasury_tests::fuzz;

/// Sequences per half and steps per sequence in the suite's run: 2,000 sequences of
/// 10 steps, about a minute on each of two cores (measured in docs/fuzzing.md).
const SEQUENCES: u64 = 1_000;
const STEPS: usize = 10;

async fn run_half(first_seed: u64) {
    let mut settings = fuzz::Settings::from_env(SEQUENCES, STEPS);
    settings.seed = settings.seed.wrapping_add(first_seed);
    match fuzz::run(settings).await {
        Ok(summary) => eprintln!("fuzz (seeds from {}): {summary}\n{}", settings.seed, summary.coverage_table()),
        Err(failure) => panic!("{failure}"),
    }
}

#[tokio::test]
async fn random_instruction_sequences_keep_the_invariants() {
    run_half(0).await;
}

#[tokio::test]
async fn random_instruction_sequences_keep_the_invariants_second_half() {
    run_half(SEQUENCES).await;
}
