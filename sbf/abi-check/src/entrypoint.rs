//! A raw entrypoint: the test program takes no accounts, so it reads its instruction data
//! straight from the input the runtime serialises, and answers with return data.

use crate::{arith, calls, ARITH, CALLS};

unsafe extern "C" {
    fn sol_set_return_data(data: *const u8, len: u64);
}

/// # Safety
/// `input` is the runtime's serialised input.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    // SAFETY: the runtime's layout: the account count, then (with no accounts) the data
    // length and the data.
    let data = unsafe {
        if input.cast::<u64>().read_unaligned() != 0 {
            return 1;
        }
        let len = input.add(8).cast::<u64>().read_unaligned() as usize;
        core::slice::from_raw_parts(input.add(16), len)
    };
    let mut out = [0u8; 1024];
    match respond(data, &mut out) {
        Some(len) => {
            // SAFETY: `out[..len]` is initialised memory.
            unsafe { sol_set_return_data(out.as_ptr(), len as u64) };
            0
        }
        None => 2,
    }
}

fn respond(data: &[u8], out: &mut [u8; 1024]) -> Option<usize> {
    let (&kind, rest) = data.split_first()?;
    match kind {
        ARITH => {
            let (&op, rest) = rest.split_first()?;
            let op = arith::Op::from_u8(op)?;
            let pairs = rest.chunks_exact(32);
            if !pairs.remainder().is_empty() || pairs.len() > arith::MAX_PAIRS {
                return None;
            }
            let mut len = 0;
            for pair in pairs {
                let a = u128::from_le_bytes(pair[..16].try_into().ok()?);
                let b = u128::from_le_bytes(pair[16..].try_into().ok()?);
                arith::encode_outcome(&arith::apply(op, a, b), &mut out[len..len + arith::RECORD_LEN]);
                len += arith::RECORD_LEN;
            }
            Some(len)
        }
        CALLS => {
            if rest.len() != calls::INPUTS * 8 {
                return None;
            }
            let mut x = [0u64; calls::INPUTS];
            for (value, chunk) in x.iter_mut().zip(rest.chunks_exact(8)) {
                *value = u64::from_le_bytes(chunk.try_into().ok()?);
            }
            let results = calls::run(&x);
            for (chunk, result) in out.chunks_exact_mut(8).zip(results) {
                chunk.copy_from_slice(&result.to_le_bytes());
            }
            Some(results.len() * 8)
        }
        _ => None,
    }
}
