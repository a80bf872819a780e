//! Freeing objects whose refcount reached zero, without recursion
//! (docs/object_model.md §5), plus the per-kind `traverse` and `tp_clear`.
//!
//! `release` pushes a *frame* for the object on the runtime's worklist; the
//! outermost call drains it. A frame releases its object's children one at a time,
//! in CPython's order (tuple and list items last to first, dict entries first to
//! last with the key before the value, instance slots in order); a child whose count
//! reaches zero gets a frame on top, so it is freed completely before the next child
//! of its parent is released — CPython's depth-first order, without recursion. A
//! frame whose last child is being released is finished first (tail position), so a
//! 10,000,000-deep list needs one frame at a time. A GC-capable object is untracked
//! when it is pushed, so a collection started by host code never sees an object at
//! refcount zero.
#![allow(unsafe_code)]

use crate::kind::Kind;
use crate::raw::compare::tuple_items;
use crate::raw::handle::Obj;
use crate::raw::object::{self, DictObj, FLAG_GC_ITEMS, FLAG_HAS_WEAKREFS, FLAG_INTERNED, HostObj};
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

/// Frame state: the object has not been started (finalizer, weakrefs) yet.
const NOT_STARTED: usize = 0;

/// An object's refcount reached zero: free it and everything only it kept alive.
///
/// # Safety
/// `v` is a live heap object of `rt` with refcount zero, referenced from nowhere
/// but weak references.
pub(crate) unsafe fn release(rt: &Runtime, mut v: Value) {
    let state = loop {
        if v.gc_addr().is_some() {
            // SAFETY: live GC-capable object.
            unsafe { gc_link::untrack(rt, v) };
        }
        // SAFETY: live object at refcount zero (caller; for a tail child, the
        // parent's reference was its last and has been dropped).
        match unsafe { release_fast(rt, v) } {
            Fast::Freed => return,
            // The parent is freed; its last child died with it: free the child the
            // same way (a chain of them is a loop, not a recursion).
            Fast::Tail(child) => v = child,
            Fast::Slow(state) => break state,
        }
    };
    rt.inner.pending.borrow_mut().push((v, state));
    if rt.inner.draining.get() {
        return;
    }
    rt.inner.draining.set(true);
    let _guard = DrainGuard(rt);
    loop {
        let top = {
            let pending = rt.inner.pending.borrow();
            pending
                .last()
                .map(|&(v, state)| (pending.len() - 1, v, state))
        };
        let Some((frame, v, state)) = top else { break };
        // SAFETY: objects on the worklist are live with refcount zero (a weakref
        // or the intern table cannot revive them: both refuse refcount zero).
        unsafe { step(rt, frame, v, state) };
    }
    // Freeing a big structure (a 5,000,000-item list) grows the worklist to millions
    // of entries; hand that memory back rather than keep it for the runtime's life.
    let mut pending = rt.inner.pending.borrow_mut();
    if pending.capacity() > PENDING_KEEP {
        pending.shrink_to(PENDING_KEEP);
    }
}

/// What [`release_fast`] did.
enum Fast {
    /// The object is freed, and every child it released survived.
    Freed,
    /// The object is freed; its last child (in release order) lost its last
    /// reference with it and is now at refcount zero, to be released next — the
    /// tail position of `step`, where the parent is freed before its last child.
    Tail(Value),
    /// Continue through the worklist from this frame state.
    Slow(usize),
}

