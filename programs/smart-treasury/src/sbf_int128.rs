//! The 128-bit integer helpers of the upstream-LLVM SBF build (`scripts/build-sbf`).
//!
//! LLVM's BPF backend turns i128 multiplication, division and remainder (including the
//! u64 overflow check of `a * b`) into calls of compiler-rt helpers such as `__multi3`;
//! LLVM 23 expands shifts and signed overflow checks inline, but may call the helpers
//! for them too, so those are defined as well. LLVM passes each 128-bit operand in two
//! registers and takes the result back in registers. Rust's own compiler-builtins and
//! solana-compiler-builtins define these helpers with an ABI that rustc lowers, on BPF, to
//! a hidden result pointer and operands by reference: the caller and the helper then
//! disagree, and the helper writes its result to whatever address the operands form.
//! Defined here with the `unadjusted` ABI, LLVM lowers both sides itself; these strong
//! definitions win over the weak ones of the two builtins crates.
//!
//! The bodies use only 64-bit multiplication and division: a u128 `*`, `/`, `%` or
//! variable shift here would call straight back into these helpers. All u64 arithmetic is
//! wrapping on purpose, since an overflow-checked u64 `*` is itself a `__multi3` call.
//!
//! Platform-tools (`cargo build-sbf`, `target_arch = "sbf"`) brings a compiler-builtins
//! that matches its compiler, so none of this is compiled there.

// memcpy, memset, memcmp and friends as SVM syscalls (the bodies here call none of them).
use solana_compiler_builtins as _;

const LOW32: u64 = u32::MAX as u64;

#[inline(always)]
fn hi(x: u128) -> u64 {
    (x >> 64) as u64
}

#[inline(always)]
fn lo(x: u128) -> u64 {
    x as u64
}

#[inline(always)]
fn join(hi: u64, lo: u64) -> u128 {
    (u128::from(hi) << 64) | u128::from(lo)
}

/// The full 128-bit product of two u64 values, from 32-bit halves.
#[inline(always)]
fn mul_wide(a: u64, b: u64) -> u128 {
    let (a1, a0, b1, b0) = (a >> 32, a & LOW32, b >> 32, b & LOW32);
    let p00 = a0.wrapping_mul(b0);
    let p01 = a0.wrapping_mul(b1);
    let p10 = a1.wrapping_mul(b0);
    let p11 = a1.wrapping_mul(b1);
    // Three terms below 2^32 each: no carry out of 64 bits.
    let mid = (p00 >> 32).wrapping_add(p01 & LOW32).wrapping_add(p10 & LOW32);
    let high = p11.wrapping_add(p01 >> 32).wrapping_add(p10 >> 32).wrapping_add(mid >> 32);
    join(high, (mid << 32) | (p00 & LOW32))
}

/// The low 128 bits of `a * b` (the same bits for signed and unsigned operands).
#[inline(always)]
fn mul_low(a: u128, b: u128) -> u128 {
    let product = mul_wide(lo(a), lo(b));
    let cross = lo(a).wrapping_mul(hi(b)).wrapping_add(hi(a).wrapping_mul(lo(b)));
    join(hi(product).wrapping_add(cross), lo(product))
}

/// Leading zeros of a non-zero u64 by halving (SBPF has no instruction for it).
#[inline(always)]
fn leading_zeros(mut x: u64) -> u32 {
    let mut n = 0;
    for bits in [32u32, 16, 8, 4, 2, 1] {
        if x >> (64 - bits) == 0 {
            n += bits;
            x <<= bits;
        }
    }
    n
}

