//! The `mrt` script language (design.md §7): one operation a line, names are variables.
//!
//! ```text
//! list A | dict A | obj A | int A N | str A TEXT | float A X | tuple A B C… | set A
//! append A B | setitem A K B | setattr A S B | pop A | delitem A K | del A
//! weak W A | alive W | collect | collect G | count | threshold T0 T1 T2 | enable | disable
//! ```
//!
//! Observability ops (design §6; mrt only: they print mrt-specific output, the Python
//! translation drops them, and the random generator never emits them):
//!
//! ```text
//! trace start N | trace stop | frame FILE LINE FUNC | endframe | snapshot S
//! compare S1 S2 [TOP] | census | report | limit BYTES | monitor sample | monitor verdict
//! ```
//!
//! [`parse`] turns a script into [`Line`]s, reporting every syntax error it finds;
//! [`check`] adds what can be known without running: unbound names and operations
//! applied to the wrong type (each name's type is fixed by the op that bound it).
//! Errors carry the 1-based line number; the command prints them and exits with 2.

mod check;
mod generate;
mod parse;
mod run;

pub use check::{Type, check};
pub use generate::{SplitMix64, generate};
pub use parse::{parse, parse_line};
pub use run::{ExecError, Interpreter};

use std::fmt;

/// A variable name of the script language.
pub type Name = String;

/// The attribute slots an `obj` instance has (`class Obj: __slots__ = ('x', 'y', '__weakref__')`).
pub const OBJ_SLOTS: [&str; 2] = ["x", "y"];

/// One operation of the script language.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `list A`: `A = []`.
    List(Name),
    /// `dict A`: `A = {}`.
    Dict(Name),
    /// `obj A`: `A = Obj()` (slots `x`, `y`, weak-referenceable).
    Obj(Name),
    /// `int A N`: `A = N`.
    Int(Name, i64),
    /// `str A TEXT`: `A = "TEXT"` (the rest of the line, spaces included).
    Str(Name, String),
    /// `float A X`: `A = X`.
    Float(Name, f64),
    /// `tuple A B C…`: `A = (B, C, …)`.
    Tuple(Name, Vec<Name>),
    /// `set A`: `A = set()`.
    Set(Name),
    /// `append A B`: `A.append(B)`.
    Append(Name, Name),
    /// `setitem A K B`: `A[K] = B`.
    SetItem(Name, i64, Name),
    /// `setattr A S B`: `A.S = B`.
    SetAttr(Name, String, Name),
    /// `pop A`: `A.pop()`.
    Pop(Name),
    /// `delitem A K`: `del A[K]`.
    DelItem(Name, i64),
    /// `del A`: `del A`.
    Del(Name),
    /// `weak W A`: `W = weakref.ref(A)`.
    Weak(Name, Name),
    /// `alive W`: `print('true' if W() is not None else 'false')`.
    Alive(Name),
    /// `collect` / `collect G`: `print(gc.collect(G))`.
    Collect(Option<u8>),
    /// `count`: `print(*gc.get_count())`.
    Count,
    /// `threshold T0 T1 T2`: `gc.set_threshold(T0, T1, T2)`.
    Threshold(u32, u32, u32),
    /// `enable`: `gc.enable()`.
    Enable,
    /// `disable`: `gc.disable()`.
    Disable,
    /// `trace start N`: `tracemalloc.start(N)` (N frames per traceback, 1..=65535).
    TraceStart(u16),
    /// `trace stop`: `tracemalloc.stop()`.
    TraceStop,
    /// `frame FILE LINE FUNC`: the host enters `FUNC` in `FILE` at `LINE`; allocations
    /// until the matching `endframe` are attributed to it.
    Frame(String, u32, String),
    /// `endframe`: leave the innermost `frame`.
    EndFrame,
    /// `snapshot S`: `S = tracemalloc.take_snapshot()` (snapshot names are their own
    /// namespace, not variables).
    Snapshot(Name),
    /// `compare S1 S2 [TOP]`: print the top `TOP` (default 10) lines of
    /// `S2.compare_to(S1, 'lineno')`.
    Compare(Name, Name, Option<u32>),
    /// `census`: print live objects and bytes by type, most common first.
    Census,
    /// `report`: print the memory report (layers that add up to the bytes held, GC state).
    Report,
    /// `limit BYTES`: set the memory budget in bytes in use (`limit 0` removes it).
    Limit(u64),
    /// `monitor sample`: record a memory-monitor sample (bytes, types, traced sites).
    MonitorSample,
    /// `monitor verdict`: print the monitor's verdict (plateau / growing / not enough data).
    MonitorVerdict,
}

