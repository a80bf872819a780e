//! `Collector`: the generations, counts, thresholds and the public API
//! (CPython's `GCState` and the `gc` module's functions).
//!
//! ```text
//! Collector ─ Box<State> (heads must not move)
//!    heads[0..3]: generation 0, 1, 2 — circular lists of GcHeaders
//!    heads[3]   : the permanent generation (gc.freeze)
//!    heads[4]   : generation 2's leaves: survivors of a full collection the
//!                 host calls leaves (no references to GC objects), which later
//!                 full collections do not walk (beyond CPython; see `unleaf`)
//!    counts     : gen 0 = allocations − deallocations since its last collection
//!                 gen n>0 = collections of gen n−1 since gen n's last collection
//! ```

use std::cell::{Cell, RefCell};
use std::io::Write;

use mrt_alloc::ScratchArena;

use crate::collect::{collect_generations, gc_collect_with_callback, untrack_raw};
use crate::panics::{AbortOnUnwind, Panics};
use crate::raw::GcHost;
use crate::raw::*;
use crate::stats::*;

/// Number of generations (CPython's `NUM_GENERATIONS`).
pub const NUM_GENERATIONS: usize = 3;
/// CPython's default thresholds.
pub const DEFAULT_THRESHOLDS: (usize, usize, usize) = (700, 10, 10);

/// Index of generation 2's leaf list in `State::heads`.
pub(crate) const LEAVES: usize = NUM_GENERATIONS + 1;

pub(crate) struct State {
    /// Generations 0..3, the permanent generation, and generation 2's leaves.
    heads: [GcHeader; NUM_GENERATIONS + 2],
    /// Objects in the leaf list (`heads[LEAVES]`), so that generation 2's
    /// size needs no walk of it.
    pub(crate) leaves_len: Cell<usize>,
    pub(crate) counts: [Cell<usize>; NUM_GENERATIONS],
    pub(crate) thresholds: [Cell<usize>; NUM_GENERATIONS],
    pub(crate) enabled: Cell<bool>,
    /// True while a collection (including its callbacks) runs.
    pub(crate) collecting: Cell<bool>,
    pub(crate) long_lived_total: Cell<usize>,
    pub(crate) long_lived_pending: Cell<usize>,
    pub(crate) stats: [Cell<GenStats>; NUM_GENERATIONS],
    pub(crate) debug: Cell<u32>,
    /// Strong references, owned by the collector until `take_garbage`.
    pub(crate) garbage: RefCell<Vec<GcRef>>,
    pub(crate) callbacks: RefCell<Vec<(CallbackId, Option<Box<GcCallback>>)>>,
    next_callback: Cell<u64>,
    /// `None`: stderr.
    pub(crate) sink: RefCell<Option<Box<dyn Write>>>,
    pub(crate) scratch: RefCell<ScratchArena>,
    /// 0 = byte trigger off.
    byte_threshold: Cell<usize>,
    pub(crate) bytes_since: Cell<usize>,
    #[cfg_attr(not(feature = "gc_zeal"), allow(dead_code))]
    zeal_every: usize,
    #[cfg_attr(not(feature = "gc_zeal"), allow(dead_code))]
    zeal_counter: Cell<usize>,
}

impl State {
    #[inline]
    pub(crate) fn gen_head(&self, i: usize) -> GcRef {
        GcRef::head(&self.heads[i])
    }

    pub(crate) fn reset_scratch(&self) {
        if let Ok(mut s) = self.scratch.try_borrow_mut() {
            s.reset();
        }
    }
}

/// A cycle collector: CPython 3.11's `gc` module for one heap.
///
/// The collector does not own objects or the host; the host calls
/// [`on_alloc`](Self::on_alloc), [`track`](Self::track),
/// [`untrack`](Self::untrack) and [`on_dealloc`](Self::on_dealloc) as objects
/// live and die, and passes itself to [`collect`](Self::collect). Every method
/// takes `&self`: host code running inside a collection (finalizers,
/// callbacks, deallocations) may call back into the collector. `!Send` and
/// `!Sync`.
pub struct Collector {
    pub(crate) st: Box<State>,
}

impl Default for Collector {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("count", &self.get_count())
            .field("threshold", &self.get_threshold())
            .field("enabled", &self.is_enabled())
            .finish_non_exhaustive()
    }
}

impl Drop for Collector {
    /// Objects still tracked are untracked (their links would dangle).
    /// References in `garbage` are leaked: take them with
    /// [`take_garbage`](Self::take_garbage) before dropping the collector.
    fn drop(&mut self) {
        for i in 0..=LEAVES {
            let head = self.st.gen_head(i);
            while !gc_list_is_empty(head) {
                untrack_raw(head.next());
            }
        }
    }
}

