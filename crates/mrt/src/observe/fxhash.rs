//! A small, fast, non-cryptographic hasher for the tracer's tables (keys are addresses and
//! short frame arrays the runtime itself produces, so HashDoS resistance buys nothing).
//! The mixing step is rustc's FxHasher: rotate, xor, multiply by a 64-bit odd constant;
//! `finish` rotates the product so the low bits (the bucket index) are well mixed.

use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash-style hasher.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply pushes entropy up; hashbrown takes the bucket index from the low
        // bits, which for 16-aligned addresses would be always zero. Rotate the well-mixed
        // high bits down (as rustc-hash 2 does).
        self.hash.rotate_left(26)
    }
}

/// `BuildHasher` for [`FxHasher`].
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuild>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn distinct_addresses_hash_apart_and_equal_ones_alike() {
        let build = FxBuild::default();
        let a = build.hash_one(0x1000usize);
        let b = build.hash_one(0x1010usize);
        assert_ne!(a, b);
        assert_eq!(a, build.hash_one(0x1000usize));
        // Byte slices of different lengths with the same prefix differ.
        assert_ne!(build.hash_one(&b"abc"[..]), build.hash_one(&b"abc\0"[..]));
        // 16-aligned addresses spread over the low bits (the bucket index).
        let low: std::collections::BTreeSet<u64> = (0..256usize)
            .map(|i| build.hash_one(i * 16) & 0xff)
            .collect();
        assert!(low.len() > 128, "{} distinct low bytes", low.len());
    }
}
