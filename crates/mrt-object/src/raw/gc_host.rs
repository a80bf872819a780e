//! The object model as mrt-gc's [`GcHost`]: refcounts, `tp_traverse`, `tp_clear`,
//! PEP 442 finalizers, weakref clearing and CPython 3.11's lazy untracking.
#![allow(unsafe_code)]

use crate::kind::Kind;
use crate::raw::gc_link::{gc_ref, value_of};
use crate::raw::handle::Obj;
use crate::raw::object::{self, FLAG_GC_ITEMS, FLAG_IMMORTAL};
use crate::raw::{compare, dealloc, table, weakref};
use crate::runtime::Runtime;
use mrt_gc::{GcHost, GcRef, UntrackPass};

/// Refcount reported for immortal objects: larger than any number of edges.
/// (`gc_refs` is stored shifted left by 3 in the collector's header word.)
const IMMORTAL_REFCOUNT: usize = usize::MAX >> 3;

// The numbered contract of `GcHost`, point by point:
// 1. Every GcRef this runtime hands its collector is `gc_ref` of a live GC-capable
//    object it allocated with a zeroed (= `GcHeader::new()`) header; objects never
//    move. Only this runtime's objects are ever tracked by its collector.
// 2. `refcount` is the object's strong count (containers own one per stored
//    value; handles one each); an immortal object reports a count above any edge
//    count. Objects at refcount zero are untracked before anything else runs.
// 3. `traverse` visits each GC-capable value the object stores (list/tuple items,
//    dict keys and values, set keys, instance words, host references) once, reads
//    memory only, and weakrefs report nothing (the referent is not owned; callbacks
//    are Rust closures holding no references).
// 4. Every GC-capable object is freed by `raw::dealloc`, which calls
//    `on_dealloc` before releasing the memory.
// 5. `refcount`, `incref`, `has_finalizer`, `maybe_untrack`, `type_name` do not
//    panic (class indices in headers are always valid); host code is only run inside
//    `Runtime::call_host`, which catches panics.
// 6. `clear_weakrefs` clears a weakref `o` itself and every weakref to `o`, and
//    defers only live (refcount > 0) weakref objects with a callback, which are
//    tracked: weakrefs are tracked from creation until their refcount reaches zero.
// 7. One collector per runtime, and containers refuse another runtime's objects.
// 8. `weakrefs_possible`, `finalizers_possible` and `full_untrack_candidate` only
//    answer `false` when the skipped calls would do nothing.
// 9. `is_leaf` answers true only for a list without `FLAG_GC_ITEMS`, whose traverse
//    reports nothing; every store into a list goes through `list::note_item`, which
//    calls `Collector::unleaf` when it sets the flag.
// SAFETY: the nine points above.
unsafe impl GcHost for Runtime {
    const UNTRACKS: bool = true;
    const LEAVES: bool = true;

    fn refcount(&self, o: GcRef) -> usize {
        let v = value_of(o);
        // SAFETY: live object (contract 1).
        unsafe {
            if object::flags(v) & FLAG_IMMORTAL != 0 {
                IMMORTAL_REFCOUNT
            } else {
                object::refcnt(v) as usize
            }
        }
    }

    fn incref(&self, o: GcRef) {
        // SAFETY: live object.
        unsafe { object::incref(value_of(o)) }
    }

    fn decref(&self, o: GcRef) {
        // SAFETY: live object; the collector owns the reference it drops.
        unsafe { object::decref(self, value_of(o)) }
    }

    fn traverse(&self, o: GcRef, visit: &mut impl FnMut(GcRef)) {
        // SAFETY: live object; `visit` does not touch our objects.
        unsafe { dealloc::traverse(self, value_of(o), |x| visit(gc_ref(x))) }
    }

    fn clear(&self, o: GcRef) {
        // SAFETY: live object.
        unsafe { dealloc::clear(self, value_of(o)) }
    }

