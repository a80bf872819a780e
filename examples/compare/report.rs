//! The results of a run as tables (main, scaling, targets) and as JSON.
//!
//! A cell shows the measured value and, for times and bytes, the system's ratio to
//! mrt (`×2.0`: twice mrt's). A system that cannot express a workload shows `n/a`,
//! a run that failed shows `FAILED`, a metric with nothing to report (no
//! generation-2 collection happened) shows `-`; footnotes say why.

use crate::child::SYSTEMS;
use crate::workloads::{Case, Outcome, Workload};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Every outcome of a run: per case, per system that ran it.
pub struct Results {
    /// In plan order.
    pub cases: Vec<(Case, BTreeMap<String, Outcome>)>,
}

/// Whether lower is better and a ratio to mrt means something for `metric`.
fn has_ratio(metric: &str) -> bool {
    metric.ends_with("seconds")
        || metric == "ns_per_object"
        || metric.ends_with("_us")
        || is_bytes(metric)
}

fn is_bytes(metric: &str) -> bool {
    matches!(
        metric,
        "empty_list" | "dict1" | "instance2" | "float" | "small_int"
    )
}

/// A value with its unit.
pub fn fmt_value(metric: &str, v: f64) -> String {
    if metric.ends_with("seconds") {
        let (x, unit) = match v {
            v if v < 1e-6 => (v * 1e9, "ns"),
            v if v < 1e-3 => (v * 1e6, "µs"),
            v if v < 1.0 => (v * 1e3, "ms"),
            v => (v, "s"),
        };
        format!("{} {unit}", sig3(x))
    } else if metric == "ns_per_object" {
        format!("{} ns/obj", sig3(v))
    } else if metric.ends_with("_us") {
        format!("{} µs", sig3(v))
    } else if metric.ends_with("_pct") {
        format!("{v:.1} %")
    } else if metric.ends_with("_mib") {
        format!("{v:.0} MiB")
    } else if is_bytes(metric) {
        format!("{v:.0} B")
    } else {
        format!("{v:.0}")
    }
}

/// Three significant digits, no exponent.
fn sig3(x: f64) -> String {
    match x.abs() {
        a if a >= 100.0 => format!("{x:.0}"),
        a if a >= 10.0 => format!("{x:.1}"),
        _ => format!("{x:.2}"),
    }
}

/// `system ÷ mrt` for `metric` in one case, when both are measured and mrt's is > 0.
fn ratio(results: &BTreeMap<String, Outcome>, system: &str, metric: &str) -> Option<f64> {
    let m = results.get("mrt")?.metrics.get(metric).copied()?;
    let s = results.get(system)?.metrics.get(metric).copied()?;
    (m > 0.0 && has_ratio(metric)).then(|| s / m)
}

/// Footnotes, numbered in order of first use, identical texts shared.
#[derive(Default)]
struct Footnotes(Vec<String>);

impl Footnotes {
    fn mark(&mut self, text: &str) -> usize {
        match self.0.iter().position(|t| t == text) {
            Some(i) => i + 1,
            None => {
                self.0.push(text.to_string());
                self.0.len()
            }
        }
    }
}

/// One table cell.
fn cell(
    results: &BTreeMap<String, Outcome>,
    system: &str,
    metric: &str,
    first_row: bool,
    notes: &mut Footnotes,
) -> String {
    let Some(o) = results.get(system) else {
        return "not run".into();
    };
    if let Some(why) = &o.unsupported {
        return format!("n/a [{}]", notes.mark(&format!("{system}: {why}")));
    }
    if let Some(why) = &o.failed {
        return format!("FAILED [{}]", notes.mark(&format!("{system}: {why}")));
    }
    let mut s = match o.metrics.get(metric) {
        Some(&v) => {
            let mut s = fmt_value(metric, v);
            if system != "mrt"
                && let Some(r) = ratio(results, system, metric)
            {
                let _ = write!(s, " (×{})", sig3(r));
            }
            s
        }
        None if o.notes.contains_key(metric) => "inline".into(),
        None => "-".into(),
    };
    let mut marks = Vec::new();
    if let Some(n) = o.notes.get(metric) {
        marks.push(notes.mark(&format!("{system}, {metric}: {n}")));
    }
    if first_row && let Some(n) = o.notes.get("*") {
        marks.push(notes.mark(&format!("{system}: {n}")));
    }
    for m in marks {
        let _ = write!(s, " [{m}]");
    }
    s
}

/// How tables are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Aligned plain text (the terminal).
    Text,
    /// GitHub Markdown (`--markdown`, for benches/README.md).
    Markdown,
}

/// Render rows as a table (first row: header).
fn render(rows: &[Vec<String>], style: Style) -> String {
    if style == Style::Markdown {
        let mut out = String::new();
        for (i, r) in rows.iter().enumerate() {
            let cells: Vec<String> = r.iter().map(|c| c.replace('|', "\\|")).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
            if i == 0 {
                let _ = writeln!(out, "|{}", "---|".repeat(r.len()));
            }
        }
        return out;
    }
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, s)| format!("{s:<w$}", w = width[c]))
            .collect();
        out.push_str(line.join(" | ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = width.iter().map(|&w| "-".repeat(w)).collect();
            out.push_str(&rule.join("-|-"));
            out.push('\n');
        }
    }
    out
}

