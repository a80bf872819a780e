//! [`Tracer`]: Python's `tracemalloc` for any allocator that can name its blocks by address.
//!
//! # Hook points (how the runtime calls it)
//!
//! ```text
//! allocate(size) -> addr      if tracer.is_tracing() { tracer.on_alloc_slow(addr, size) }
//! free(addr)                  if tracer.is_tracing() { tracer.on_free_slow(addr) }
//! realloc(old, new, size)     if tracer.is_tracing() { tracer.on_realloc_slow(old, new, size) }
//! enter code / leave code     tracer.push_frame(code, line) / tracer.pop_frame()
//! line changes                tracer.set_line(line)
//! ```
//!
//! [`Tracer::on_alloc`], [`Tracer::on_free`] and [`Tracer::on_realloc`] are exactly those
//! `#[inline(always)]` one-branch wrappers. Off, the cost is one load of a `bool` and a branch
//! predicted not-taken; every slow path is `#[cold] #[inline(never)]` so it adds no code to
//! the allocator's fast path. Call the hooks *after* the allocator succeeded (a failed
//! allocation is not traced) and *before* the block's address is reused on free.
//! The hooks take `&mut self`; a runtime whose allocator works through `&self` keeps the
//! tracer in a `RefCell` and mirrors [`Tracer::is_tracing`] in a `Cell<bool>` next to it,
//! so the off path stays one load with no borrow.
//!
//! The frame stack is kept whether or not tracing is on (a push is a `Vec` push of 8 bytes),
//! so `start()` in the middle of a run sees the right stack. Code ids come from
//! [`Tracer::intern_code`], once per piece of host code.
//!
//! # Modes
//!
//! * exact ([`Tracer::start`]): every allocation is traced, numbers are exact, as CPython.
//! * sampled ([`Tracer::start_sampling`]): about one allocation per `N` bytes is traced and
//!   statistics are scaled up by the unbiased estimator of [`sampling`](super::sampling).
//!   `get_traced_memory` then reports the estimate too.
//!
//! Traces are keyed by address; an allocation at an address already traced replaces the old
//! trace (the host missed a free), a free of an untraced address is ignored (the block
//! predates `start()` or was not sampled) — both as CPython.

use std::fmt;

use smallvec::SmallVec;

use super::frame::{CodeId, CodeTable, Frame, RawFrame, Traceback};
use super::fxhash::FxHashMap;
use super::sampling::Sampler;
use super::snapshot::{Snapshot, Trace};

/// The largest traceback limit, as CPython (`tracemalloc.start(nframe)` accepts 1..=65535).
pub const MAX_NFRAMES: usize = 65_535;

/// Errors of the tracer and its snapshots (Python raises `ValueError`/`RuntimeError`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceError {
    /// `start(nframes)` outside `1..=MAX_NFRAMES`.
    InvalidTracebackLimit(usize),
    /// `start_sampling` with a zero mean interval.
    InvalidSamplingInterval(u64),
    /// `take_snapshot` while not tracing.
    NotTracing,
    /// `pop_frame`/`set_line` with no frame pushed.
    EmptyFrameStack,
    /// A statistics key other than `lineno`, `filename`, `traceback`.
    UnknownKeyType(String),
    /// Cumulative statistics asked for the `traceback` key.
    CumulativeTraceback,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::InvalidTracebackLimit(n) => {
                write!(
                    f,
                    "the number of frames must be in range [1; {MAX_NFRAMES}], not {n}"
                )
            }
            TraceError::InvalidSamplingInterval(n) => {
                write!(f, "the sampling interval must be at least 1 byte, not {n}")
            }
            TraceError::NotTracing => {
                f.write_str("the tracer must be tracing memory allocations to take a snapshot")
            }
            TraceError::EmptyFrameStack => f.write_str("no frame was pushed"),
            TraceError::UnknownKeyType(k) => write!(f, "unknown key_type: {k:?}"),
            TraceError::CumulativeTraceback => {
                f.write_str("cumulative mode cannot be used with key type 'traceback'")
            }
        }
    }
}

impl std::error::Error for TraceError {}