/// `(hi:lo) / d` and its remainder for `hi < d` (the quotient fits in 64 bits), in
/// 32-bit digits after normalising `d` (Knuth's algorithm D, as in Hacker's Delight).
fn div_128_by_64(hi: u64, lo: u64, d: u64) -> (u64, u64) {
    const BASE: u64 = 1 << 32;
    let shift = leading_zeros(d);
    let d = d << shift;
    let (d1, d0) = (d >> 32, d & LOW32);
    let top = if shift == 0 { hi } else { (hi << shift) | (lo >> (64 - shift)) };
    let low = lo << shift;
    let (l1, l0) = (low >> 32, low & LOW32);

    let mut q1 = top / d1;
    let mut rest = top.wrapping_sub(q1.wrapping_mul(d1));
    while q1 >= BASE || q1.wrapping_mul(d0) > (rest << 32 | l1) {
        q1 -= 1;
        rest += d1;
        if rest >= BASE {
            break;
        }
    }
    let mid = (top << 32 | l1).wrapping_sub(q1.wrapping_mul(d));

    let mut q0 = mid / d1;
    let mut rest = mid.wrapping_sub(q0.wrapping_mul(d1));
    while q0 >= BASE || q0.wrapping_mul(d0) > (rest << 32 | l0) {
        q0 -= 1;
        rest += d1;
        if rest >= BASE {
            break;
        }
    }
    let remainder = (mid << 32 | l0).wrapping_sub(q0.wrapping_mul(d));
    (q1 << 32 | q0, remainder >> shift)
}

/// Unsigned quotient and remainder. `d` is never zero: Rust checks before dividing.
fn udivmod(n: u128, d: u128) -> (u128, u128) {
    if d > n {
        return (0, n);
    }
    if hi(d) == 0 {
        let d = lo(d);
        if hi(n) == 0 {
            return (u128::from(lo(n) / d), u128::from(lo(n) % d));
        }
        // Two steps of 128-by-64 division, each with a quotient that fits in 64 bits.
        let (q_hi, r_hi) = (hi(n) / d, hi(n) % d);
        let (q_lo, r) = div_128_by_64(r_hi, lo(n), d);
        return (join(q_hi, q_lo), u128::from(r));
    }
    // The divisor has a high word, so the quotient fits in 64 bits. Estimate it from the
    // top 64 bits of the normalised divisor with the dividend halved (so the estimate's
    // division cannot overflow); the estimate is exact or one short (Hacker's Delight 9-5).
    let shift = leading_zeros(hi(d));
    let d_top = if shift == 0 { hi(d) } else { (hi(d) << shift) | (lo(d) >> (64 - shift)) };
    let (estimate, _) = div_128_by_64(hi(n) >> 1, (hi(n) << 63) | (lo(n) >> 1), d_top);
    let mut q = (estimate >> (63 - shift)).saturating_sub(1);
    // q * d fits in 128 bits because q never exceeds the true quotient.
    let mut r = n - (mul_wide(q, lo(d)) + (u128::from(q.wrapping_mul(hi(d))) << 64));
    if r >= d {
        q += 1;
        r -= d;
    }
    (u128::from(q), r)
}

/// Two's-complement negation of a magnitude when `negative`.
#[inline(always)]
fn signed(magnitude: u128, negative: bool) -> i128 {
    if negative {
        magnitude.wrapping_neg() as i128
    } else {
        magnitude as i128
    }
}

#[unsafe(no_mangle)]
pub extern "unadjusted" fn __multi3(a: i128, b: i128) -> i128 {
    mul_low(a as u128, b as u128) as i128
}

#[unsafe(no_mangle)]
pub extern "unadjusted" fn __udivti3(n: u128, d: u128) -> u128 {
    udivmod(n, d).0
}

#[unsafe(no_mangle)]
pub extern "unadjusted" fn __umodti3(n: u128, d: u128) -> u128 {
    udivmod(n, d).1
}

/// Truncating signed division. Rust rules out `d == 0` and `i128::MIN / -1` first.
#[unsafe(no_mangle)]
pub extern "unadjusted" fn __divti3(n: i128, d: i128) -> i128 {
    let (q, _) = udivmod(n.unsigned_abs(), d.unsigned_abs());
    signed(q, (n < 0) != (d < 0))
}

