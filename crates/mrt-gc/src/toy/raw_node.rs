//! The toy host's memory: `ToyBox` layout, allocation and freeing, and its
//! [`GcHost`] implementation. All of the toy's `unsafe` lives here.
#![allow(unsafe_code)]

use std::cell::{Cell, RefCell, UnsafeCell};
use std::mem::size_of;
use std::ptr::NonNull;

use smallvec::SmallVec;

use super::{Kind, NodeOptions, Root, ToyHeap, WeakCallback};
use crate::{GcHeader, GcHost, GcRef, UntrackPass};

/// A toy object in memory: the collector's header, then the node.
#[repr(C)]
pub(crate) struct ToyBox {
    header: GcHeader,
    node: Node,
}

/// Bytes of one toy node (header included), as passed to `on_alloc`.
pub const NODE_BYTES: usize = size_of::<ToyBox>();

// One node per cache line: header, refcount and inline edges load together.
const _: () = assert!(NODE_BYTES == 64);

/// Slots per chunk of the toy's node allocator (1 MiB chunks).
const CHUNK_SLOTS: usize = (1 << 20) / NODE_BYTES;

/// The toy's node allocator: fixed-size slots carved in address order from
/// 1 MiB chunks, with a LIFO free list (a pymalloc pool's free list, in
/// miniature). With `Box` (glibc malloc), a heap that has freed and
/// reallocated many nodes hands out addresses in bin order, so the
/// generation lists stop following memory order and every list step becomes
/// a cache miss; the slab keeps fresh allocations sequential, like pymalloc.
/// Chunks go back to the system only when the heap is dropped.
pub(crate) struct Slab {
    chunks: RefCell<Vec<NonNull<ToyBox>>>,
    /// Head of the free list; a free slot's first word links to the next.
    free: Cell<Option<NonNull<ToyBox>>>,
    /// Next never-used slot of the newest chunk, and its end.
    bump: Cell<usize>,
    end: Cell<usize>,
}

impl Slab {
    pub(crate) fn new() -> Self {
        Slab {
            chunks: RefCell::new(Vec::new()),
            free: Cell::new(None),
            bump: Cell::new(0),
            end: Cell::new(0),
        }
    }

    fn chunk_layout() -> std::alloc::Layout {
        std::alloc::Layout::from_size_align(NODE_BYTES * CHUNK_SLOTS, 64).expect("chunk layout")
    }

    fn alloc(&self, b: ToyBox) -> NonNull<ToyBox> {
        let p = match self.free.get() {
            Some(p) => {
                // SAFETY: a free slot's first word holds the next free slot (see `free`).
                let next = unsafe { p.cast::<Option<NonNull<ToyBox>>>().read() };
                self.free.set(next);
                p
            }
            None => {
                if self.bump.get() == self.end.get() {
                    let layout = Self::chunk_layout();
                    // SAFETY: the layout has a non-zero size.
                    let c = unsafe { std::alloc::alloc(layout) };
                    let Some(c) = NonNull::new(c.cast::<ToyBox>()) else {
                        std::alloc::handle_alloc_error(layout)
                    };
                    self.chunks.borrow_mut().push(c);
                    self.bump.set(c.as_ptr() as usize);
                    self.end.set(c.as_ptr() as usize + NODE_BYTES * CHUNK_SLOTS);
                }
                let p = self.bump.get();
                self.bump.set(p + NODE_BYTES);
                // SAFETY: `p` lies inside a live chunk, hence non-null.
                unsafe { NonNull::new_unchecked(p as *mut ToyBox) }
            }
        };
        // SAFETY: `p` is an unused, 64-aligned slot of NODE_BYTES bytes in a live chunk.
        unsafe { p.write(b) };
        p
    }

    /// Drop the node in `p` and put its slot on the free list.
    ///
    /// # Safety
    ///
    /// `p` came from `alloc` of this slab and is not used afterwards.
    unsafe fn free(&self, p: NonNull<ToyBox>) {
        // SAFETY: per the contract, `p` holds a live ToyBox nobody uses again.
        unsafe {
            std::ptr::drop_in_place(p.as_ptr());
            if cfg!(feature = "gc_zeal") {
                // Poison: a use after free reads a header of 0xdb bytes
                // (misaligned links, absurd refcount) and fails loudly.
                p.cast::<u8>().write_bytes(0xdb, NODE_BYTES);
            }
            p.cast::<Option<NonNull<ToyBox>>>().write(self.free.get());
        }
        self.free.set(Some(p));
    }
}