impl Results {
    /// The main table (every non-scale case, every system), then its footnotes.
    pub fn main_table(&self, style: Style) -> String {
        let mut notes = Footnotes::default();
        let mut rows = vec![
            ["case", "metric"]
                .into_iter()
                .chain(SYSTEMS)
                .map(String::from)
                .collect::<Vec<_>>(),
        ];
        for (case, res) in self.cases.iter().filter(|(c, _)| !c.scale) {
            for (i, metric) in case.workload.shown_metrics().iter().enumerate() {
                let mut row = vec![
                    if i == 0 { case.label() } else { String::new() },
                    metric.to_string(),
                ];
                for sys in SYSTEMS {
                    row.push(cell(res, sys, metric, i == 0, &mut notes));
                }
                rows.push(row);
            }
        }
        let mut out = render(&rows, style);
        if style == Style::Markdown {
            out.push('\n');
        }
        for (i, n) in notes.0.iter().enumerate() {
            let _ = writeln!(out, "[{}] {n}", i + 1);
            if style == Style::Markdown {
                out.push('\n');
            }
        }
        out
    }

    /// How full and young collections grow with the heap (mrt and CPython).
    pub fn scale_table(&self, style: Style) -> String {
        let mut rows = vec![
            ["series", "size", "mrt", "cpython", "mrt ÷ cpython"]
                .map(String::from)
                .to_vec(),
        ];
        let get = |res: &BTreeMap<String, Outcome>, sys: &str, m: &str| {
            res.get(sys).and_then(|o| o.metrics.get(m).copied())
        };
        let show = |v: Option<f64>, m: &str| v.map_or("-".into(), |v| fmt_value(m, v));
        let mut series: Vec<(&Case, &BTreeMap<String, Outcome>)> =
            self.cases.iter().map(|(c, r)| (c, r)).collect();
        series.sort_by_key(|(c, _)| (c.workload.name(), c.n.max(c.old)));
        for (case, res) in series {
            let (name, size, metrics): (&str, usize, &[&str]) = match case.workload {
                Workload::FullCollectLive => ("full collection", case.n, &["ns_per_object"]),
                Workload::YoungPause => (
                    "young pause (old gen)",
                    case.old,
                    &[
                        "gen0_median_us",
                        "gen0_p99_us",
                        "gen0_cpu_max_us",
                        "gen0_cpu_max_of_min_us",
                    ],
                ),
                _ => continue,
            };
            for m in metrics {
                let (a, b) = (get(res, "mrt", m), get(res, "cpython", m));
                let r = match (a, b) {
                    (Some(a), Some(b)) if b > 0.0 => format!("{:.3}", a / b),
                    _ => "-".into(),
                };
                rows.push(vec![
                    format!("{name}: {m}"),
                    crate::workloads::human_count(size),
                    show(a, m),
                    show(b, m),
                    r,
                ]);
            }
        }
        render(&rows, style)
    }

    fn find(
        &self,
        workload: Workload,
        pick: impl Fn(&Case) -> bool,
    ) -> Option<&BTreeMap<String, Outcome>> {
        self.cases
            .iter()
            .find(|(c, _)| c.workload == workload && !c.scale && pick(c))
            .map(|(_, r)| r)
    }

