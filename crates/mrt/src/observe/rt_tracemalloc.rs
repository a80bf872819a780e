//! Python's `tracemalloc` on a [`Runtime`]: the [`Tracer`] wired to the runtime's
//! allocation observer seam (`mrt_object::observe`). Re-exported as `mrt::tracemalloc`.
//!
//! ```text
//! Runtime ── Mem::try_alloc/free/try_realloc ──(slow flag set only while tracing)──▶ TraceState
//!    └── extension TraceState { RefCell<Tracer> } ◀── push_frame / pop_frame / set_line (host)
//! ```
//!
//! The tracer lives in the runtime's extension slot (one per runtime, dropped with it).
//! It is installed as the runtime's allocation observer only while tracing, so off
//! costs the allocator one load and one never-taken branch (`Mem`'s `slow` flag), the
//! "`Cell<bool>` mirror of `is_tracing`" of [`Tracer`]'s hook contract. The frame stack
//! is kept whether or not tracing is on, as Python's.
//!
//! Every block of the heap is traced: object structs under the object's address
//! ([`Runtime::object_address`]; a short `list_from` list's inline items are part of that
//! block), separate list buffers and dict tables under their own. Sizes
//! are requested sizes, as CPython's.
//!
//! ```
//! use mrt::object::Runtime;
//! use mrt::tracemalloc;
//! let rt = Runtime::new();
//! tracemalloc::start(&rt, 5).unwrap();
//! tracemalloc::push_frame(&rt, "app.py", 10, "main");
//! let d = rt.dict().unwrap();
//! let tb = tracemalloc::get_object_traceback(&rt, &d).unwrap();
//! assert_eq!(tb.to_string(), "app.py:10");
//! let snap = tracemalloc::take_snapshot(&rt).unwrap();
//! assert_eq!(snap.statistics("lineno".parse().unwrap())[0].to_string(),
//!            "app.py:10: size=56 B, count=1, average=56 B"); // requested size, as CPython
//! tracemalloc::pop_frame(&rt).unwrap();
//! tracemalloc::stop(&rt);
//! ```

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use mrt_object::{AllocObserver, Obj, Runtime};

use super::frame::{CodeId, Traceback};
use super::snapshot::Snapshot;
use super::tracemalloc::{TraceError, Tracer};

/// The per-runtime tracer state: the runtime's extension and, while tracing, its
/// allocation observer.
pub struct TraceState {
    tracer: RefCell<Tracer>,
}

impl AllocObserver for TraceState {
    fn on_alloc(&self, addr: usize, size: usize) {
        if let Ok(mut t) = self.tracer.try_borrow_mut() {
            t.on_alloc(addr, size);
        }
    }

    fn on_free(&self, addr: usize, _size: usize) {
        if let Ok(mut t) = self.tracer.try_borrow_mut() {
            t.on_free(addr);
        }
    }