impl Drop for Slab {
    fn drop(&mut self) {
        for c in self.chunks.get_mut().drain(..) {
            // SAFETY: every chunk was allocated by `alloc` with this layout.
            // Nodes still in it (leaked) are not dropped: their Extra boxes leak.
            unsafe { std::alloc::dealloc(c.as_ptr().cast(), Self::chunk_layout()) };
        }
    }
}

pub(crate) type Edges = SmallVec<[GcRef; 2]>;

pub(crate) struct Node {
    refcount: Cell<usize>,
    id: usize,
    /// Strong references. Only touched through `edges()`/`edges_mut()`,
    /// never while host code runs.
    edges: UnsafeCell<Edges>,
    /// Everything rare, allocated on demand.
    extra: UnsafeCell<Option<Box<Extra>>>,
}

#[derive(Default)]
pub(crate) struct Extra {
    kind: Kind,
    legacy: bool,
    finalizer: RefCell<Option<Box<super::Finalizer>>>,
    /// Weakref objects pointing at this node (non-owning).
    weakrefs: RefCell<Vec<GcRef>>,
    /// For `Kind::Weakref`: the referent, `None` once dead.
    target: Cell<Option<GcRef>>,
    callback: RefCell<Option<Box<WeakCallback>>>,
}

/// Access the node behind a `GcRef`.
///
/// Every `GcRef` the toy handles points to a live `ToyBox`: it was created by
/// `ToyHeap::alloc_with` and is only freed by `free_node`, after which no
/// `Root`, edge, weakref list or collector list refers to it (refcount 0,
/// untracked, removed from its target's weakref list).
#[inline(always)]
pub(crate) fn node<'a>(o: GcRef) -> &'a Node {
    // SAFETY: see above: `o` points to the header of a live ToyBox, and the
    // node is at offset 16 (repr(C), header first, align ≤ 8).
    unsafe { &(*o.as_header().as_ptr().cast::<ToyBox>()).node }
}

impl Node {
    #[inline(always)]
    pub(crate) fn refcount(&self) -> usize {
        self.refcount.get()
    }
    #[inline(always)]
    pub(crate) fn set_refcount(&self, n: usize) {
        self.refcount.set(n)
    }
    pub(crate) fn id(&self) -> usize {
        self.id
    }
    #[inline(always)]
    pub(crate) fn edges(&self) -> &Edges {
        // SAFETY: edges are mutated only by `edges_mut`, whose callers never
        // keep the borrow across host or collector calls, and no `&Edges`
        // lives across such a mutation (single-threaded; see `edges_mut`).
        unsafe { &*self.edges.get() }
    }
    /// Run `f` with exclusive access to the edge list; `f` must not call
    /// host or collector code.
    #[inline]
    pub(crate) fn with_edges_mut<R>(&self, f: impl FnOnce(&mut Edges) -> R) -> R {
        // SAFETY: single-threaded; `f` only manipulates the SmallVec (the
        // callers pass closures that push/remove/take), so no other borrow of
        // the edges exists while this one lives.
        f(unsafe { &mut *self.edges.get() })
    }
    pub(crate) fn extra(&self) -> Option<&Extra> {
        // SAFETY: `extra` is only written by `extra_or_init`, which creates it
        // once (None -> Some) and never replaces or drops it while the node lives.
        unsafe { (*self.extra.get()).as_deref() }
    }
    pub(crate) fn extra_or_init(&self) -> &Extra {
        // SAFETY: as `extra`: the Box, once set, is never moved or dropped before the node.
        let slot = unsafe { &mut *self.extra.get() };
        slot.get_or_insert_with(Default::default)
    }
    pub(crate) fn kind(&self) -> Kind {
        self.extra().map_or(Kind::Plain, |e| e.kind)
    }
}

impl Extra {
    pub(crate) fn target(&self) -> Option<GcRef> {
        self.target.get()
    }
}