/// A traceback as the tracer stores it: interned raw frames, most recent first.
type RawTraceback = SmallVec<[RawFrame; 4]>;

/// Index into the tracer's traceback table.
type TracebackId = u32;

/// What the tracer keeps per traced block (16 bytes; the address is the map key).
#[derive(Clone, Copy, Debug)]
struct TraceRecord {
    size: u64,
    /// Blocks this trace stands for: 1 in exact mode, `1/p(size)` when sampled (`f32` is
    /// ample: the estimator's own noise is orders of magnitude larger).
    weight: f32,
    traceback: TracebackId,
}

const _: () = assert!(size_of::<TraceRecord>() == 16);

impl TraceRecord {
    /// The bytes this trace stands for, `round(size · weight)`. Deterministic, so the
    /// free subtracts exactly what the allocation added.
    #[inline]
    fn estimate(&self) -> u64 {
        if self.weight == 1.0 {
            self.size
        } else {
            (self.size as f64 * f64::from(self.weight)).round() as u64
        }
    }
}

/// The memory tracer (Python's `tracemalloc` module state). One per runtime; not shared.
#[derive(Debug)]
pub struct Tracer {
    tracing: bool,
    nframes: usize,
    stack: Vec<RawFrame>,
    /// The traceback of the current stack, if captured since the stack last changed:
    /// consecutive allocations from one place skip hashing the stack.
    cached_traceback: Option<TracebackId>,
    codes: CodeTable,
    tracebacks: Vec<RawTraceback>,
    traceback_index: FxHashMap<RawTraceback, TracebackId>,
    traces: FxHashMap<usize, TraceRecord>,
    current: u64,
    peak: u64,
    sampler: Option<Sampler>,
}

impl Default for Tracer {
    fn default() -> Self {
        Self::new()
    }
}

impl Tracer {
    /// A tracer that is not tracing. Allocates nothing.
    pub fn new() -> Self {
        Tracer {
            tracing: false,
            nframes: 1,
            stack: Vec::new(),
            cached_traceback: None,
            codes: CodeTable::new(),
            tracebacks: Vec::new(),
            traceback_index: FxHashMap::default(),
            traces: FxHashMap::default(),
            current: 0,
            peak: 0,
            sampler: None,
        }
    }

    /// Start tracing every allocation, keeping up to `nframes` frames per traceback.
    /// Already tracing: the new limit applies to later allocations, traces are kept, and
    /// sampling (if on) stays on.
    pub fn start(&mut self, nframes: usize) -> Result<(), TraceError> {
        if !(1..=MAX_NFRAMES).contains(&nframes) {
            return Err(TraceError::InvalidTracebackLimit(nframes));
        }
        self.nframes = nframes;
        self.cached_traceback = None;
        self.tracing = true;
        Ok(())
    }

    /// Start tracing about one allocation per `mean_interval` bytes (see
    /// [`sampling`](super::sampling)); `seed` makes the choice reproducible. Switching
    /// between exact and sampled mode clears the traces (they would not mix).
    pub fn start_sampling(
        &mut self,
        nframes: usize,
        mean_interval: u64,
        seed: u64,
    ) -> Result<(), TraceError> {
        if !(1..=MAX_NFRAMES).contains(&nframes) {
            return Err(TraceError::InvalidTracebackLimit(nframes));
        }
        let sampler = Sampler::new(mean_interval, seed)?;
        if self.sampler.is_none() {
            self.clear_traces();
        }
        self.sampler = Some(sampler);
        self.nframes = nframes;
        self.cached_traceback = None;
        self.tracing = true;
        Ok(())
    }

    /// Stop tracing and clear all traces (as Python's `tracemalloc.stop()`).
    pub fn stop(&mut self) {
        self.tracing = false;
        self.sampler = None;
        self.clear_traces();
    }

    /// Whether allocations are being traced. The runtime's one branch.
    #[inline(always)]
    pub fn is_tracing(&self) -> bool {
        self.tracing
    }

    /// The sampling interval, or `None` in exact mode.
    pub fn sampling_interval(&self) -> Option<u64> {
        self.sampler.as_ref().map(Sampler::mean_interval)
    }

