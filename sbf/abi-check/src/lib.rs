//! A test program for the upstream-LLVM SBF build (scripts/build-sbf), for the two places
//! where that build and the SBF virtual machine can silently disagree:
//!
//! - 128-bit arithmetic, which LLVM lowers to calls of compiler-rt helpers; the program
//!   links the Smart Treasury program's own helpers (`sbf_int128.rs`), unchanged;
//! - calls with more than five arguments, whose extra arguments go on the stack and are
//!   placed by the patched sbpf-linker.
//!
//! `tests/elf.rs` runs the ELF and checks every result against the same functions run
//! natively.

#![cfg_attr(target_arch = "bpf", feature(abi_unadjusted))]
#![cfg_attr(target_arch = "bpf", allow(internal_features))]

pub mod arith;
pub mod calls;

#[cfg(target_arch = "bpf")]
#[path = "../../../programs/smart-treasury/src/sbf_int128.rs"]
mod sbf_int128;

#[cfg(target_os = "solana")]
mod entrypoint;

/// First byte of the instruction data.
pub const ARITH: u8 = 0;
pub const CALLS: u8 = 1;
