//! Tuples: immutable, items inline after a 16-byte struct.
#![allow(unsafe_code)]

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::raw::compare::tuple_items;
use crate::raw::gc_link;
use crate::raw::handle::Obj;
use crate::raw::object::{self, TupleObj};
use crate::runtime::Runtime;
use crate::value::Value;

/// A new tuple of `items`, tracked at creation like CPython's (a collection
/// untracks it later if it holds nothing trackable).
pub(crate) fn new_tuple<'rt>(rt: &'rt Runtime, items: &[&Obj<'rt>]) -> Result<Obj<'rt>> {
    for it in items {
        rt.check_owned(it)?;
    }
    if items.is_empty() {
        return empty_tuple(rt);
    }
    let size = items
        .len()
        .checked_mul(8)
        .and_then(|n| n.checked_add(size_of::<TupleObj>()))
        .ok_or_else(|| Error::MemoryError("tuple too long".into()))?;
    gc_link::on_alloc(rt, object::GC_HEAD + size)?;
    let v = object::alloc_object(rt, Kind::Tuple, size, 0)?;
    let p = object::payload::<TupleObj>(v);
    // SAFETY: fresh block with room for `len` values after the struct.
    unsafe {
        (*p).len = items.len();
        let dst = p.add(1).cast::<Value>();
        for (i, it) in items.iter().enumerate() {
            object::incref(it.value());
            dst.add(i).write(it.value());
        }
        gc_link::track(rt, v);
        Ok(Obj::from_owned(rt, v))
    }
}

/// The runtime's `()`: one shared object, like CPython's empty-tuple singleton. It is
/// never tracked and, like CPython's statically allocated one, never counted in
/// generation 0 — both observable through `collect()` and `get_count()`.
fn empty_tuple(rt: &Runtime) -> Result<Obj<'_>> {
    let t = rt.inner.empty_tuple.get();
    if !t.is_null() {
        // SAFETY: the runtime owns a reference to its empty tuple, so it is live.
        return Ok(unsafe { Obj::from_borrowed(rt, t) });
    }
    crate::observe::admit(rt, object::GC_HEAD + size_of::<TupleObj>())?;
    let v = object::alloc_object(rt, Kind::Tuple, size_of::<TupleObj>(), 0)?;
    let p = object::payload::<TupleObj>(v);
    // SAFETY: fresh block with room for the struct; the runtime keeps the reference
    // `alloc_object` returned, the caller gets a new one.
    unsafe {
        (*p).len = 0;
        rt.inner.empty_tuple.set(v);
        Ok(Obj::from_borrowed(rt, v))
    }
}

/// `len(t)`, or `None` if `t` is not a tuple.
pub(crate) fn len(t: &Obj<'_>) -> Option<usize> {
    // SAFETY: live tuple (kind checked).
    (t.kind() == Some(Kind::Tuple)).then(|| unsafe { tuple_items(t.value()) }.len())
}

/// Item `i` (0-based) of a tuple.
pub(crate) fn get_opt<'rt>(t: &Obj<'rt>, i: usize) -> Option<Obj<'rt>> {
    if t.kind() != Some(Kind::Tuple) {
        return None;
    }
    // SAFETY: live tuple; item of a live tuple is live.
    unsafe {
        let items = tuple_items(t.value());
        items.get(i).map(|&v| Obj::from_borrowed(t.runtime(), v))
    }
}

/// Replace every item by None, releasing them (teardown only: Python tuples have no
/// `tp_clear`).
///
/// # Safety
/// `v` is a live tuple of `rt`.
pub(crate) unsafe fn clear_raw(rt: &Runtime, v: Value) {
    let p = object::payload::<TupleObj>(v);
    // SAFETY: live tuple; each slot is overwritten before its reference is dropped.
    unsafe {
        let items = p.add(1).cast::<Value>();
        for i in 0..(*p).len {
            let old = std::mem::replace(&mut *items.add(i), Value::NONE);
            object::decref(rt, old);
        }
    }
}

/// Struct size of a live tuple (for freeing).
///
/// # Safety
/// `v` is a live tuple.
pub(crate) unsafe fn object_size(v: Value) -> usize {
    // SAFETY: caller.
    size_of::<TupleObj>() + 8 * unsafe { (*object::payload::<TupleObj>(v)).len }
}
