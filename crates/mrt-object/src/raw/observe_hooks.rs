//! What [`Mem`](super::mem::Mem) tells observers, and the memory budget
//! (docs/observability.md "Wiring"; design §6).
//!
//! ```text
//! Mem::try_alloc / free / try_realloc
//!   ├── counters     cumulative blocks and bytes allocated / freed (always on: a few adds)
//!   ├── slow: Cell<bool>   one load + one never-taken branch when nobody observes and no
//!   │                      budget is set; true when an observer is installed or a limit is
//!   │     └── observer     AllocObserver::on_alloc / on_free / on_realloc (tracemalloc);
//!   │                      a sampling observer's quiet bytes are counted inline and
//!   │                      frees outside its counting filter of sampled addresses skipped
//!   │     └── limit        bytes in use + block size > limit  =>  MemoryError
//! alloc_object / free_object (object level, knows the kind)
//!   └── census      live objects and bytes per kind, per host class for instances
//! extensions        per-runtime state of the layers above (the facade's tracer, pause
//!                   recorder …), keyed by type, dropped with the runtime
//! ```
//!
//! The budget counts **bytes in use** (live small blocks at their block size plus large
//! requests), not bytes held: a collection lowers bytes in use exactly, while held bytes
//! fall only when whole arenas empty, so a budget on held bytes would fail allocations
//! whose live data fits, depending on fragmentation. The held bytes exceed the budget by
//! at most the free space in partly used pools and arenas (the memory report shows it).

use crate::kind::Kind;
use mrt_alloc::Heap;
use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Receives every allocation, free and reallocation of a runtime's heap (object
/// structs, list buffers, dict entry vectors and index tables alike), once installed
/// with [`Runtime::set_alloc_observer`](crate::Runtime::set_alloc_observer).
///
/// Called after the allocator succeeded (`on_alloc`, `on_realloc`) and before a freed
/// address can be reused (`on_free`). Implementations must not call back into the
/// runtime and should not panic (a panic unwinds out of the allocating operation).
/// `size` is the requested size, as Python's `tracemalloc` records it.
pub trait AllocObserver: Any {
    /// A block of `size` bytes was allocated at `addr`.
    fn on_alloc(&self, addr: usize, size: usize);
    /// The block at `addr` (of `size` bytes) is being freed.
    fn on_free(&self, addr: usize, size: usize);
    /// The block at `old` was resized to `size` bytes, now at `new` (maybe `old`).
    fn on_realloc(&self, old: usize, new: usize, size: usize);
    /// `self` as [`Any`], so the installer can find its own state again.
    fn as_any(&self) -> &dyn Any;

    /// For a sampling observer: how many bytes of allocations it certainly does not
    /// sample from here on. Allocations whose running total stays within it are not
    /// reported; their total is reported with [`skipped`](Self::skipped) right before
    /// the next `on_alloc`/`on_realloc`. Asked at installation and after every reported
    /// allocation. `None` (the default): report every allocation.
    fn quiet_bytes(&self) -> Option<u64> {
        None
    }

    /// `bytes` of allocations went unreported under [`quiet_bytes`](Self::quiet_bytes).
    fn skipped(&self, _bytes: u64) {}

    /// Whether the observer keeps the block at `addr` (a sampled block). In quiet mode
    /// only frees of such blocks are reported (a per-runtime counting filter over the
    /// addresses that answered `true` decides cheaply which frees to look at).
    fn observes(&self, _addr: usize) -> bool {
        true
    }
}

/// Buckets of the quiet-mode free filter (counters of observed blocks per address hash).
const FILTER_BUCKETS: usize = 1 << 14;

#[inline]
fn filter_bucket(addr: usize) -> usize {
    // Blocks are 8-aligned: the low 3 bits carry nothing.
    ((addr as u64 >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - 14)) as usize
}

