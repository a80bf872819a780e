//! A reference host for tests, benchmarks and documentation (feature `toy`).
//!
//! [`ToyHeap`] owns a [`Collector`] and implements [`GcHost`]:
//! nodes with a refcount, a list of strong edges, an optional finalizer
//! closure (PEP 442), an optional legacy finalizer flag, and weak references
//! with callbacks. Nodes are 64-byte slots of a small slab allocator. Dropping the last strong reference
//! frees a node at once, children first in a worklist (no recursion).
//!
//! It shows how an object model plugs in: lay the object out after a
//! [`GcHeader`](crate::GcHeader), call `on_alloc` before initializing, `track`
//! once initialized, `on_dealloc` before freeing, and pass the host to
//! `collect`. See `raw_node.rs` for the `GcHost` implementation.
//!
//! ```
//! use mrt_gc::toy::ToyHeap;
//! let heap = ToyHeap::new();
//! let l = heap.alloc();
//! l.link(&l); // l.append(l)
//! drop(l);
//! assert_eq!(heap.collect(2), 1);
//! ```

mod raw_node;

use std::cell::{Cell, RefCell};
use std::fmt;

use crate::{Collector, GcHost, GcRef};
pub use raw_node::NODE_BYTES;
use raw_node::{alloc_node, init_weakref, node};

/// A finalizer closure: receives a temporary strong handle to the node; it
/// may resurrect the node (e.g. `heap.add_global(r)`).
pub type Finalizer = dyn for<'a> FnMut(&Root<'a>);
/// A weakref callback: receives the (already dead) weakref itself.
pub type WeakCallback = dyn for<'a> FnMut(&Root<'a>);

/// What a node imitates (it changes untracking and debug names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    /// A list-like container.
    #[default]
    Plain,
    /// Untracked by any collection once it holds no maybe-tracked object
    /// (CPython's tuples).
    TupleLike,
    /// Untracked by full collections once it holds no maybe-tracked object
    /// (CPython's dicts).
    DictLike,
    /// A weak reference (made by [`ToyHeap::weakref`]).
    Weakref,
    /// A node whose `clear` panics (for unwind tests).
    ClearPanics,
}

/// How to allocate a node ([`ToyHeap::alloc_with`]).
#[derive(Default)]
pub struct NodeOptions {
    /// PEP 442 finalizer.
    pub finalizer: Option<Box<Finalizer>>,
    /// Legacy finalizer (`tp_del`): makes unreachable cycles uncollectable.
    pub legacy_finalizer: bool,
    /// What the node imitates.
    pub kind: Kind,
    /// Leave the node untracked (like CPython's atomic objects).
    pub untracked: bool,
    /// Extra bytes reported to `on_alloc` (a "huge" container).
    pub extra_bytes: usize,
}

impl NodeOptions {
    /// With a finalizer.
    pub fn finalizer(mut self, f: impl for<'a> FnMut(&Root<'a>) + 'static) -> Self {
        self.finalizer = Some(Box::new(f));
        self
    }
    /// With a legacy finalizer.
    pub fn legacy(mut self) -> Self {
        self.legacy_finalizer = true;
        self
    }
    /// Of this kind.
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }
    /// Never tracked.
    pub fn untracked(mut self) -> Self {
        self.untracked = true;
        self
    }
    /// Reporting `bytes` more to `on_alloc`.
    pub fn extra_bytes(mut self, bytes: usize) -> Self {
        self.extra_bytes = bytes;
        self
    }
    fn tracked(&self) -> bool {
        !self.untracked
    }
}

/// A heap of toy nodes with its collector.
pub struct ToyHeap {
    collector: Collector,
    next_id: Cell<usize>,
    live: Cell<usize>,
    /// One bit per id ever allocated: is it still alive?
    alive: RefCell<Vec<u64>>,
    pending: RefCell<Vec<GcRef>>,
    draining: Cell<bool>,
    globals: RefCell<Vec<GcRef>>,
    finalizer_calls: Cell<usize>,
    traverse_panics: Cell<bool>,
    /// Last: dropped after the collector, which still touches tracked nodes.
    slab: raw_node::Slab,
}

impl Default for ToyHeap {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ToyHeap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToyHeap")
            .field("live", &self.live())
            .finish_non_exhaustive()
    }
}

