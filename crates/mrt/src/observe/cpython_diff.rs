//! Differential test against CPython's own `tracemalloc.py`: random snapshots are built on
//! both sides and every statistics line (all key types, cumulative, `compare_to`, filters)
//! must print identically. CI has `python3` (`.ci/run` prints its version).

use std::fmt::Write as _;
use std::process::Command;

use super::filter::Filter;
use super::frame::{Frame, Traceback};
use super::snapshot::{KeyType, Snapshot, Trace};
use crate::script::SplitMix64;

const FILES: [&str; 6] = [
    "a.py", "b.py", "lib/c.py", "lib/d.py", "main.py", "ab[1].py",
];

/// Random traces: `(size, frames most recent first)`.
fn random_traces(rng: &mut SplitMix64, n: usize) -> Vec<(u64, Vec<(&'static str, u32)>)> {
    (0..n)
        .map(|_| {
            let depth = 1 + rng.below(3);
            let frames = (0..depth)
                .map(|_| (FILES[rng.below(FILES.len())], 1 + rng.below(4) as u32))
                .collect();
            let size = match rng.below(10) {
                0 => 10_000 + rng.below(2_000_000) as u64,
                1 => 0,
                _ => 1 + rng.below(600) as u64,
            };
            (size, frames)
        })
        .collect()
}

fn snapshot(traces: &[(u64, Vec<(&str, u32)>)]) -> Snapshot {
    let traces = traces
        .iter()
        .map(|(size, frames)| Trace {
            size: *size,
            weight: 1.0,
            traceback: Traceback::new(frames.iter().map(|&(f, l)| Frame::new(f, l, "f")).collect()),
        })
        .collect();
    Snapshot::new(traces, 3, None)
}

fn python_literal(traces: &[(u64, Vec<(&str, u32)>)]) -> String {
    let items: Vec<String> = traces
        .iter()
        .map(|(size, frames)| {
            let fr: Vec<String> = frames
                .iter()
                .map(|(f, l)| format!("({f:?}, {l})"))
                .collect();
            format!("(0, {size}, ({},), {})", fr.join(", "), frames.len())
        })
        .collect();
    format!("({},)", items.join(", "))
}

/// `(inclusive, pattern, lineno, all_frames)` filter sets, shared by both sides.
type FilterSpec = (bool, &'static str, Option<u32>, bool);
const FILTER_SETS: &[&[FilterSpec]] = &[
    &[(true, "a*.py", None, false)],
    &[(false, "lib/*", None, true)],
    &[(true, "*.py", Some(2), false), (false, "?.py", None, false)],
    &[
        (true, "[ab]*", None, true),
        (true, "main.py", Some(1), false),
        (false, "*d.py", None, true),
    ],
    &[(true, "ab[[]1].py", None, false)],
];

#[test]
fn statistics_print_exactly_like_cpython() {
    let mut rng = SplitMix64::new(2024);
    let old_traces = random_traces(&mut rng, 400);
    let mut new_traces: Vec<_> = old_traces
        .iter()
        .filter(|_| rng.below(3) != 0)
        .cloned()
        .collect();
    new_traces.extend(random_traces(&mut rng, 250));
    let (old, new) = (snapshot(&old_traces), snapshot(&new_traces));

    let mut ours = String::new();
    for key in ["lineno", "filename", "traceback"] {
        let k: KeyType = key.parse().unwrap();
        let _ = writeln!(ours, "stats {key}");
        new.statistics(k).iter().for_each(|s| {
            let _ = writeln!(ours, "{s}");
        });
        let _ = writeln!(ours, "diff {key}");
        new.compare_to(&old, k).iter().for_each(|d| {
            let _ = writeln!(ours, "{d}");
        });
    }
    for key in ["lineno", "filename"] {
        let k: KeyType = key.parse().unwrap();
        let _ = writeln!(ours, "cumulative {key}");
        new.statistics_with(k, true).unwrap().iter().for_each(|s| {
            let _ = writeln!(ours, "{s}");
        });
    }
    for (i, set) in FILTER_SETS.iter().enumerate() {
        let filters: Vec<Filter> = set
            .iter()
            .map(|&(inc, pat, line, all)| Filter {
                inclusive: inc,
                filename_pattern: pat.into(),
                lineno: line,
                all_frames: all,
            })
            .collect();
        let filtered = new.filter_traces(&filters);
        let _ = writeln!(ours, "filter {i} {}", filtered.traces().len());
        filtered.statistics(KeyType::Lineno).iter().for_each(|s| {
            let _ = writeln!(ours, "{s}");
        });
    }

    let py_filters: Vec<String> = FILTER_SETS
        .iter()
        .map(|set| {
            let fs: Vec<String> = set
                .iter()
                .map(|&(inc, pat, line, all)| {
                    let line = line.map_or("None".to_owned(), |l| l.to_string());
                    let b = |x: bool| if x { "True" } else { "False" };
                    format!(
                        "tracemalloc.Filter({}, {pat:?}, {line}, {})",
                        b(inc),
                        b(all)
                    )
                })
                .collect();
            format!("[{}]", fs.join(", "))
        })
        .collect();
    let script = format!(
        r#"
import tracemalloc
old = tracemalloc.Snapshot({old}, 3)
new = tracemalloc.Snapshot({new}, 3)
out = []
for key in ("lineno", "filename", "traceback"):
    out.append("stats " + key)
    out += [str(s) for s in new.statistics(key)]
    out.append("diff " + key)
    out += [str(d) for d in new.compare_to(old, key)]
for key in ("lineno", "filename"):
    out.append("cumulative " + key)
    out += [str(s) for s in new.statistics(key, cumulative=True)]
for i, filters in enumerate([{filters}]):
    f = new.filter_traces(filters)
    out.append("filter %d %d" % (i, len(f.traces)))
    out += [str(s) for s in f.statistics("lineno")]
print("\n".join(out))
"#,
        old = python_literal(&old_traces),
        new = python_literal(&new_traces),
        filters = py_filters.join(", ")
    );
    let output = Command::new("python3")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("python3 is needed for the differential test");
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs = String::from_utf8(output.stdout).unwrap();
    for (n, (a, b)) in ours.lines().zip(theirs.lines()).enumerate() {
        assert_eq!(a, b, "line {} differs", n + 1);
    }
    assert_eq!(ours.lines().count(), theirs.lines().count());
    assert!(
        ours.lines().count() > 300,
        "the comparison covers {} lines",
        ours.lines().count()
    );
}
