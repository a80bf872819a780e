//! Running one (system, case) in a fresh process: this binary with `--child`
//! for mrt and the Rust peers, `python3 benches/python/workloads.py` for CPython.
//! A child prints one JSON line; a crash, a timeout or unreadable output becomes
//! a failed [`Outcome`] that says why.

use crate::workloads::{Case, Outcome};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The systems, in table order. The first is the one ratios refer to.
pub const SYSTEMS: [&str; 6] = [
    "mrt",
    "cpython",
    "rc",
    "bacon_rajan_cc",
    "dumpster",
    "rust-cc",
];

/// The CPython workload script (`benches/python/workloads.py` of the workspace).
pub fn python_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../benches/python/workloads.py")
}

/// How to start `system` on `case`.
pub fn command(system: &str, case: &Case, python: &str) -> Command {
    let mut cmd = if system == "cpython" {
        let mut c = Command::new(python);
        c.arg(python_script());
        c
    } else {
        let mut c = Command::new(std::env::current_exe().expect("path of this executable"));
        c.arg("--child").arg(system);
        c
    };
    cmd.args(case.args());
    cmd
}

/// Run `cmd`, give it `timeout`, and read its outcome.
pub fn run(mut cmd: Command, timeout: Duration) -> Outcome {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::failed(format!("could not start {cmd:?}: {e}")),
    };
    let drain = |mut r: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() > timeout => {
                // Our own child, by its handle.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => return Outcome::failed(format!("waiting for the child: {e}")),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let Some(status) = status else {
        return Outcome::failed(format!("timed out after {} s", timeout.as_secs()));
    };
    if !status.success() {
        let why = if stderr.contains("has overflowed its stack") {
            "crashed: stack overflow (recursion over the object graph: 8 MiB main-thread stack)"
                .to_string()
        } else {
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
            format!("{status}: {}", last.unwrap_or("no message").trim())
        };
        return Outcome::failed(why);
    }
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'));
    match line.map(serde_json::from_str::<serde_json::Value>) {
        Some(Ok(v)) => Outcome::from_json(&v),
        Some(Err(e)) => Outcome::failed(format!("unreadable JSON from the child: {e}")),
        None => Outcome::failed("the child printed no result"),
    }
}
