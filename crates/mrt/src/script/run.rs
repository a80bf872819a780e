//! Executing scripts against a [`Runtime`]: the engine behind `mrt run` and the REPL.
//!
//! Each op does what its Python translation (`tests/py/mrt2py.py`) does, in the same
//! order of effects: a binding op creates the new value first (an allocation may
//! trigger a collection while the old value is still bound) and releases the old
//! value after rebinding, as `v = []` does. Names hold strong handles; `del` drops one.

use super::{Line, OBJ_SLOTS, Op, ScriptError};
use crate::observe::{KeyType, MemoryMonitor, Snapshot};
use crate::tracemalloc;
use mrt_object::{ClassId, ClassSpec, Error, Obj, Runtime};
use std::collections::HashMap;
use std::io::Write;

/// What went wrong executing a line: a runtime error or a failed write of output.
#[derive(Debug)]
pub enum ExecError {
    /// The op failed (`line N: IndexError: pop from empty list` …).
    Script(ScriptError),
    /// Writing the op's output failed.
    Io(std::io::Error),
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExecError::Script(e) => e.fmt(f),
            ExecError::Io(e) => write!(f, "cannot write output: {e}"),
        }
    }
}

impl std::error::Error for ExecError {}

/// Runs script lines against one runtime, keeping the script's variables.
pub struct Interpreter<'rt> {
    rt: &'rt Runtime,
    obj_class: ClassId,
    names: HashMap<String, Obj<'rt>>,
    /// Snapshots by name (`snapshot S`), a namespace of their own.
    snapshots: HashMap<String, Snapshot>,
    /// Samples of `monitor sample`.
    monitor: MemoryMonitor,
}

impl<'rt> Interpreter<'rt> {
    /// An interpreter with no names bound. Declares the `Obj` class (slots `x`, `y`,
    /// weak-referenceable) in `rt`.
    pub fn new(rt: &'rt Runtime) -> Result<Self, Error> {
        let obj_class = rt.define_class(ClassSpec::new("Obj").slots(&OBJ_SLOTS).weakrefs())?;
        Ok(Interpreter {
            rt,
            obj_class,
            names: HashMap::new(),
            snapshots: HashMap::new(),
            monitor: MemoryMonitor::new(),
        })
    }