impl Drop for ToyHeap {
    /// Release what the heap holds, then collect everything left, like a
    /// runtime shutting down (user `Root`s borrow the heap, so none is left).
    /// Panics from host code are swallowed here: a destructor must not unwind.
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.clear_globals();
            for g in self.collector.take_garbage() {
                self.decref(g);
            }
            self.collector.unfreeze();
            self.collector.collect(self, 2);
            for g in self.collector.take_garbage() {
                self.decref(g);
            }
            // Legacy finalizers make their cycles uncollectable (CPython leaks them at
            // exit); a heap going away breaks whatever is still tracked, each object
            // kept alive until all are cleared, so every node is freed.
            let left = self.collector.get_objects(None);
            for &o in &left {
                self.incref(o);
            }
            for &o in &left {
                self.clear(o);
            }
            for &o in &left {
                self.decref(o);
            }
        }));
    }
}

impl ToyHeap {
    /// An empty heap with a default collector.
    pub fn new() -> Self {
        ToyHeap {
            collector: Collector::new(),
            next_id: Cell::new(0),
            live: Cell::new(0),
            alive: RefCell::new(Vec::new()),
            pending: RefCell::new(Vec::new()),
            draining: Cell::new(false),
            globals: RefCell::new(Vec::new()),
            finalizer_calls: Cell::new(0),
            traverse_panics: Cell::new(false),
            slab: raw_node::Slab::new(),
        }
    }

    /// The heap's collector.
    pub fn collector(&self) -> &Collector {
        &self.collector
    }

    /// `collector().collect(self, generation)`.
    pub fn collect(&self, generation: usize) -> usize {
        self.collector.collect(self, generation)
    }

    /// A new tracked plain node, refcount 1.
    pub fn alloc(&self) -> Root<'_> {
        self.alloc_with(NodeOptions::default())
    }

    /// A new node as described by `opts`.
    pub fn alloc_with(&self, opts: NodeOptions) -> Root<'_> {
        let r = alloc_node(self, opts);
        Root { heap: self, r }
    }

    /// A weak reference to `target` (itself a tracked node, like CPython's
    /// weakref objects), with an optional callback run when `target` dies
    /// while the weakref is alive and reachable.
    pub fn weakref(&self, target: &Root<'_>, callback: Option<Box<WeakCallback>>) -> Root<'_> {
        let wr = alloc_node(self, NodeOptions::default().kind(Kind::Weakref));
        init_weakref(wr, target.r, callback);
        Root { heap: self, r: wr }
    }

    /// Number of live nodes.
    pub fn live(&self) -> usize {
        self.live.get()
    }

    /// Is the node with this id still alive?
    pub fn is_alive(&self, id: usize) -> bool {
        self.alive
            .borrow()
            .get(id / 64)
            .is_some_and(|w| w >> (id % 64) & 1 == 1)
    }

    /// How many finalizer calls happened (both paths).
    pub fn finalizer_calls(&self) -> usize {
        self.finalizer_calls.get()
    }

    /// Keep a strong reference in the heap's global roots (resurrection target).
    pub fn add_global(&self, r: &Root<'_>) {
        self.incref(r.r);
        self.globals.borrow_mut().push(r.r);
    }

    /// Handles to the global roots.
    pub fn globals(&self) -> Vec<Root<'_>> {
        let g = self.globals.borrow().clone();
        g.into_iter()
            .map(|r| {
                self.incref(r);
                Root { heap: self, r }
            })
            .collect()
    }

    /// Drop all global roots.
    pub fn clear_globals(&self) {
        let g = self.globals.take();
        for r in g {
            self.decref(r);
        }
    }

    /// Take the collector's `garbage` as handles.
    pub fn take_garbage(&self) -> Vec<Root<'_>> {
        self.collector
            .take_garbage()
            .into_iter()
            .map(|r| Root { heap: self, r })
            .collect()
    }

    /// Make every `traverse` panic (unwind tests).
    pub fn set_traverse_panics(&self, on: bool) {
        self.traverse_panics.set(on)
    }

    /// A handle to a tracked object found through the collector
    /// (`get_objects`, `get_referrers`, …).
    ///
    /// # Panics
    ///
    /// If `r` is not an object currently tracked in one of this heap's three
    /// generations (checked by a list walk).
    pub fn root_of(&self, r: GcRef) -> Root<'_> {
        let c = &self.collector;
        let found = c.get_objects(None).contains(&r);
        assert!(found, "{r:?} is not tracked by this heap");
        self.incref(r);
        Root { heap: self, r }
    }

    fn register_alloc(&self) -> usize {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let mut alive = self.alive.borrow_mut();
        if alive.len() <= id / 64 {
            alive.push(0);
        }
        alive[id / 64] |= 1 << (id % 64);
        self.live.set(self.live.get() + 1);
        id
    }

    fn register_free(&self, id: usize) {
        self.alive.borrow_mut()[id / 64] &= !(1 << (id % 64));
        self.live.set(self.live.get() - 1);
    }
}

