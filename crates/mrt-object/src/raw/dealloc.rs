//! Freeing objects whose refcount reached zero, without recursion
//! (docs/object_model.md §5), plus the per-kind `traverse` and `tp_clear`.
//!
//! `release` pushes the object on the runtime's worklist; the outermost call drains
//! it. Freeing a container drops its children's references, which only *pushes*
//! them, so a 10,000,000-deep list is freed in constant stack (CPython's trashcan
//! without its depth limit). A GC-capable object is untracked when it is pushed,
//! so a collection started by host code never sees an object at refcount zero.
#![allow(unsafe_code)]

use crate::kind::Kind;
use crate::raw::handle::Obj;
use crate::raw::object::{self, FLAG_HAS_WEAKREFS, FLAG_INTERNED, HostObj};
use crate::raw::{atom, gc_link, instance, list, table, tuple, weakref};
use crate::runtime::Runtime;
use crate::value::Value;

/// Resets `draining` even if a destructor unwinds.
struct DrainGuard<'a>(&'a Runtime);

impl Drop for DrainGuard<'_> {
    fn drop(&mut self) {
        self.0.inner.draining.set(false);
    }
}

/// An object's refcount reached zero: free it and everything only it kept alive.
///
/// # Safety
/// `v` is a live heap object of `rt` with refcount zero, referenced from nowhere
/// but weak references.
pub(crate) unsafe fn release(rt: &Runtime, v: Value) {
    if v.gc_addr().is_some() {
        // SAFETY: live GC-capable object.
        unsafe { gc_link::untrack(rt, v) };
    }
    rt.inner.pending.borrow_mut().push(v);
    if rt.inner.draining.get() {
        return;
    }
    rt.inner.draining.set(true);
    let _guard = DrainGuard(rt);
    loop {
        let next = rt.inner.pending.borrow_mut().pop();
        let Some(v) = next else { break };
        // SAFETY: objects on the worklist are live with refcount zero (a weakref
        // cannot revive them: `upgrade` refuses refcount zero).
        unsafe { dealloc(rt, v) };
    }
    // Freeing a big structure (a 5,000,000-item list) grows the worklist to millions
    // of entries; hand that memory back rather than keep it for the runtime's life.
    let mut pending = rt.inner.pending.borrow_mut();
    if pending.capacity() > PENDING_KEEP {
        pending.shrink_to(PENDING_KEEP);
    }
}

/// Worklist capacity kept between deallocations (entries; 32 KiB).
const PENDING_KEEP: usize = 4096;

/// Free one object (refcount zero). May run host code (finalizer, weakref
/// callbacks, host-data destructors); their panics are caught and recorded.
///
/// # Safety
/// As for [`release`]; `draining` is set.
unsafe fn dealloc(rt: &Runtime, v: Value) {
    // SAFETY: live object (caller) throughout, until `free_object`.
    unsafe {
        debug_assert_eq!(object::refcnt(v), 0, "dealloc of a referenced object {v:?}");
        let kind = object::kind_of(v);
        if kind == Kind::Instance && !finalize_from_dealloc(rt, v) {
            return; // resurrected
        }
        if object::flags(v) & FLAG_HAS_WEAKREFS != 0 {
            // CPython: clear all, then call the callbacks in list order, each
            // weakref kept alive (a reference taken before any callback runs).
            let to_call = weakref::clear_weakrefs_to(rt, v);
            for &wr in &to_call {
                object::incref(wr);
            }
            for wr in to_call {
                weakref::call_callback(rt, wr);
                object::decref(rt, wr);
            }
        }
        let size = match kind {
            Kind::Int | Kind::Float => 16,
            Kind::Str | Kind::Bytes => {
                if object::flags(v) & FLAG_INTERNED != 0 {
                    atom::forget_interned(rt, v);
                }
                size_of::<object::StrObj>() + (*object::payload::<object::StrObj>(v)).len
            }
            Kind::Tuple => {
                tuple::clear_raw(rt, v);
                tuple::object_size(v)
            }
            Kind::List => {
                list::clear_raw(rt, v);
                size_of::<object::ListObj>()
            }
            Kind::Dict | Kind::Set => {
                table::clear_raw(rt, v);
                size_of::<object::DictObj>()
            }
            Kind::Instance => {
                let words = rt.class_words((*object::header(v)).aux);
                instance::clear_raw(rt, v, words);
                size_of::<object::InstanceObj>() + 8 * words
            }
            Kind::WeakRef => {
                weakref::clear_self(rt, v);
                size_of::<object::WeakRefObj>()
            }
            Kind::Host => {
                list::clear_raw(rt, v);
                let payload = (*object::payload::<HostObj>(v)).payload.take();
                rt.call_host(move || drop(payload));
                size_of::<HostObj>()
            }
        };
        if kind.is_gc() {
            gc_link::on_dealloc(rt, v);
        }
        object::free_object(rt, v, size);
    }
}