/// Live objects and bytes (at the allocator's block size) of one kind or class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveCount {
    /// Live objects.
    pub objects: u64,
    /// Bytes of their object blocks as the allocator charges them (a list's separate
    /// buffer and dict tables are not included; the items a short `list_from` list
    /// keeps inline are part of its block).
    pub bytes: u64,
}

/// Cumulative allocator traffic since the runtime was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocCounters {
    /// Blocks allocated (a reallocation counts as a free and an allocation).
    pub allocs: u64,
    /// Bytes requested by those allocations.
    pub alloc_bytes: u64,
    /// Blocks freed.
    pub frees: u64,
    /// Bytes of those blocks.
    pub free_bytes: u64,
    /// Requests refused because of the memory budget.
    pub limit_failures: u64,
    /// Full collections run because a request would have passed the budget.
    pub limit_collections: u64,
}

/// Number of [`Kind`] discriminants + 1 (they start at 1).
const KINDS: usize = 12;

/// The observation state kept inside `Mem`.
pub(crate) struct Hooks {
    /// Anything beyond the counters to do: an observer installed or a budget set.
    slow: Cell<bool>,
    observer: RefCell<Option<Rc<dyn AllocObserver>>>,
    /// The observer samples ([`AllocObserver::quiet_bytes`] is `Some`).
    quiet_mode: Cell<bool>,
    /// Bytes it does not need to hear about, and how many of them went by.
    quiet: Cell<u64>,
    skipped: Cell<u64>,
    /// Observed blocks per address bucket (quiet mode); saturated counters stay.
    filter: std::cell::OnceCell<Box<[Cell<u16>]>>,
    /// The budget in bytes in use; `usize::MAX` = none (a sentinel, not an `Option`).
    limit: Cell<usize>,
    counters: Cell<AllocCounters>,
    kinds: [Cell<LiveCount>; KINDS],
    /// Live instances per class index.
    classes: RefCell<Vec<LiveCount>>,
    extensions: RefCell<Vec<(TypeId, Rc<dyn Any>)>>,
}

impl Hooks {
    pub(crate) fn new() -> Self {
        Hooks {
            slow: Cell::new(false),
            observer: RefCell::new(None),
            quiet_mode: Cell::new(false),
            quiet: Cell::new(0),
            skipped: Cell::new(0),
            filter: std::cell::OnceCell::new(),
            limit: Cell::new(usize::MAX),
            counters: Cell::new(AllocCounters::default()),
            kinds: Default::default(),
            classes: RefCell::new(Vec::new()),
            extensions: RefCell::new(Vec::new()),
        }
    }

    fn update_slow(&self) {
        let observing = self.observer.try_borrow().is_ok_and(|o| o.is_some());
        self.slow.set(observing || self.limit.get() != usize::MAX);
    }

    /// Whether the slow path (observer or budget) is needed: the one branch.
    #[inline(always)]
    pub(crate) fn is_slow(&self) -> bool {
        self.slow.get()
    }

    /// Install or remove the observer; `false` (and no change) when called from inside
    /// an observer call.
    pub(crate) fn set_observer(&self, obs: Option<Rc<dyn AllocObserver>>) -> bool {
        let Ok(mut slot) = self.observer.try_borrow_mut() else {
            return false;
        };
        *slot = obs;
        drop(slot);
        self.update_slow();
        self.refresh_quiet();
        true
    }

    /// Ask the observer how much it may miss (after installation and each report).
    fn refresh_quiet(&self) {
        let q = self
            .observer
            .try_borrow()
            .ok()
            .and_then(|o| o.as_ref().and_then(|o| o.quiet_bytes()));
        self.quiet_mode.set(q.is_some());
        self.quiet.set(q.unwrap_or(0));
        self.skipped.set(0);
        if q.is_some() {
            self.filter.get_or_init(|| {
                (0..FILTER_BUCKETS)
                    .map(|_| Cell::new(0))
                    .collect::<Vec<_>>()
                    .into_boxed_slice()
            });
        }
    }