impl Op {
    /// The op's keyword, as written in scripts.
    pub fn keyword(&self) -> &'static str {
        match self {
            Op::List(_) => "list",
            Op::Dict(_) => "dict",
            Op::Obj(_) => "obj",
            Op::Int(..) => "int",
            Op::Str(..) => "str",
            Op::Float(..) => "float",
            Op::Tuple(..) => "tuple",
            Op::Set(_) => "set",
            Op::Append(..) => "append",
            Op::SetItem(..) => "setitem",
            Op::SetAttr(..) => "setattr",
            Op::Pop(_) => "pop",
            Op::DelItem(..) => "delitem",
            Op::Del(_) => "del",
            Op::Weak(..) => "weak",
            Op::Alive(_) => "alive",
            Op::Collect(_) => "collect",
            Op::Count => "count",
            Op::Threshold(..) => "threshold",
            Op::Enable => "enable",
            Op::Disable => "disable",
            Op::TraceStart(_) | Op::TraceStop => "trace",
            Op::Frame(..) => "frame",
            Op::EndFrame => "endframe",
            Op::Snapshot(_) => "snapshot",
            Op::Compare(..) => "compare",
            Op::Census => "census",
            Op::Report => "report",
            Op::Limit(_) => "limit",
            Op::MonitorSample | Op::MonitorVerdict => "monitor",
        }
    }

    /// Whether this is an observability op (mrt-only output; not translated to Python).
    pub fn is_observability(&self) -> bool {
        matches!(
            self,
            Op::TraceStart(_)
                | Op::TraceStop
                | Op::Frame(..)
                | Op::EndFrame
                | Op::Snapshot(_)
                | Op::Compare(..)
                | Op::Census
                | Op::Report
                | Op::Limit(_)
                | Op::MonitorSample
                | Op::MonitorVerdict
        )
    }
}

impl Op {
    /// The name this op binds, for the ops that bind one.
    pub fn bound_name(&self) -> Option<&str> {
        match self {
            Op::List(a)
            | Op::Dict(a)
            | Op::Obj(a)
            | Op::Set(a)
            | Op::Int(a, _)
            | Op::Str(a, _)
            | Op::Float(a, _)
            | Op::Tuple(a, _)
            | Op::Weak(a, _) => Some(a),
            _ => None,
        }
    }
}

