//! Differential tests: the same scripts through `mrt run` and through CPython 3.11
//! (`tests/py/mrt2py.py`), whose output must be identical line for line.
//!
//! * 1,000 random scripts of 400 ops (`mrt::script::generate`, seeds 0..1000;
//!   `MRT_DIFF_SCRIPTS=N` runs more or fewer, `MRT_DIFF_FIRST_SEED=S` starts at
//!   seed S instead of 0, to try seeds CI has not);
//! * every script in `tests/scripts/` — hand-written cases for the tracking rules and
//!   any random script that once failed (kept as a regression file, named by seed).
//!
//! Generated scripts start with `disable`, so neither side collects on its own and the
//! counts depend on reference semantics alone (design §7). The CPython side runs all
//! scripts in one interpreter (`--batch`), collecting between scripts.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mrt-diff-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run every `*.mrt` in `dir` through CPython (one process) and through `mrt run`,
/// and return the scripts whose outputs differ, with both outputs.
fn compare_dir(dir: &Path) -> (usize, Vec<(String, String, String)>) {
    let status = Command::new("python3")
        .arg(repo().join("tests/py/mrt2py.py"))
        .arg("--batch")
        .arg(dir)
        .status()
        .expect("python3 (CPython 3.11) must be installed to run the differential tests");
    assert!(status.success(), "mrt2py.py --batch failed");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mrt"))
        .collect();
    scripts.sort();
    // `mrt run` once per script, spread over the machine's cores.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = scripts.len().div_ceil(workers).max(1);
    let mut mismatches: Vec<(String, String, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = scripts
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter_map(|p| run_and_compare(p))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    mismatches.sort();
    (scripts.len(), mismatches)
}

/// Run one script through `mrt run`; `Some((name, expected, actual))` if its output
/// differs from CPython's.
fn run_and_compare(script: &Path) -> Option<(String, String, String)> {
    let expected = std::fs::read_to_string(script.with_extension("py.out")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mrt"))
        .arg("run")
        .arg(script)
        .output()
        .unwrap();
    let mut actual = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        actual.push_str(&format!("ERROR {}", String::from_utf8_lossy(&out.stderr)));
    }
    (actual != expected).then(|| {
        let name = script.file_name().unwrap().to_string_lossy().into_owned();
        (name, expected, actual)
    })
}

fn report(mismatches: &[(String, String, String)]) -> String {
    let mut s = String::new();
    for (name, expected, actual) in mismatches.iter().take(5) {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        s.push_str(&format!(
            "\n{name}: first difference at output line {}: CPython {:?}, mrt {:?}",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        ));
    }
    s
}

#[test]
fn random_scripts_match_cpython() {
    let var = |name: &str, default: u64| -> u64 {
        match std::env::var(name) {
            Ok(v) => v
                .parse()
                .unwrap_or_else(|e| panic!("{name}={v:?} is not a number: {e}")),
            Err(_) => default,
        }
    };
    let n = var("MRT_DIFF_SCRIPTS", 1000);
    let first = var("MRT_DIFF_FIRST_SEED", 0);
    let dir = scratch_dir("random");
    for seed in first..first.saturating_add(n) {
        std::fs::write(
            dir.join(format!("seed{seed:05}.mrt")),
            mrt::script::generate(seed, 400),
        )
        .unwrap();
    }
    let (count, mismatches) = compare_dir(&dir);
    assert_eq!(count as u64, n);
    if mismatches.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        mismatches.is_empty(),
        "{} of {count} random scripts differ from CPython (scripts kept in {}; copy a \
         failing one to tests/scripts/ as a regression file):{}",
        mismatches.len(),
        dir.display(),
        report(&mismatches)
    );
}

#[test]
fn regression_and_hand_written_scripts_match_cpython() {
    let dir = scratch_dir("kept");
    let mut n = 0;
    for entry in std::fs::read_dir(repo().join("tests/scripts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "mrt") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
            n += 1;
        }
    }
    assert!(n > 0, "tests/scripts/ holds the kept scripts");
    let (count, mismatches) = compare_dir(&dir);
    assert_eq!(count, n);
    assert!(
        mismatches.is_empty(),
        "kept scripts differ from CPython:{}",
        report(&mismatches)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
