//! Calls with more than five arguments: SBF passes five in registers and the rest on the
//! stack, through the caller's and the callee's frames.
//!
//! Request: `[CALLS, 16 x u64 LE]`; return data: `CALLS_RESULTS x u64 LE`, one per case
//! of `run`. Every function weighs each argument differently, so a lost, swapped or
//! shifted argument changes its result.

// Many arguments are the point: the ones past the fifth travel on the stack.
#![allow(clippy::too_many_arguments)]

use core::hint::black_box;

pub const INPUTS: usize = 16;
pub const CALLS_RESULTS: usize = 14;

const WEIGHTS: [u64; 12] = [
    0x9E37_79B9_7F4A_7C15,
    0xBF58_476D_1CE4_E5B9,
    0x94D0_49BB_1331_11EB,
    0xD6E8_FEB8_6659_FD93,
    0xA076_1D64_78BD_642F,
    0xE703_7ED1_A0B4_28DB,
    0x8EBC_6AF0_9C88_C6E3,
    0x5899_65CC_7537_4CC3,
    0x1D8E_4E27_C47D_124F,
    0xFF51_AFD7_ED55_8CCD,
    0xC4CE_B9FE_1A85_EC53,
    0x2545_F491_4F6C_DD1D,
];

fn weigh(values: &[u64]) -> u64 {
    values.iter().zip(WEIGHTS).fold(0u64, |sum, (value, weight)| sum.rotate_left(5) ^ value.wrapping_mul(weight))
}

/// One argument on the stack.
#[inline(never)]
pub fn six(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64) -> u64 {
    weigh(&[a, b, c, d, e, f])
}

#[inline(never)]
pub fn seven(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64) -> u64 {
    weigh(&[a, b, c, d, e, f, g])
}

#[inline(never)]
pub fn seven_other(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64) -> u64 {
    weigh(&[g, f, e, d, c, b, a]) ^ 1
}

#[inline(never)]
pub fn eight(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64) -> u64 {
    weigh(&[a, b, c, d, e, f, g, h])
}

/// Seven arguments on the stack.
#[inline(never)]
pub fn twelve(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64, i: u64, j: u64, k: u64, l: u64) -> u64 {
    weigh(&[a, b, c, d, e, f, g, h, i, j, k, l])
}

/// Narrow stack arguments: 1, 2 and 4-byte stores and loads.
#[inline(never)]
pub fn narrow(a: u8, b: u16, c: u32, d: u64, e: i8, f: i16, g: i32, h: i64, i: bool, j: u8) -> u64 {
    weigh(&[
        u64::from(a),
        u64::from(b),
        u64::from(c),
        d,
        e as u64,
        f as u64,
        g as u64,
        h as u64,
        u64::from(i),
        u64::from(j),
    ])
}

/// 128-bit arguments: three of them and a u64 need seven registers' worth.
#[inline(never)]
pub fn wide(a: u128, b: u128, c: u128, d: u64) -> u64 {
    weigh(&[a as u64, (a >> 64) as u64, b as u64, (b >> 64) as u64, c as u64, (c >> 64) as u64, d])
}

/// A 128-bit result as well as stack arguments.
#[inline(never)]
pub fn seven_wide_result(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64) -> u128 {
    (u128::from(weigh(&[a, b, c, d, e, f, g])) << 64) | u128::from(weigh(&[g, a, b, c, d, e, f]))
}

#[inline(never)]
pub extern "C" fn eight_c(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64) -> u64 {
    weigh(&[h, a, g, b, f, c, e, d])
}

/// Reads its own stack arguments while passing others on, in a different order.
#[inline(never)]
pub fn forward(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64) -> u64 {
    let inner = eight(h, g, f, e, d, c, b, a);
    inner ^ seven(b, c, d, e, f, g, h).rotate_left(17) ^ weigh(&[f, g, h])
}

/// Stack arguments through several frames.
#[inline(never)]
pub fn recurse(depth: u64, a: u64, b: u64, c: u64, d: u64, e: u64, f: u64) -> u64 {
    if depth == 0 {
        return six(a, b, c, d, e, f);
    }
    let deeper = recurse(depth - 1, f, a, b, c, d, e.wrapping_add(depth));
    deeper.rotate_left(3) ^ weigh(&[a, b, c, d, e, f, depth])
}

/// A 3 KiB frame of its own: its locals must not overlap the stack arguments it receives.
#[inline(never)]
pub fn big_frame(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64) -> u64 {
    let mut scratch = [0u64; 384];
    for (i, slot) in scratch.iter_mut().enumerate() {
        *slot = (i as u64).wrapping_mul(a ^ h);
    }
    let scratch = black_box(&mut scratch);
    let sum = scratch.iter().fold(0u64, |sum, value| sum.wrapping_add(*value));
    sum ^ eight(a, b, c, d, e, f, g, h) ^ seven(h, g, f, e, d, c, b)
}

/// The results of every case, for inputs `x`.
pub fn run(x: &[u64; INPUTS]) -> [u64; CALLS_RESULTS] {
    // Through a pointer the optimiser cannot see: an indirect call (callx).
    let pointer: fn(u64, u64, u64, u64, u64, u64, u64) -> u64 =
        if black_box(x[0] & 1 == 0) { seven } else { seven_other };
    let wide_result = seven_wide_result(x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
    [
        six(x[0], x[1], x[2], x[3], x[4], x[5]),
        seven(x[0], x[1], x[2], x[3], x[4], x[5], x[6]),
        eight(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]),
        twelve(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], x[11]),
        narrow(
            x[0] as u8,
            x[1] as u16,
            x[2] as u32,
            x[3],
            x[4] as i8,
            x[5] as i16,
            x[6] as i32,
            x[7] as i64,
            x[8] & 1 == 1,
            x[9] as u8,
        ),
        wide(
            u128::from(x[0]) << 64 | u128::from(x[1]),
            u128::from(x[2]) << 64 | u128::from(x[3]),
            u128::from(x[4]) << 64 | u128::from(x[5]),
            x[6],
        ),
        wide_result as u64,
        (wide_result >> 64) as u64,
        eight_c(x[8], x[9], x[10], x[11], x[12], x[13], x[14], x[15]),
        pointer(x[9], x[10], x[11], x[12], x[13], x[14], x[15]),
        forward(x[0], x[2], x[4], x[6], x[8], x[10], x[12], x[14]),
        recurse(x[15] % 16, x[1], x[3], x[5], x[7], x[9], x[11]),
        big_frame(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]),
        seven(x[15], x[14], x[13], x[12], x[11], x[10], x[9]),
    ]
}

pub fn encode_request(x: &[u64; INPUTS]) -> Vec<u8> {
    let mut data = vec![crate::CALLS];
    for value in x {
        data.extend_from_slice(&value.to_le_bytes());
    }
    data
}

pub fn decode_results(data: &[u8]) -> Vec<u64> {
    data.chunks_exact(8).map(|chunk| u64::from_le_bytes(chunk.try_into().unwrap())).collect()
}