impl Collector {
    /// A collector with CPython's defaults: enabled, thresholds (700, 10, 10),
    /// no debug flags, byte trigger off. Allocates one small box.
    pub fn new() -> Self {
        let (t0, t1, t2) = DEFAULT_THRESHOLDS;
        let st = Box::new(State {
            heads: [
                GcHeader::new(),
                GcHeader::new(),
                GcHeader::new(),
                GcHeader::new(),
                GcHeader::new(),
            ],
            leaves_len: Cell::new(0),
            counts: Default::default(),
            thresholds: [Cell::new(t0), Cell::new(t1), Cell::new(t2)],
            enabled: Cell::new(true),
            collecting: Cell::new(false),
            long_lived_total: Cell::new(0),
            long_lived_pending: Cell::new(0),
            stats: Default::default(),
            debug: Cell::new(0),
            garbage: RefCell::new(Vec::new()),
            callbacks: RefCell::new(Vec::new()),
            next_callback: Cell::new(1),
            sink: RefCell::new(None),
            scratch: RefCell::new(ScratchArena::new()),
            byte_threshold: Cell::new(0),
            bytes_since: Cell::new(0),
            zeal_every: zeal_every(),
            zeal_counter: Cell::new(0),
        });
        for i in 0..=LEAVES {
            gc_list_init(st.gen_head(i));
        }
        Collector { st }
    }

    // ---- the host's side: allocation, tracking, deallocation ----------------

    /// A GC-capable object of `bytes` bytes is about to be allocated (call it
    /// before initializing the object; CPython's `_PyObject_GC_Link`).
    ///
    /// Generation 0's count rises by one; if the collector is enabled, not
    /// already collecting and generation 0's threshold (non-zero) is passed —
    /// or the byte trigger fires, or `gc_zeal` says so — the appropriate
    /// generations are collected right here. A panic from host code during
    /// that collection is resumed from this call.
    #[inline]
    pub fn on_alloc<H: GcHost>(&self, host: &H, bytes: usize) {
        let st = &*self.st;
        let c = st.counts[0].get() + 1;
        st.counts[0].set(c);
        st.bytes_since.set(st.bytes_since.get().wrapping_add(bytes));
        let t0 = st.thresholds[0].get();
        let by_count = c > t0 && t0 != 0;
        let bt = st.byte_threshold.get();
        let by_bytes = bt != 0 && st.bytes_since.get() > bt;
        let zeal = self.zeal_tick();
        if (by_count || by_bytes || zeal) && st.enabled.get() && !st.collecting.get() {
            self.collect_generations_slow(host, by_bytes || zeal);
        }
    }

    #[cfg(feature = "gc_zeal")]
    #[inline]
    fn zeal_tick(&self) -> bool {
        let st = &*self.st;
        let n = st.zeal_counter.get() + 1;
        if n >= st.zeal_every {
            st.zeal_counter.set(0);
            true
        } else {
            st.zeal_counter.set(n);
            false
        }
    }

    #[cfg(not(feature = "gc_zeal"))]
    #[inline(always)]
    fn zeal_tick(&self) -> bool {
        false
    }

    #[cold]
    #[inline(never)]
    fn collect_generations_slow<H: GcHost>(&self, host: &H, force_young: bool) {
        self.run_collection(|st, panics| collect_generations(st, host, force_young, panics));
    }

    /// Mark the collector busy, run `f`, then resume the first caught panic.
    fn run_collection(&self, f: impl FnOnce(&State, &Panics) -> usize) -> usize {
        let st = &*self.st;
        st.collecting.set(true);
        let panics = Panics::default();
        let guard = AbortOnUnwind;
        let n = f(st, &panics);
        guard.defuse();
        st.collecting.set(false);
        panics.resume();
        n
    }

    // ---- collecting --------------------------------------------------------

    /// Collect `generation` and all younger ones (`gc.collect(generation)`);
    /// returns the number of unreachable objects found, uncollectable ones
    /// included, plus reachable weakrefs freed after their callback — exactly
    /// CPython's return value. Returns 0 without collecting if a collection is
    /// already running. Runs even if the collector is disabled.
    ///
    /// A panic from host code is resumed after the collection completed.
    ///
    /// # Panics
    ///
    /// If `generation >= NUM_GENERATIONS`, or to resume a host panic.
    pub fn collect<H: GcHost>(&self, host: &H, generation: usize) -> usize {
        assert!(
            generation < NUM_GENERATIONS,
            "invalid generation {generation}"
        );
        if self.st.collecting.get() {
            return 0;
        }
        self.run_collection(|st, panics| gc_collect_with_callback(st, host, generation, panics))
    }

