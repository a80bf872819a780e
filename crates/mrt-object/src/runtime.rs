//! [`Runtime`]: one isolated heap with its collector, class table, intern table and
//! weakref table (docs/object_model.md §5; design §2).
//!
//! ```text
//! Runtime ── Box<Inner> (stable address: dict index tables point at `mem`)
//!              ├── mem: Mem           every byte of every object (mrt-alloc Heap)
//!              ├── gc                  the collector's state (generations, counts)
//!              ├── classes             host classes, indexed by an instance's `aux`
//!              ├── interned            str objects by content (no reference held)
//!              ├── weakrefs/callbacks  referent -> weakref objects; weakref -> callback
//!              └── pending/draining    the deallocation worklist (no recursion)
//! ```

use crate::class::ClassInfo;
use crate::error::Error;
use crate::hash::StrHasherKey;
use crate::raw::mem::Mem;
use crate::value::Value;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A weakref callback: called once with the (dead) weak reference.
pub type Callback = Rc<dyn Fn(&crate::Obj<'_>)>;

/// Source of runtime identities (not state that affects behaviour: only compared).
static NEXT_RUNTIME_ID: AtomicU64 = AtomicU64::new(1);

/// The runtime's state behind a `Box` (field order is drop order: `mem` last).
pub(crate) struct Inner {
    pub(crate) id: u64,
    pub(crate) str_key: StrHasherKey,
    pub(crate) gc: mrt_gc::Collector,
    pub(crate) classes: RefCell<Vec<Rc<ClassInfo>>>,
    /// Interned strs by content; the table holds no reference (a str leaves it when
    /// it dies, CPython 3.11's mortal interning).
    pub(crate) interned: RefCell<hashbrown::HashTable<Value>>,
    /// Referent address -> its weak reference objects, in CPython's list order (the
    /// shared callback-less ref first, then callback refs newest first).
    pub(crate) weakrefs: RefCell<HashMap<usize, Vec<Value>>>,
    /// Weakref object address -> its callback.
    pub(crate) callbacks: RefCell<HashMap<usize, Callback>>,
    /// The deallocation worklist: frames `(object at refcount zero, state)` (see
    /// `raw/dealloc.rs`).
    pub(crate) pending: RefCell<Vec<(Value, usize)>>,
    /// Whether some frame is draining `pending`.
    pub(crate) draining: Cell<bool>,
    /// Errors from host code that had nowhere to go (CPython's "unraisable" hook).
    pub(crate) unraisable: RefCell<Vec<Error>>,
    /// The globals dict, or `Value::NULL` until first asked for.
    pub(crate) globals: Cell<Value>,
    /// The empty tuple singleton (CPython's `()`: shared, never tracked, never
    /// counted), or `Value::NULL` until first asked for.
    pub(crate) empty_tuple: Cell<Value>,
    pub(crate) mem: Mem,
}

/// One isolated object heap: its own allocator, collector, classes and interned
/// strings. Cheap to create (only a small box is allocated). Not `Send`/`Sync`:
/// use one runtime per thread.
///
/// ```
/// use mrt_object::Runtime;
/// let rt = Runtime::new();
/// let l = rt.list().unwrap();
/// l.append(&rt.int(1).unwrap()).unwrap();
/// assert_eq!(l.len().unwrap(), 1);
/// ```
pub struct Runtime {
    pub(crate) inner: Box<Inner>,
    _not_send_sync: PhantomData<*const ()>,
}

/// Configures a [`Runtime`] before creating it.
#[derive(Clone, Debug)]
pub struct RuntimeBuilder {
    thresholds: (usize, usize, usize),
    enabled: bool,
    memory_limit: Option<usize>,
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        RuntimeBuilder {
            thresholds: (700, 10, 10),
            enabled: true,
            memory_limit: None,
        }
    }
}

impl RuntimeBuilder {
    /// The collector's thresholds (`gc.set_threshold`), default `(700, 10, 10)`.
    pub fn thresholds(mut self, t0: usize, t1: usize, t2: usize) -> Self {
        self.thresholds = (t0, t1, t2);
        self
    }

