//! The object model's side of the collector seam (docs/object_model.md §4): the
//! conversions between a GC-capable [`Value`] and mrt-gc's [`GcRef`], and the
//! calls that link objects into the collector's lists and counts.
//!
//! A GC-capable object is `GcHeader (16 B) | ObjHeader | payload`; its `Value`
//! points at the `ObjHeader`, its `GcRef` 16 bytes earlier.
#![allow(unsafe_code)]

use crate::raw::object::GC_HEAD;
use crate::runtime::Runtime;
use crate::value::Value;
use mrt_gc::{Collector, GcHeader, GcRef};
use std::ptr::NonNull;

const _: () = assert!(GcHeader::SIZE == GC_HEAD);

/// The collector's header of a GC-capable value.
#[inline]
pub(crate) fn gc_ref(v: Value) -> GcRef {
    debug_assert!(v.gc_addr().is_some(), "{v:?} is not GC-capable");
    let addr = v.addr_bits().wrapping_sub(GC_HEAD);
    // The address of a real object is never null (`GC_HEAD` keeps the fallback
    // non-null too).
    GcRef::from_header(NonNull::new(addr as *mut GcHeader).unwrap_or(NonNull::dangling()))
}

/// The value of a collector header.
#[inline]
pub(crate) fn value_of(o: GcRef) -> Value {
    Value::from_heap(o.as_header().as_ptr() as usize + GC_HEAD, true)
}

/// The runtime's collector.
#[inline]
fn collector(rt: &Runtime) -> &Collector {
    &rt.inner.gc
}

/// Count a new GC-capable object of `bytes` bytes in generation 0
/// (`_PyObject_GC_Link`), before it exists: this may run a collection, and with it
/// host code. First admits it under the memory budget (which may run a full
/// collection); a refusal leaves the collector's counts untouched.
#[inline(always)]
pub(crate) fn on_alloc(rt: &Runtime, bytes: usize) -> crate::error::Result<()> {
    crate::observe::admit(rt, bytes)?;
    collector(rt).on_alloc(rt, bytes);
    Ok(())
}

/// Start tracking (`_PyObject_GC_TRACK`); no-op when tracked already.
///
/// # Safety
/// `v` is a live GC-capable object of `rt`.
#[inline(always)]
pub(crate) unsafe fn track(rt: &Runtime, v: Value) {
    // SAFETY: live GC-capable object whose header this runtime created; the runtime
    // is the host passed to every call on its collector.
    unsafe {
        if !collector(rt).is_tracked(gc_ref(v)) {
            collector(rt).track(gc_ref(v));
        }
    }
}

/// Stop tracking (`_PyObject_GC_UNTRACK`); no-op when untracked.
///
/// # Safety
/// `v` is a live GC-capable object of `rt`.
#[inline]
pub(crate) unsafe fn untrack(rt: &Runtime, v: Value) {
    // SAFETY: live header, tracked by this collector or not at all.
    unsafe { collector(rt).untrack(gc_ref(v)) }
}

/// `v` is about to hold a GC-capable object for the first time since it was
/// created or cleared: if the collector keeps it in generation 2's leaf list,
/// it moves back to the ordinary list (`GcHost` contract 9).
///
/// # Safety
/// `v` is a live GC-capable object of `rt`.
#[inline]
pub(crate) unsafe fn unleaf(rt: &Runtime, v: Value) {
    // SAFETY: live header, tracked by this collector or not at all.
    unsafe { collector(rt).unleaf(gc_ref(v)) }
}

/// `gc.is_tracked`.
///
/// # Safety
/// `v` is a live GC-capable object of `rt`.
#[inline]
pub(crate) unsafe fn is_tracked(rt: &Runtime, v: Value) -> bool {
    // SAFETY: live header.
    unsafe { collector(rt).is_tracked(gc_ref(v)) }
}

/// Uncount a GC-capable object about to be freed (`PyObject_GC_Del`); untracks it.
///
/// # Safety
/// `v` is a live GC-capable object of `rt` whose memory is released next.
#[inline]
pub(crate) unsafe fn on_dealloc(rt: &Runtime, v: Value) {
    // SAFETY: live header, tracked by this collector or not at all.
    unsafe { collector(rt).on_dealloc(gc_ref(v)) }
}

/// `gc.is_finalized`.
///
/// # Safety
/// `v` is a live GC-capable object of `rt`.
#[inline]
pub(crate) unsafe fn is_finalized(rt: &Runtime, v: Value) -> bool {
    // SAFETY: live header.
    unsafe { collector(rt).is_finalized(gc_ref(v)) }
}

/// Mark the finalizer as called (PEP 442: at most once).
///
/// # Safety
/// `v` is a live GC-capable object of `rt`, not inside a collection's
/// `update_refs`..`move_unreachable` (host code never runs there, and this is only
/// called from the refcount path).
#[inline]
pub(crate) unsafe fn set_finalized(rt: &Runtime, v: Value) {
    // SAFETY: caller.
    unsafe { collector(rt).set_finalized(gc_ref(v)) }
}

/// Whether a handle's object is tracked (`gc.is_tracked`): always `false` for
/// atoms and inline values.
pub(crate) fn is_tracked_obj(o: &crate::Obj<'_>) -> bool {
    // SAFETY: a handle's GC-capable value is a live GC-capable object of its runtime.
    o.value().gc_addr().is_some() && unsafe { is_tracked(o.runtime(), o.value()) }
}

/// Whether a handle's object has been finalized (`gc.is_finalized`).
pub(crate) fn is_finalized_obj(o: &crate::Obj<'_>) -> bool {
    // SAFETY: as above.
    o.value().gc_addr().is_some() && unsafe { is_finalized(o.runtime(), o.value()) }
}
