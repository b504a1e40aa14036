//! Runs target/deploy/smart_treasury_sbf_abi.so (scripts/build-sbf) in solana-program-test
//! and checks every result against the same function run natively: 128-bit arithmetic
//! through the program's helpers, and calls with arguments on the stack.
//! `scripts/test-sbf` runs it (`--features elf-tests`).

use smart_treasury_sbf_abi::{
    arith::{self, Op, Outcome},
    calls,
};
use solana_account::Account;
use solana_instruction::Instruction;
use solana_program_test::{BanksClient, ProgramTest};
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::path::PathBuf;

const PROGRAM_ID: Pubkey = Pubkey::from_str_const("AbiCheck11111111111111111111111111111111111");

fn elf_path() -> PathBuf {
    std::env::var_os("SMART_TREASURY_SBF_ABI").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/deploy/smart_treasury_sbf_abi.so")
    })
}

struct Vm {
    banks: BanksClient,
    payer: solana_keypair::Keypair,
}

impl Vm {
    async fn start() -> Self {
        static QUIET: std::sync::Once = std::sync::Once::new();
        QUIET.call_once(|| {
            // The runtime logs every instruction at debug level unless told otherwise.
            if std::env::var_os("RUST_LOG").is_none() {
                std::env::set_var("RUST_LOG", "error");
            }
        });
        let path = elf_path();
        let elf = std::fs::read(&path)
            .unwrap_or_else(|error| panic!("{}: {error}; build it with scripts/build-sbf", path.display()));
        let mut test = ProgramTest::default();
        test.add_account(
            PROGRAM_ID,
            Account {
                lamports: 1_000_000_000,
                data: elf,
                owner: solana_sdk_ids::bpf_loader::ID,
                executable: true,
                rent_epoch: 0,
            },
        );
        let (banks, payer, _) = test.start().await;
        Self { banks, payer }
    }

    /// The program's return data for `data`.
    async fn call(&mut self, data: Vec<u8>) -> Vec<u8> {
        let blockhash = self.banks.get_latest_blockhash().await.expect("blockhash");
        let ix = Instruction::new_with_bytes(PROGRAM_ID, &data, vec![]);
        let tx = Transaction::new_signed_with_payer(&[ix], Some(&self.payer.pubkey()), &[&self.payer], blockhash);
        let simulation = self.banks.simulate_transaction(tx).await.expect("simulate");
        let details = simulation.simulation_details.expect("details");
        if let Some(Err(error)) = simulation.result {
            panic!("program failed: {error:?}\n{}", details.logs.join("\n"));
        }
        details.return_data.map(|r| r.data).unwrap_or_default()
    }

    async fn check(&mut self, op: Op, pairs: &[(u128, u128)]) {
        let mut mismatches = Vec::new();
        for chunk in pairs.chunks(arith::MAX_PAIRS) {
            let got = arith::decode_outcomes(&self.call(arith::encode_request(op, chunk)).await);
            assert_eq!(got.len(), chunk.len(), "{op:?}: one record per pair");
            for (&(a, b), got) in chunk.iter().zip(got) {
                let expected = arith::apply(op, a, b);
                if got != expected {
                    mismatches.push(format!("{op:?}({a:#x}, {b:#x}): SBF {} native {}", show(&got), show(&expected)));
                }
            }
        }
        assert!(mismatches.is_empty(), "{} of {} wrong:\n{}", mismatches.len(), pairs.len(), mismatches.join("\n"));
    }
}

fn show(outcome: &Outcome) -> String {
    if outcome.ok {
        format!("({:#x}, {:#x})", outcome.first, outcome.second)
    } else {
        "None".into()
    }
}

/// splitmix64: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn wide(&mut self) -> u128 {
        u128::from(self.next()) << 64 | u128::from(self.next())
    }

    /// A value of random bit length, so every magnitude (and each division branch) is hit.
    fn any_width(&mut self) -> u128 {
        let bits = self.next() % 129;
        if bits == 0 {
            0
        } else {
            self.wide() >> (128 - bits)
        }
    }
}

fn unsigned_edges() -> Vec<u128> {
    let mut values = vec![
        0,
        1,
        2,
        3,
        7,
        10_000,
        u128::from(u32::MAX),
        1 << 32,
        u128::from(u64::MAX) - 1,
        u128::from(u64::MAX),
        1 << 64,
        (1 << 64) + 1,
        (1 << 65) - 1,
        (1 << 96) - 1,
        1 << 96,
        0xDEAD_BEEF << 64,
        0x8000_0000_0000_0001 << 64,
        u128::from(u64::MAX) << 64,
        (1 << 127) - 1,
        1 << 127,
        (1 << 127) + 1,
        u128::MAX - 1,
        u128::MAX,
        12_345_678_901_234_567_890_123_456_789,
    ];
    values.sort_unstable();
    values.dedup();
    values
}

