//! Weak references (docs/object_model.md §3, CPython's `Objects/weakrefobject.c`).
//!
//! A weakref object holds its referent uncounted. The runtime's `weakrefs` table maps
//! a referent's address to its weakref objects in CPython's list order: the shared
//! callback-less ref first, then refs with callbacks, newest first (`insert_head` /
//! `insert_after(basic)`). The referent's `HAS_WEAKREFS` flag says an entry exists.
//! Callbacks live in the `callbacks` table until they run or their weakref dies.
#![allow(unsafe_code)]

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::raw::gc_link;
use crate::raw::handle::Obj;
use crate::raw::object::{self, FLAG_HAS_WEAKREFS, WeakRefObj};
use crate::runtime::{Callback, Runtime};
use crate::value::Value;

/// The referent of a live weakref (`Value::NONE` once cleared).
///
/// # Safety
/// `wr` is a live weakref.
#[inline]
pub(crate) unsafe fn referent(wr: Value) -> Value {
    // SAFETY: caller.
    unsafe { (*object::payload::<WeakRefObj>(wr)).referent }
}

/// Whether `o` may be weakly referenced (CPython: sets, instances of classes with
/// `__weakref__`; not list/dict/tuple/int/str …).
fn supports_weakrefs(o: &Obj<'_>) -> bool {
    match o.kind() {
        Some(Kind::Set | Kind::Host) => true,
        Some(Kind::Instance) => crate::raw::instance::class_of(o).is_some_and(|(_, c)| c.weakrefs),
        _ => false,
    }
}

/// The shared callback-less weakref of `addr`, if any.
fn basic_ref(rt: &Runtime, addr: usize) -> Option<Value> {
    let table = rt.inner.weakrefs.borrow();
    let first = *table.get(&addr)?.first()?;
    (!rt.inner
        .callbacks
        .borrow()
        .contains_key(&first.heap_addr()?))
    .then_some(first)
}

/// `weakref.ref(o, callback)`.
pub(crate) fn new_weakref<'rt>(o: &Obj<'rt>, callback: Option<Callback>) -> Result<Obj<'rt>> {
    let rt = o.runtime();
    if !supports_weakrefs(o) {
        return Err(Error::TypeError(format!(
            "cannot create weak reference to '{}' object",
            crate::repr::type_name(o)
        )));
    }
    let addr = o.value().heap_addr().unwrap_or(0);
    if callback.is_none()
        && let Some(b) = basic_ref(rt, addr)
    {
        // SAFETY: weakrefs in the table are live.
        return Ok(unsafe { Obj::from_borrowed(rt, b) });
    }
    gc_link::on_alloc(rt, object::GC_HEAD + size_of::<WeakRefObj>())?;
    let v = object::alloc_object(rt, Kind::WeakRef, size_of::<WeakRefObj>(), 0)?;
    let p = object::payload::<WeakRefObj>(v);
    // SAFETY: fresh WeakRefObj.
    unsafe {
        (*p).referent = o.value();
        (*p).hash = -1;
        gc_link::track(rt, v);
    }
    // SAFETY: takes the allocation's reference.
    let wr = unsafe { Obj::from_owned(rt, v) };
    // `on_alloc` may have collected and run host code that created the basic ref.
    if callback.is_none()
        && let Some(b) = basic_ref(rt, addr)
    {
        // SAFETY: not linked yet: mark it dead so its dealloc unlinks nothing.
        unsafe { (*p).referent = Value::NONE };
        drop(wr);
        // SAFETY: weakrefs in the table are live.
        return Ok(unsafe { Obj::from_borrowed(rt, b) });
    }
    let has_basic = basic_ref(rt, addr).is_some();
    {
        let mut table = rt.inner.weakrefs.borrow_mut();
        let list = table.entry(addr).or_default();
        match &callback {
            None => list.insert(0, v),
            Some(_) => list.insert(has_basic as usize, v),
        }
    }
    if let Some(cb) = callback {
        rt.inner
            .callbacks
            .borrow_mut()
            .insert(v.heap_addr().unwrap_or(0), cb);
    }
    // SAFETY: `o` is live.
    unsafe { object::set_flag(o.value(), FLAG_HAS_WEAKREFS, true) };
    Ok(wr)
}

