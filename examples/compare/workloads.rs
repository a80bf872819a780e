//! The workloads, their sizes, and what a run of one reports ([`Outcome`]).
//!
//! Each (system, case) runs in a fresh process — this binary re-run with
//! `--child`, or `python3 benches/python/workloads.py` — so that no workload
//! inherits another's heap, and a crash (a recursive `Drop` overflowing the
//! stack) is a result rather than the end of the run.

use crate::peers::Pause;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// The workloads, named as on the Python side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Rings of 20 containers, roots dropped, one full collection timed.
    CollectCycles,
    /// One full collection of `n` live one-element containers.
    FullCollectLive,
    /// The same after fragmenting the heap (`2n` survivors in shuffled order).
    FullCollectFragmented,
    /// One full collection of `n` live containers, each holding the next
    /// (containers of containers: no leaves).
    FullCollectChain,
    /// Create and drop `n` two-element containers.
    Churn,
    /// `old` promoted containers, then `n` short-lived 2-cycles (`reps` rounds):
    /// every pause.
    YoungPause,
    /// Bytes per object of five kinds of objects.
    BytesPerObject,
    /// `n` small tuples allocated and dropped: what stays held.
    SpikeRelease,
    /// Drop an `n`-deep nested list.
    DeepDrop,
    /// Collect an `n`-long cycle.
    DeepCycle,
}

impl Workload {
    /// Every workload, in table order.
    pub const ALL: [Workload; 10] = [
        Workload::CollectCycles,
        Workload::FullCollectLive,
        Workload::FullCollectFragmented,
        Workload::FullCollectChain,
        Workload::Churn,
        Workload::YoungPause,
        Workload::BytesPerObject,
        Workload::SpikeRelease,
        Workload::DeepDrop,
        Workload::DeepCycle,
    ];

    /// The name used on the command line, in JSON and by `workloads.py`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::CollectCycles => "collect_cycles",
            Workload::FullCollectLive => "full_collect_live",
            Workload::FullCollectFragmented => "full_collect_fragmented",
            Workload::FullCollectChain => "full_collect_chain",
            Workload::Churn => "churn",
            Workload::YoungPause => "young_pause",
            Workload::BytesPerObject => "bytes_per_object",
            Workload::SpikeRelease => "spike_release",
            Workload::DeepDrop => "deep_drop",
            Workload::DeepCycle => "deep_cycle",
        }
    }

    /// Parse [`Workload::name`].
    pub fn from_name(s: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == s)
    }

    /// The metrics shown in the table, in order (the JSON keeps them all).
    pub fn shown_metrics(self) -> &'static [&'static str] {
        match self {
            Workload::CollectCycles
            | Workload::FullCollectLive
            | Workload::FullCollectFragmented
            | Workload::FullCollectChain
            | Workload::Churn => &["seconds", "median_seconds", "ns_per_object"],
            Workload::YoungPause => &[
                "gen0_count",
                "gen0_median_us",
                "gen0_p99_us",
                "gen0_max_us",
                "gen0_cpu_max_us",
                "gen0_cpu_max_of_min_us",
                "gen1_count",
                "gen1_median_us",
                "gen1_p99_us",
                "gen1_max_us",
                "gen1_cpu_max_us",
                "gen1_cpu_max_of_min_us",
                "gen2_count",
                "gen2_max_us",
                "seconds",
            ],
            Workload::BytesPerObject => &["empty_list", "dict1", "instance2", "float", "small_int"],
            Workload::SpikeRelease => &["held_alloc_pct", "held_rss_pct", "peak_rss_mib"],
            Workload::DeepDrop => &["nested_drop_seconds"],
            Workload::DeepCycle => &["cycle_collect_seconds"],
        }
    }
}

/// One workload at one size.
#[derive(Clone, Debug)]
pub struct Case {
    /// What runs.
    pub workload: Workload,
    /// Objects (see each workload).
    pub n: usize,
    /// `young_pause`: containers in the oldest generation.
    pub old: usize,
    /// Timed repetitions (the best is reported).
    pub reps: usize,
    /// Whether this case belongs to the `--scale` series (mrt and CPython only).
    pub scale: bool,
}

impl Case {
    /// Row label: the workload, plus the size where a workload has several.
    pub fn label(&self) -> String {
        match self.workload {
            Workload::YoungPause => format!("young_pause old={}", human_count(self.old)),
            Workload::FullCollectLive if self.scale => {
                format!("full_collect_live n={}", human_count(self.n))
            }
            w => w.name().to_string(),
        }
    }

