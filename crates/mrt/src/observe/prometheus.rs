//! A writer for the Prometheus text exposition format (version 0.0.4).
//!
//! ```text
//! # HELP mrt_heap_bytes Bytes held by the heap, by layer.
//! # TYPE mrt_heap_bytes gauge
//! mrt_heap_bytes{layer="live"} 1048576
//! # HELP mrt_gc_pause_seconds Collection pause times.
//! # TYPE mrt_gc_pause_seconds histogram
//! mrt_gc_pause_seconds_bucket{generation="0",le="0.001"} 12
//! mrt_gc_pause_seconds_bucket{generation="0",le="+Inf"} 13
//! mrt_gc_pause_seconds_sum{generation="0"} 0.0071
//! mrt_gc_pause_seconds_count{generation="0"} 13
//! ```
//!
//! Every family is written whole (HELP, TYPE, then its samples), so the output is valid by
//! construction; anything that would make it invalid (bad names, duplicate families or
//! series, a `le` label on a histogram) is a [`PromError`] and nothing is written for that
//! family. [`prometheus_check`](super::prometheus_check) verifies the grammar independently.
//!
//! The runtime feeds it heap bytes by layer, objects by type, allocation totals (rates are
//! the scraper's `rate()`), collections and pause-time histograms per generation, and
//! fragmentation ratios.

use std::collections::BTreeSet;
use std::fmt::{self, Write as _};

use super::histogram::Histogram;

/// The metric types written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricType {
    /// A monotonic total (name conventionally ends in `_total`).
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Bucketed observations (`_bucket`, `_sum`, `_count`).
    Histogram,
}

impl MetricType {
    /// The keyword in `# TYPE` lines.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
        }
    }
}

/// Why a family could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromError {
    /// Not `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    InvalidMetricName(String),
    /// Not `[a-zA-Z_][a-zA-Z0-9_]*`, or reserved (`__` prefix, or `le` on a histogram).
    InvalidLabelName(String),
    /// The same label twice in one series.
    DuplicateLabel(String),
    /// A family of this name (or clashing with a histogram's `_bucket`/`_sum`/`_count`) exists.
    DuplicateFamily(String),
    /// Two series of one family with the same labels.
    DuplicateSeries(String),
    /// A counter value that is negative or NaN.
    InvalidCounterValue(String),
}

impl fmt::Display for PromError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PromError::InvalidMetricName(n) => write!(f, "invalid metric name {n:?}"),
            PromError::InvalidLabelName(n) => write!(f, "invalid or reserved label name {n:?}"),
            PromError::DuplicateLabel(n) => write!(f, "label {n:?} given twice"),
            PromError::DuplicateFamily(n) => write!(f, "metric family {n:?} already written"),
            PromError::DuplicateSeries(s) => write!(f, "duplicate series {s}"),
            PromError::InvalidCounterValue(s) => write!(f, "counter values must be >= 0: {s}"),
        }
    }
}

impl std::error::Error for PromError {}

/// Labels of one series: `(name, value)` pairs.
pub type Labels<'a> = &'a [(&'a str, &'a str)];

/// Whether `name` is a valid metric name.
pub fn is_valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Whether `name` is a valid, non-reserved label name.
pub fn is_valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

