//! The strong handle [`Obj`]: one owned reference, tied to its runtime by a lifetime
//! (docs/object_model.md §5). Its safe methods live in the type modules
//! (`list.rs`, `dict.rs` …); this file holds the parts that touch refcounts.
#![allow(unsafe_code)]

use crate::raw::object;
use crate::runtime::Runtime;
use crate::value::Value;
use std::fmt;

/// A strong reference to a value of a [`Runtime`].
///
/// `Clone` takes a new reference, `Drop` releases it; when the last reference goes
/// the object is freed at once (children first, without recursion). The lifetime
/// `'rt` ties the handle to its runtime: it cannot outlive it, and because a
/// `Runtime` is neither `Send` nor `Sync`, neither is the handle.
///
/// Invariant: `v` is an inline value, or a live heap object of `rt` for which this
/// handle owns one reference.
pub struct Obj<'rt> {
    rt: &'rt Runtime,
    v: Value,
}

impl<'rt> Obj<'rt> {
    /// Wrap a reference the caller owns.
    ///
    /// # Safety
    /// `v` is inline, or a live heap object of `rt` and the caller transfers one
    /// reference it owns to the handle.
    #[inline]
    pub(crate) unsafe fn from_owned(rt: &'rt Runtime, v: Value) -> Obj<'rt> {
        debug_assert!(!v.is_null());
        Obj { rt, v }
    }

    /// A new handle to a value some live container (or handle) of `rt` holds.
    ///
    /// # Safety
    /// `v` is inline or a live heap object of `rt`.
    #[inline]
    pub(crate) unsafe fn from_borrowed(rt: &'rt Runtime, v: Value) -> Obj<'rt> {
        // SAFETY: live (caller).
        unsafe { object::incref(v) };
        Obj { rt, v }
    }

    /// An inline value (no reference involved).
    #[inline]
    pub(crate) fn inline(rt: &'rt Runtime, v: Value) -> Obj<'rt> {
        debug_assert!(!v.is_heap() && !v.is_null());
        Obj { rt, v }
    }

    /// The runtime this handle belongs to.
    #[inline]
    pub fn runtime(&self) -> &'rt Runtime {
        self.rt
    }

    /// The tagged word (no reference is transferred).
    #[inline]
    pub fn value(&self) -> Value {
        self.v
    }

    /// Give up the handle without releasing its reference, which the caller now owns.
    #[inline]
    pub(crate) fn into_value(self) -> Value {
        let v = self.v;
        std::mem::forget(self);
        v
    }

    /// `Ok` when `other` belongs to the same runtime; mixing runtimes is a
    /// `ValueError`, never undefined behaviour.
    #[inline]
    pub(crate) fn check_same_runtime(&self, other: &Obj<'_>) -> crate::Result<()> {
        self.rt.check_owned(other)
    }

    /// The kind of a heap value, `None` for inline values.
    #[inline]
    pub fn kind(&self) -> Option<crate::Kind> {
        // SAFETY: a handle's heap value is live (type invariant).
        self.v.is_heap().then(|| unsafe { object::kind_of(self.v) })
    }

    /// The current refcount (`sys.getrefcount` minus the call's own reference);
    /// `None` for inline values, which are not counted.
    pub fn refcount(&self) -> Option<u32> {
        // SAFETY: a handle's heap value is live (type invariant).
        self.v.is_heap().then(|| unsafe { object::refcnt(self.v) })
    }
}

impl Clone for Obj<'_> {
    #[inline]
    fn clone(&self) -> Self {
        // SAFETY: a handle's value is live (type invariant).
        unsafe { Obj::from_borrowed(self.rt, self.v) }
    }
}

impl Drop for Obj<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the handle owns one reference to a live object of `rt`.
        unsafe { object::decref(self.rt, self.v) }
    }
}

impl fmt::Debug for Obj<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::repr::repr(self))
    }
}