    /// The command-line arguments a child process gets for this case.
    pub fn args(&self) -> Vec<String> {
        vec![
            self.workload.name().into(),
            "--n".into(),
            self.n.to_string(),
            "--reps".into(),
            self.reps.to_string(),
            "--old".into(),
            self.old.to_string(),
        ]
    }
}

/// `1000000` → `1M`.
pub fn human_count(n: usize) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// The cases of a run. `div` divides every size (`--quick`: 10); `scale` adds the
/// 10M points of the scaling series.
pub fn plan(div: usize, reps: usize, scale: bool) -> Vec<Case> {
    let c = |workload, n: usize, old: usize, scale| Case {
        workload,
        n: n / div,
        old: old / div,
        reps,
        scale,
    };
    let mut v = vec![
        c(Workload::CollectCycles, 200_000, 0, false),
        c(Workload::FullCollectLive, 1_000_000, 0, false),
        c(Workload::FullCollectFragmented, 1_000_000, 0, false),
        c(Workload::FullCollectChain, 1_000_000, 0, false),
        c(Workload::Churn, 1_000_000, 0, false),
        c(Workload::YoungPause, 2_000_000, 100_000, false),
        c(Workload::YoungPause, 2_000_000, 1_000_000, false),
        c(Workload::BytesPerObject, 100_000, 0, false),
        c(Workload::SpikeRelease, 5_000_000, 0, false),
        c(Workload::DeepDrop, 1_000_000, 0, false),
        c(Workload::DeepCycle, 1_000_000, 0, false),
        // How a full collection grows with the live heap, and that a young one does not.
        c(Workload::FullCollectLive, 100_000, 0, true),
    ];
    if scale {
        v.push(c(Workload::FullCollectLive, 10_000_000, 0, true));
        v.push(c(Workload::YoungPause, 2_000_000, 10_000_000, true));
    }
    v
}

/// What one system reported for one case.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Numbers by metric name (seconds, ns, µs, bytes, percent, counts).
    pub metrics: BTreeMap<String, f64>,
    /// Remarks by metric name; `"*"` for the whole case.
    pub notes: BTreeMap<String, String>,
    /// Why the system cannot express the workload at all.
    pub unsupported: Option<String>,
    /// Why the run failed (crash, timeout, bad output).
    pub failed: Option<String>,
}

impl Outcome {
    /// A workload the system cannot express.
    pub fn unsupported(why: impl Into<String>) -> Outcome {
        Outcome {
            unsupported: Some(why.into()),
            ..Outcome::default()
        }
    }

    /// A run that produced no result.
    pub fn failed(why: impl Into<String>) -> Outcome {
        Outcome {
            failed: Some(why.into()),
            ..Outcome::default()
        }
    }

    /// Record a metric.
    pub fn set(&mut self, name: &str, v: f64) -> &mut Self {
        self.metrics.insert(name.into(), v);
        self
    }

    /// Record a remark about a metric (`"*"`: the whole case).
    pub fn note(&mut self, name: &str, text: impl Into<String>) -> &mut Self {
        self.notes.insert(name.into(), text.into());
        self
    }

    /// `seconds` (best), `median_seconds`, `samples` and `ns_per_object` from
    /// timed repetitions over `objects` objects each.
    pub fn timings(samples: &[Duration], objects: usize) -> Outcome {
        let mut o = Outcome::default();
        let mut s: Vec<f64> = samples.iter().map(Duration::as_secs_f64).collect();
        s.sort_by(f64::total_cmp);
        if let Some(&best) = s.first() {
            o.set("seconds", best)
                .set("median_seconds", median(&s))
                .set("samples", s.len() as f64)
                .set("ns_per_object", best / objects as f64 * 1e9);
        }
        o
    }

