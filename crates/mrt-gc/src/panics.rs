//! How the collector survives panics from host code.
//!
//! Host code runs in the middle of a collection (finalizers, weakref callbacks,
//! `clear`, deallocations triggered by `decref`, collection callbacks). Each such
//! call is wrapped in `catch_unwind`; the first panic is kept, later ones are
//! dropped, and the collection carries on so that the lists stay consistent and
//! the rest of the garbage is still freed. The entry point (`collect`,
//! `on_alloc`) resumes the kept panic once the collection is complete and the
//! collector is idle again.
//!
//! A panic from `traverse` makes the reachability result unreliable, so the
//! collection then frees nothing more: everything still tentatively
//! unreachable is treated as reachable (see `Panics::traverse_failed`).
//!
//! Host methods that the `GcHost` contract forbids to panic are not wrapped;
//! an [`AbortOnUnwind`] guard spanning the collection turns such a panic into
//! an abort instead of unwinding through half-updated lists.

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

/// The first panic caught during one collection.
#[derive(Default)]
pub(crate) struct Panics {
    first: Cell<Option<Box<dyn Any + Send>>>,
    traverse_failed: Cell<bool>,
}

impl Panics {
    /// Run host code, catching a panic.
    #[inline]
    pub(crate) fn call<R>(&self, f: impl FnOnce() -> R) -> Option<R> {
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(r) => Some(r),
            Err(payload) => {
                self.record(payload);
                None
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn record(&self, payload: Box<dyn Any + Send>) {
        let old = self.first.take();
        self.first.set(Some(old.unwrap_or(payload)));
    }

    /// Note that a `traverse` panicked in this collection.
    #[cold]
    pub(crate) fn set_traverse_failed(&self) {
        self.traverse_failed.set(true)
    }

    /// Did any `traverse` panic in this collection?
    #[inline]
    pub(crate) fn traverse_failed(&self) -> bool {
        self.traverse_failed.get()
    }

    /// Resume the first panic caught, if any.
    pub(crate) fn resume(self) {
        if let Some(p) = self.first.take() {
            resume_unwind(p)
        }
    }
}

/// Aborts the process if dropped during unwinding; `defuse` it on success.
pub(crate) struct AbortOnUnwind;

impl AbortOnUnwind {
    pub(crate) fn defuse(self) {
        std::mem::forget(self)
    }
}

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        eprintln!(
            "mrt-gc: a panic unwound through a collection from host code the GcHost \
             contract forbids to panic (refcount/incref/has_finalizer/...); aborting"
        );
        std::process::abort();
    }
}