    fn on_realloc(&self, old: usize, new: usize, size: usize) {
        if let Ok(mut t) = self.tracer.try_borrow_mut() {
            t.on_realloc(old, new, size);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn quiet_bytes(&self) -> Option<u64> {
        self.tracer.try_borrow().ok().and_then(|t| t.quiet_bytes())
    }

    fn skipped(&self, bytes: u64) {
        if let Ok(mut t) = self.tracer.try_borrow_mut() {
            t.skip_bytes(bytes);
        }
    }

    fn observes(&self, addr: usize) -> bool {
        // When the tracer is busy, say yes: the free is then reported (and ignored).
        self.tracer.try_borrow().map_or(true, |t| t.is_traced(addr))
    }
}

/// The runtime's tracer state, created (not tracing) on first use.
fn state(rt: &Runtime) -> Rc<TraceState> {
    if let Some(s) = rt.extension::<TraceState>() {
        return s;
    }
    let s = Rc::new(TraceState {
        tracer: RefCell::new(Tracer::new()),
    });
    rt.set_extension(s.clone());
    s
}

/// Run `f` on the runtime's tracer.
pub fn with_tracer<R>(rt: &Runtime, f: impl FnOnce(&mut Tracer) -> R) -> R {
    let s = state(rt);
    let mut t = s.tracer.borrow_mut();
    f(&mut t)
}

/// Install (again: the mode may have changed) or remove the observer to match
/// `is_tracing`. In sampled mode the runtime skips the allocations the sampler would
/// not sample and the frees of blocks it did not trace (`AllocObserver::quiet_bytes`).
fn sync_observer(rt: &Runtime, s: &Rc<TraceState>) {
    let tracing = s.tracer.borrow().is_tracing();
    let installed = rt
        .alloc_observer()
        .is_some_and(|o| o.as_any().is::<TraceState>());
    if tracing {
        rt.set_alloc_observer(Some(s.clone()));
    } else if installed {
        rt.set_alloc_observer(None);
    }
}

/// `tracemalloc.start(nframes)`: trace every allocation, keeping up to `nframes`
/// frames per traceback (1..=65535).
pub fn start(rt: &Runtime, nframes: usize) -> Result<(), TraceError> {
    let s = state(rt);
    s.tracer.borrow_mut().start(nframes)?;
    sync_observer(rt, &s);
    Ok(())
}

/// Trace about one allocation per `mean_interval` bytes; statistics are unbiased
/// estimates (see [`sampling`](super::sampling)). `seed` makes it reproducible.
pub fn start_sampling(
    rt: &Runtime,
    nframes: usize,
    mean_interval: u64,
    seed: u64,
) -> Result<(), TraceError> {
    let s = state(rt);
    s.tracer
        .borrow_mut()
        .start_sampling(nframes, mean_interval, seed)?;
    sync_observer(rt, &s);
    Ok(())
}

/// `tracemalloc.stop()`: stop tracing and forget the traces (the frame stack stays).
pub fn stop(rt: &Runtime) {
    if let Some(s) = rt.extension::<TraceState>() {
        s.tracer.borrow_mut().stop();
        sync_observer(rt, &s);
    }
}

/// `tracemalloc.is_tracing()`.
pub fn is_tracing(rt: &Runtime) -> bool {
    rt.extension::<TraceState>()
        .is_some_and(|s| s.tracer.borrow().is_tracing())
}

/// `tracemalloc.take_snapshot()`; an error when not tracing.
pub fn take_snapshot(rt: &Runtime) -> Result<Snapshot, TraceError> {
    match rt.extension::<TraceState>() {
        Some(s) => s.tracer.borrow().take_snapshot(),
        None => Err(TraceError::NotTracing),
    }
}

/// `tracemalloc.get_traced_memory()`: `(current, peak)` traced bytes.
pub fn get_traced_memory(rt: &Runtime) -> (u64, u64) {
    rt.extension::<TraceState>()
        .map_or((0, 0), |s| s.tracer.borrow().get_traced_memory())
}

/// `tracemalloc.reset_peak()`.
pub fn reset_peak(rt: &Runtime) {
    if let Some(s) = rt.extension::<TraceState>() {
        s.tracer.borrow_mut().reset_peak();
    }
}

/// `tracemalloc.clear_traces()`.
pub fn clear_traces(rt: &Runtime) {
    if let Some(s) = rt.extension::<TraceState>() {
        s.tracer.borrow_mut().clear_traces();
    }
}

/// `tracemalloc.get_traceback_limit()`.
pub fn get_traceback_limit(rt: &Runtime) -> usize {
    with_tracer(rt, |t| t.get_traceback_limit())
}

/// `tracemalloc.get_tracemalloc_memory()`: bytes the tracer itself uses.
pub fn get_tracemalloc_memory(rt: &Runtime) -> usize {
    rt.extension::<TraceState>()
        .map_or(0, |s| s.tracer.borrow().get_tracemalloc_memory())
}

/// `tracemalloc.get_object_traceback(o)`: where `o` was allocated, if it was traced
/// (`None` for inline values and objects allocated while not tracing).
pub fn get_object_traceback(rt: &Runtime, o: &Obj<'_>) -> Option<Traceback> {
    let addr = rt.object_address(o)?;
    rt.extension::<TraceState>()?
        .tracer
        .borrow()
        .get_object_traceback(addr)
}

/// Intern a piece of host code once; push it with [`push_code`].
pub fn intern_code(rt: &Runtime, file: &str, function: &str) -> CodeId {
    with_tracer(rt, |t| t.intern_code(file, function))
}

/// Enter host code `code` at `line` (the fast form of [`push_frame`]).
pub fn push_code(rt: &Runtime, code: CodeId, line: u32) {
    with_tracer(rt, |t| t.push_frame(code, line));
}

/// Enter host code: `function` in `file` at `line`. Kept whether or not tracing is on.
pub fn push_frame(rt: &Runtime, file: &str, line: u32, function: &str) {
    with_tracer(rt, |t| {
        let code = t.intern_code(file, function);
        t.push_frame(code, line);
    });
}

/// The current frame moved to `line`.
pub fn set_line(rt: &Runtime, line: u32) -> Result<(), TraceError> {
    with_tracer(rt, |t| t.set_line(line))
}

/// Leave the current host frame.
pub fn pop_frame(rt: &Runtime) -> Result<(), TraceError> {
    with_tracer(rt, |t| t.pop_frame())
}

/// Frames pushed and not popped.
pub fn frame_depth(rt: &Runtime) -> usize {
    rt.extension::<TraceState>()
        .map_or(0, |s| s.tracer.borrow().frame_depth())
}