    /// A full collection: `collect(host, 2)`.
    pub fn collect_all<H: GcHost>(&self, host: &H) -> usize {
        self.collect(host, NUM_GENERATIONS - 1)
    }

    /// Is a collection running right now (host code called from it)?
    pub fn is_collecting(&self) -> bool {
        self.st.collecting.get()
    }

    // ---- configuration -----------------------------------------------------

    /// Enable automatic collection (`gc.enable`).
    pub fn enable(&self) {
        self.st.enabled.set(true)
    }
    /// Disable automatic collection (`gc.disable`).
    pub fn disable(&self) {
        self.st.enabled.set(false)
    }
    /// `gc.isenabled`.
    pub fn is_enabled(&self) -> bool {
        self.st.enabled.get()
    }

    /// `gc.get_threshold`.
    pub fn get_threshold(&self) -> (usize, usize, usize) {
        let t = &self.st.thresholds;
        (t[0].get(), t[1].get(), t[2].get())
    }

    /// `gc.set_threshold(t0, t1, t2)`. A generation-0 threshold of 0 disables
    /// automatic collection.
    pub fn set_threshold(&self, t0: usize, t1: usize, t2: usize) {
        let t = &self.st.thresholds;
        t[0].set(t0);
        t[1].set(t1);
        t[2].set(t2);
    }

    /// `gc.get_count`: (allocations − deallocations of GC-capable objects
    /// since the last collection, gen-0 collections since the last gen-1
    /// one, gen-1 collections since the last full one).
    pub fn get_count(&self) -> (usize, usize, usize) {
        let c = &self.st.counts;
        (c[0].get(), c[1].get(), c[2].get())
    }

    /// `gc.get_stats`.
    pub fn get_stats(&self) -> [GenStats; NUM_GENERATIONS] {
        [0, 1, 2].map(|i| self.st.stats[i].get())
    }

    /// The full-collection pacing state `(long_lived_total, long_lived_pending)`.
    pub fn long_lived(&self) -> (usize, usize) {
        (
            self.st.long_lived_total.get(),
            self.st.long_lived_pending.get(),
        )
    }

    /// `gc.set_debug`: a combination of the `DEBUG_*` flags.
    pub fn set_debug(&self, flags: u32) {
        self.st.debug.set(flags)
    }
    /// `gc.get_debug`.
    pub fn get_debug(&self) -> u32 {
        self.st.debug.get()
    }

    /// Where debug output goes: `Some(writer)`, or `None` for stderr (the default).
    pub fn set_debug_output(&self, sink: Option<Box<dyn Write>>) {
        *self.st.sink.borrow_mut() = sink;
    }

    /// Beyond CPython: also collect generation 0 once more than `bytes` bytes
    /// of GC-capable objects (the sizes passed to `on_alloc`) have been
    /// allocated since the last collection. `None` (the default) turns it
    /// off, so counts behave exactly like CPython's.
    pub fn set_byte_threshold(&self, bytes: Option<usize>) {
        self.st
            .byte_threshold
            .set(bytes.unwrap_or(0).max(usize::from(bytes.is_some())));
    }
    /// The byte trigger, if on.
    pub fn get_byte_threshold(&self) -> Option<usize> {
        Some(self.st.byte_threshold.get()).filter(|&b| b != 0)
    }
    /// Bytes passed to `on_alloc` since the last collection.
    pub fn bytes_since_collection(&self) -> usize {
        self.st.bytes_since.get()
    }

    /// The most scratch memory one collection has used so far.
    pub fn scratch_high_water_bytes(&self) -> usize {
        self.st.scratch.borrow().high_water_bytes()
    }

    // ---- callbacks ---------------------------------------------------------

    /// Register a callback run before (`Phase::Start`) and after
    /// (`Phase::Stop`) every collection, in registration order
    /// (`gc.callbacks.append`). A panicking callback does not stop the
    /// collection; its panic is resumed afterwards.
    pub fn add_callback(&self, cb: Box<GcCallback>) -> CallbackId {
        let id = CallbackId(self.st.next_callback.get());
        self.st.next_callback.set(id.0 + 1);
        self.st.callbacks.borrow_mut().push((id, Some(cb)));
        id
    }

    /// Unregister a callback; `false` if it was not registered.
    pub fn remove_callback(&self, id: CallbackId) -> bool {
        let removed = {
            let mut v = self.st.callbacks.borrow_mut();
            v.iter().position(|e| e.0 == id).map(|i| v.remove(i))
        };
        removed.is_some()
    }

    // ---- freeze ------------------------------------------------------------