/// Signed remainder, with the sign of the dividend.
#[unsafe(no_mangle)]
pub extern "unadjusted" fn __modti3(n: i128, d: i128) -> i128 {
    let (_, r) = udivmod(n.unsigned_abs(), d.unsigned_abs());
    signed(r, n < 0)
}

/// # Safety
/// `remainder` is null or writable (LLVM passes a stack slot).
#[unsafe(no_mangle)]
pub unsafe extern "unadjusted" fn __udivmodti4(n: u128, d: u128, remainder: *mut u128) -> u128 {
    let (q, r) = udivmod(n, d);
    if !remainder.is_null() {
        // SAFETY: the caller passes a writable u128 slot or null.
        unsafe { remainder.write(r) };
    }
    q
}

/// # Safety
/// `remainder` is null or writable (LLVM passes a stack slot).
#[unsafe(no_mangle)]
pub unsafe extern "unadjusted" fn __divmodti4(n: i128, d: i128, remainder: *mut i128) -> i128 {
    let (q, r) = udivmod(n.unsigned_abs(), d.unsigned_abs());
    if !remainder.is_null() {
        // SAFETY: the caller passes a writable i128 slot or null.
        unsafe { remainder.write(signed(r, n < 0)) };
    }
    signed(q, (n < 0) != (d < 0))
}

/// Signed multiplication with overflow: the wrapped product, and `*overflow` set to 1
/// when the true product does not fit in an i128 (0 otherwise).
///
/// # Safety
/// `overflow` is writable (LLVM passes a stack slot).
#[unsafe(no_mangle)]
pub unsafe extern "unadjusted" fn __muloti4(a: i128, b: i128, overflow: *mut i32) -> i128 {
    let (x, y) = (a.unsigned_abs(), b.unsigned_abs());
    // The magnitude of the true product, or None when it needs more than 128 bits.
    let magnitude = if hi(x) != 0 && hi(y) != 0 {
        None
    } else {
        let (long, short) = if hi(x) == 0 { (y, lo(x)) } else { (x, lo(y)) };
        let low = mul_wide(lo(long), short);
        let high = mul_wide(hi(long), short);
        // long * short = high << 64 + low: 192 bits, of which the top 64 must be zero.
        let (top, carry) = hi(low).overflowing_add(lo(high));
        if hi(high) != 0 || carry {
            None
        } else {
            Some(join(top, lo(low)))
        }
    };
    let negative = (a < 0) != (b < 0);
    let limit = if negative { 1u128 << 127 } else { (1u128 << 127) - 1 };
    let overflowed = magnitude.is_none_or(|m| m > limit);
    // SAFETY: the caller passes a writable i32 slot.
    unsafe { overflow.write(i32::from(overflowed)) };
    mul_low(a as u128, b as u128) as i128
}

#[unsafe(no_mangle)]
pub extern "unadjusted" fn __ashlti3(a: i128, shift: u32) -> i128 {
    let (x, s) = (a as u128, shift & 127);
    let (h, l) = (hi(x), lo(x));
    let shifted = match s {
        0 => x,
        1..=63 => join((h << s) | (l >> (64 - s)), l << s),
        _ => join(l << (s - 64), 0),
    };
    shifted as i128
}

#[unsafe(no_mangle)]
pub extern "unadjusted" fn __lshrti3(a: u128, shift: u32) -> u128 {
    let s = shift & 127;
    let (h, l) = (hi(a), lo(a));
    match s {
        0 => a,
        1..=63 => join(h >> s, (l >> s) | (h << (64 - s))),
        _ => u128::from(h >> (s - 64)),
    }
}

#[unsafe(no_mangle)]
pub extern "unadjusted" fn __ashrti3(a: i128, shift: u32) -> i128 {
    let s = shift & 127;
    let (h, l) = (hi(a as u128) as i64, lo(a as u128));
    let shifted = match s {
        0 => a as u128,
        1..=63 => join((h >> s) as u64, (l >> s) | ((h as u64) << (64 - s))),
        _ => join((h >> 63) as u64, (h >> (s - 64)) as u64),
    };
    shifted as i128
}
