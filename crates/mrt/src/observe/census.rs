//! [`Census`]: live objects and bytes by type at one moment, and [`GrowthTracker`], the
//! "what grew since last time" view — objgraph's `most_common_types` and `growth`.
//!
//! The runtime fills a census by walking its heap (or from per-type counters); this module
//! only ranks and compares, so it is testable without a runtime.

use std::collections::BTreeMap;
use std::fmt;

/// Live objects and their bytes for one type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TypeStats {
    /// Live objects.
    pub count: u64,
    /// Bytes they occupy (at block size).
    pub bytes: u64,
}

/// Objects and bytes by type name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Census {
    types: BTreeMap<String, TypeStats>,
}

impl Census {
    /// An empty census.
    pub fn new() -> Self {
        Self::default()
    }

    /// Count `n` objects of `type_name` occupying `bytes` in total.
    pub fn add(&mut self, type_name: &str, n: u64, bytes: u64) {
        let entry = self.types.entry(type_name.to_owned()).or_default();
        entry.count = entry.count.saturating_add(n);
        entry.bytes = entry.bytes.saturating_add(bytes);
    }

    /// The figures of one type (zero if absent).
    pub fn get(&self, type_name: &str) -> TypeStats {
        self.types.get(type_name).copied().unwrap_or_default()
    }

    /// All types, by name.
    pub fn types(&self) -> &BTreeMap<String, TypeStats> {
        &self.types
    }

    /// Total objects and bytes.
    pub fn total(&self) -> TypeStats {
        self.types
            .values()
            .fold(TypeStats::default(), |acc, t| TypeStats {
                count: acc.count.saturating_add(t.count),
                bytes: acc.bytes.saturating_add(t.bytes),
            })
    }

    /// The `limit` types with the most objects, most first (ties by name), like objgraph's
    /// `most_common_types`.
    pub fn most_common_types(&self, limit: usize) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .types
            .iter()
            .map(|(n, t)| (n.clone(), t.count))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(limit);
        v
    }

    /// The `limit` types with the most bytes, most first (ties by name).
    pub fn largest_types(&self, limit: usize) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = self
            .types
            .iter()
            .map(|(n, t)| (n.clone(), t.bytes))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(limit);
        v
    }

    /// Per-type object counts, the shape [`Sample::types`](super::Sample::types) takes.
    pub fn counts(&self) -> BTreeMap<String, i64> {
        self.types
            .iter()
            .map(|(n, t)| (n.clone(), i64::try_from(t.count).unwrap_or(i64::MAX)))
            .collect()
    }
}

/// One line of [`GrowthTracker::growth`]: a type whose count passed its previous peak.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Growth {
    /// Type name.
    pub type_name: String,
    /// Objects now.
    pub count: u64,
    /// Increase over the previous peak.
    pub increase: u64,
}

impl fmt::Display for Growth {
    /// `name  count  +increase`, like objgraph's `show_growth`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<30} {:>9} {:>+9}",
            self.type_name, self.count, self.increase
        )
    }
}

/// Remembers each type's peak count; [`growth`](Self::growth) reports the types that went
/// past it since the last call (objgraph's `growth`: peak-based, so a type that shrinks and
/// regrows to its old level is not reported again).
#[derive(Clone, Debug, Default)]
pub struct GrowthTracker {
    peaks: BTreeMap<String, u64>,
}

impl GrowthTracker {
    /// A tracker with no history: the first call reports every type.
    pub fn new() -> Self {
        Self::default()
    }

    /// Types whose count exceeds their peak, largest increase first (ties by name), at most
    /// `limit`; peaks are updated for all types.
    pub fn growth(&mut self, census: &Census, limit: usize) -> Vec<Growth> {
        let mut grown = Vec::new();
        for (name, stats) in census.types() {
            let peak = self.peaks.entry(name.clone()).or_insert(0);
            if stats.count > *peak {
                grown.push(Growth {
                    type_name: name.clone(),
                    count: stats.count,
                    increase: stats.count - *peak,
                });
                *peak = stats.count;
            }
        }
        grown.sort_by(|a, b| {
            b.increase
                .cmp(&a.increase)
                .then_with(|| a.type_name.cmp(&b.type_name))
        });
        grown.truncate(limit);
        grown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn census(entries: &[(&str, u64)]) -> Census {
        let mut c = Census::new();
        for &(name, n) in entries {
            c.add(name, n, n * 64);
        }
        c
    }

    #[test]
    fn most_common_and_largest() {
        let mut c = census(&[("dict", 50), ("list", 80), ("tuple", 50)]);
        c.add("bytes", 1, 1 << 20);
        assert_eq!(
            c.most_common_types(3),
            vec![
                ("list".into(), 80),
                ("dict".into(), 50),
                ("tuple".into(), 50)
            ]
        );
        assert_eq!(c.largest_types(1), vec![("bytes".into(), 1 << 20)]);
        assert_eq!(
            c.total(),
            TypeStats {
                count: 181,
                bytes: 180 * 64 + (1 << 20)
            }
        );
        assert_eq!(c.get("set"), TypeStats::default());
        assert_eq!(c.counts()["list"], 80);
        c.add("list", u64::MAX, u64::MAX);
        assert_eq!(c.get("list").count, u64::MAX);
    }

    #[test]
    fn growth_is_peak_based_like_objgraph() {
        let mut g = GrowthTracker::new();
        let first = g.growth(&census(&[("dict", 10), ("list", 3)]), 10);
        assert_eq!(
            first[0],
            Growth {
                type_name: "dict".into(),
                count: 10,
                increase: 10
            }
        );
        assert_eq!(first.len(), 2);
        // Nothing grew.
        assert!(
            g.growth(&census(&[("dict", 10), ("list", 3)]), 10)
                .is_empty()
        );
        // Shrink, then regrow to the old peak: not reported; past it: only the excess.
        assert!(g.growth(&census(&[("dict", 4)]), 10).is_empty());
        let again = g.growth(&census(&[("dict", 12), ("list", 3), ("set", 1)]), 10);
        assert_eq!(
            again,
            vec![
                Growth {
                    type_name: "dict".into(),
                    count: 12,
                    increase: 2
                },
                Growth {
                    type_name: "set".into(),
                    count: 1,
                    increase: 1
                },
            ]
        );
        assert_eq!(g.growth(&census(&[("a", 5), ("b", 6)]), 1).len(), 1);
        let line = again[0].to_string();
        assert!(
            line.starts_with("dict ") && line.ends_with("       +2"),
            "{line:?}"
        );
    }
}