/// The common case without the worklist: an object with no finalizer, no weak
/// references and no host value, whose children survive the release (inline values,
/// or objects with other references) — except perhaps the last one released. Its
/// children are released in CPython's order and it is freed; nothing observable can
/// run in between, so doing it at once is the same as doing it through a frame.
/// Returns [`Fast::Slow`] with `NOT_STARTED` for the kinds this does not handle, or
/// `i + 1` when child `i` (release order), not the last, is the first whose count
/// would reach zero (children before it are released already; `start` has nothing to
/// do for these kinds).
///
/// # Safety
/// `v` is a live object of `rt` at refcount zero, untracked.
#[inline]
unsafe fn release_fast(rt: &Runtime, v: Value) -> Fast {
    // SAFETY: live object (caller); children of a live container are live.
    unsafe {
        let flags = object::flags(v);
        // The children in release order (`list_dealloc` and `tupledealloc` release
        // the last item first), as (items, n): child i is items[n - 1 - i].
        let (items, n) = match object::kind_of(v) {
            Kind::Int | Kind::Float if flags & FLAG_HAS_WEAKREFS == 0 => (std::ptr::null(), 0),
            Kind::Str | Kind::Bytes if flags & (FLAG_HAS_WEAKREFS | FLAG_INTERNED) == 0 => {
                (std::ptr::null(), 0)
            }
            Kind::List if flags & FLAG_HAS_WEAKREFS == 0 => {
                let (items, n) = list::items(v);
                (items.cast_const(), n)
            }
            Kind::Tuple if flags & FLAG_HAS_WEAKREFS == 0 => {
                let items = tuple_items(v);
                (items.as_ptr(), items.len())
            }
            _ => return Fast::Slow(NOT_STARTED),
        };
        for i in 0..n {
            let child = *items.add(n - 1 - i);
            if object::decref_survives(child) {
                continue;
            }
            if i + 1 < n {
                return Fast::Slow(i + 1);
            }
            // The last child dies: free the parent first (`step`'s tail position).
            finish(rt, v);
            object::set_refcnt(child, 0);
            return Fast::Tail(child);
        }
        finish(rt, v);
    }
    Fast::Freed
}

/// Worklist capacity kept between deallocations (frames; 64 KiB).
const PENDING_KEEP: usize = 4096;

/// Set the state of frame `frame` (frames above it may have been pushed meanwhile;
/// frames below are untouched while it exists, so its index is stable).
fn set_state(rt: &Runtime, frame: usize, state: usize) {
    rt.inner.pending.borrow_mut()[frame].1 = state;
}

/// Remove frame `frame`, which is on top.
fn pop_frame(rt: &Runtime, frame: usize) {
    let mut pending = rt.inner.pending.borrow_mut();
    debug_assert_eq!(
        pending.len(),
        frame + 1,
        "popping a frame that is not on top"
    );
    pending.pop();
}

/// One step of frame `frame` (object `v`, `state`): start the object, or release its
/// next child, or free it.
///
/// # Safety
/// `v` is a live object of `rt` at refcount zero, owned by the frame.
unsafe fn step(rt: &Runtime, frame: usize, v: Value, state: usize) {
    // SAFETY: live object (caller).
    unsafe {
        debug_assert_eq!(object::refcnt(v), 0, "dealloc of a referenced object {v:?}");
        if state == NOT_STARTED {
            if !start(rt, v) {
                // Resurrected by its finalizer: it lives on.
                pop_frame(rt, frame);
                return;
            }
            set_state(rt, frame, 1);
            return;
        }
        let i = state - 1;
        let n = child_count(rt, v);
        if i >= n {
            pop_frame(rt, frame);
            finish(rt, v);
            return;
        }
        let child = child_at(v, i, n);
        if i + 1 >= n {
            // Tail position: free the parent before releasing its last child.
            pop_frame(rt, frame);
            finish(rt, v);
        } else {
            set_state(rt, frame, state + 1);
        }
        if !child.is_null() {
            object::decref(rt, child);
        }
    }
}