    /// The maximum number of frames stored per traceback.
    pub fn get_traceback_limit(&self) -> usize {
        self.nframes
    }

    /// Forget all traces and tracebacks; traced memory and peak go to 0. Tracing state,
    /// the frame stack and interned code ids are kept.
    pub fn clear_traces(&mut self) {
        self.traces = FxHashMap::default();
        self.tracebacks = Vec::new();
        self.traceback_index = FxHashMap::default();
        self.cached_traceback = None;
        self.current = 0;
        self.peak = 0;
    }

    /// `(current, peak)` traced bytes (estimated in sampled mode).
    pub fn get_traced_memory(&self) -> (u64, u64) {
        (self.current, self.peak)
    }

    /// Set the peak to the current traced size (Python 3.9's `reset_peak`).
    pub fn reset_peak(&mut self) {
        self.peak = self.current;
    }

    /// Number of blocks currently traced.
    pub fn trace_count(&self) -> usize {
        self.traces.len()
    }

    /// Approximate bytes the tracer itself uses (Python's `get_tracemalloc_memory`).
    pub fn get_tracemalloc_memory(&self) -> usize {
        self.traces.capacity() * (size_of::<usize>() + size_of::<TraceRecord>() + 1)
            + self.tracebacks.capacity() * size_of::<RawTraceback>()
            + self
                .tracebacks
                .iter()
                .filter(|t| t.spilled())
                .map(|t| t.capacity() * size_of::<RawFrame>())
                .sum::<usize>()
            + self.traceback_index.capacity()
                * (size_of::<RawTraceback>() + size_of::<TracebackId>() + 1)
            + self.stack.capacity() * size_of::<RawFrame>()
            + self.codes.heap_bytes()
    }

    // ---- frames ---------------------------------------------------------------------

    /// The id of the code `(file, function)`; intern once, push many times.
    pub fn intern_code(&mut self, file: &str, function: &str) -> CodeId {
        self.codes.intern(file, function)
    }

    /// Enter `code`, currently at `line`.
    #[inline]
    pub fn push_frame(&mut self, code: CodeId, line: u32) {
        self.stack.push(RawFrame { code, line });
        self.cached_traceback = None;
    }

    /// Convenience for hosts without code objects: intern and push in one call.
    pub fn push(&mut self, frame: &Frame) {
        let code = self.codes.intern(&frame.file, &frame.function);
        self.push_frame(code, frame.line);
    }

    /// The current frame moved to `line`.
    #[inline]
    pub fn set_line(&mut self, line: u32) -> Result<(), TraceError> {
        match self.stack.last_mut() {
            Some(top) => {
                top.line = line;
                self.cached_traceback = None;
                Ok(())
            }
            None => Err(TraceError::EmptyFrameStack),
        }
    }

    /// Leave the current frame.
    #[inline]
    pub fn pop_frame(&mut self) -> Result<(), TraceError> {
        self.cached_traceback = None;
        self.stack
            .pop()
            .map(drop)
            .ok_or(TraceError::EmptyFrameStack)
    }

    /// Number of frames on the host's stack.
    pub fn frame_depth(&self) -> usize {
        self.stack.len()
    }

    // ---- hooks ----------------------------------------------------------------------

    /// Hook for a successful allocation of `size` bytes at `addr`: one branch when off.
    #[inline(always)]
    pub fn on_alloc(&mut self, addr: usize, size: usize) {
        if self.is_tracing() {
            self.on_alloc_slow(addr, size);
        }
    }

    /// Hook for the free of the block at `addr`: one branch when off.
    #[inline(always)]
    pub fn on_free(&mut self, addr: usize) {
        if self.is_tracing() {
            self.on_free_slow(addr);
        }
    }

    /// Hook for a block moved/resized from `old` to `new` with `size` bytes.
    #[inline(always)]
    pub fn on_realloc(&mut self, old: usize, new: usize, size: usize) {
        if self.is_tracing() {
            self.on_realloc_slow(old, new, size);
        }
    }