    pub(crate) fn observer(&self) -> Option<Rc<dyn AllocObserver>> {
        self.observer.borrow().clone()
    }

    pub(crate) fn set_limit(&self, limit: Option<usize>) {
        self.limit.set(limit.unwrap_or(usize::MAX));
        self.update_slow();
    }

    pub(crate) fn limit(&self) -> Option<usize> {
        Some(self.limit.get()).filter(|&l| l != usize::MAX)
    }

    /// Would a request of `size` bytes pass the budget, with `in_use` bytes in use?
    #[inline]
    pub(crate) fn over_limit(&self, in_use: usize, size: usize) -> bool {
        in_use.saturating_add(Heap::block_size(size)) > self.limit.get()
    }

    pub(crate) fn counters(&self) -> AllocCounters {
        self.counters.get()
    }

    #[inline(always)]
    pub(crate) fn count_alloc(&self, size: usize) {
        let mut c = self.counters.get();
        c.allocs += 1;
        c.alloc_bytes += size as u64;
        self.counters.set(c);
    }

    #[inline(always)]
    pub(crate) fn count_free(&self, size: usize) {
        let mut c = self.counters.get();
        c.frees += 1;
        c.free_bytes += size as u64;
        self.counters.set(c);
    }

    pub(crate) fn count_limit_failure(&self) {
        let mut c = self.counters.get();
        c.limit_failures += 1;
        self.counters.set(c);
    }

    pub(crate) fn count_limit_collection(&self) {
        let mut c = self.counters.get();
        c.limit_collections += 1;
        self.counters.set(c);
    }

    // The observer is called under a shared borrow (no `Rc` traffic per event); it
    // must not install or remove observers from inside a call (the trait's contract),
    // and if it did, `set_observer` would find the borrow and refuse.

    /// In quiet mode, an allocation of `size` bytes the observer need not hear about:
    /// counted as skipped.
    #[inline]
    fn quietly(&self, size: usize) -> bool {
        if !self.quiet_mode.get() {
            return false;
        }
        let total = self.skipped.get().saturating_add(size as u64);
        if total <= self.quiet.get() {
            self.skipped.set(total);
            true
        } else {
            false
        }
    }

    /// In quiet mode, whether a free at `addr` can be a free of an observed block.
    #[inline]
    fn maybe_observed(&self, addr: usize) -> bool {
        if !self.quiet_mode.get() {
            return true;
        }
        self.filter
            .get()
            .is_none_or(|f| f[filter_bucket(addr)].get() != 0)
    }

    #[inline]
    pub(crate) fn notify_alloc(&self, addr: usize, size: usize) {
        if !self.quietly(size) {
            self.report_alloc(None, addr, size);
        }
    }

    #[inline]
    pub(crate) fn notify_free(&self, addr: usize, size: usize) {
        if self.maybe_observed(addr) {
            self.report_free(addr, size);
        }
    }

    #[inline]
    pub(crate) fn notify_realloc(&self, old: usize, new: usize, size: usize) {
        if self.quietly(size) {
            // The new block is not sampled; the old one's trace (if any) goes.
            if self.maybe_observed(old) {
                self.report_free(old, 0);
            }
        } else {
            self.report_alloc(Some(old), new, size);
        }
    }

    #[cold]
    #[inline(never)]
    fn report_alloc(&self, old: Option<usize>, addr: usize, size: usize) {
        let Ok(o) = self.observer.try_borrow() else {
            return;
        };
        let Some(o) = &*o else { return };
        if !self.quiet_mode.get() {
            match old {
                None => o.on_alloc(addr, size),
                Some(old) => o.on_realloc(old, addr, size),
            }
            return;
        }
        let skipped = self.skipped.replace(0);
        if skipped > 0 {
            o.skipped(skipped);
        }
        let old_observed = old.is_some_and(|old| o.observes(old));
        match old {
            None => o.on_alloc(addr, size),
            Some(old) => o.on_realloc(old, addr, size),
        }
        if let Some(f) = self.filter.get() {
            if let Some(old) = old
                && old_observed
                && !o.observes(old)
            {
                let c = &f[filter_bucket(old)];
                if c.get() != u16::MAX {
                    c.set(c.get().saturating_sub(1));
                }
            }
            if o.observes(addr) {
                let c = &f[filter_bucket(addr)];
                c.set(c.get().saturating_add(1));
            }
        }
        let q = o.quiet_bytes();
        self.quiet_mode.set(q.is_some());
        self.quiet.set(q.unwrap_or(0));
    }