/// Start freeing an object: the finalizer (refcount path of PEP 442), then clear the
/// weak references to it and run their callbacks (CPython's `subtype_dealloc`
/// order). Returns `false` if the finalizer resurrected it.
///
/// # Safety
/// `v` is a live object of `rt` at refcount zero.
unsafe fn start(rt: &Runtime, v: Value) -> bool {
    // SAFETY: live object (caller).
    unsafe {
        let kind = object::kind_of(v);
        if kind == Kind::Instance && !finalize_from_dealloc(rt, v) {
            return false;
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
        match kind {
            Kind::Str | Kind::Bytes if object::flags(v) & FLAG_INTERNED != 0 => {
                atom::forget_interned(rt, v)
            }
            Kind::WeakRef => weakref::clear_self(rt, v),
            _ => {}
        }
    }
    true
}

/// How many child slots a dying object releases (some may be empty).
///
/// # Safety
/// `v` is a live object of `rt`.
unsafe fn child_count(rt: &Runtime, v: Value) -> usize {
    // SAFETY: caller.
    unsafe {
        match object::kind_of(v) {
            Kind::Tuple => tuple_items(v).len(),
            Kind::List | Kind::Host => list::items(v).1,
            Kind::Dict => 2 * (*object::payload::<DictObj>(v)).used as usize,
            Kind::Set => (*object::payload::<DictObj>(v)).used as usize,
            Kind::Instance => rt.class_words((*object::header(v)).aux),
            Kind::Int | Kind::Float | Kind::Str | Kind::Bytes | Kind::WeakRef => 0,
        }
    }
}

/// Child slot `i` of `n` in CPython's release order (`Value::NULL` when empty).
///
/// # Safety
/// `v` is a live object with `n == child_count(v)` and `i < n`.
unsafe fn child_at(v: Value, i: usize, n: usize) -> Value {
    // SAFETY: caller; every index is below the object's own count.
    unsafe {
        match object::kind_of(v) {
            // `tupledealloc` and `list_dealloc` release the last item first.
            Kind::Tuple => tuple_items(v)[n - 1 - i],
            Kind::List | Kind::Host => *list::items(v).0.add(n - 1 - i),
            // `free_keys_object`: entries in order, key before value.
            Kind::Dict => {
                let e = *(*object::payload::<DictObj>(v)).entries.add(i / 2);
                if e.key.is_null() {
                    Value::NULL
                } else if i.is_multiple_of(2) {
                    e.key
                } else {
                    e.value
                }
            }
            Kind::Set => (*(*object::payload::<DictObj>(v)).entries.add(i)).key,
            // `clear_slots`: slots in order, then the dict.
            Kind::Instance => *object::payload::<object::InstanceObj>(v)
                .add(1)
                .cast::<Value>()
                .add(i),
            Kind::Int | Kind::Float | Kind::Str | Kind::Bytes | Kind::WeakRef => Value::NULL,
        }
    }
}

/// Free a started object whose children have been (or are about to be: the last one
/// is released right after) released: its buffers, host value, the collector's
/// count, its memory. May run host code (a host value's destructor).
///
/// # Safety
/// `v` is a live object of `rt` at refcount zero whose references are all released
/// or taken out by the caller; nothing uses it afterwards.
#[inline(always)]
unsafe fn finish(rt: &Runtime, v: Value) {
    // SAFETY: caller.
    unsafe {
        let kind = object::kind_of(v);
        let size = match kind {
            Kind::Int | Kind::Float => 16,
            Kind::Str | Kind::Bytes => {
                size_of::<object::StrObj>() + (*object::payload::<object::StrObj>(v)).len
            }
            Kind::Tuple => tuple::object_size(v),
            Kind::List => list::free_storage(rt, v),
            Kind::Dict | Kind::Set => {
                table::free_storage(rt, v);
                size_of::<DictObj>()
            }
            Kind::Instance => {
                size_of::<object::InstanceObj>() + 8 * rt.class_words((*object::header(v)).aux)
            }
            Kind::WeakRef => size_of::<object::WeakRefObj>(),
            Kind::Host => {
                // Host data has no inline area: its `ListObj` part is the struct's head.
                list::free_storage(rt, v);
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
            // A list that never held a GC-capable item has none: its buffer is not
            // read (`FLAG_GC_ITEMS`).
            Kind::List | Kind::Host if object::flags(v) & FLAG_GC_ITEMS == 0 => {}
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
