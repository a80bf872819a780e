//! The observation seam on [`Runtime`] (design §6; docs/observability.md "Wiring"):
//! allocation observers, allocator traffic counters, the live-object census by kind
//! and class, the memory budget, and per-runtime extension state for the layers
//! above (the `mrt` facade's tracer and pause recorder). The mechanics are in
//! `raw/observe_hooks.rs` and `raw/mem.rs`.
//!
//! # The memory budget
//!
//! [`RuntimeBuilder::memory_limit`](crate::RuntimeBuilder::memory_limit) (or
//! [`Runtime::set_memory_limit`]) caps the heap's **bytes in use** (live blocks at
//! their block size plus large requests). A request that would pass it:
//! * when it creates an object, first runs a full collection — at the point where the
//!   collector itself may collect, before the collector counted the object — and
//!   fails with [`Error::MemoryError`](crate::Error::MemoryError) only if the request still does not fit; nothing
//!   was allocated or counted;
//! * when it grows a container's storage (list buffer, dict entries or index), fails
//!   at once: a collection there could run finalizers that mutate the very container
//!   being resized. The container is unchanged.
//!
//! Either way the runtime stays usable.

use crate::error::Result;
use crate::kind::Kind;
use crate::raw::handle::Obj;
pub use crate::raw::observe_hooks::{AllocCounters, AllocObserver, LiveCount};
use crate::runtime::Runtime;
use std::any::Any;
use std::rc::Rc;

/// The kinds the census reports, in [`Kind`] order.
const CENSUS_KINDS: [Kind; 11] = [
    Kind::Int,
    Kind::Float,
    Kind::Str,
    Kind::Bytes,
    Kind::Tuple,
    Kind::List,
    Kind::Dict,
    Kind::Set,
    Kind::Instance,
    Kind::WeakRef,
    Kind::Host,
];

/// Live objects of one type: a built-in kind, or a host class for instances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeCount {
    /// The type name (`"list"`, `"dict"` …, or the class name of host instances).
    pub name: String,
    /// The kind (`Kind::Instance` for every host class).
    pub kind: Kind,
    /// Objects and bytes.
    pub live: LiveCount,
}

impl Runtime {
    /// Install (or remove, with `None`) the observer that sees every allocation, free
    /// and reallocation of this runtime's heap. Without one (and without a memory
    /// budget) the allocator pays one load and one never-taken branch. Returns `false`,
    /// changing nothing, when called from inside an observer's own call.
    pub fn set_alloc_observer(&self, observer: Option<Rc<dyn AllocObserver>>) -> bool {
        self.inner.mem.hooks.set_observer(observer)
    }

    /// The installed allocation observer.
    pub fn alloc_observer(&self) -> Option<Rc<dyn AllocObserver>> {
        self.inner.mem.hooks.observer()
    }

    /// Cumulative allocator traffic (blocks and bytes allocated and freed, budget
    /// refusals and the collections they ran) since the runtime was created.
    pub fn alloc_counters(&self) -> AllocCounters {
        self.inner.mem.hooks.counters()
    }

    /// Live objects and their struct bytes per type, counted as objects are created
    /// and freed (O(kinds + classes), no heap walk). Host instances are reported per
    /// class under the class name; types with no live object are left out. Bytes are
    /// what the allocator charges for the object's own block; a list's separate
    /// buffer and dict tables are not included (a short `list_from` list keeps its
    /// items inline, in its own block: they are included).
    pub fn live_objects(&self) -> Vec<TypeCount> {
        let hooks = &self.inner.mem.hooks;
        let mut out = Vec::new();
        for kind in CENSUS_KINDS {
            if kind == Kind::Instance {
                let classes = self.inner.classes.borrow();
                for (i, live) in hooks.class_counts().into_iter().enumerate() {
                    if live.objects > 0 {
                        let name = classes
                            .get(i)
                            .map_or_else(|| "object".to_owned(), |c| c.name.clone());
                        out.push(TypeCount { name, kind, live });
                    }
                }
                continue;
            }
            let live = hooks.kind_count(kind);
            if live.objects > 0 {
                out.push(TypeCount {
                    name: kind.name().to_owned(),
                    kind,
                    live,
                });
            }
        }
        out
    }

    /// Live objects and struct bytes of one kind (all classes together for instances).
    pub fn live_count(&self, kind: Kind) -> LiveCount {
        self.inner.mem.hooks.kind_count(kind)
    }

    /// Set (or clear) the memory budget in bytes in use (see the module docs).
    pub fn set_memory_limit(&self, bytes: Option<usize>) {
        self.inner.mem.hooks.set_limit(bytes);
    }

    /// The memory budget, if any.
    pub fn memory_limit(&self) -> Option<usize> {
        self.inner.mem.hooks.limit()
    }

    /// The address of the allocator block holding `o` (the GC header of a GC-capable
    /// object), the address allocation observers saw; `None` for inline values.
    pub fn object_address(&self, o: &Obj<'_>) -> Option<usize> {
        let v = o.value();
        let addr = v.heap_addr()?;
        Some(if v.gc_addr().is_some() {
            addr - crate::raw::object::GC_HEAD
        } else {
            addr
        })
    }

    /// Per-runtime state of type `T` stored by a layer above (at most one per type).
    pub fn extension<T: Any>(&self) -> Option<Rc<T>> {
        self.inner.mem.hooks.extension::<T>()
    }