/// Allocate a node with refcount 1 (the caller's `Root`).
pub(crate) fn alloc_node(heap: &ToyHeap, opts: NodeOptions) -> GcRef {
    heap.collector.on_alloc(heap, NODE_BYTES + opts.extra_bytes);
    let id = heap.register_alloc();
    let tracked = opts.tracked();
    let extra = if opts.kind != Kind::Plain || opts.legacy_finalizer || opts.finalizer.is_some() {
        Some(Box::new(Extra {
            kind: opts.kind,
            legacy: opts.legacy_finalizer,
            finalizer: RefCell::new(opts.finalizer),
            ..Default::default()
        }))
    } else {
        None
    };
    let p = heap.slab.alloc(ToyBox {
        header: GcHeader::new(),
        node: Node {
            refcount: Cell::new(1),
            id,
            edges: UnsafeCell::new(SmallVec::new()),
            extra: UnsafeCell::new(extra),
        },
    });
    let r = GcRef::from_header(p.cast());
    if tracked {
        // SAFETY: `r` is a fresh, live, untracked ToyBox header; it stays live
        // until `free_node`, which calls `on_dealloc` first; every collection
        // of `heap.collector` is passed `heap`, which owns it.
        unsafe { heap.collector.track(r) };
    }
    r
}

/// Make `wr` (a `Kind::Weakref` node) a weak reference to `target`.
pub(crate) fn init_weakref(wr: GcRef, target: GcRef, cb: Option<Box<WeakCallback>>) {
    let e = node(wr).extra_or_init();
    e.target.set(Some(target));
    *e.callback.borrow_mut() = cb;
    node(target).extra_or_init().weakrefs.borrow_mut().push(wr);
}

/// Clear every weakref to `o`; returns those with a callback.
fn clear_weakrefs_to(o: GcRef) -> SmallVec<[GcRef; 4]> {
    let mut with_cb = SmallVec::new();
    if let Some(e) = node(o).extra() {
        let wrs = std::mem::take(&mut *e.weakrefs.borrow_mut());
        for wr in wrs {
            if let Some(we) = node(wr).extra() {
                we.target.set(None);
                if we.callback.borrow().is_some() {
                    with_cb.push(wr);
                }
            }
        }
    }
    with_cb
}

/// If `o` is a weakref, detach it from its referent.
fn clear_own_weakref(o: GcRef) {
    if let Some(e) = node(o).extra()
        && let Some(t) = e.target.take()
        && let Some(te) = node(t).extra()
    {
        te.weakrefs.borrow_mut().retain(|w| *w != o);
    }
}

impl ToyHeap {
    /// Run a weakref's callback (the heap holds a strong ref meanwhile).
    fn run_weak_callback(&self, wr: GcRef) {
        let cb = node(wr)
            .extra()
            .and_then(|e| e.callback.borrow_mut().take());
        if let Some(mut cb) = cb {
            // Borrowed: the caller holds the count, so never drop this handle
            // (not even when `cb` unwinds).
            let root = std::mem::ManuallyDrop::new(Root::borrowed(self, wr));
            cb(&root);
        }
    }

