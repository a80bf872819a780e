//! Side-by-side benchmark: mrt against CPython 3.11 and the Rust peers
//! (`std::rc::Rc`, `bacon_rajan_cc`, `dumpster`, `rust-cc`) on the same workloads.
//!
//! ```text
//! cargo run --release -p mrt --example compare                 # full size (minutes)
//! cargo run --release -p mrt --example compare -- --quick      # every size ÷ 10
//! cargo run --release -p mrt --example compare -- --scale      # + 10M-object scaling points
//! ```
//!
//! Prints the table (absolute values and each system's ratio to mrt), the
//! scaling series (mrt and CPython), the issue's targets with verdicts, and
//! writes everything to `target/compare.json` (or `--json PATH`).
//!
//! Every (system, case) runs in its own process: this binary again with
//! `--child SYSTEM WORKLOAD --n N --reps R --old N`, or
//! `python3 benches/python/workloads.py WORKLOAD …` for CPython. How to read the
//! numbers, and their caveats: `benches/README.md`.

#[path = "compare/child.rs"]
mod child;
#[path = "compare/measure.rs"]
mod measure;
#[path = "compare/peers/mod.rs"]
mod peers;
#[path = "compare/report.rs"]
mod report;
#[path = "compare/run_mrt.rs"]
mod run_mrt;
#[path = "compare/run_peer.rs"]
mod run_peer;
#[path = "compare/workloads.rs"]
mod workloads;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use child::SYSTEMS;
use report::Style;
use workloads::{Case, Outcome, Workload};

const USAGE: &str = "\
usage: compare [--quick] [--scale] [--reps N] [--json PATH] [--python CMD]
               [--systems a,b,…] [--workloads a,b,…] [--timeout SECONDS] [--note TEXT]
               [--markdown PATH]

  --quick        every size divided by 10
  --scale        add the 10M-object points of the scaling series (slow)
  --reps N       timed repetitions per case, best kept (default 3)
  --json PATH    where to write the results (default target/compare.json)
  --python CMD   the CPython 3.11 interpreter (default python3)
  --systems …    subset of: mrt,cpython,rc,bacon_rajan_cc,dumpster,rust-cc
  --workloads …  subset of: collect_cycles,full_collect_live,full_collect_fragmented,
                 full_collect_chain,churn,young_pause,bytes_per_object,spike_release,
                 deep_drop,deep_cycle
  --timeout S    per (system, case) process (default 900)
  --procs N      run every (system, case) in N fresh processes, rounds interleaved
                 across systems, and keep the fastest process (default 1): a process's
                 address layout can shift its times by 30% or more on this kind of machine
  --note TEXT    stored in the JSON (e.g. the commit measured)
  --markdown P   also write the tables as Markdown to P";

struct Options {
    div: usize,
    scale: bool,
    reps: usize,
    procs: usize,
    json: PathBuf,
    python: String,
    systems: Vec<String>,
    workloads: Option<Vec<Workload>>,
    timeout: Duration,
    note: String,
    markdown: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        div: 1,
        scale: false,
        reps: 3,
        procs: 1,
        json: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/compare.json"),
        python: "python3".into(),
        systems: SYSTEMS.iter().map(|s| s.to_string()).collect(),
        workloads: None,
        timeout: Duration::from_secs(900),
        note: String::new(),
        markdown: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--quick" => o.div = 10,
            "--scale" => o.scale = true,
            "--reps" => o.reps = value()?.parse().map_err(|e| format!("--reps: {e}"))?,
            "--procs" => {
                o.procs = value()?.parse().map_err(|e| format!("--procs: {e}"))?;
                if o.procs == 0 {
                    return Err("--procs must be at least 1".into());
                }
            }
            "--json" => o.json = value()?.into(),
            "--python" => o.python = value()?,
            "--note" => o.note = value()?,
            "--markdown" => o.markdown = Some(value()?.into()),
            "--timeout" => {
                o.timeout =
                    Duration::from_secs(value()?.parse().map_err(|e| format!("--timeout: {e}"))?)
            }
            "--systems" => {
                o.systems = value()?.split(',').map(str::to_string).collect();
                if let Some(bad) = o.systems.iter().find(|s| !SYSTEMS.contains(&s.as_str())) {
                    return Err(format!("unknown system {bad:?}"));
                }
            }
            "--workloads" => {
                let v = value()?;
                let ws = v
                    .split(',')
                    .map(|w| Workload::from_name(w).ok_or(format!("unknown workload {w:?}")))
                    .collect::<Result<Vec<_>, _>>()?;
                o.workloads = Some(ws);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(o)
}

/// Whether outcome `a` (of another process of the same case) should replace `b`: it
/// succeeded where `b` did not, or both have a `seconds` metric and `a`'s is lower.
fn faster(a: &workloads::Outcome, b: &workloads::Outcome) -> bool {
    if a.failed.is_some() || a.unsupported.is_some() {
        return false;
    }
    if b.failed.is_some() {
        return true;
    }
    match (a.metrics.get("seconds"), b.metrics.get("seconds")) {
        (Some(x), Some(y)) => x < y,
        _ => false,
    }
}

/// `--child SYSTEM WORKLOAD --n N --reps R --old N`: run one case, print its JSON.
fn child_main(args: &[String]) -> ExitCode {
    let (Some(system), Some(workload)) = (args.first(), args.get(1)) else {
        eprintln!("--child needs SYSTEM WORKLOAD");
        return ExitCode::from(2);
    };
    let Some(workload) = Workload::from_name(workload) else {
        eprintln!("unknown workload {workload:?}");
        return ExitCode::from(2);
    };
    let mut case = Case {
        workload,
        n: 0,
        old: 0,
        reps: 1,
        scale: false,
    };
    for pair in args[2..].chunks(2) {
        let v: usize = pair.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
        match pair[0].as_str() {
            "--n" => case.n = v,
            "--old" => case.old = v,
            "--reps" => case.reps = v.max(1),
            other => {
                eprintln!("unknown child argument {other:?}");
                return ExitCode::from(2);
            }
        }
    }
    let outcome = match system.as_str() {
        "mrt" => run_mrt::run(&case),
        "rc" => run_peer::run::<peers::rc::Std>(&case),
        "bacon_rajan_cc" => run_peer::run::<peers::bacon::BaconRajan>(&case),
        "dumpster" => run_peer::run::<peers::dumpster_unsync::Dumpster>(&case),
        "rust-cc" => run_peer::run::<peers::rustcc::RustCc>(&case),
        other => Outcome::failed(format!("unknown system {other:?}")),
    };
    println!("{}", outcome.to_json());
    ExitCode::SUCCESS
}

/// A one-line summary of an outcome for the progress log.
fn summary(case: &Case, o: &Outcome) -> String {
    if let Some(w) = &o.unsupported {
        return format!("n/a ({w})");
    }
    if let Some(w) = &o.failed {
        return format!("FAILED ({w})");
    }
    let m = case.workload.shown_metrics()[0];
    o.metrics.get(m).map_or("-".into(), |&v| {
        format!("{m} = {}", report::fmt_value(m, v))
    })
}

fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    serde_json::json!({ "cpu": cpu, "cores": cores, "os": std::env::consts::OS })
}