    /// Pause statistics of generation `generation` over repetitions of the same
    /// loop (`rounds[r]`: round r's pauses in order): `gen{g}_count` (per round),
    /// `gen{g}_median_us`, `gen{g}_p99_us` and `gen{g}_max_us` by the wall clock,
    /// and `gen{g}_cpu_max_us` by the thread's CPU clock (on a shared machine the
    /// wall-clock maximum mostly measures the scheduler), all over every pause of
    /// every round.
    ///
    /// With two rounds or more, also `gen{g}_cpu_max_of_min_us`: the rounds run
    /// the same loop, so the k-th collection of each round does about the same work
    /// (the counts carried over from the previous round can shift a round by a
    /// collection; only the k every round has are used). Its pause is taken as the
    /// best of its rounds (as every other figure here is a best of repetitions),
    /// and the figure is the worst collection's. A timer interrupt or a host
    /// preemption that lands in one pause (tens to hundreds of µs on this VM; see
    /// `benches/README.md`) is filtered out unless it hits the same collection in
    /// every round; a collection whose own work is slow is not.
    pub fn set_pauses(&mut self, generation: usize, rounds: &[Vec<Pause>]) -> &mut Self {
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        let all = || rounds.iter().flatten();
        let mut wall: Vec<f64> = all().map(|p| us(p.wall)).collect();
        wall.sort_by(f64::total_cmp);
        let cpu_max = all().map(|p| us(p.cpu)).reduce(f64::max);
        let g = generation;
        self.set(
            &format!("gen{g}_count"),
            (wall.len() / rounds.len().max(1)) as f64,
        );
        if let (Some(&max), Some(cpu_max)) = (wall.last(), cpu_max) {
            let p99 = wall[((wall.len() as f64 * 0.99).ceil() as usize).clamp(1, wall.len()) - 1];
            self.set(&format!("gen{g}_median_us"), median(&wall))
                .set(&format!("gen{g}_p99_us"), p99)
                .set(&format!("gen{g}_max_us"), max)
                .set(&format!("gen{g}_cpu_max_us"), cpu_max);
        }
        if let Some(max) = max_of_min(rounds, |p| us(p.cpu)) {
            self.set(&format!("gen{g}_cpu_max_of_min_us"), max);
        }
        self
    }

    /// The JSON form a child prints (and [`Outcome::from_json`] reads).
    pub fn to_json(&self) -> Value {
        json!({
            "metrics": self.metrics,
            "notes": self.notes,
            "unsupported": self.unsupported,
            "failed": self.failed,
        })
    }

    /// Read a child's JSON (the Python side's too: same keys).
    pub fn from_json(v: &Value) -> Outcome {
        let obj = |k: &str| {
            v.get(k)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let metrics: Map<String, Value> = obj("metrics");
        let notes: Map<String, Value> = obj("notes");
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Outcome {
            metrics: metrics
                .into_iter()
                .filter_map(|(k, x)| Some((k, x.as_f64()?)))
                .collect(),
            notes: notes
                .into_iter()
                .filter_map(|(k, x)| Some((k, x.as_str()?.to_string())))
                .collect(),
            unsupported: text("unsupported"),
            failed: text("failed"),
        }
    }
}

/// The largest over k of the smallest `f` of the k-th pause of each round, for
/// the k that every round has; `None` with fewer than two rounds.
pub fn max_of_min(rounds: &[Vec<Pause>], f: impl Fn(&Pause) -> f64) -> Option<f64> {
    if rounds.len() < 2 {
        return None;
    }
    let common = rounds.iter().map(Vec::len).min()?;
    (0..common)
        .map(|k| {
            rounds
                .iter()
                .map(|r| f(&r[k]))
                .fold(f64::INFINITY, f64::min)
        })
        .reduce(f64::max)
}

/// Median of sorted values.
pub fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pauses(us: &[u64]) -> Vec<Pause> {
        us.iter()
            .map(|&u| Pause {
                wall: Duration::from_micros(u),
                cpu: Duration::from_micros(u),
            })
            .collect()
    }

    #[test]
    fn max_of_min_takes_each_collections_best_round_then_the_worst_collection() {
        // Collection 1 was interrupted in round 0 only (300 µs); collection 2 is
        // slow in every round (40 µs at best); round 1 has one collection more.
        let rounds = [pauses(&[10, 300, 45]), pauses(&[12, 11, 40, 500])];
        let cpu = |p: &Pause| p.cpu.as_secs_f64() * 1e6;
        assert_eq!(max_of_min(&rounds, cpu), Some(40.0));
        assert_eq!(max_of_min(&rounds[..1], cpu), None);
        assert_eq!(max_of_min(&[pauses(&[]), pauses(&[1])], cpu), None);

        let mut o = Outcome::default();
        o.set_pauses(0, &rounds);
        assert_eq!(o.metrics["gen0_count"], 3.0);
        assert!((o.metrics["gen0_cpu_max_us"] - 500.0).abs() < 1e-9);
        assert!((o.metrics["gen0_cpu_max_of_min_us"] - 40.0).abs() < 1e-9);
    }
}