    fn has_finalizer(&self, o: GcRef) -> bool {
        let v = value_of(o);
        // SAFETY: live object; instance headers hold valid class indices.
        unsafe {
            object::kind_of(v) == Kind::Instance
                && self.class_has_finalizer((*object::header(v)).aux)
        }
    }

    fn finalize(&self, o: GcRef) {
        let v = value_of(o);
        // SAFETY: live instance (the collector holds a reference during the call).
        let class = self.class_at(unsafe { (*object::header(v)).aux });
        if let Some(fin) = class.finalizer.clone() {
            // SAFETY: live object of this runtime.
            let h = unsafe { Obj::from_borrowed(self, v) };
            self.call_host(|| fin(&h));
        }
    }

    fn clear_weakrefs(&self, o: GcRef, defer: &mut impl FnMut(GcRef)) {
        let v = value_of(o);
        // SAFETY: live object.
        unsafe {
            if object::kind_of(v) == Kind::WeakRef {
                weakref::clear_self(self, v);
            }
            for wr in weakref::clear_weakrefs_to(self, v) {
                defer(gc_ref(wr));
            }
        }
    }

    fn call_weakref_callback(&self, wr: GcRef) {
        // SAFETY: live weakref (the collector holds a reference).
        unsafe { weakref::call_callback(self, value_of(wr)) }
    }

    fn maybe_untrack(&self, o: GcRef, pass: UntrackPass) -> bool {
        let v = value_of(o);
        // SAFETY: live object; its items are live.
        unsafe {
            match (object::kind_of(v), pass) {
                // `_PyTuple_MaybeUntrack`.
                (Kind::Tuple, UntrackPass::EveryCollection) => compare::tuple_items(v)
                    .iter()
                    .all(|&x| !table::may_be_tracked(self, x)),
                // `_PyDict_MaybeUntrack`.
                (Kind::Dict, UntrackPass::FullCollection) => {
                    let mut all_untracked = true;
                    table::for_each(v, |k, x| {
                        all_untracked &=
                            !table::may_be_tracked(self, k) && !table::may_be_tracked(self, x);
                    });
                    all_untracked
                }
                _ => false,
            }
        }
    }

    fn weakrefs_possible(&self) -> bool {
        // Every weak reference is a live weakref object.
        self.inner.mem.hooks.kind_count(Kind::WeakRef).objects > 0
    }

    fn finalizers_possible(&self) -> bool {
        self.inner
            .classes
            .borrow()
            .iter()
            .any(|c| c.finalizer.is_some())
    }

    fn full_untrack_candidate(&self, o: GcRef) -> bool {
        // SAFETY: live object.
        unsafe { object::kind_of(value_of(o)) == Kind::Dict }
    }

    #[inline]
    fn is_leaf(&self, o: GcRef) -> bool {
        let v = value_of(o);
        // SAFETY: live object. A list without FLAG_GC_ITEMS holds no GC-capable
        // value (the flag is set before any is stored), and lists have no
        // finalizer and no weak references.
        unsafe { object::kind_of(v) == Kind::List && object::flags(v) & FLAG_GC_ITEMS == 0 }
    }

    fn type_name(&self, o: GcRef) -> &str {
        // SAFETY: live object.
        unsafe { object::kind_of(value_of(o)) }.name()
    }
}

/// `gc.collect(generation)`.
pub(crate) fn collect(rt: &Runtime, generation: usize) -> usize {
    rt.inner.gc.collect(rt, generation)
}

/// The objects the collector tracks in `generation` (all three for `None`) as
/// handles (`gc.get_objects`).
pub(crate) fn get_objects(rt: &Runtime, generation: Option<usize>) -> Vec<Obj<'_>> {
    rt.inner
        .gc
        .get_objects(generation)
        .into_iter()
        // SAFETY: tracked objects are live objects of this runtime.
        .map(|o| unsafe { Obj::from_borrowed(rt, value_of(o)) })
        .collect()
}