    /// Start with automatic collection disabled (`gc.disable()`).
    pub fn gc_disabled(mut self) -> Self {
        self.enabled = false;
        self
    }

    /// A memory budget: at most `bytes` of heap in use (live blocks at their block
    /// size plus large requests). An object allocation that would pass it first runs
    /// a full collection, then fails with `MemoryError`; growing a container's
    /// storage past it fails at once (see [`crate::observe`]).
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// The memory budget set so far, if any.
    pub fn get_memory_limit(&self) -> Option<usize> {
        self.memory_limit
    }

    /// Create the runtime.
    pub fn build(self) -> Runtime {
        let gc = mrt_gc::Collector::new();
        let (t0, t1, t2) = self.thresholds;
        gc.set_threshold(t0, t1, t2);
        if !self.enabled {
            gc.disable();
        }
        Runtime {
            inner: Box::new(Inner {
                id: NEXT_RUNTIME_ID.fetch_add(1, Ordering::Relaxed),
                str_key: StrHasherKey::random(),
                gc,
                classes: RefCell::new(Vec::new()),
                interned: RefCell::new(hashbrown::HashTable::new()),
                weakrefs: RefCell::new(HashMap::new()),
                callbacks: RefCell::new(HashMap::new()),
                pending: RefCell::new(Vec::new()),
                draining: Cell::new(false),
                unraisable: RefCell::new(Vec::new()),
                globals: Cell::new(Value::NULL),
                empty_tuple: Cell::new(Value::NULL),
                mem: Mem::new(),
            }),
            _not_send_sync: PhantomData,
        }
        .with_memory_limit(self.memory_limit)
    }
}

impl Runtime {
    fn with_memory_limit(self, limit: Option<usize>) -> Runtime {
        self.set_memory_limit(limit);
        self
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("id", &self.inner.id)
            .field("count", &self.inner.gc.get_count())
            .field("bytes_in_use", &self.heap_bytes_in_use())
            .finish_non_exhaustive()
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new()
    }
}

impl Runtime {
    /// A runtime with default settings.
    pub fn new() -> Runtime {
        RuntimeBuilder::default().build()
    }

    /// Configure a runtime.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// `Ok` when the handle belongs to this runtime (every operation that stores a
    /// handle into an object checks this).
    #[inline]
    pub(crate) fn check_owned(&self, o: &crate::raw::handle::Obj<'_>) -> crate::error::Result<()> {
        if std::ptr::eq(self, o.runtime()) {
            Ok(())
        } else {
            Err(Error::ValueError(
                "object belongs to a different runtime".into(),
            ))
        }
    }

    /// This runtime's identity (distinct for every runtime created in the process).
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// Errors raised by host code where no caller could receive them (finalizers,
    /// weakref callbacks, destructors of host data), oldest first; the list is emptied.
    pub fn take_unraisable(&self) -> Vec<Error> {
        std::mem::take(&mut *self.inner.unraisable.borrow_mut())
    }

    /// Record an error from host code nobody could receive.
    pub(crate) fn unraisable(&self, e: Error) {
        self.inner.unraisable.borrow_mut().push(e);
    }

    /// An exact snapshot of this runtime's allocator.
    pub fn heap_stats(&self) -> mrt_alloc::HeapStats {
        self.inner.mem.stats()
    }

    /// Bytes of object memory handed out by the allocator right now.
    pub fn heap_bytes_in_use(&self) -> usize {
        self.inner.mem.stats().bytes_in_use
    }

    /// Run the allocator's full consistency check.
    pub fn check_heap(&self) -> bool {
        self.inner.mem.check_invariants()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        crate::raw::roots::teardown(self);
    }
}

impl Runtime {
    /// Run host code (finalizer, weakref callback, host-data destructor), turning a
    /// panic into an unraisable [`Error::HostPanic`]: the runtime stays usable.
    pub(crate) fn call_host(&self, f: impl FnOnce()) {
        if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            self.unraisable(Error::from_panic(&*p));
        }
    }
}
