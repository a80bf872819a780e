//! The `mrt` command as a user meets it: exit statuses, messages naming lines, stdin.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn mrt(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mrt"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mrt binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `mrt run -` on `script` stops with status 2 and a message containing `expected`, and
/// does not panic.
fn run_fails_with(script: &str, expected: &str) {
    let out = mrt(&["run", "-"], script);
    assert_eq!(out.status.code(), Some(2), "{script:?}");
    let err = text(&out.stderr);
    assert!(
        err.contains(expected),
        "{script:?}: stderr {err:?} lacks {expected:?}"
    );
    assert!(!err.contains("panicked"), "{script:?} panicked: {err}");
}

#[test]
fn run_prints_what_collect_and_alive_print() {
    let out = mrt(
        &["run", "-"],
        "disable\nlist A\nappend A A\nobj O\nsetattr O y O\nweak W O\ndel O\nalive W\n\
         del A\ncollect\nalive W\ncount\n",
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "true\n2\nfalse\n0 0 0\n");
}

#[test]
fn runtime_error_stops_with_status_2_and_names_the_line() {
    let out = mrt(&["run", "-"], "list A\ncollect\npop A\ncollect\n");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "0\n", "output before the error is kept");
    assert_eq!(
        text(&out.stderr),
        "mrt: -: line 3: IndexError: pop from empty list\n"
    );
}

#[test]
fn every_kind_of_bad_input_is_a_line_error() {
    let cases = [
        ("frob A\n", "line 1: unknown op 'frob'"),
        ("list A B\n", "line 1: wrong number of arguments for 'list'"),
        ("int A x\n", "line 1: bad number 'x'"),
        ("append A B\n", "line 1: NameError: name 'A' is not bound"),
        ("dict D\nlist L\nappend D L\n", "line 3: TypeError"),
        ("list L\npop L\n", "line 2: IndexError: pop from empty list"),
        ("dict D\ndelitem D 3\n", "line 2: KeyError: 3"),
        ("obj O\nsetattr O z O\n", "line 2: AttributeError"),
        ("list L\nweak W L\n", "line 2: TypeError"),
    ];
    for (script, expected) in cases {
        run_fails_with(script, expected);
    }
}

#[test]
fn syntax_errors_stop_before_anything_runs() {
    let out = mrt(&["run", "-"], "list A\ncollect\nlist\ncollect 7\n");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "", "nothing ran");
    let err = text(&out.stderr);
    assert!(err.contains("line 3: wrong number of arguments"), "{err}");
    assert!(err.contains("line 4: bad generation '7'"), "{err}");
}

#[test]
fn check_reports_all_problems() {
    let script = "list A\nappend A Q\nfoo\ndict D\npop D\nweak W A\nalive A\n";
    let out = mrt(&["check", "-"], script);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    for line in [
        "line 2: name 'Q'",
        "line 3: unknown op",
        "line 5: wrong type",
        "line 6:",
        "line 7:",
    ] {
        assert!(err.contains(line), "missing {line:?} in {err}");
    }
    assert!(err.contains("5 problems found"), "{err}");
    let ok = mrt(&["check", "-"], "list A\nappend A A\n# fine\n");
    assert!(ok.status.success());
    assert_eq!(text(&ok.stdout), "-: ok (2 ops)\n");
}

#[test]
fn unreadable_file_is_status_2() {
    let out = mrt(&["run", "/nonexistent/script.mrt"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read /nonexistent/script.mrt"));
}

#[test]
fn repl_reads_stdin_prints_results_and_survives_errors() {
    let out = mrt(&[], "list A\nappend A A\nfoo\npop B\nhelp\ncollect\n");
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("A = "),
        "binding ops echo their value: {stdout}"
    );
    assert!(
        stdout.contains("append A B"),
        "help lists the ops: {stdout}"
    );
    assert!(
        stdout.trim_end().ends_with('0'),
        "collect ran after the errors: {stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("unknown op 'foo'"), "{stderr}");
    assert!(stderr.contains("name 'B' is not bound"), "{stderr}");
}

#[test]
fn observability_ops_print_and_their_errors_name_the_line() {
    let out = mrt(
        &["run", "-"],
        "trace start 4\nsnapshot A\nframe app.py 3 load\nlist L\nendframe\nsnapshot B\n\
         compare A B 1\ncensus\nreport\nmonitor sample\nmonitor verdict\ntrace stop\ncollect\n",
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "app.py:3: size=32 B (+32 B), count=1 (+1), average=32 B"
    );
    assert!(lines.iter().any(|l| l.starts_with("list ")), "{stdout}");
    assert!(stdout.contains("= held"), "{stdout}");
    assert!(stdout.contains("not enough data"), "{stdout}");
    assert_eq!(lines.last(), Some(&"0"));
    let cases = [
        ("trace start 0\n", "line 1: bad number '0'"),
        ("endframe\n", "line 1: RuntimeError: no frame was pushed"),
        (
            "trace start 1\ncompare A B\n",
            "line 2: NameError: no snapshot named 'A'",
        ),
        ("list L\nsnapshot S\n", "line 2: RuntimeError"),
        ("limit x\n", "line 1: bad number 'x'"),
        (
            "monitor now\n",
            "line 1: expected 'monitor sample' or 'monitor verdict'",
        ),
    ];
    for (script, expected) in cases {
        run_fails_with(script, expected);
    }
    // `mrt check` finds the static ones without running.
    let out = mrt(&["check", "-"], "endframe\nsnapshot A\ncompare A B\n");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("line 1: 'endframe' without a matching 'frame'"),
        "{err}"
    );
    assert!(err.contains("line 3: no snapshot named 'B'"), "{err}");
    // A budget the script outgrows: MemoryError names the line, status 2.
    let mut script = String::from("limit 32768\nlist L\n");
    for i in 0..1000 {
        script.push_str(&format!("str S text {i}\nappend L S\n"));
    }
    let out = mrt(&["run", "-"], &script);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("MemoryError: memory limit of 32768 bytes"));
}