/// `gc.get_referents(o)`: the GC-capable objects `o` refers to.
pub(crate) fn get_referents<'rt>(o: &Obj<'rt>) -> Vec<Obj<'rt>> {
    let rt = o.runtime();
    let mut out = Vec::new();
    if o.value().gc_addr().is_some() {
        // SAFETY: a handle's object is live; its children are live while it is.
        unsafe {
            dealloc::traverse(rt, o.value(), |x| out.push(x));
            out.into_iter().map(|x| Obj::from_borrowed(rt, x)).collect()
        }
    } else {
        Vec::new()
    }
}

/// `gc.get_referrers(o)`: tracked objects that refer to `o`.
pub(crate) fn get_referrers<'rt>(o: &Obj<'rt>) -> Vec<Obj<'rt>> {
    let rt = o.runtime();
    if o.value().gc_addr().is_none() {
        return Vec::new();
    }
    rt.inner
        .gc
        .get_referrers(rt, &[gc_ref(o.value())])
        .into_iter()
        // SAFETY: tracked objects are live objects of this runtime.
        .map(|r| unsafe { Obj::from_borrowed(rt, value_of(r)) })
        .collect()
}

/// `gc.garbage` as handles (the collector keeps its own references).
pub(crate) fn garbage(rt: &Runtime) -> Vec<Obj<'_>> {
    rt.inner
        .gc
        .garbage()
        .into_iter()
        // SAFETY: the collector holds a strong reference to each.
        .map(|r| unsafe { Obj::from_borrowed(rt, value_of(r)) })
        .collect()
}

/// Release `gc.garbage` (`del gc.garbage[:]`).
pub(crate) fn clear_garbage(rt: &Runtime) {
    for o in rt.inner.gc.take_garbage() {
        rt.decref(o);
    }
}

/// Teardown's collector part: unfreeze, collect until nothing is found (finalizers
/// run, PEP 442), release `gc.garbage`, finalize what is still tracked (leaked
/// handles), then clear it so every reference it holds is dropped and host values
/// are destroyed.
pub(crate) fn teardown(rt: &Runtime) {
    let gc = &rt.inner.gc;
    gc.set_debug(0); // DEBUG_SAVEALL would keep the cycles in `garbage`
    gc.unfreeze();
    for _ in 0..16 {
        // A panicking gc callback must not stop the teardown half-way.
        let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| gc.collect(rt, 2)))
            .unwrap_or(1);
        for o in gc.take_garbage() {
            rt.decref(o);
        }
        if found == 0 {
            break;
        }
    }
    // Whatever is still tracked is kept alive by leaked handles (`mem::forget`).
    for o in gc.get_objects(None) {
        let v = value_of(o);
        // SAFETY: tracked objects are live; refcount > 0 (leaked), so the handle we
        // create and drop does not free them.
        unsafe {
            if rt.has_finalizer(o) && !crate::raw::gc_link::is_finalized(rt, v) {
                crate::raw::gc_link::set_finalized(rt, v);
                rt.finalize(o);
            }
        }
    }
    // Each round untracks everything it sees; only objects created by host code
    // during the round (destructors, finalizers) show up in the next. Bounded, so a
    // destructor that keeps allocating cannot keep the teardown going forever (what
    // is left then goes back with the heap, its host values undropped).
    for _ in 0..64 {
        let objs = gc.get_objects(None);
        if objs.is_empty() {
            break;
        }
        for &o in &objs {
            // Keep each alive across the clearing of the others, then untrack it so
            // the loop ends even if leaked handles keep it alive.
            rt.incref(o);
        }
        for &o in &objs {
            let v = value_of(o);
            // SAFETY: live (we hold a reference).
            unsafe {
                dealloc::clear(rt, v);
                if object::kind_of(v) == Kind::Tuple {
                    crate::raw::tuple::clear_raw(rt, v);
                }
                if object::kind_of(v) == Kind::Host {
                    let payload = (*object::payload::<object::HostObj>(v)).payload.take();
                    rt.call_host(move || drop(payload));
                }
                crate::raw::gc_link::untrack(rt, v);
            }
        }
        for o in objs {
            rt.decref(o);
        }
    }
}
