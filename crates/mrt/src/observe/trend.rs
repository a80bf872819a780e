//! Robust trend statistics for [`monitor`](super::monitor): the Theil–Sen slope and the
//! Mann–Kendall trend test, over series sampled at equally spaced points `x = 0, 1, …, n-1`.
//!
//! * **Theil–Sen** slope = median over all pairs `i < j` of `(y_j - y_i) / (j - i)`.
//!   Breakdown point 29 %: up to that share of wild points (a GC that ran just before one
//!   sample, an arena handed back once) cannot move it far. O(n²) pairs; `n` is a window of
//!   tens of samples.
//! * **Mann–Kendall**: `S = Σ_{i<j} sign(y_j - y_i)`. Without a trend `S` has mean 0 and
//!   `Var S = [n(n-1)(2n+5) - Σ_t t(t-1)(2t+5)] / 18` (the sum over groups of `t` tied
//!   values); with the continuity correction `Z = (S - sign S) / sqrt(Var S)` is standard
//!   normal for `n ≥ 8` or so. The one-sided p-value for "increasing" is `P(N(0,1) ≥ Z)`.
//!   Rank-based: it sees only the order of values, so noise scale and outliers do not matter.

/// The Mann–Kendall statistics of a series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MannKendall {
    /// `Σ sign(y_j - y_i)` over pairs `i < j`.
    pub s: i64,
    /// Variance of `S` under "no trend", tie-corrected.
    pub var_s: f64,
    /// The normal score with continuity correction.
    pub z: f64,
    /// One-sided p-value of "the series increases".
    pub p_increasing: f64,
}

/// Median of `values` (mean of the middle two for even lengths); `None` when empty.
/// NaNs sort last (`total_cmp`).
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// Theil–Sen `(slope, intercept)` of `ys` against `0..n`; `None` with fewer than 2 points.
/// The intercept is the median of `y_i - slope · i`.
pub fn theil_sen(ys: &[f64]) -> Option<(f64, f64)> {
    if ys.len() < 2 {
        return None;
    }
    let mut slopes = Vec::with_capacity(ys.len() * (ys.len() - 1) / 2);
    for i in 0..ys.len() {
        for j in i + 1..ys.len() {
            slopes.push((ys[j] - ys[i]) / (j - i) as f64);
        }
    }
    let slope = median(&mut slopes)?;
    let mut residuals: Vec<f64> = ys
        .iter()
        .enumerate()
        .map(|(i, y)| y - slope * i as f64)
        .collect();
    let intercept = median(&mut residuals)?;
    Some((slope, intercept))
}

/// The Mann–Kendall test of `ys`; `None` with fewer than 3 points or if all are tied.
pub fn mann_kendall(ys: &[f64]) -> Option<MannKendall> {
    let n = ys.len();
    if n < 3 {
        return None;
    }
    let mut s: i64 = 0;
    for i in 0..n {
        for j in i + 1..n {
            s += match ys[j].total_cmp(&ys[i]) {
                std::cmp::Ordering::Greater => 1,
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
            };
        }
    }
    let mut sorted = ys.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut run = 1usize;
    for k in 1..=n {
        if k < n && sorted[k].total_cmp(&sorted[k - 1]).is_eq() {
            run += 1;
        } else {
            let t = run as f64;
            ties += t * (t - 1.0) * (2.0 * t + 5.0);
            run = 1;
        }
    }
    let nf = n as f64;
    let var_s = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    if var_s <= 0.0 {
        return None;
    }
    let z = match s.signum() {
        1 => (s - 1) as f64 / var_s.sqrt(),
        -1 => (s + 1) as f64 / var_s.sqrt(),
        _ => 0.0,
    };
    Some(MannKendall {
        s,
        var_s,
        z,
        p_increasing: normal_sf(z),
    })
}

/// `P(N(0,1) ≥ z)`, via the complementary error function.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// Complementary error function, Chebyshev fit with fractional error < 1.2e-7 everywhere
/// (Numerical Recipes' `erfcc`).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tail_values() {
        for (z, p) in [
            (0.0, 0.5),
            (1.0, 0.158_655_25),
            (1.959_964, 0.025),
            (3.0, 0.001_349_9),
            (-1.0, 0.841_344_75),
        ] {
            assert!(
                (normal_sf(z) - p).abs() < 1e-6,
                "sf({z}) = {} want {p}",
                normal_sf(z)
            );
        }
    }

    #[test]
    fn theil_sen_ignores_outliers() {
        let mut ys: Vec<f64> = (0..30).map(|i| 100.0 + 3.0 * i as f64).collect();
        ys[5] = 1e9;
        ys[17] = -1e9;
        ys[29] = 0.0;
        let (slope, intercept) = theil_sen(&ys).unwrap();
        assert!((slope - 3.0).abs() < 1e-9, "{slope}");
        assert!((intercept - 100.0).abs() < 1e-9, "{intercept}");
        assert_eq!(theil_sen(&[1.0]), None);
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }

    #[test]
    fn mann_kendall_detects_trends_and_handles_ties() {
        let up: Vec<f64> = (0..20).map(f64::from).collect();
        let mk = mann_kendall(&up).unwrap();
        assert_eq!(mk.s, 190);
        assert!((mk.var_s - 20.0 * 19.0 * 45.0 / 18.0).abs() < 1e-9);
        assert!(mk.p_increasing < 1e-6);
        let down: Vec<f64> = up.iter().rev().copied().collect();
        assert!(mann_kendall(&down).unwrap().p_increasing > 0.999);
        // Ties: 1,1,2,2,2 → S = 6; Var = (5·4·15 - (2·1·9 + 3·2·11)) / 18 = 216/18 = 12.
        let mk = mann_kendall(&[1.0, 1.0, 2.0, 2.0, 2.0]).unwrap();
        assert_eq!(mk.s, 6);
        assert!((mk.var_s - 12.0).abs() < 1e-9);
        assert_eq!(mann_kendall(&[5.0; 10]), None);
        assert_eq!(mann_kendall(&[1.0, 2.0]), None);
    }
}