    /// In sampled mode, the bytes of allocation that certainly contain no sample point
    /// (the integer part of the distance to the next one, less one): an allocator may
    /// skip calling [`on_alloc`](Self::on_alloc) for them if it reports them with
    /// [`skip_bytes`](Self::skip_bytes) before the next call. `None` in exact mode or
    /// when not tracing.
    pub fn quiet_bytes(&self) -> Option<u64> {
        match &self.sampler {
            Some(s) if self.tracing => Some(s.quiet_bytes()),
            _ => None,
        }
    }

    /// `bytes` of allocations were not reported (each within [`quiet_bytes`](Self::quiet_bytes)):
    /// move the sampler past them.
    pub fn skip_bytes(&mut self, bytes: u64) {
        if let Some(s) = &mut self.sampler {
            s.skip(bytes);
        }
    }

    /// Whether `addr` has a trace (the block was traced and not freed since).
    pub fn is_traced(&self, addr: usize) -> bool {
        self.traces.contains_key(&addr)
    }

    /// Record an allocation (call only when [`is_tracing`](Self::is_tracing)).
    #[cold]
    #[inline(never)]
    pub fn on_alloc_slow(&mut self, addr: usize, size: usize) {
        if !self.tracing {
            return;
        }
        let size = size as u64;
        let weight = match &mut self.sampler {
            None => 1.0,
            Some(sampler) => {
                if !sampler.sample(size) {
                    // Not sampled; an old trace at this address is stale either way.
                    self.remove_trace(addr);
                    return;
                }
                sampler.weight(size)
            }
        };
        let traceback = self.capture_traceback();
        let record = TraceRecord {
            size,
            weight: weight as f32,
            traceback,
        };
        if let Some(old) = self.traces.insert(addr, record) {
            self.current = self.current.saturating_sub(old.estimate());
        }
        self.current = self.current.saturating_add(record.estimate());
        self.peak = self.peak.max(self.current);
    }

    /// Forget the trace of `addr` (call only when tracing).
    #[cold]
    #[inline(never)]
    pub fn on_free_slow(&mut self, addr: usize) {
        self.remove_trace(addr);
    }

    /// A realloc: the old trace goes, the new block is traced with the current traceback
    /// (CPython re-attributes a resized block to the resizing site).
    #[cold]
    #[inline(never)]
    pub fn on_realloc_slow(&mut self, old: usize, new: usize, size: usize) {
        self.remove_trace(old);
        self.on_alloc_slow(new, size);
    }

    fn remove_trace(&mut self, addr: usize) {
        if let Some(old) = self.traces.remove(&addr) {
            self.current = self.current.saturating_sub(old.estimate());
        }
    }

    fn capture_traceback(&mut self) -> TracebackId {
        if let Some(id) = self.cached_traceback {
            return id;
        }
        let id = self.intern_current_stack();
        self.cached_traceback = Some(id);
        id
    }

    fn intern_current_stack(&mut self) -> TracebackId {
        let raw: RawTraceback = if self.stack.is_empty() {
            smallvec::smallvec![RawFrame::UNKNOWN]
        } else {
            self.stack
                .iter()
                .rev()
                .take(self.nframes)
                .copied()
                .collect()
        };
        if let Some(&id) = self.traceback_index.get(&raw) {
            return id;
        }
        let id = self.tracebacks.len() as TracebackId;
        self.tracebacks.push(raw.clone());
        self.traceback_index.insert(raw, id);
        id
    }

    // ---- queries --------------------------------------------------------------------

    fn resolve(&self, id: TracebackId) -> Traceback {
        let raw = &self.tracebacks[id as usize];
        Traceback::new(raw.iter().map(|&f| self.codes.frame(f)).collect())
    }

    /// Where the block at `addr` was allocated, if it is traced.
    pub fn get_object_traceback(&self, addr: usize) -> Option<Traceback> {
        let id = self.traces.get(&addr)?.traceback;
        Some(self.resolve(id))
    }