fn signed_edges() -> Vec<u128> {
    let magnitudes: [i128; 13] = [
        0,
        1,
        2,
        3,
        10_000,
        i128::from(i64::MAX),
        1 << 63,
        1 << 64,
        (1 << 64) + 1,
        0x1234 << 64,
        1 << 96,
        i128::MAX - 1,
        i128::MAX,
    ];
    let mut values: Vec<u128> = magnitudes.iter().flat_map(|&m| [m as u128, m.wrapping_neg() as u128]).collect();
    values.extend([i128::MIN as u128, (i128::MIN + 1) as u128, i128::from(i64::MIN) as u128]);
    values.sort_unstable();
    values.dedup();
    values
}

/// Every pair of edge values, then random pairs of every width, then pairs built to sit
/// at quotient and remainder boundaries (`a = q * b + r` with `r` at 0, 1 and `b - 1`).
fn pairs(edges: &[u128], seed: u64) -> Vec<(u128, u128)> {
    let mut pairs: Vec<(u128, u128)> = edges.iter().flat_map(|&a| edges.iter().map(move |&b| (a, b))).collect();
    let mut rng = Rng(seed);
    for _ in 0..1500 {
        pairs.push((rng.any_width(), rng.any_width()));
    }
    for _ in 0..400 {
        let b = rng.any_width().max(1);
        // Below 2^(leading zeros of b), so q * b fits.
        let q = match b.leading_zeros() {
            0 => u128::from(rng.next() & 1),
            room => rng.wide() >> (128 - room),
        };
        for r in [0, 1, b - 1] {
            if let Some(a) = q.checked_mul(b).and_then(|qb| qb.checked_add(r)) {
                pairs.push((a, b));
            }
        }
    }
    pairs
}

fn shift_pairs(edges: &[u128], seed: u64) -> Vec<(u128, u128)> {
    let mut rng = Rng(seed);
    let mut pairs = Vec::new();
    for shift in 0..128u128 {
        for a in [edges[edges.len() / 2], *edges.last().unwrap(), rng.wide()] {
            pairs.push((a, shift));
        }
    }
    pairs
}

macro_rules! arith_test {
    ($name:ident, $op:expr, $pairs:expr) => {
        #[tokio::test]
        async fn $name() {
            let mut vm = Vm::start().await;
            vm.check($op, &$pairs).await;
        }
    };
}

arith_test!(u128_multiplication, Op::MulU128, pairs(&unsigned_edges(), 1));
arith_test!(u128_division, Op::DivU128, pairs(&unsigned_edges(), 2));
arith_test!(u128_remainder, Op::RemU128, pairs(&unsigned_edges(), 3));
arith_test!(u128_quotient_and_remainder, Op::DivRemU128, pairs(&unsigned_edges(), 4));
arith_test!(i128_multiplication, Op::MulI128, pairs(&signed_edges(), 5));
arith_test!(i128_division, Op::DivI128, pairs(&signed_edges(), 6));
arith_test!(i128_remainder, Op::RemI128, pairs(&signed_edges(), 7));
arith_test!(i128_quotient_and_remainder, Op::DivRemI128, pairs(&signed_edges(), 8));
arith_test!(u128_checked_multiplication, Op::CheckedMulU128, pairs(&unsigned_edges(), 9));
arith_test!(i128_checked_multiplication, Op::CheckedMulI128, pairs(&signed_edges(), 10));
arith_test!(u64_checked_multiplication, Op::CheckedMulU64, pairs(&unsigned_edges(), 11));
arith_test!(i64_checked_multiplication, Op::CheckedMulI64, pairs(&signed_edges(), 12));
arith_test!(u128_shift_left, Op::ShlU128, shift_pairs(&unsigned_edges(), 13));
arith_test!(u128_shift_right, Op::ShrU128, shift_pairs(&unsigned_edges(), 14));
arith_test!(i128_arithmetic_shift_right, Op::SarI128, shift_pairs(&signed_edges(), 15));
arith_test!(basis_point_scaling, Op::MulDivBps, pairs(&unsigned_edges(), 16));

#[tokio::test]
async fn calls_with_stack_arguments() {
    let mut vm = Vm::start().await;
    let mut rng = Rng(17);
    let mut inputs: Vec<[u64; calls::INPUTS]> =
        vec![[0; calls::INPUTS], [u64::MAX; calls::INPUTS], std::array::from_fn(|i| i as u64 + 1)];
    for _ in 0..64 {
        inputs.push(std::array::from_fn(|_| rng.next()));
    }
    for x in inputs {
        let got = calls::decode_results(&vm.call(calls::encode_request(&x)).await);
        assert_eq!(got, calls::run(&x), "inputs {x:?}");
    }
}
