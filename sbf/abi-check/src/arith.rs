//! 128-bit arithmetic that LLVM's BPF backend lowers to helper calls (and the 64-bit
//! overflow checks it lowers to 128-bit ones).
//!
//! Request: `[ARITH, op, (a: u128 LE, b: u128 LE)...]`; return data: one record per pair,
//! `[ok, first: u128 LE, second: u128 LE]`.

/// Records fit in the 1,024 bytes of return data.
pub const MAX_PAIRS: usize = 1024 / RECORD_LEN;
pub const RECORD_LEN: usize = 33;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// Wrapping u128 multiplication (`__multi3`).
    MulU128,
    /// `checked_div` and `checked_rem`, each on its own (`__udivti3`, `__umodti3`).
    DivU128,
    RemU128,
    /// Quotient and remainder from one expression, which LLVM may fuse.
    DivRemU128,
    MulI128,
    /// Signed division and remainder (`__divti3`, `__modti3`); `None` for a zero divisor
    /// and for `i128::MIN / -1`, which Rust rules out before any helper runs.
    DivI128,
    RemI128,
    DivRemI128,
    /// Overflow-checked multiplication (`__muloti4` for the signed one).
    CheckedMulU128,
    CheckedMulI128,
    /// 64-bit overflow checks, which LLVM lowers through a 128-bit product.
    CheckedMulU64,
    CheckedMulI64,
    /// Shifts by a runtime amount (`__ashlti3`, `__lshrti3`, `__ashrti3` where LLVM uses them).
    ShlU128,
    ShrU128,
    SarI128,
    /// The program's own pattern: a u64 amount times basis points over 10,000.
    MulDivBps,
}

impl Op {
    pub const ALL: [Op; 16] = [
        Op::MulU128,
        Op::DivU128,
        Op::RemU128,
        Op::DivRemU128,
        Op::MulI128,
        Op::DivI128,
        Op::RemI128,
        Op::DivRemI128,
        Op::CheckedMulU128,
        Op::CheckedMulI128,
        Op::CheckedMulU64,
        Op::CheckedMulI64,
        Op::ShlU128,
        Op::ShrU128,
        Op::SarI128,
        Op::MulDivBps,
    ];

    pub fn from_u8(byte: u8) -> Option<Op> {
        Op::ALL.get(usize::from(byte)).copied()
    }
}

/// What one operation gives: `ok` is false where a checked operation returns `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub ok: bool,
    pub first: u128,
    pub second: u128,
}

fn some(value: Option<u128>) -> Outcome {
    Outcome { ok: value.is_some(), first: value.unwrap_or(0), second: 0 }
}

fn signed(value: Option<i128>) -> Outcome {
    some(value.map(|v| v as u128))
}

fn pair(value: Option<(u128, u128)>) -> Outcome {
    let (first, second) = value.unwrap_or((0, 0));
    Outcome { ok: value.is_some(), first, second }
}

// Out of line so the dispatch stays one call per operation, as in a program.
#[inline(never)]
pub fn apply(op: Op, a: u128, b: u128) -> Outcome {
    let (x, y) = (a as i128, b as i128);
    let shift = (b & 127) as u32;
    match op {
        Op::MulU128 => some(Some(a.wrapping_mul(b))),
        Op::DivU128 => some(a.checked_div(b)),
        Op::RemU128 => some(a.checked_rem(b)),
        Op::DivRemU128 => pair((b != 0).then(|| (a / b, a % b))),
        Op::MulI128 => signed(Some(x.wrapping_mul(y))),
        Op::DivI128 => signed(x.checked_div(y)),
        Op::RemI128 => signed(x.checked_rem(y)),
        Op::DivRemI128 => pair(x.checked_div(y).zip(x.checked_rem(y)).map(|(q, r)| (q as u128, r as u128))),
        Op::CheckedMulU128 => some(a.checked_mul(b)),
        Op::CheckedMulI128 => signed(x.checked_mul(y)),
        Op::CheckedMulU64 => some((a as u64).checked_mul(b as u64).map(u128::from)),
        Op::CheckedMulI64 => signed((x as i64).checked_mul(y as i64).map(i128::from)),
        Op::ShlU128 => some(Some(a << shift)),
        Op::ShrU128 => some(Some(a >> shift)),
        Op::SarI128 => signed(Some(x >> shift)),
        Op::MulDivBps => {
            let scaled = u128::from(a as u64) * u128::from(b as u16);
            pair(Some((scaled / 10_000, scaled % 10_000)))
        }
    }
}

pub fn encode_request(op: Op, pairs: &[(u128, u128)]) -> Vec<u8> {
    assert!(pairs.len() <= MAX_PAIRS);
    let mut data = vec![crate::ARITH, op as u8];
    for (a, b) in pairs {
        data.extend_from_slice(&a.to_le_bytes());
        data.extend_from_slice(&b.to_le_bytes());
    }
    data
}

pub fn encode_outcome(outcome: &Outcome, record: &mut [u8]) {
    record[0] = u8::from(outcome.ok);
    record[1..17].copy_from_slice(&outcome.first.to_le_bytes());
    record[17..33].copy_from_slice(&outcome.second.to_le_bytes());
}

pub fn decode_outcomes(data: &[u8]) -> Vec<Outcome> {
    data.chunks_exact(RECORD_LEN)
        .map(|record| Outcome {
            ok: record[0] != 0,
            first: u128::from_le_bytes(record[1..17].try_into().unwrap()),
            second: u128::from_le_bytes(record[17..33].try_into().unwrap()),
        })
        .collect()
}