    /// Move every tracked object to the permanent generation, which
    /// collections ignore (`gc.freeze`). Like CPython 3.11 it resets
    /// generation 0's count only.
    pub fn freeze(&self) {
        let perm = self.st.gen_head(NUM_GENERATIONS);
        for i in 0..NUM_GENERATIONS {
            gc_list_merge(self.st.gen_head(i), perm);
            self.st.counts[0].set(0);
        }
        // Leaves become ordinary members of the permanent generation (the leaf
        // list belongs to generation 2): O(leaves), where CPython's is O(1).
        let leaves = self.st.gen_head(LEAVES);
        let mut gc = leaves.next();
        while gc != leaves {
            gc.set_raw_prev(gc.raw_prev() & !PREV_MASK_LEAF);
            gc = gc.next();
        }
        gc_list_merge(leaves, perm);
        self.st.leaves_len.set(0);
    }

    /// Move the permanent generation into the oldest one (`gc.unfreeze`).
    pub fn unfreeze(&self) {
        gc_list_merge(
            self.st.gen_head(NUM_GENERATIONS),
            self.st.gen_head(NUM_GENERATIONS - 1),
        );
    }

    /// Number of objects in the permanent generation (`gc.get_freeze_count`).
    pub fn get_freeze_count(&self) -> usize {
        gc_list_size(self.st.gen_head(NUM_GENERATIONS))
    }

    // ---- introspection -----------------------------------------------------

    /// Objects tracked in `generation`, or in all three generations for
    /// `None` (`gc.get_objects`; the permanent generation is not included).
    ///
    /// # Panics
    ///
    /// If `generation >= NUM_GENERATIONS`.
    pub fn get_objects(&self, generation: Option<usize>) -> Vec<GcRef> {
        let gens = match generation {
            Some(g) => {
                assert!(
                    g < NUM_GENERATIONS,
                    "generation must be < {NUM_GENERATIONS}"
                );
                g..g + 1
            }
            None => 0..NUM_GENERATIONS,
        };
        let mut out = Vec::new();
        for i in gens {
            let leaves = (i == NUM_GENERATIONS - 1).then(|| self.st.gen_head(LEAVES));
            for head in std::iter::once(self.st.gen_head(i)).chain(leaves) {
                let mut gc = head.next();
                while gc != head {
                    out.push(gc);
                    gc = gc.next();
                }
            }
        }
        out
    }

    /// Number of objects in `generation` (O(n)); `NUM_GENERATIONS` is the
    /// permanent generation. Generation 2 counts its leaves.
    pub fn generation_len(&self, generation: usize) -> usize {
        assert!(generation <= NUM_GENERATIONS, "no such generation");
        let leaves = if generation == NUM_GENERATIONS - 1 {
            self.st.leaves_len.get()
        } else {
            0
        };
        gc_list_size(self.st.gen_head(generation)) + leaves
    }

    /// How many of generation 2's objects sit in its leaf list, which full
    /// collections do not walk (see [`unleaf`](Self::unleaf)).
    pub fn leaf_count(&self) -> usize {
        self.st.leaves_len.get()
    }

    /// Tracked objects (in the three generations) that refer directly to
    /// any of `objs` (`gc.get_referrers`). The leaf list is not searched:
    /// a leaf refers to no GC object.
    pub fn get_referrers<H: GcHost>(&self, host: &H, objs: &[GcRef]) -> Vec<GcRef> {
        let mut sorted = objs.to_vec();
        sorted.sort_unstable();
        let mut out = Vec::new();
        for i in 0..NUM_GENERATIONS {
            let head = self.st.gen_head(i);
            let mut gc = head.next();
            while gc != head {
                let mut hit = false;
                host.traverse(gc, &mut |r| hit |= sorted.binary_search(&r).is_ok());
                if hit {
                    out.push(gc);
                }
                gc = gc.next();
            }
        }
        out
    }

    // ---- garbage -----------------------------------------------------------

    /// Number of objects in `garbage` (`len(gc.garbage)`).
    pub fn garbage_len(&self) -> usize {
        self.st.garbage.borrow().len()
    }

    /// A copy of `garbage` (the collector keeps its references).
    pub fn garbage(&self) -> Vec<GcRef> {
        self.st.garbage.borrow().clone()
    }

    /// Take `garbage`: the caller now owns one strong reference per entry and
    /// must release it (`host.decref`).
    pub fn take_garbage(&self) -> Vec<GcRef> {
        std::mem::take(&mut *self.st.garbage.borrow_mut())
    }
}

/// `MRT_GC_ZEAL=N`: collect generation 0 on every N-th allocation (default 7).
fn zeal_every() -> usize {
    if cfg!(feature = "gc_zeal") {
        std::env::var("MRT_GC_ZEAL")
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(7)
    } else {
        0
    }
}
