//! The `mrt` command: run, check or explore scripts of mrt's script language.
//!
//! ```text
//! mrt run FILE     execute a script (FILE may be - for standard input)
//! mrt check FILE   parse and validate without running; report every problem
//! mrt              interactive REPL (line editing, history); `help` lists the ops
//! ```
//!
//! Exit status: 0 on success, 2 on bad input (a message on stderr names the line).

use clap::{Parser, Subcommand};
use mrt::object::Runtime;
use mrt::script::{self, ExecError, HELP, Interpreter};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "mrt",
    version,
    about = "Run, check or explore mrt scripts: CPython's memory model in a line-based language",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Execute a script; prints what `collect`, `alive`, `count` … print.
    Run {
        /// The script, or `-` for standard input.
        file: PathBuf,
    },
    /// Parse and validate a script without running it; report every problem found.
    Check {
        /// The script, or `-` for standard input.
        file: PathBuf,
    },
}

/// Exit status for bad input (a script error, an unreadable file).
const BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Run { file }) => run(&file),
        Some(Command::Check { file }) => check(&file),
        None => repl(),
    }
}

fn read_source(file: &Path) -> Result<String, ExitCode> {
    let result = if file == Path::new("-") {
        let mut s = String::new();
        io::stdin().read_to_string(&mut s).map(|_| s)
    } else {
        std::fs::read_to_string(file)
    };
    result.map_err(|e| {
        eprintln!("mrt: cannot read {}: {e}", file.display());
        ExitCode::from(BAD_INPUT)
    })
}

fn run(file: &Path) -> ExitCode {
    let source = match read_source(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // Syntax errors stop the script before anything runs (as Python's compile step
    // does); everything else is found when its line runs.
    let lines = match script::parse(&source) {
        Ok(lines) => lines,
        Err(errors) => {
            for e in errors {
                eprintln!("mrt: {}: {e}", file.display());
            }
            return ExitCode::from(BAD_INPUT);
        }
    };
    let rt = Runtime::new();
    let mut interp = match interpreter(&rt) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = interp.run(&lines, &mut out);
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Err(ExecError::Script(e)), _) => {
            eprintln!("mrt: {}: {e}", file.display());
            ExitCode::from(BAD_INPUT)
        }
        (Err(ExecError::Io(e)), _) | (_, Err(e)) => {
            // A closed pipe (`mrt run x | head`) is not the script's fault.
            if e.kind() == io::ErrorKind::BrokenPipe {
                ExitCode::SUCCESS
            } else {
                eprintln!("mrt: cannot write output: {e}");
                ExitCode::FAILURE
            }
        }
    }
}

fn check(file: &Path) -> ExitCode {
    let source = match read_source(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match script::validate(&source) {
        Ok(lines) => {
            println!("{}: ok ({} ops)", file.display(), lines.len());
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("mrt: {}: {e}", file.display());
            }
            eprintln!(
                "mrt: {}: {} problem{} found",
                file.display(),
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            ExitCode::from(BAD_INPUT)
        }
    }
}

/// An interpreter on `rt`, or the exit status after saying why there is none.
fn interpreter(rt: &Runtime) -> Result<Interpreter<'_>, ExitCode> {
    Interpreter::new(rt).map_err(|e| {
        eprintln!("mrt: cannot set up the runtime: {e}");
        ExitCode::from(BAD_INPUT)
    })
}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".mrt_history"))
}

fn repl() -> ExitCode {
    let rt = Runtime::new();
    let mut interp = match interpreter(&rt) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(ed) => ed,
        Err(e) => {
            eprintln!("mrt: cannot start the line editor: {e}");
            return ExitCode::FAILURE;
        }
    };
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h); // no history yet is fine
    }
    println!(
        "mrt {} — type `help` for the ops, Ctrl-D to quit",
        env!("CARGO_PKG_VERSION")
    );
    let mut number = 0;
    loop {
        let text = match editor.readline("mrt> ") {
            Ok(t) => t,
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("mrt: {e}");
                break;
            }
        };
        number += 1;
        let trimmed = text.trim();
        if !trimmed.is_empty() {
            let _ = editor.add_history_entry(trimmed);
        }
        match trimmed {
            "help" => {
                println!("{HELP}");
                continue;
            }
            "quit" | "exit" => break,
            _ => {}
        }
        let op = match script::parse_line(&text) {
            Ok(Some(op)) => op,
            Ok(None) => continue,
            Err(message) => {
                eprintln!("error: {message}");
                continue;
            }
        };
        let line = script::Line { number, op };
        let mut out = io::stdout().lock();
        if let Err(e) = interp.exec(&line, &mut out) {
            eprintln!("error: {e}");
            continue;
        }
        // Show what a binding op bound, so the session reads like Python's REPL.
        if let Some(name) = line.op.bound_name()
            && let Some(value) = interp.get(name)
        {
            let _ = writeln!(out, "{name} = {}", value.repr());
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    ExitCode::SUCCESS
}
