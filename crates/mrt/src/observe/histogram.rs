//! [`Histogram`]: counts of observations in fixed buckets (`value <= bound`), the shape both
//! the Prometheus exposition (`_bucket{le=…}`) and the SVG pause plot use.

use std::fmt;

/// Bad histogram bounds.
#[derive(Clone, Debug, PartialEq)]
pub enum HistogramError {
    /// Bounds must be finite and strictly increasing.
    BadBounds(Vec<f64>),
    /// `log_buckets` needs `start > 0`, `factor > 1`, `count >= 1`.
    BadLogBuckets {
        /// First bound.
        start: f64,
        /// Ratio between bounds.
        factor: f64,
        /// Number of bounds.
        count: usize,
    },
}

impl fmt::Display for HistogramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistogramError::BadBounds(b) => write!(
                f,
                "histogram bounds must be finite and strictly increasing: {b:?}"
            ),
            HistogramError::BadLogBuckets {
                start,
                factor,
                count,
            } => write!(
                f,
                "log buckets need start > 0, factor > 1 and count >= 1 (got start={start}, factor={factor}, count={count})"
            ),
        }
    }
}

impl std::error::Error for HistogramError {}

/// A histogram with upper bounds `bounds` plus an implicit `+Inf` bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    bounds: Vec<f64>,
    /// Per-bucket (non-cumulative) counts; `counts.len() == bounds.len() + 1`.
    counts: Vec<u64>,
    sum: f64,
}

impl Histogram {
    /// A histogram over finite, strictly increasing `bounds` (may be empty: one `+Inf` bucket).
    pub fn new(bounds: Vec<f64>) -> Result<Self, HistogramError> {
        let ok = bounds.iter().all(|b| b.is_finite()) && bounds.windows(2).all(|w| w[0] < w[1]);
        if !ok {
            return Err(HistogramError::BadBounds(bounds));
        }
        let counts = vec![0; bounds.len() + 1];
        Ok(Histogram {
            bounds,
            counts,
            sum: 0.0,
        })
    }

    /// A histogram with no finite bound: one `+Inf` bucket (cannot fail).
    pub fn empty() -> Self {
        Histogram {
            bounds: Vec::new(),
            counts: vec![0],
            sum: 0.0,
        }
    }

    /// `count` bounds `start, start·factor, start·factor², …` (Prometheus' `ExponentialBuckets`),
    /// each rounded to 15 significant digits.
    pub fn log_buckets(start: f64, factor: f64, count: usize) -> Result<Self, HistogramError> {
        if !(start > 0.0 && start.is_finite() && factor > 1.0 && factor.is_finite() && count >= 1) {
            return Err(HistogramError::BadLogBuckets {
                start,
                factor,
                count,
            });
        }
        // Round to 15 significant digits so bounds print as written (1e-5·10 → 0.0001, not
        // 0.00010000000000000002).
        let round = |x: f64| format!("{x:.14e}").parse::<f64>().unwrap_or(x);
        Self::new(
            (0..count)
                .map(|i| round(start * factor.powi(i as i32)))
                .collect(),
        )
    }

    /// Record one observation (NaN goes to the `+Inf` bucket and poisons the sum, as Prometheus).
    pub fn observe(&mut self, value: f64) {
        let bucket = self.bounds.partition_point(|&b| b < value);
        self.counts[bucket] += 1;
        self.sum += value;
    }

    /// The finite upper bounds.
    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// Per-bucket counts, the last one for `(last bound, +Inf]`.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Cumulative counts (`le` semantics), ending with the total.
    pub fn cumulative(&self) -> Vec<u64> {
        self.counts
            .iter()
            .scan(0u64, |acc, &c| {
                *acc += c;
                Some(*acc)
            })
            .collect()
    }

    /// Sum of observations.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_le_and_cumulative() {
        let mut h = Histogram::new(vec![1.0, 2.0, 5.0]).unwrap();
        for v in [0.5, 1.0, 1.5, 5.0, 7.0] {
            h.observe(v);
        }
        assert_eq!(h.counts(), &[2, 1, 1, 1]);
        assert_eq!(h.cumulative(), vec![2, 3, 4, 5]);
        assert_eq!((h.count(), h.sum()), (5, 15.0));
    }

    #[test]
    fn bad_bounds_are_errors() {
        assert!(Histogram::new(vec![1.0, 1.0]).is_err());
        assert!(Histogram::new(vec![f64::NAN]).is_err());
        assert!(Histogram::new(vec![1.0, f64::INFINITY]).is_err());
        assert!(Histogram::log_buckets(0.0, 2.0, 3).is_err());
        assert!(Histogram::log_buckets(1.0, 1.0, 3).is_err());
        assert!(Histogram::log_buckets(1.0, 2.0, 0).is_err());
        assert_eq!(
            Histogram::log_buckets(1e-4, 10.0, 3)
                .unwrap()
                .bounds()
                .len(),
            3
        );
        assert_eq!(Histogram::new(vec![]).unwrap(), Histogram::empty());
        let err = Histogram::new(vec![2.0, 1.0]).unwrap_err().to_string();
        assert!(err.contains("strictly increasing"));
    }
}