    /// The targets, evaluated on this run.
    pub fn targets(&self) -> Vec<Target> {
        let mut t = Vec::new();
        let val = |r: &BTreeMap<String, Outcome>, s: &str, m: &str| {
            r.get(s).and_then(|o| o.metrics.get(m).copied())
        };
        let peers = ["bacon_rajan_cc", "dumpster", "rust-cc"];
        for w in [Workload::CollectCycles, Workload::FullCollectLive] {
            let Some(r) = self.find(w, |_| true) else {
                continue;
            };
            let mrt = val(r, "mrt", "seconds");
            let cpy = val(r, "cpython", "seconds");
            t.push(Target::ratio(
                format!("{}: mrt ÷ CPython", w.name()),
                mrt,
                cpy,
                0.3,
            ));
            let best = peers
                .iter()
                .filter_map(|p| val(r, p, "seconds").map(|v| (v, *p)))
                .min_by(|a, b| a.0.total_cmp(&b.0));
            t.push(Target::ratio(
                format!(
                    "{}: mrt ÷ best Rust peer ({})",
                    w.name(),
                    best.map_or("none", |b| b.1)
                ),
                mrt,
                best.map(|b| b.0),
                0.5,
            ));
        }
        if let Some(r) = self.find(Workload::FullCollectFragmented, |_| true) {
            t.push(Target::ratio(
                "full_collect_fragmented: mrt ÷ CPython".into(),
                val(r, "mrt", "seconds"),
                val(r, "cpython", "seconds"),
                0.1,
            ));
        }
        if let Some(r) = self.find(Workload::Churn, |_| true) {
            t.push(Target::ratio(
                "churn: mrt ÷ std Rc".into(),
                val(r, "mrt", "seconds"),
                val(r, "rc", "seconds"),
                1.2,
            ));
        }
        let young: Vec<_> = self
            .cases
            .iter()
            .filter(|(c, _)| c.workload == Workload::YoungPause && !c.scale)
            .collect();
        for (c, r) in &young {
            let best_of = format!("thread CPU, each collection's best of {} rounds", c.reps);
            for (clock, metrics) in [
                ("wall clock", ["gen0_max_us", "gen1_max_us"]),
                ("thread CPU", ["gen0_cpu_max_us", "gen1_cpu_max_us"]),
                (
                    best_of.as_str(),
                    ["gen0_cpu_max_of_min_us", "gen1_cpu_max_of_min_us"],
                ),
                ("wall p99", ["gen0_p99_us", "gen1_p99_us"]),
            ] {
                let max = metrics
                    .iter()
                    .filter_map(|m| val(r, "mrt", m))
                    .reduce(f64::max);
                t.push(Target::limit(
                    format!(
                        "young_pause old={}: mrt max young (gen 0/1) pause, {clock}, µs",
                        crate::workloads::human_count(c.old)
                    ),
                    max,
                    100.0,
                ));
            }
        }
        if let [(small, rs), (big, rb)] = young.as_slice() {
            t.push(Target::ratio(
                format!(
                    "young_pause: mrt gen-0 median pause, old={} ÷ old={}",
                    crate::workloads::human_count(big.old),
                    crate::workloads::human_count(small.old)
                ),
                val(rb, "mrt", "gen0_median_us"),
                val(rs, "mrt", "gen0_median_us"),
                1.5,
            ));
        }
        if let Some(r) = self.find(Workload::BytesPerObject, |_| true) {
            for (m, limit) in [
                ("empty_list", 40.0),
                ("dict1", 120.0),
                ("instance2", 40.0),
                ("float", 16.0),
                ("small_int", 0.0),
            ] {
                t.push(Target::limit(
                    format!("bytes_per_object {m}: mrt bytes"),
                    val(r, "mrt", m),
                    limit,
                ));
            }
        }
        if let Some(r) = self.find(Workload::SpikeRelease, |_| true) {
            for m in ["held_alloc_pct", "held_rss_pct"] {
                t.push(Target::limit(
                    format!("spike_release: mrt {m}"),
                    val(r, "mrt", m),
                    2.0,
                ));
            }
        }
        t
    }

    /// The targets as a table.
    pub fn targets_table(&self, style: Style) -> String {
        let mut rows = vec![
            ["target", "measured", "limit", "verdict"]
                .map(String::from)
                .to_vec(),
        ];
        for t in self.targets() {
            rows.push(vec![
                t.name.clone(),
                t.measured.map_or("-".into(), |v| format!("{v:.3}")),
                format!("≤ {}", t.limit),
                t.verdict().into(),
            ]);
        }
        render(&rows, style)
    }

    /// Everything as JSON.
    pub fn to_json(&self, meta: Value) -> Value {
        let cases: Vec<Value> = self
            .cases
            .iter()
            .map(|(c, res)| {
                let results: serde_json::Map<String, Value> = res
                    .iter()
                    .map(|(sys, o)| {
                        let mut v = o.to_json();
                        let status = if o.unsupported.is_some() {
                            "unsupported"
                        } else if o.failed.is_some() {
                            "failed"
                        } else {
                            "ok"
                        };
                        let ratios: BTreeMap<&String, f64> = o
                            .metrics
                            .keys()
                            .filter_map(|m| Some((m, ratio(res, sys, m)?)))
                            .collect();
                        v["status"] = json!(status);
                        v["ratio_to_mrt"] = json!(ratios);
                        (sys.clone(), v)
                    })
                    .collect();
                json!({
                    "label": c.label(),
                    "workload": c.workload.name(),
                    "n": c.n,
                    "old": c.old,
                    "reps": c.reps,
                    "scale_series": c.scale,
                    "results": results,
                })
            })
            .collect();
        let targets: Vec<Value> = self
            .targets()
            .iter()
            .map(|t| {
                json!({
                    "target": t.name,
                    "measured": t.measured,
                    "limit": t.limit,
                    "verdict": t.verdict(),
                })
            })
            .collect();
        json!({ "meta": meta, "cases": cases, "targets": targets })
    }
}

/// One of the targets: `measured ≤ limit`.
pub struct Target {
    /// What is compared.
    pub name: String,
    /// The measured value or ratio (`None`: a side is missing).
    pub measured: Option<f64>,
    /// The bound.
    pub limit: f64,
}

impl Target {
    fn limit(name: String, measured: Option<f64>, limit: f64) -> Target {
        Target {
            name,
            measured,
            limit,
        }
    }

    fn ratio(name: String, num: Option<f64>, den: Option<f64>, limit: f64) -> Target {
        let measured = match (num, den) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        Target {
            name,
            measured,
            limit,
        }
    }

    /// `met`, `MISSED` or `not measured`.
    pub fn verdict(&self) -> &'static str {
        match self.measured {
            Some(v) if v <= self.limit => "met",
            Some(_) => "MISSED",
            None => "not measured",
        }
    }
}