    /// The runtime the interpreter drives.
    pub fn runtime(&self) -> &'rt Runtime {
        self.rt
    }

    /// The value bound to `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Obj<'rt>> {
        self.names.get(name)
    }

    /// Names currently bound, sorted.
    pub fn bound_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.names.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Execute every line in order, stopping at the first that fails.
    pub fn run(&mut self, lines: &[Line], out: &mut dyn Write) -> Result<(), ExecError> {
        for line in lines {
            self.exec(line, out)?;
        }
        Ok(())
    }

    /// Execute one line; its output (if any) goes to `out`.
    pub fn exec(&mut self, line: &Line, out: &mut dyn Write) -> Result<(), ExecError> {
        let fail = |message: String| ExecError::Script(ScriptError::new(line.number, message));
        self.exec_op(&line.op, out).map_err(|e| match e {
            OpError::Runtime(e) => fail(e.to_string()),
            OpError::Message(m) => fail(m),
            OpError::Io(e) => ExecError::Io(e),
        })
    }

    fn lookup(&self, name: &str) -> Result<&Obj<'rt>, OpError> {
        self.names
            .get(name)
            .ok_or_else(|| OpError::Message(format!("NameError: name '{name}' is not bound")))
    }

    /// Bind `name` to `value`; the previous value (if any) is released after the binding.
    fn bind(&mut self, name: &str, value: Obj<'rt>) {
        let old = self.names.insert(name.to_string(), value);
        drop(old);
    }

    fn exec_op(&mut self, op: &Op, out: &mut dyn Write) -> Result<(), OpError> {
        let rt = self.rt;
        match op {
            Op::List(a) => {
                let v = rt.list()?;
                self.bind(a, v);
            }
            Op::Dict(a) => {
                let v = rt.dict()?;
                self.bind(a, v);
            }
            Op::Set(a) => {
                let v = rt.set()?;
                self.bind(a, v);
            }
            Op::Obj(a) => {
                let v = rt.instance(&self.obj_class)?;
                self.bind(a, v);
            }
            Op::Int(a, n) => {
                let v = rt.int(*n)?;
                self.bind(a, v);
            }
            Op::Float(a, x) => {
                let v = rt.float(*x)?;
                self.bind(a, v);
            }
            Op::Str(a, s) => {
                let v = rt.str(s)?;
                self.bind(a, v);
            }
            Op::Tuple(a, items) => {
                let items = items
                    .iter()
                    .map(|i| self.lookup(i))
                    .collect::<Result<Vec<_>, _>>()?;
                let v = rt.tuple(&items)?;
                self.bind(a, v);
            }
            Op::Append(a, b) => {
                let (a, b) = (self.lookup(a)?, self.lookup(b)?);
                a.append(b)?;
            }
            Op::SetItem(a, k, b) => {
                let (a, b) = (self.lookup(a)?, self.lookup(b)?);
                if a.type_name() == "list" {
                    a.set(index(*k)?, b)?;
                } else {
                    a.set_item(&rt.int(*k)?, b)?;
                }
            }
            Op::SetAttr(a, s, b) => {
                let (a, b) = (self.lookup(a)?, self.lookup(b)?);
                a.setattr(s, b)?;
            }
            Op::Pop(a) => {
                let popped = self.lookup(a)?.pop()?;
                drop(popped);
            }
            Op::DelItem(a, k) => {
                let a = self.lookup(a)?;
                if a.type_name() == "list" {
                    drop(a.pop_at(index(*k)?).map_err(|e| match e {
                        Error::IndexError(_) => {
                            Error::IndexError("list assignment index out of range".into())
                        }
                        e => e,
                    })?);
                } else {
                    a.del_item(&rt.int(*k)?)?;
                }
            }
            Op::Del(a) => {
                self.lookup(a)?;
                let old = self.names.remove(a.as_str());
                drop(old);
            }
            Op::Weak(w, a) => {
                let v = rt.weakref(self.lookup(a)?)?;
                self.bind(w, v);
            }
            Op::Alive(w) => {
                let w = self.lookup(w)?;
                if w.type_name() != "weakref" {
                    return Err(OpError::Message(format!(
                        "TypeError: '{}' object is not callable",
                        w.type_name()
                    )));
                }
                let alive = w.upgrade().is_some();
                writeln!(out, "{}", if alive { "true" } else { "false" })?;
            }
            Op::Collect(generation) => {
                let n = match generation {
                    None => rt.collect(),
                    Some(g) => rt.collect_generation(*g as usize)?,
                };
                writeln!(out, "{n}")?;
            }
            Op::Count => {
                let (a, b, c) = rt.get_count();
                writeln!(out, "{a} {b} {c}")?;
            }
            Op::Threshold(a, b, c) => rt.set_threshold(*a as usize, *b as usize, *c as usize),
            Op::Enable => rt.enable(),
            Op::Disable => rt.disable(),
            _ => self.exec_observe(op, out)?,
        }
        Ok(())
    }

    /// The observability ops (design §6): tracemalloc, census, report, limit, monitor.
    fn exec_observe(&mut self, op: &Op, out: &mut dyn Write) -> Result<(), OpError> {
        let rt = self.rt;
        let runtime_error =
            |e: crate::observe::TraceError| OpError::Message(format!("RuntimeError: {e}"));
        match op {
            Op::TraceStart(n) => tracemalloc::start(rt, usize::from(*n)).map_err(runtime_error)?,
            Op::TraceStop => tracemalloc::stop(rt),
            Op::Frame(file, line, func) => tracemalloc::push_frame(rt, file, *line, func),
            Op::EndFrame => tracemalloc::pop_frame(rt).map_err(runtime_error)?,
            Op::Snapshot(s) => {
                let snap = tracemalloc::take_snapshot(rt).map_err(runtime_error)?;
                self.snapshots.insert(s.clone(), snap);
            }
            Op::Compare(a, b, top) => {
                let get = |s: &str| {
                    self.snapshots.get(s).ok_or_else(|| {
                        OpError::Message(format!("NameError: no snapshot named '{s}'"))
                    })
                };
                let (old, new) = (get(a)?, get(b)?);
                let top = top.unwrap_or(10) as usize;
                for d in new.compare_to(old, KeyType::Lineno).iter().take(top) {
                    writeln!(out, "{d}")?;
                }
            }
            Op::Census => {
                let census = crate::census(rt);
                for (name, count) in census.most_common_types(usize::MAX) {
                    let bytes = census.get(&name).bytes;
                    writeln!(out, "{name:<20} {count:>9} {bytes:>12}")?;
                }
            }
            Op::Report => write!(out, "{}", crate::memory_report(rt))?,
            Op::Limit(n) => {
                let limit = usize::try_from(*n).unwrap_or(usize::MAX);
                rt.set_memory_limit((limit != 0).then_some(limit));
            }
            Op::MonitorSample => {
                rt.collect();
                self.monitor.record(crate::sample(rt));
            }
            Op::MonitorVerdict => writeln!(out, "{}", self.monitor.verdict())?,
            _ => {}
        }
        Ok(())
    }
}

fn index(k: i64) -> Result<isize, OpError> {
    isize::try_from(k).map_err(|_| {
        OpError::Runtime(Error::IndexError(
            "cannot fit 'int' into an index-sized integer".into(),
        ))
    })
}