/// Escape a label value: `\` → `\\`, `"` → `\"`, newline → `\n`.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Escape HELP text: `\` → `\\`, newline → `\n`.
pub fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A sample value as the format spells it (`+Inf`, `-Inf`, `NaN`, or Rust's shortest
/// round-trip decimal).
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

/// The text of one exposition, built family by family.
#[derive(Default, Debug)]
pub struct Exposition {
    out: String,
    /// Every sample name in use (families and histogram suffixes), to refuse clashes.
    names: BTreeSet<String>,
}

impl Exposition {
    /// An empty exposition.
    pub fn new() -> Self {
        Self::default()
    }

    /// A counter family with one sample per series.
    pub fn counter(
        &mut self,
        name: &str,
        help: &str,
        series: &[(Labels<'_>, f64)],
    ) -> Result<(), PromError> {
        if let Some((labels, v)) = series.iter().find(|(_, v)| v.is_nan() || *v < 0.0) {
            return Err(PromError::InvalidCounterValue(format!(
                "{name}{} {v}",
                render_labels(labels, None)
            )));
        }
        self.simple(name, help, MetricType::Counter, series)
    }

    /// A gauge family with one sample per series.
    pub fn gauge(
        &mut self,
        name: &str,
        help: &str,
        series: &[(Labels<'_>, f64)],
    ) -> Result<(), PromError> {
        self.simple(name, help, MetricType::Gauge, series)
    }

    fn simple(
        &mut self,
        name: &str,
        help: &str,
        kind: MetricType,
        series: &[(Labels<'_>, f64)],
    ) -> Result<(), PromError> {
        self.check_family(name, &[name])?;
        let mut seen = BTreeSet::new();
        for (labels, _) in series {
            check_labels(labels, false)?;
            if !seen.insert(canonical(labels)) {
                return Err(PromError::DuplicateSeries(format!(
                    "{name}{}",
                    render_labels(labels, None)
                )));
            }
        }
        let mut text = header(name, help, kind);
        for (labels, value) in series {
            let _ = writeln!(
                text,
                "{name}{} {}",
                render_labels(labels, None),
                format_value(*value)
            );
        }
        self.commit(text, &[name]);
        Ok(())
    }

    /// A histogram family: per series, cumulative `_bucket{le=…}` lines ending in `+Inf`,
    /// then `_sum` and `_count`.
    pub fn histogram(
        &mut self,
        name: &str,
        help: &str,
        series: &[(Labels<'_>, &Histogram)],
    ) -> Result<(), PromError> {
        let bucket = format!("{name}_bucket");
        let sum = format!("{name}_sum");
        let count = format!("{name}_count");
        self.check_family(name, &[name, &bucket, &sum, &count])?;
        let mut seen = BTreeSet::new();
        for (labels, _) in series {
            check_labels(labels, true)?;
            if !seen.insert(canonical(labels)) {
                return Err(PromError::DuplicateSeries(format!(
                    "{name}{}",
                    render_labels(labels, None)
                )));
            }
        }
        let mut text = header(name, help, MetricType::Histogram);
        for (labels, h) in series {
            let cumulative = h.cumulative();
            for (i, c) in cumulative.iter().enumerate() {
                let le = h
                    .bounds()
                    .get(i)
                    .map_or_else(|| "+Inf".to_owned(), |&b| format_value(b));
                let _ = writeln!(text, "{bucket}{} {c}", render_labels(labels, Some(&le)));
            }
            let _ = writeln!(
                text,
                "{sum}{} {}",
                render_labels(labels, None),
                format_value(h.sum())
            );
            let _ = writeln!(text, "{count}{} {}", render_labels(labels, None), h.count());
        }
        self.commit(text, &[name, &bucket, &sum, &count]);
        Ok(())
    }

    fn check_family(&self, name: &str, names: &[&str]) -> Result<(), PromError> {
        if !is_valid_metric_name(name) {
            return Err(PromError::InvalidMetricName(name.to_owned()));
        }
        match names.iter().find(|n| self.names.contains(**n)) {
            Some(_) => Err(PromError::DuplicateFamily(name.to_owned())),
            None => Ok(()),
        }
    }

    fn commit(&mut self, text: String, names: &[&str]) {
        self.out.push_str(&text);
        self.names.extend(names.iter().map(|n| (*n).to_owned()));
    }

    /// The exposition text so far.
    pub fn as_str(&self) -> &str {
        &self.out
    }

    /// The finished exposition text.
    pub fn finish(self) -> String {
        self.out
    }
}

fn header(name: &str, help: &str, kind: MetricType) -> String {
    format!(
        "# HELP {name} {}\n# TYPE {name} {}\n",
        escape_help(help),
        kind.as_str()
    )
}

fn check_labels(labels: Labels<'_>, histogram: bool) -> Result<(), PromError> {
    let mut names = BTreeSet::new();
    for (name, _) in labels {
        if !is_valid_label_name(name) || (histogram && *name == "le") {
            return Err(PromError::InvalidLabelName((*name).to_owned()));
        }
        if !names.insert(*name) {
            return Err(PromError::DuplicateLabel((*name).to_owned()));
        }
    }
    Ok(())
}

fn canonical(labels: Labels<'_>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = labels
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}

fn render_labels(labels: Labels<'_>, le: Option<&str>) -> String {
    if labels.is_empty() && le.is_none() {
        return String::new();
    }
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(n, v)| format!("{n}=\"{}\"", escape_label_value(v)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    format!("{{{}}}", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::prometheus_check::check;
    use proptest::prelude::*;

    fn sample_exposition() -> String {
        let mut e = Exposition::new();
        e.gauge(
            "mrt_heap_bytes",
            "Bytes held by the heap, by layer.",
            &[
                (&[("layer", "live")], 1048576.0),
                (&[("layer", "free_blocks")], 4096.0),
            ],
        )
        .unwrap();
        e.counter(
            "mrt_alloc_bytes_total",
            "Bytes allocated since start.\nMonotonic.",
            &[(&[], 1e9)],
        )
        .unwrap();
        let mut h0 = Histogram::log_buckets(1e-5, 10.0, 4).unwrap();
        let mut h2 = Histogram::log_buckets(1e-5, 10.0, 4).unwrap();
        for v in [2e-5, 3e-4, 0.5] {
            h0.observe(v);
        }
        h2.observe(0.02);
        e.histogram(
            "mrt_gc_pause_seconds",
            "Collection pauses.",
            &[(&[("generation", "0")], &h0), (&[("generation", "2")], &h2)],
        )
        .unwrap();
        e.gauge(
            "mrt_fragmentation_ratio",
            "Free bytes in used pools / pool bytes.",
            &[(&[], f64::NAN)],
        )
        .unwrap();
        e.finish()
    }

    #[test]
    fn writes_the_documented_shape() {
        let text = sample_exposition();
        let expected_histogram = "\
# HELP mrt_gc_pause_seconds Collection pauses.
# TYPE mrt_gc_pause_seconds histogram
mrt_gc_pause_seconds_bucket{generation=\"0\",le=\"0.00001\"} 0
mrt_gc_pause_seconds_bucket{generation=\"0\",le=\"0.0001\"} 1
mrt_gc_pause_seconds_bucket{generation=\"0\",le=\"0.001\"} 2
mrt_gc_pause_seconds_bucket{generation=\"0\",le=\"0.01\"} 2
mrt_gc_pause_seconds_bucket{generation=\"0\",le=\"+Inf\"} 3
mrt_gc_pause_seconds_sum{generation=\"0\"} 0.50032
mrt_gc_pause_seconds_count{generation=\"0\"} 3
";
        assert!(text.contains(expected_histogram), "{text}");
        assert!(
            text.contains(
                "# HELP mrt_alloc_bytes_total Bytes allocated since start.\\nMonotonic.\n"
            )
        );
        assert!(text.contains("mrt_alloc_bytes_total 1000000000\n"));
        assert!(text.contains("mrt_fragmentation_ratio NaN\n"));
        let families = check(&text).unwrap();
        assert_eq!(families.len(), 4);
    }

    #[test]
    fn invalid_input_is_refused_and_nothing_written() {
        let mut e = Exposition::new();
        assert_eq!(
            e.gauge("1bad", "", &[]),
            Err(PromError::InvalidMetricName("1bad".into()))
        );
        assert_eq!(
            e.gauge("a-b", "", &[]),
            Err(PromError::InvalidMetricName("a-b".into()))
        );
        assert_eq!(
            e.gauge("ok", "", &[(&[("__x", "")], 1.0)]),
            Err(PromError::InvalidLabelName("__x".into()))
        );
        assert_eq!(
            e.gauge("ok", "", &[(&[("a", "1"), ("a", "2")], 1.0)]),
            Err(PromError::DuplicateLabel("a".into()))
        );
        assert!(matches!(
            e.gauge("ok", "", &[(&[("a", "1")], 1.0), (&[("a", "1")], 2.0)]),
            Err(PromError::DuplicateSeries(_))
        ));
        assert!(matches!(
            e.counter("c_total", "", &[(&[], -1.0)]),
            Err(PromError::InvalidCounterValue(_))
        ));
        let h = Histogram::new(vec![1.0]).unwrap();
        assert_eq!(
            e.histogram("h", "", &[(&[("le", "1")], &h)]),
            Err(PromError::InvalidLabelName("le".into()))
        );
        assert_eq!(e.as_str(), "");
        e.histogram("h", "", &[(&[], &h)]).unwrap();
        assert_eq!(
            e.gauge("h", "", &[]),
            Err(PromError::DuplicateFamily("h".into()))
        );
        assert_eq!(
            e.gauge("h_count", "", &[]),
            Err(PromError::DuplicateFamily("h_count".into()))
        );
        e.gauge("g", "", &[]).unwrap();
        check(e.as_str()).unwrap();
        assert!(
            PromError::InvalidMetricName("x y".into())
                .to_string()
                .contains("x y")
        );
    }

    #[test]
    fn special_values() {
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_value(0.1), "0.1");
        assert_eq!(format_value(-3.0), "-3");
    }

    proptest! {
        /// Any label value (any Unicode, quotes, backslashes, newlines) survives escaping and
        /// the checker's unescaping unchanged; so does HELP text.
        #[test]
        fn label_values_round_trip(value in any::<String>(), help in any::<String>()) {
            let mut e = Exposition::new();
            e.gauge("m", &help, &[(&[("v", value.as_str())], 1.0)]).unwrap();
            let families = check(e.as_str()).unwrap();
            prop_assert_eq!(&families[0].help, &help);
            prop_assert_eq!(&families[0].samples[0].labels, &vec![("v".to_owned(), value.clone())]);
        }
    }
}