/// `wr()`: the referent if it is still alive.
pub(crate) fn upgrade<'rt>(wr: &Obj<'rt>) -> Option<Obj<'rt>> {
    if wr.kind() != Some(Kind::WeakRef) {
        return None;
    }
    // SAFETY: live weakref; a non-None referent is a live object (weakrefs are cleared
    // before their referent is freed). A referent at refcount zero is waiting on the
    // deallocation worklist and must not be resurrected.
    unsafe {
        let r = referent(wr.value());
        (r != Value::NONE && object::refcnt(r) > 0).then(|| Obj::from_borrowed(wr.runtime(), r))
    }
}

/// Whether a weakref handle is a weakref (for type checks).
pub(crate) fn is_weakref(o: &Obj<'_>) -> bool {
    o.kind() == Some(Kind::WeakRef)
}

/// Number of weak references to `o` (`weakref.getweakrefcount`).
pub(crate) fn count(o: &Obj<'_>) -> usize {
    o.value()
        .heap_addr()
        .and_then(|a| rt_list_len(o.runtime(), a))
        .unwrap_or(0)
}

fn rt_list_len(rt: &Runtime, addr: usize) -> Option<usize> {
    rt.inner.weakrefs.borrow().get(&addr).map(Vec::len)
}

/// Clear every weakref to `o` (`PyObject_ClearWeakRefs`' first half): each reports
/// dead afterwards. Returns the cleared weakrefs that have a callback and are not
/// themselves dying (refcount > 0), in list order; their callbacks stay in the
/// table for [`call_callback`]. No reference is taken: the caller must take one
/// before running any host code.
///
/// # Safety
/// `o` is a live object of `rt` (possibly at refcount zero, being deallocated).
pub(crate) unsafe fn clear_weakrefs_to(rt: &Runtime, o: Value) -> Vec<Value> {
    // SAFETY: live object.
    if unsafe { object::flags(o) } & FLAG_HAS_WEAKREFS == 0 {
        return Vec::new();
    }
    // SAFETY: live object.
    unsafe { object::set_flag(o, FLAG_HAS_WEAKREFS, false) };
    let list = rt
        .inner
        .weakrefs
        .borrow_mut()
        .remove(&o.heap_addr().unwrap_or(0))
        .unwrap_or_default();
    let mut with_callbacks = Vec::new();
    for wr in list {
        // SAFETY: weakrefs in the table are live (a dying weakref unlinks itself in
        // its dealloc; until then it is still live memory, at refcount zero).
        unsafe {
            (*object::payload::<WeakRefObj>(wr)).referent = Value::NONE;
            let addr = wr.heap_addr().unwrap_or(0);
            if object::refcnt(wr) > 0 && rt.inner.callbacks.borrow().contains_key(&addr) {
                with_callbacks.push(wr);
            }
        }
    }
    with_callbacks
}

/// Run (once) the callback of a cleared weakref, catching a panic.
///
/// # Safety
/// `wr` is a live weakref of `rt`.
pub(crate) unsafe fn call_callback(rt: &Runtime, wr: Value) {
    let cb = rt
        .inner
        .callbacks
        .borrow_mut()
        .remove(&wr.heap_addr().unwrap_or(0));
    if let Some(cb) = cb {
        // SAFETY: live weakref: a borrowed handle for the call.
        let h = unsafe { Obj::from_borrowed(rt, wr) };
        rt.call_host(|| cb(&h));
    }
}

/// Clear a weakref itself (its dealloc, `tp_clear`, or the collector finding it
/// unreachable): unlink it from its referent's list and drop its callback.
///
/// # Safety
/// `wr` is a live weakref of `rt`.
pub(crate) unsafe fn clear_self(rt: &Runtime, wr: Value) {
    let p = object::payload::<WeakRefObj>(wr);
    // SAFETY: live weakref; a non-None referent is live.
    let r = unsafe { std::mem::replace(&mut (*p).referent, Value::NONE) };
    if r != Value::NONE {
        let addr = r.heap_addr().unwrap_or(0);
        let mut table = rt.inner.weakrefs.borrow_mut();
        if let Some(list) = table.get_mut(&addr) {
            list.retain(|&x| x != wr);
            if list.is_empty() {
                table.remove(&addr);
                // SAFETY: live referent.
                unsafe { object::set_flag(r, FLAG_HAS_WEAKREFS, false) };
            }
        }
    }
    let cb = rt
        .inner
        .callbacks
        .borrow_mut()
        .remove(&wr.heap_addr().unwrap_or(0));
    drop(cb);
}