/// An op's failure before it is given its line number.
enum OpError {
    Runtime(Error),
    Message(String),
    Io(std::io::Error),
}

impl From<Error> for OpError {
    fn from(e: Error) -> Self {
        OpError::Runtime(e)
    }
}

impl From<std::io::Error> for OpError {
    fn from(e: std::io::Error) -> Self {
        OpError::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn run(src: &str) -> (String, Option<String>) {
        let rt = Runtime::new();
        let mut it = Interpreter::new(&rt).unwrap();
        let mut out = Vec::new();
        let err = it
            .run(&parse(src).unwrap(), &mut out)
            .err()
            .map(|e| e.to_string());
        (String::from_utf8(out).unwrap(), err)
    }

    #[test]
    fn cycles_need_the_collector() {
        let (out, err) = run(
            "disable\nlist A\nappend A A\nobj O\nsetattr O x O\nweak W O\ndel O\n\
                              alive W\ndel A\ncollect\nalive W\n",
        );
        assert_eq!(err, None);
        assert_eq!(out, "true\n2\nfalse\n");
    }

    #[test]
    fn refcounting_frees_at_once() {
        let (out, _) = run("obj O\nweak W O\nalive W\nobj O\nalive W\n");
        assert_eq!(
            out, "true\nfalse\n",
            "rebinding O released the first instance"
        );
    }

    #[test]
    fn runtime_errors_name_the_line() {
        let (out, err) = run("list A\ncollect\npop A\ncollect\n");
        assert_eq!(out, "0\n");
        assert_eq!(
            err.as_deref(),
            Some("line 3: IndexError: pop from empty list")
        );
        let (_, err) = run("dict D\ndelitem D 4\n");
        assert_eq!(err.as_deref(), Some("line 2: KeyError: 4"));
        let (_, err) = run("dict D\nappend D D\n");
        assert!(err.unwrap().starts_with("line 2: TypeError"));
        let (_, err) = run("list L\nappend L Q\n");
        assert_eq!(
            err.as_deref(),
            Some("line 2: NameError: name 'Q' is not bound")
        );
        let (_, err) = run("list L\nsetitem L 3 L\n");
        assert!(err.unwrap().starts_with("line 2: IndexError"));
    }

    #[test]
    fn observability_ops_print_mrt_output() {
        let src = "trace start 2\nsnapshot A\nframe app.py 7 build\nlist L\nlist M\n\
                   append L M\nendframe\nsnapshot B\ncompare A B 1\ncensus\ntrace stop\n";
        let (out, err) = run(src);
        assert_eq!(err, None);
        let mut lines = out.lines();
        assert_eq!(
            lines.next(),
            // Requested sizes: two 32-byte lists; L's one item (M) sits in L itself.
            Some("app.py:7: size=64 B (+64 B), count=2 (+2), average=32 B")
        );
        let census: Vec<&str> = lines.collect();
        assert!(
            census[0].starts_with("list ") && census[0].contains(" 2 "),
            "{census:?}"
        );
        let (out, _) = run("report\n");
        assert!(out.contains("= held") && out.contains("generation"));
        let (out, _) = run("monitor sample\nmonitor verdict\n");
        assert!(out.starts_with("not enough data"), "{out}");
    }

    #[test]
    fn observability_runtime_errors_name_the_line() {
        let (_, err) = run("list L\nsnapshot A\n");
        assert_eq!(
            err.as_deref(),
            Some(
                "line 2: RuntimeError: the tracer must be tracing memory allocations to take a snapshot"
            )
        );
        let (_, err) = run("trace start 1\nsnapshot A\ncompare A B\n");
        assert_eq!(
            err.as_deref(),
            Some("line 3: NameError: no snapshot named 'B'")
        );
        let (_, err) = run("endframe\n");
        assert!(err.unwrap().starts_with("line 1: RuntimeError"));
    }

    #[test]
    fn limit_makes_memory_errors_and_the_runtime_recovers() {
        let mut src = String::from("limit 65536\nlist L\n");
        for i in 0..2000 {
            src.push_str(&format!("str S{i} some text number {i}\nappend L S{i}\n"));
        }
        let (_, err) = run(&src);
        let err = err.unwrap();
        assert!(
            err.contains("MemoryError: memory limit of 65536 bytes"),
            "{err}"
        );
        let (out, err) = run("limit 65536\nlimit 0\nlist L\ncollect\n");
        assert_eq!((out.as_str(), err), ("0\n", None));
    }

    #[test]
    fn collect_by_generation() {
        // Survivors of a gen-0 collection are in gen 1: a gen-0 collection no longer sees them.
        let src = "disable\nlist A\nappend A A\ncollect 0\ndel A\ncollect 0\ncollect 1\n";
        assert_eq!(run(src).0, "0\n0\n1\n");
    }
}