    /// A snapshot of all traces (ordered by address), independent of the tracer.
    pub fn take_snapshot(&self) -> Result<Snapshot, TraceError> {
        if !self.tracing {
            return Err(TraceError::NotTracing);
        }
        let mut resolved: Vec<Option<Traceback>> = vec![None; self.tracebacks.len()];
        let mut by_addr: Vec<(usize, TraceRecord)> =
            self.traces.iter().map(|(&a, &r)| (a, r)).collect();
        by_addr.sort_unstable_by_key(|&(a, _)| a);
        let mut traces = Vec::with_capacity(by_addr.len());
        for (_, record) in by_addr {
            let slot = record.traceback as usize;
            let traceback = match &resolved[slot] {
                Some(tb) => tb.clone(),
                None => {
                    let tb = self.resolve(record.traceback);
                    resolved[slot] = Some(tb.clone());
                    tb
                }
            };
            traces.push(Trace {
                size: record.size,
                weight: f64::from(record.weight),
                traceback,
            });
        }
        Ok(Snapshot::new(
            traces,
            self.nframes,
            self.sampling_interval(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracer(nframes: usize) -> Tracer {
        let mut t = Tracer::new();
        t.start(nframes).unwrap();
        t
    }

    #[test]
    fn off_by_default_and_hooks_are_inert() {
        let mut t = Tracer::new();
        assert!(!t.is_tracing());
        t.on_alloc(0x10, 100);
        t.on_realloc(0x10, 0x20, 200);
        t.on_free(0x20);
        assert_eq!(t.get_traced_memory(), (0, 0));
        assert_eq!(t.trace_count(), 0);
        assert_eq!(t.take_snapshot().unwrap_err(), TraceError::NotTracing);
    }

    #[test]
    fn bad_limits_and_stack_misuse_are_errors() {
        let mut t = Tracer::new();
        assert_eq!(t.start(0), Err(TraceError::InvalidTracebackLimit(0)));
        assert_eq!(
            t.start(MAX_NFRAMES + 1),
            Err(TraceError::InvalidTracebackLimit(MAX_NFRAMES + 1))
        );
        assert_eq!(
            t.start_sampling(1, 0, 1),
            Err(TraceError::InvalidSamplingInterval(0))
        );
        assert!(!t.is_tracing());
        assert_eq!(t.pop_frame(), Err(TraceError::EmptyFrameStack));
        assert_eq!(t.set_line(3), Err(TraceError::EmptyFrameStack));
        assert!(
            TraceError::InvalidTracebackLimit(0)
                .to_string()
                .contains("[1; 65535]")
        );
    }

    #[test]
    fn traced_memory_current_and_peak() {
        let mut t = tracer(1);
        t.on_alloc(0x100, 100);
        t.on_alloc(0x200, 50);
        assert_eq!(t.get_traced_memory(), (150, 150));
        t.on_free(0x100);
        assert_eq!(t.get_traced_memory(), (50, 150));
        t.reset_peak();
        assert_eq!(t.get_traced_memory(), (50, 50));
        // Realloc moves and resizes.
        t.on_realloc(0x200, 0x300, 80);
        assert_eq!(t.get_traced_memory(), (80, 80));
        assert!(t.get_object_traceback(0x200).is_none());
        assert!(t.get_object_traceback(0x300).is_some());
        // A second alloc at a traced address replaces the trace.
        t.on_alloc(0x300, 10);
        assert_eq!(t.get_traced_memory(), (10, 80));
        // Freeing an untraced address is ignored.
        t.on_free(0xdead);
        assert_eq!(t.trace_count(), 1);
        t.clear_traces();
        assert_eq!((t.get_traced_memory(), t.trace_count()), ((0, 0), 0));
        assert!(t.is_tracing());
        t.stop();
        assert!(!t.is_tracing());
    }

    #[test]
    fn tracebacks_are_most_recent_first_and_truncated() {
        let mut t = tracer(2);
        let main = t.intern_code("main.py", "<module>");
        let f = t.intern_code("lib.py", "f");
        let g = t.intern_code("lib.py", "g");
        t.on_alloc(0x1, 8); // empty stack: <unknown>:0
        t.push_frame(main, 1);
        t.push_frame(f, 10);
        t.push_frame(g, 20);
        t.set_line(21).unwrap();
        t.on_alloc(0x2, 8);
        t.pop_frame().unwrap();
        t.on_alloc(0x3, 8);
        assert_eq!(t.frame_depth(), 2);

        assert_eq!(
            t.get_object_traceback(0x1).unwrap().to_string(),
            "<unknown>:0"
        );
        let tb = t.get_object_traceback(0x2).unwrap();
        assert_eq!(
            tb.frames(),
            &[Frame::new("lib.py", 21, "g"), Frame::new("lib.py", 10, "f")]
        );
        let tb = t.get_object_traceback(0x3).unwrap();
        assert_eq!(
            tb.frames(),
            &[
                Frame::new("lib.py", 10, "f"),
                Frame::new("main.py", 1, "<module>")
            ]
        );
        // The convenience push interns the same id.
        t.push(&Frame::new("lib.py", 30, "g"));
        t.on_alloc(0x4, 8);
        assert_eq!(
            t.get_object_traceback(0x4).unwrap().most_recent(),
            &Frame::new("lib.py", 30, "g")
        );
        assert!(t.get_tracemalloc_memory() > 0);
    }

    #[test]
    fn identical_stacks_share_one_traceback() {
        let mut t = tracer(5);
        let f = t.intern_code("a.py", "f");
        t.push_frame(f, 1);
        for addr in 0..1000 {
            t.on_alloc(addr * 16, 16);
        }
        assert_eq!(t.tracebacks.len(), 1);
        assert_eq!(t.trace_count(), 1000);
    }

    #[test]
    fn snapshot_is_independent_of_later_changes() {
        let mut t = tracer(1);
        t.push(&Frame::new("a.py", 1, "f"));
        t.on_alloc(0x10, 64);
        let snap = t.take_snapshot().unwrap();
        t.clear_traces();
        t.on_alloc(0x20, 32);
        assert_eq!(snap.traces().len(), 1);
        assert_eq!(snap.traces()[0].size, 64);
        assert_eq!(snap.traces()[0].traceback.to_string(), "a.py:1");
        assert_eq!(snap.traceback_limit(), 1);
    }

    #[test]
    fn switching_to_sampling_clears_exact_traces() {
        let mut t = tracer(1);
        t.on_alloc(0x10, 64);
        t.start_sampling(1, 1024, 3).unwrap();
        assert_eq!(t.trace_count(), 0);
        assert_eq!(t.sampling_interval(), Some(1024));
        // A block larger than many intervals is (almost surely) sampled, weight ~1.
        t.on_alloc(0x20, 1 << 20);
        assert_eq!(t.get_traced_memory().0, 1 << 20);
        t.on_free(0x20);
        assert_eq!(t.get_traced_memory(), (0, 1 << 20));
    }

    mod model {
        //! Model-based test: random operation sequences against a plain `BTreeMap` model.
        use super::*;
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        const CODES: [(&str, &str); 3] = [("a.py", "f"), ("b.py", "g"), ("a.py", "h")];

        #[derive(Clone, Debug)]
        enum Op {
            Start(usize),
            Stop,
            Alloc(usize, usize),
            Free(usize),
            Realloc(usize, usize, usize),
            Push(usize, u32),
            Pop,
            SetLine(u32),
            Clear,
            ResetPeak,
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                1 => (1usize..4).prop_map(Op::Start),
                1 => Just(Op::Stop),
                6 => (0usize..16, 0usize..1000).prop_map(|(a, s)| Op::Alloc(a, s)),
                4 => (0usize..16).prop_map(Op::Free),
                2 => (0usize..16, 0usize..16, 0usize..1000).prop_map(|(a, b, s)| Op::Realloc(a, b, s)),
                3 => (0usize..3, 1u32..6).prop_map(|(c, l)| Op::Push(c, l)),
                2 => Just(Op::Pop),
                2 => (1u32..6).prop_map(Op::SetLine),
                1 => Just(Op::Clear),
                1 => Just(Op::ResetPeak),
            ]
        }

        type ModelFrame = (&'static str, u32, &'static str);

        #[derive(Default)]
        struct Model {
            tracing: bool,
            nframes: usize,
            stack: Vec<ModelFrame>,
            traces: BTreeMap<usize, (u64, Vec<ModelFrame>)>,
            current: u64,
            peak: u64,
        }

        impl Model {
            fn traceback(&self) -> Vec<ModelFrame> {
                if self.stack.is_empty() {
                    return vec![("<unknown>", 0, "<unknown>")];
                }
                self.stack
                    .iter()
                    .rev()
                    .take(self.nframes)
                    .copied()
                    .collect()
            }

            fn free(&mut self, addr: usize) {
                if let Some((size, _)) = self.traces.remove(&addr) {
                    self.current -= size;
                }
            }

            fn alloc(&mut self, addr: usize, size: usize) {
                self.free(addr);
                self.traces.insert(addr, (size as u64, self.traceback()));
                self.current += size as u64;
                self.peak = self.peak.max(self.current);
            }

            fn clear(&mut self) {
                self.traces.clear();
                self.current = 0;
                self.peak = 0;
            }
        }

        proptest! {
            #[test]
            fn tracer_matches_model(ops in proptest::collection::vec(op(), 1..200)) {
                let mut t = Tracer::new();
                let mut m = Model { nframes: 1, ..Model::default() };
                let codes: Vec<CodeId> = CODES.iter().map(|(f, g)| t.intern_code(f, g)).collect();
                for op in ops {
                    match op {
                        Op::Start(n) => {
                            t.start(n).unwrap();
                            m.tracing = true;
                            m.nframes = n;
                        }
                        Op::Stop => {
                            t.stop();
                            m.tracing = false;
                            m.clear();
                        }
                        Op::Alloc(a, s) => {
                            t.on_alloc(a, s);
                            if m.tracing { m.alloc(a, s); }
                        }
                        Op::Free(a) => {
                            t.on_free(a);
                            if m.tracing { m.free(a); }
                        }
                        Op::Realloc(a, b, s) => {
                            t.on_realloc(a, b, s);
                            if m.tracing { m.free(a); m.alloc(b, s); }
                        }
                        Op::Push(c, l) => {
                            t.push_frame(codes[c], l);
                            m.stack.push((CODES[c].0, l, CODES[c].1));
                        }
                        Op::Pop => prop_assert_eq!(t.pop_frame().is_ok(), m.stack.pop().is_some()),
                        Op::SetLine(l) => {
                            let ok = t.set_line(l).is_ok();
                            prop_assert_eq!(ok, !m.stack.is_empty());
                            if let Some(top) = m.stack.last_mut() { top.1 = l; }
                        }
                        Op::Clear => {
                            t.clear_traces();
                            m.clear();
                        }
                        Op::ResetPeak => {
                            t.reset_peak();
                            m.peak = m.current;
                        }
                    }
                    prop_assert_eq!(t.is_tracing(), m.tracing);
                    prop_assert_eq!(t.get_traced_memory(), (m.current, m.peak));
                    prop_assert_eq!(t.trace_count(), m.traces.len());
                    prop_assert_eq!(t.frame_depth(), m.stack.len());
                }
                for addr in 0..16 {
                    let got = t.get_object_traceback(addr).map(|tb| {
                        tb.frames().iter().map(|f| (f.file.to_string(), f.line, f.function.to_string())).collect::<Vec<_>>()
                    });
                    let want = m.traces.get(&addr).map(|(_, tb)| {
                        tb.iter().map(|&(f, l, g)| (f.to_owned(), l, g.to_owned())).collect::<Vec<_>>()
                    });
                    prop_assert_eq!(got, want);
                }
                match t.take_snapshot() {
                    Ok(snap) => {
                        prop_assert!(m.tracing);
                        let sizes: Vec<u64> = snap.traces().iter().map(|tr| tr.size).collect();
                        let want: Vec<u64> = m.traces.values().map(|(s, _)| *s).collect();
                        prop_assert_eq!(sizes, want);
                        prop_assert_eq!(snap.total(), (m.current, m.traces.len() as u64));
                    }
                    Err(e) => {
                        prop_assert!(!m.tracing);
                        prop_assert_eq!(e, TraceError::NotTracing);
                    }
                }
            }
        }
    }
}