/// The refcount path of PEP 442 (`PyObject_CallFinalizerFromDealloc`): run the
/// instance's finalizer if it has one and it has not run; returns `false` when the
/// finalizer resurrected the object.
///
/// # Safety
/// `v` is a live instance of `rt` at refcount zero.
unsafe fn finalize_from_dealloc(rt: &Runtime, v: Value) -> bool {
    // SAFETY: live instance.
    let index = unsafe { (*object::header(v)).aux };
    if !rt.class_has_finalizer(index) {
        return true;
    }
    let class = rt.class_at(index);
    let Some(fin) = class.finalizer.clone() else {
        return true;
    };
    // SAFETY: live GC-capable object.
    unsafe {
        if gc_link::is_finalized(rt, v) {
            return true;
        }
        gc_link::set_finalized(rt, v);
        // Temporarily resurrect: the handle owns the one reference.
        object::set_refcnt(v, 1);
        gc_link::track(rt, v);
        let h = Obj::from_owned(rt, v);
        rt.call_host(|| fin(&h));
        let v = h.into_value();
        let n = object::refcnt(v) - 1;
        object::set_refcnt(v, n);
        if n > 0 {
            return false; // stays tracked: it lives on
        }
        gc_link::untrack(rt, v);
    }
    true
}

/// Call `visit` on every reference `v` holds to a GC-capable object (`tp_traverse`).
///
/// # Safety
/// `v` is a live GC-capable object of `rt`; `visit` must not change the graph.
pub(crate) unsafe fn traverse(rt: &Runtime, v: Value, mut visit: impl FnMut(Value)) {
    let mut gc_only = |x: Value| {
        if x.gc_addr().is_some() {
            visit(x)
        }
    };
    // SAFETY: live object (caller).
    unsafe {
        match object::kind_of(v) {
            Kind::Tuple => crate::raw::compare::tuple_items(v)
                .iter()
                .for_each(|&x| gc_only(x)),
            Kind::List | Kind::Host => list::for_each(v, gc_only),
            Kind::Dict | Kind::Set => table::for_each(v, |k, x| {
                gc_only(k);
                gc_only(x);
            }),
            Kind::Instance => {
                let words = rt.class_words((*object::header(v)).aux);
                instance::for_each(v, words, gc_only);
            }
            Kind::WeakRef | Kind::Int | Kind::Float | Kind::Str | Kind::Bytes => {}
        }
    }
}

/// Drop the references `v` holds, to break a cycle (`tp_clear`). Tuples have none
/// in CPython; `teardown` clears them separately.
///
/// # Safety
/// `v` is a live GC-capable object of `rt`.
pub(crate) unsafe fn clear(rt: &Runtime, v: Value) {
    // SAFETY: live object (caller).
    unsafe {
        match object::kind_of(v) {
            Kind::List | Kind::Host => list::clear_raw(rt, v),
            Kind::Dict | Kind::Set => table::clear_raw(rt, v),
            Kind::Instance => {
                let words = rt.class_words((*object::header(v)).aux);
                instance::clear_raw(rt, v, words);
            }
            Kind::WeakRef => weakref::clear_self(rt, v),
            Kind::Tuple | Kind::Int | Kind::Float | Kind::Str | Kind::Bytes => {}
        }
    }
}