    /// Store per-runtime state of type `T`, returning the previous value. It is
    /// dropped with the runtime, after every object was freed.
    pub fn set_extension<T: Any>(&self, value: Rc<T>) -> Option<Rc<T>> {
        self.inner.mem.hooks.set_extension(value)
    }

    /// Remove the state of type `T`.
    pub fn remove_extension<T: Any>(&self) -> Option<Rc<T>> {
        self.inner.mem.hooks.remove_extension::<T>()
    }
}

/// Admit a new object of `total` bytes under the budget, at a point where a
/// collection is allowed (before the object exists and before the collector counted
/// it): if it would pass the budget, run a full collection first, then fail with
/// `MemoryError` if it still does not fit.
#[inline]
pub(crate) fn admit(rt: &Runtime, total: usize) -> Result<()> {
    if rt.inner.mem.over_limit(total) {
        admit_slow(rt, total)
    } else {
        Ok(())
    }
}

#[cold]
#[inline(never)]
fn admit_slow(rt: &Runtime, total: usize) -> Result<()> {
    rt.inner.mem.hooks.count_limit_collection();
    crate::raw::gc_host::collect(rt, 2);
    if rt.inner.mem.over_limit(total) {
        Err(rt.inner.mem.limit_error(total))
    } else {
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{ClassSpec, Error};
    use std::cell::RefCell;

    /// An observer that logs every event as `(kind, address, size)` (also used by
    /// `raw::list`'s tests).
    #[derive(Default)]
    pub(crate) struct Log(pub(crate) RefCell<Vec<(char, usize, usize)>>);

    impl AllocObserver for Log {
        fn on_alloc(&self, addr: usize, size: usize) {
            self.0.borrow_mut().push(('a', addr, size));
        }
        fn on_free(&self, addr: usize, size: usize) {
            self.0.borrow_mut().push(('f', addr, size));
        }
        fn on_realloc(&self, _old: usize, new: usize, size: usize) {
            self.0.borrow_mut().push(('r', new, size));
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    #[test]
    fn observer_sees_object_blocks_and_frees() {
        let rt = Runtime::new();
        let log = Rc::new(Log::default());
        rt.set_alloc_observer(Some(log.clone()));
        let l = rt.list().unwrap();
        let addr = rt.object_address(&l).unwrap();
        assert_eq!(log.0.borrow()[0], ('a', addr, 32));
        drop(l);
        assert!(log.0.borrow().contains(&('f', addr, 32)));
        rt.set_alloc_observer(None);
        let n = log.0.borrow().len();
        drop(rt.list().unwrap());
        assert_eq!(log.0.borrow().len(), n, "removed observer still called");
        assert!(rt.alloc_observer().is_none());
    }

    #[test]
    fn census_counts_kinds_and_classes() {
        let rt = Runtime::new();
        let point = rt
            .define_class(ClassSpec::new("Point").slots(&["x"]))
            .unwrap();
        let before = rt.live_count(Kind::Dict);
        let ds: Vec<_> = (0..5).map(|_| rt.dict().unwrap()).collect();
        let ps: Vec<_> = (0..3).map(|_| rt.instance(&point).unwrap()).collect();
        assert_eq!(rt.live_count(Kind::Dict).objects, before.objects + 5);
        assert_eq!(rt.live_count(Kind::Dict).bytes, before.bytes + 5 * 56);
        let census = rt.live_objects();
        let p = census.iter().find(|t| t.name == "Point").unwrap();
        assert_eq!(p.live.objects, 3);
        drop(ds);
        drop(ps);
        assert_eq!(rt.live_count(Kind::Dict), before);
        assert!(!rt.live_objects().iter().any(|t| t.name == "Point"));
    }

    #[test]
    fn budget_refusal_changes_nothing_and_the_runtime_recovers() {
        let rt = Runtime::builder().memory_limit(64 * 1024).build();
        assert_eq!(rt.memory_limit(), Some(64 * 1024));
        let keep = rt.list().unwrap();
        let mut refused = 0;
        for round in 0..3 {
            loop {
                match rt.dict() {
                    Ok(d) => keep.append(&d).unwrap(),
                    Err(Error::MemoryError(_)) => {
                        refused += 1;
                        // The refusal ran a full collection (counts back to 0) and
                        // the refused dict was not counted after it.
                        assert_eq!(rt.get_count().0, 0, "round {round}");
                        break;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(rt.heap_bytes_in_use() <= 64 * 1024);
            while keep.len().unwrap() > 0 {
                keep.pop().unwrap();
            }
        }
        assert_eq!(refused, 3);
        assert!(rt.alloc_counters().limit_failures >= 3);
        assert!(rt.check_heap());
        rt.set_memory_limit(None);
        assert!(rt.memory_limit().is_none());
    }

    #[test]
    fn extensions_are_per_type() {
        let rt = Runtime::new();
        assert!(rt.extension::<u32>().is_none());
        assert!(rt.set_extension(Rc::new(7u32)).is_none());
        assert_eq!(*rt.set_extension(Rc::new(8u32)).unwrap(), 7);
        rt.set_extension(Rc::new("x"));
        assert_eq!(*rt.extension::<u32>().unwrap(), 8);
        assert_eq!(*rt.remove_extension::<u32>().unwrap(), 8);
        assert_eq!(*rt.extension::<&str>().unwrap(), "x");
    }
}