/// `python3 --version`, or why it could not be read.
fn python_version(python: &str) -> String {
    match std::process::Command::new(python).arg("--version").output() {
        Ok(o) => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        Err(e) => format!("{python}: {e}"),
    }
}

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`): on a shared machine
/// they say how much the timings were disturbed.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child_main(&args[1..]);
    }
    let opts = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let cases: Vec<Case> = workloads::plan(opts.div, opts.reps, opts.scale)
        .into_iter()
        .filter(|c| {
            opts.workloads
                .as_ref()
                .is_none_or(|w| w.contains(&c.workload))
        })
        .collect();
    let systems_for = |c: &Case| -> Vec<&str> {
        SYSTEMS
            .iter()
            .copied()
            .filter(|s| opts.systems.iter().any(|x| x == s))
            .filter(|s| !c.scale || matches!(*s, "mrt" | "cpython"))
            .collect()
    };
    let load_before = load_average();
    let total: usize = cases.iter().map(|c| systems_for(c).len()).sum::<usize>() * opts.procs;
    let mut done = 0;
    let mut results = report::Results { cases: Vec::new() };
    for case in cases {
        let mut res: BTreeMap<String, workloads::Outcome> = BTreeMap::new();
        for _ in 0..opts.procs {
            for sys in systems_for(&case) {
                done += 1;
                eprint!("[{done:>2}/{total}] {:<30} {sys:<15} ", case.label());
                let o = child::run(child::command(sys, &case, &opts.python), opts.timeout);
                eprintln!("{}", summary(&case, &o));
                let keep = match res.get(sys) {
                    None => true,
                    Some(prev) => faster(&o, prev),
                };
                if keep {
                    res.insert(sys.to_string(), o);
                }
            }
        }
        results.cases.push((case, res));
    }
    let load_after = load_average();
    println!("\n{}", results.main_table(Style::Text));
    println!(
        "Scaling (full collection: cost per live object; young pauses vs the old generation's size)\n"
    );
    println!("{}", results.scale_table(Style::Text));
    println!("Targets (same run)\n");
    println!("{}", results.targets_table(Style::Text));
    if let Some(path) = &opts.markdown {
        let md = format!(
            "{}\n{}\n{}",
            results.main_table(Style::Markdown),
            results.scale_table(Style::Markdown),
            results.targets_table(Style::Markdown)
        );
        if let Err(e) = std::fs::write(path, md) {
            eprintln!("could not write {}: {e}", path.display());
        }
    }
    println!("Load average (1/5/15 min) before: {load_before}; after: {load_after}");
    let meta = serde_json::json!({
        "command": format!("cargo run --release -p mrt --example compare -- {}", args.join(" ")),
        "quick": opts.div != 1,
        "scale": opts.scale,
        "reps": opts.reps,
        "procs": opts.procs,
        "machine": machine(),
        "python": python_version(&opts.python),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "note": opts.note,
        "ratio": "ratio_to_mrt = system ÷ mrt for times and bytes (lower is better)",
    });
    let json = results.to_json(meta);
    if let Some(dir) = opts.json.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(
        &opts.json,
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    ) {
        Ok(()) => eprintln!("wrote {}", opts.json.display()),
        Err(e) => {
            eprintln!("could not write {}: {e}", opts.json.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