impl fmt::Display for Op {
    /// Writes the op back in script syntax (`parse_line(op.to_string()) == op`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kw = self.keyword();
        match self {
            Op::List(a) | Op::Dict(a) | Op::Obj(a) | Op::Set(a) | Op::Pop(a) | Op::Del(a) => {
                write!(f, "{kw} {a}")
            }
            Op::Alive(w) => write!(f, "{kw} {w}"),
            Op::Int(a, n) => write!(f, "{kw} {a} {n}"),
            Op::Str(a, s) => write!(f, "{kw} {a} {s}"),
            Op::Float(a, x) => write!(f, "{kw} {a} {x:?}"),
            Op::Tuple(a, items) => {
                write!(f, "{kw} {a}")?;
                items.iter().try_for_each(|i| write!(f, " {i}"))
            }
            Op::Append(a, b) | Op::Weak(a, b) => write!(f, "{kw} {a} {b}"),
            Op::SetItem(a, k, b) => write!(f, "{kw} {a} {k} {b}"),
            Op::SetAttr(a, s, b) => write!(f, "{kw} {a} {s} {b}"),
            Op::DelItem(a, k) => write!(f, "{kw} {a} {k}"),
            Op::Collect(None) | Op::Count | Op::Enable | Op::Disable => f.write_str(kw),
            Op::Collect(Some(g)) => write!(f, "{kw} {g}"),
            Op::Threshold(a, b, c) => write!(f, "{kw} {a} {b} {c}"),
            Op::TraceStart(n) => write!(f, "{kw} start {n}"),
            Op::TraceStop => write!(f, "{kw} stop"),
            Op::Frame(file, line, func) => write!(f, "{kw} {file} {line} {func}"),
            Op::EndFrame | Op::Census | Op::Report => f.write_str(kw),
            Op::Snapshot(s) => write!(f, "{kw} {s}"),
            Op::Compare(a, b, None) => write!(f, "{kw} {a} {b}"),
            Op::Compare(a, b, Some(top)) => write!(f, "{kw} {a} {b} {top}"),
            Op::Limit(n) => write!(f, "{kw} {n}"),
            Op::MonitorSample => write!(f, "{kw} sample"),
            Op::MonitorVerdict => write!(f, "{kw} verdict"),
        }
    }
}

/// Parse and check a script, reporting every problem found (syntax and static), in
/// line order. This is `mrt check`.
pub fn validate(source: &str) -> Result<Vec<Line>, Vec<ScriptError>> {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (index, text) in source.lines().enumerate() {
        match parse_line(text) {
            Ok(Some(op)) => lines.push(Line {
                number: index + 1,
                op,
            }),
            Ok(None) => {}
            Err(message) => errors.push(ScriptError::new(index + 1, message)),
        }
    }
    if let Err(found) = check(&lines) {
        errors.extend(found);
        errors.sort_by_key(|e| e.line);
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

/// A parsed line: the op and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// 1-based line number in the script.
    pub number: usize,
    /// The operation.
    pub op: Op,
}

/// A problem found in a script, with the line it is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl ScriptError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        ScriptError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ScriptError {}

/// The help text the REPL prints for `help`: every op with its meaning.
pub const HELP: &str = "\
ops (one per line; names are variables; `#` starts a comment):
  list A | dict A | set A | obj A     bind A to a new empty list/dict/set/instance (slots x, y)
  int A N | float A X | str A TEXT    bind A to a number or to the rest of the line
  tuple A B C ...                     bind A to a tuple of the values of B, C, ...
  append A B                          A.append(B)            (A a list)
  setitem A K B                       A[K] = B               (A a list or dict, K an int)
  setattr A S B                       A.S = B                (A an obj, S is x or y)
  pop A                               A.pop()                (A a list)
  delitem A K                         del A[K]               (A a list or dict)
  del A                               unbind A
  weak W A                            W = weakref.ref(A)     (A an obj or a set)
  alive W                             print true/false: is W's referent alive?
  collect | collect G                 run the cycle collector, print what it found
  count                               print the three generation counts
  threshold T0 T1 T2                  set the collection thresholds
  enable | disable                    turn automatic collection on/off
observability (mrt only):
  trace start N | trace stop          tracemalloc on (N frames per traceback) / off
  frame FILE LINE FUNC | endframe     enter / leave host code; allocations are attributed to it
  snapshot S                          take a tracemalloc snapshot named S
  compare S1 S2 [TOP]                 print the TOP (10) biggest changes from S1 to S2 by line
  census                              print live objects and bytes by type
  report                              print the memory report (layers, GC state)
  limit BYTES                         memory budget in bytes in use (0: none)
  monitor sample | monitor verdict    record a memory sample / print leak-or-plateau verdict
  help                                this text (REPL only)";