    /// `tp_dealloc` for a node whose refcount reached 0, without recursion:
    /// children whose count drops to 0 are queued, and the outermost call
    /// drains the queue (CPython's trashcan, in spirit).
    pub(crate) fn dealloc(&self, o: GcRef) {
        self.pending.borrow_mut().push(o);
        if self.draining.get() {
            return;
        }
        self.draining.set(true);
        let mut first_panic = None;
        loop {
            let next = self.pending.borrow_mut().pop();
            let Some(o) = next else { break };
            if let Err(p) =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.dealloc_one(o)))
            {
                first_panic.get_or_insert(p);
            }
        }
        self.draining.set(false);
        if let Some(p) = first_panic {
            std::panic::resume_unwind(p);
        }
    }

    fn dealloc_one(&self, o: GcRef) {
        let n = node(o);
        debug_assert_eq!(n.refcount(), 0);
        // PEP 442 from the refcount path: at most once, may resurrect.
        // SAFETY: `o` is a live toy header, not inside a collection's
        // update_refs..move_unreachable window (no host code runs there).
        let finalized = unsafe { self.collector.is_finalized(o) };
        if !finalized && self.has_finalizer(o) {
            // SAFETY: as above.
            unsafe { self.collector.set_finalized(o) };
            n.set_refcount(1); // temporarily resurrected
            let r =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.call_finalizer(o)));
            let rc = n.refcount() - 1;
            n.set_refcount(rc);
            if rc > 0 {
                // Resurrected: the node lives on.
                if let Err(p) = r {
                    std::panic::resume_unwind(p);
                }
                return;
            }
            if let Err(p) = r {
                self.free_node(o);
                std::panic::resume_unwind(p);
            }
        }
        self.free_node(o);
    }

    /// Weakrefs, untrack, children, memory.
    fn free_node(&self, o: GcRef) {
        let n = node(o);
        // Clear weakrefs to o and run the callbacks of live weakrefs
        // (PyObject_ClearWeakRefs).
        let cbs = clear_weakrefs_to(o);
        clear_own_weakref(o);
        let mut first_panic = None;
        for wr in cbs {
            if node(wr).refcount() == 0 {
                continue;
            }
            self.incref(wr);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.run_weak_callback(wr)
            }));
            if let Err(p) = r {
                first_panic.get_or_insert(p);
            }
            self.decref(wr);
        }
        // SAFETY: `o` is live; it is untracked here, before its memory goes.
        unsafe { self.collector.on_dealloc(o) };
        let edges = n.with_edges_mut(std::mem::take);
        {
            let mut pending = self.pending.borrow_mut();
            for e in edges {
                let c = node(e);
                let rc = c.refcount() - 1;
                c.set_refcount(rc);
                if rc == 0 {
                    pending.push(e);
                }
            }
        }
        self.register_free(n.id());
        // SAFETY: `o` was allocated by `heap.slab` in `alloc_node`; refcount 0,
        // untracked and unlinked from every weakref list, so nothing refers
        // to it any more.
        unsafe { self.slab.free(o.as_header().cast::<ToyBox>()) };
        if let Some(p) = first_panic {
            std::panic::resume_unwind(p);
        }
    }

    fn call_finalizer(&self, o: GcRef) {
        let f = node(o)
            .extra()
            .and_then(|e| e.finalizer.borrow_mut().take());
        if let Some(mut f) = f {
            let root = std::mem::ManuallyDrop::new(Root::borrowed(self, o));
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&root)));
            if let Some(e) = node(o).extra() {
                *e.finalizer.borrow_mut() = Some(f);
            }
            self.finalizer_calls.set(self.finalizer_calls.get() + 1);
            if let Err(p) = r {
                std::panic::resume_unwind(p);
            }
        }
    }
}

/// Is `e` "maybe tracked" in CPython's sense (`_PyObject_GC_MAY_BE_TRACKED`)?
/// A dict-like node always (it may become tracked later); any other node
/// only if tracked (an untracked plain node plays an atomic object, an
/// untracked tuple-like one stays untracked).
fn may_be_tracked(heap: &ToyHeap, e: GcRef) -> bool {
    // SAFETY: `e` is an edge of a live node, hence a live toy header.
    node(e).kind() == Kind::DictLike || unsafe { heap.collector.is_tracked(e) }
}

// SAFETY: the numbered GcHost contract holds:
// 1. every GcRef the toy hands out points to a live ToyBox created by
//    `alloc_node` with `GcHeader::new()`; boxes never move;
// 2. `refcount` counts Roots + edges + weakref-callback/collector holds;
//    every edge holds one count (link increments, unlink/clear/free decrement);
// 3. `traverse` reports exactly the edges, touches nothing else;
// 4. `free_node` calls `on_dealloc` before the slab reuses the memory;
// 5. `refcount`, `incref`, `has_finalizer`, `has_legacy_finalizer`,
//    `maybe_untrack`, `type_name` only read cells (RefCell borrows of
//    `finalizer` are never held across calls);
// 6. `clear_weakrefs` reports only weakref nodes (tracked unless the user
//    created them untracked, which `ToyHeap::weakref` never does).
// 9. `is_leaf` is true only for plain nodes without edges, and `Root::link`,
//    the only way to add an edge, calls `unleaf` first.
unsafe impl GcHost for ToyHeap {
    const UNTRACKS: bool = true;
    const LEAVES: bool = true;