    #[cold]
    #[inline(never)]
    fn report_free(&self, addr: usize, size: usize) {
        let Ok(o) = self.observer.try_borrow() else {
            return;
        };
        let Some(o) = &*o else { return };
        if !self.quiet_mode.get() {
            o.on_free(addr, size);
            return;
        }
        if o.observes(addr) {
            o.on_free(addr, size);
            if let Some(f) = self.filter.get() {
                let c = &f[filter_bucket(addr)];
                if c.get() != u16::MAX {
                    c.set(c.get().saturating_sub(1));
                }
            }
        }
    }

    /// A new object of `kind` (class `aux` for instances) of `total` bytes requested.
    #[inline]
    pub(crate) fn census_add(&self, kind: Kind, aux: u16, total: usize) {
        let bytes = Heap::block_size(total) as u64;
        let cell = &self.kinds[kind as usize];
        let mut c = cell.get();
        c.objects += 1;
        c.bytes += bytes;
        cell.set(c);
        if kind == Kind::Instance {
            let mut classes = self.classes.borrow_mut();
            let i = aux as usize;
            if classes.len() <= i {
                classes.resize(i + 1, LiveCount::default());
            }
            classes[i].objects += 1;
            classes[i].bytes += bytes;
        }
    }

    /// An object counted by [`census_add`](Self::census_add) was freed.
    #[inline]
    pub(crate) fn census_remove(&self, kind: Kind, aux: u16, total: usize) {
        let bytes = Heap::block_size(total) as u64;
        let cell = &self.kinds[kind as usize];
        let mut c = cell.get();
        c.objects = c.objects.saturating_sub(1);
        c.bytes = c.bytes.saturating_sub(bytes);
        cell.set(c);
        if kind == Kind::Instance
            && let Some(e) = self.classes.borrow_mut().get_mut(aux as usize)
        {
            e.objects = e.objects.saturating_sub(1);
            e.bytes = e.bytes.saturating_sub(bytes);
        }
    }

    pub(crate) fn kind_count(&self, kind: Kind) -> LiveCount {
        self.kinds[kind as usize].get()
    }

    pub(crate) fn class_counts(&self) -> Vec<LiveCount> {
        self.classes.borrow().clone()
    }

    pub(crate) fn extension<T: Any>(&self) -> Option<Rc<T>> {
        let exts = self.extensions.borrow();
        let (_, v) = exts.iter().find(|(id, _)| *id == TypeId::of::<T>())?;
        v.clone().downcast::<T>().ok()
    }

    pub(crate) fn set_extension<T: Any>(&self, value: Rc<T>) -> Option<Rc<T>> {
        let mut exts = self.extensions.borrow_mut();
        let id = TypeId::of::<T>();
        let value: Rc<dyn Any> = value;
        match exts.iter_mut().find(|(i, _)| *i == id) {
            Some((_, slot)) => std::mem::replace(slot, value).downcast::<T>().ok(),
            None => {
                exts.push((id, value));
                None
            }
        }
    }

    pub(crate) fn remove_extension<T: Any>(&self) -> Option<Rc<T>> {
        let mut exts = self.extensions.borrow_mut();
        let pos = exts.iter().position(|(i, _)| *i == TypeId::of::<T>())?;
        exts.swap_remove(pos).1.downcast::<T>().ok()
    }
}
