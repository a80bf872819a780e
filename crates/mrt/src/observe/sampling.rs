//! Byte sampling for the tracer (the heapprofd / tcmalloc scheme) and its estimator.
//!
//! **The sampler.** Sample points fall on the stream of allocated bytes as a Poisson process
//! with mean spacing `N` bytes: the distance to the next point is drawn from an exponential
//! distribution of mean `N`. An allocation of `s` bytes is *sampled* when at least one point
//! falls inside its `s` bytes. The process is memoryless, so independently of history
//!
//! ```text
//! p(s) = P(sampled) = 1 - exp(-s / N)
//! ```
//!
//! Large allocations are almost surely sampled (`s = 4N` → 98 %), tiny ones rarely
//! (`p ≈ s/N`), and the cost is one subtraction and compare per allocation while tracing.
//!
//! **The estimator** (Horvitz–Thompson). Each sampled trace of `s` bytes stands for
//! `s / p(s)` bytes and `1 / p(s)` blocks. For any group of allocations `G` (a site, a file)
//!
//! ```text
//! E[ Σ_{i∈G sampled} s_i / p(s_i) ] = Σ_{i∈G} p(s_i) · s_i / p(s_i) = Σ_{i∈G} s_i
//! ```
//!
//! so sizes and counts per group are unbiased. Var = `Σ s_i² (1-p_i)/p_i`, about `N · total`
//! for small blocks: the relative error of a group's estimate is about `sqrt(N / total)`, e.g.
//! ±3 % for a site holding 1000·N bytes. Zero-sized allocations have `p = 0` and are never
//! sampled (they hold no bytes). Inclusion is independent across allocations only in
//! expectation — consecutive small blocks share the gap — which leaves the mean unbiased.

use crate::script::SplitMix64;

use super::tracemalloc::TraceError;

/// A Poisson sampler over allocated bytes with mean interval `N`.
#[derive(Clone, Debug)]
pub struct Sampler {
    mean: f64,
    /// Bytes left until the next sample point.
    remaining: f64,
    rng: SplitMix64,
}

impl Sampler {
    /// A sampler with mean interval `mean_interval` bytes, seeded for reproducibility.
    /// A zero interval is an error (it would mean "trace everything": use exact mode).
    pub fn new(mean_interval: u64, seed: u64) -> Result<Self, TraceError> {
        if mean_interval == 0 {
            return Err(TraceError::InvalidSamplingInterval(mean_interval));
        }
        let mut sampler = Sampler {
            mean: mean_interval as f64,
            remaining: 0.0,
            rng: SplitMix64::new(seed),
        };
        sampler.remaining = sampler.next_gap();
        Ok(sampler)
    }

    /// The mean sampling interval `N`, in bytes.
    pub fn mean_interval(&self) -> u64 {
        self.mean as u64
    }

    /// An exponential gap of mean `N` (inverse-CDF of a uniform in `(0, 1]`).
    fn next_gap(&mut self) -> f64 {
        let u = ((self.rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
        -self.mean * u.ln()
    }

    /// Advance over an allocation of `size` bytes; true when it is to be traced.
    #[inline]
    pub fn sample(&mut self, size: u64) -> bool {
        self.remaining -= size as f64;
        if self.remaining > 0.0 {
            return false;
        }
        // At least one point fell inside this block. By memorylessness the distance from the
        // block's end to the next point is a fresh exponential gap, whatever happened inside
        // (no loop over the points a huge block covers).
        self.remaining = self.next_gap();
        true
    }

    /// Bytes that certainly hold no sample point: `⌊remaining⌋ − 1` (0 when a point is
    /// within a byte).
    pub fn quiet_bytes(&self) -> u64 {
        (self.remaining.floor() as u64).saturating_sub(1)
    }

    /// Advance past `bytes` allocated bytes known to hold no sample point
    /// (`bytes <= quiet_bytes()`): the same as `sample` returning `false` for them.
    pub fn skip(&mut self, bytes: u64) {
        debug_assert!(bytes <= self.quiet_bytes(), "skipped past a sample point");
        self.remaining -= bytes as f64;
    }

    /// `p(size) = 1 - exp(-size/N)`, the probability an allocation of `size` is sampled.
    pub fn probability(&self, size: u64) -> f64 {
        -(-(size as f64) / self.mean).exp_m1()
    }

    /// `1 / p(size)`: how many blocks one sampled block of `size` bytes stands for
    /// (0 for a zero size, which is never sampled).
    pub fn weight(&self, size: u64) -> f64 {
        let p = self.probability(size);
        if p > 0.0 { 1.0 / p } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_interval_is_an_error() {
        assert!(matches!(
            Sampler::new(0, 1),
            Err(TraceError::InvalidSamplingInterval(0))
        ));
    }

    #[test]
    fn empirical_rate_matches_p() {
        let mut s = Sampler::new(4096, 7).unwrap();
        for &size in &[64u64, 1024, 4096, 16384] {
            let n = 200_000;
            let hits = (0..n).filter(|_| s.sample(size)).count() as f64;
            let p = s.probability(size);
            let se = (p * (1.0 - p) / n as f64).sqrt();
            // Gaps are shared between neighbours, so allow a little more than 5 sigma.
            assert!(
                (hits / n as f64 - p).abs() < 6.0 * se + 1e-3,
                "size {size}: {hits} vs p={p}"
            );
        }
        assert_eq!(s.weight(0), 0.0);
        assert!((s.weight(4096) - 1.0 / (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert_eq!(s.mean_interval(), 4096);
        // A block of 2^64 bytes at a 1-byte interval is one step, not 2^64.
        let mut tiny = Sampler::new(1, 3).unwrap();
        assert!(tiny.sample(u64::MAX));
        assert_eq!(tiny.weight(u64::MAX), 1.0);
    }
}