    #[inline(always)]
    fn refcount(&self, o: GcRef) -> usize {
        node(o).refcount()
    }

    #[inline(always)]
    fn incref(&self, o: GcRef) {
        let n = node(o);
        n.set_refcount(n.refcount() + 1);
    }

    #[inline]
    fn decref(&self, o: GcRef) {
        let n = node(o);
        let rc = n.refcount() - 1;
        n.set_refcount(rc);
        if rc == 0 {
            self.dealloc(o);
        }
    }

    #[inline(always)]
    fn traverse(&self, o: GcRef, visit: &mut impl FnMut(GcRef)) {
        if self.traverse_panics.get() {
            panic!("toy traverse panic (test hook)");
        }
        for &e in node(o).edges().iter() {
            visit(e);
        }
    }

    fn clear(&self, o: GcRef) {
        let n = node(o);
        if n.kind() == Kind::ClearPanics {
            panic!("toy clear panic (test hook)");
        }
        let edges = n.with_edges_mut(std::mem::take);
        for e in edges {
            self.decref(e);
        }
    }

    fn has_finalizer(&self, o: GcRef) -> bool {
        node(o)
            .extra()
            .is_some_and(|e| e.finalizer.try_borrow().map_or(true, |f| f.is_some()))
    }

    fn finalize(&self, o: GcRef) {
        self.call_finalizer(o);
    }

    fn has_legacy_finalizer(&self, o: GcRef) -> bool {
        node(o).extra().is_some_and(|e| e.legacy)
    }

    fn clear_weakrefs(&self, o: GcRef, defer: &mut impl FnMut(GcRef)) {
        clear_own_weakref(o);
        for wr in clear_weakrefs_to(o) {
            defer(wr);
        }
    }

    fn call_weakref_callback(&self, wr: GcRef) {
        self.run_weak_callback(wr);
    }

    fn maybe_untrack(&self, o: GcRef, pass: UntrackPass) -> bool {
        let n = node(o);
        let untrackable = matches!(
            (n.kind(), pass),
            (Kind::TupleLike, UntrackPass::EveryCollection)
                | (Kind::DictLike, UntrackPass::FullCollection)
        );
        untrackable && n.edges().iter().all(|&e| !may_be_tracked(self, e))
    }

    fn is_leaf(&self, o: GcRef) -> bool {
        let n = node(o);
        n.kind() == Kind::Plain && n.edges().is_empty()
    }

    fn full_untrack_candidate(&self, o: GcRef) -> bool {
        node(o).kind() == Kind::DictLike
    }

    fn type_name(&self, o: GcRef) -> &str {
        match node(o).kind() {
            Kind::Plain | Kind::ClearPanics => "Node",
            Kind::TupleLike => "tuple",
            Kind::DictLike => "dict",
            Kind::Weakref => "weakref",
        }
    }
}

/// `Root::is_tracked`.
pub(crate) fn is_tracked(r: &Root<'_>) -> bool {
    // SAFETY: a Root holds a strong reference, so its node is live.
    unsafe { r.heap().collector.is_tracked(r.gc_ref()) }
}

/// Before `Root::link` adds an edge (contract 9).
pub(crate) fn unleaf(r: &Root<'_>) {
    // SAFETY: a Root holds a strong reference, so its node is live; toy nodes
    // are only ever tracked by their own heap's collector.
    unsafe { r.heap().collector.unleaf(r.gc_ref()) }
}

/// `Root::is_finalized`.
pub(crate) fn is_finalized(r: &Root<'_>) -> bool {
    // SAFETY: a Root holds a strong reference, so its node is live.
    unsafe { r.heap().collector.is_finalized(r.gc_ref()) }
}

impl ToyHeap {
    /// `gc.get_referents(*objs)` for toy handles.
    pub fn get_referents(&self, objs: &[&Root<'_>]) -> Vec<GcRef> {
        let refs: Vec<GcRef> = objs.iter().map(|r| r.gc_ref()).collect();
        // SAFETY: every element comes from a live Root of a toy node (of this
        // heap or another toy heap: the toy host's methods work for any node).
        unsafe { self.collector.get_referents(self, &refs) }
    }
}
