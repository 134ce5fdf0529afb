//! Deterministic bucketing: which variation a visitor sees.
//!
//! The hash is part of the emulator's documented model (`docs/emulator.md`),
//! so that any language can reproduce an assignment.

use sha2::{Digest, Sha256};

use crate::fixture::Variation;

/// The bucket value of a visitor for an experience: a number in `[0, 1)`.
///
/// Takes the SHA-256 of the UTF-8 text `{tracking_id}:{experience_id}:{context_id}`
/// (the experience id in decimal), reads its first 8 bytes as a big-endian
/// `u64`, keeps the top 53 bits (a right shift by 11) and divides by 2^53, so
/// the value is exact in an `f64`. Pure and cheap; cannot fail.
pub fn bucket(tracking_id: &str, experience_id: u64, context_id: &str) -> f64 {
    let digest = Sha256::digest(format!("{tracking_id}:{experience_id}:{context_id}").as_bytes());

    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    let top_53_bits = u64::from_be_bytes(head) >> 11;

    top_53_bits as f64 / (1u64 << 53) as f64
}

/// Walks `variations` in order, adding up their allocations, and picks the
/// first whose running total is above `value`.
///
/// When rounding leaves the total short of `value`, the last variation with
/// a non-zero allocation wins. `variations` must not be empty.
pub(crate) fn choose(variations: &[Variation], value: f64) -> &Variation {
    let mut cumulative = 0.0;
    for variation in variations {
        cumulative += variation.allocation;
        if value < cumulative {
            return variation;
        }
    }

    variations
        .iter()
        .rev()
        .find(|variation| variation.allocation > 0.0)
        .unwrap_or(&variations[variations.len() - 1])
}