/// A strong reference to a toy node: `Clone` increments, `Drop` decrements.
pub struct Root<'h> {
    heap: &'h ToyHeap,
    r: GcRef,
}

impl fmt::Debug for Root<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Root(#{} rc={})", self.id(), self.refcount())
    }
}

impl Clone for Root<'_> {
    fn clone(&self) -> Self {
        self.heap.incref(self.r);
        Root {
            heap: self.heap,
            r: self.r,
        }
    }
}

impl Drop for Root<'_> {
    fn drop(&mut self) {
        self.heap.decref(self.r);
    }
}

impl PartialEq for Root<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.r == other.r
    }
}

impl<'h> Root<'h> {
    /// A handle that does not own a count (the caller forgets it).
    fn borrowed(heap: &'h ToyHeap, r: GcRef) -> Self {
        Root { heap, r }
    }

    /// The heap.
    pub fn heap(&self) -> &'h ToyHeap {
        self.heap
    }

    /// The node's header (for the collector's introspection API).
    pub fn gc_ref(&self) -> GcRef {
        self.r
    }

    /// A unique id (allocation order).
    pub fn id(&self) -> usize {
        node(self.r).id()
    }

    /// The reference count.
    pub fn refcount(&self) -> usize {
        node(self.r).refcount()
    }

    /// Add a strong edge `self -> to` (`self.append(to)`).
    pub fn link(&self, to: &Root<'_>) {
        raw_node::unleaf(self);
        self.heap.incref(to.r);
        node(self.r).with_edges_mut(|e| e.push(to.r));
    }

    /// Remove one edge `self -> to`, if any.
    pub fn unlink(&self, to: &Root<'_>) -> bool {
        let t = to.r;
        let removed =
            node(self.r).with_edges_mut(|e| e.iter().position(|&x| x == t).map(|i| e.remove(i)));
        if let Some(x) = removed {
            self.heap.decref(x);
        }
        removed.is_some()
    }

    /// Drop every edge.
    pub fn clear_edges(&self) {
        let edges = node(self.r).with_edges_mut(std::mem::take);
        for e in edges {
            self.heap.decref(e);
        }
    }

    /// Handles to the nodes this one refers to.
    pub fn edges(&self) -> Vec<Root<'h>> {
        node(self.r)
            .edges()
            .to_vec()
            .into_iter()
            .map(|r| {
                self.heap.incref(r);
                Root { heap: self.heap, r }
            })
            .collect()
    }

    /// Is the node tracked?
    pub fn is_tracked(&self) -> bool {
        unsafe_ops::is_tracked(self)
    }

    /// Has its finalizer run?
    pub fn is_finalized(&self) -> bool {
        unsafe_ops::is_finalized(self)
    }

    /// For a weakref node: the referent, if still alive.
    pub fn upgrade(&self) -> Option<Root<'h>> {
        let t = node(self.r).extra()?.target()?;
        self.heap.incref(t);
        Some(Root {
            heap: self.heap,
            r: t,
        })
    }

    /// For a weakref node: is the referent dead?
    pub fn is_dead(&self) -> bool {
        node(self.r).extra().and_then(|e| e.target()).is_none()
    }
}

mod unsafe_ops {
    //! Forwarders whose `unsafe` lives in `raw_node`.
    pub(super) use super::raw_node::{is_finalized, is_tracked};
}
