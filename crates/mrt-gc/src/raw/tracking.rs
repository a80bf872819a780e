//! The collector's `unsafe` entry points: the host links, unlinks and
//! inspects object headers through these (CPython's `PyObject_GC_Track`,
//! `PyObject_GC_UnTrack`, `PyObject_GC_Del`, `gc.is_tracked`, …).
#![allow(unsafe_code)]

use super::*;
use crate::collect::untrack_raw;
use crate::{Collector, GcHost, NUM_GENERATIONS};

impl Collector {
    /// Link `o` into generation 0 (`PyObject_GC_Track`).
    ///
    /// # Safety
    ///
    /// * `o` points to the live `GcHeader` of a GC-capable object laid out as
    ///   the [`GcHost`] contract describes, not currently tracked by any
    ///   collector;
    /// * until `o` is untracked (by [`untrack`](Self::untrack) or
    ///   [`on_dealloc`](Self::on_dealloc), which the host must call before
    ///   freeing it), every `collect`/`on_alloc`/`get_referrers` call on this
    ///   collector is passed a host that owns `o` and fulfils the `GcHost`
    ///   contract for it.
    ///
    /// # Panics
    ///
    /// If `o` is already tracked.
    #[inline]
    pub unsafe fn track(&self, o: GcRef) {
        assert!(!o.tracked(), "object already tracked");
        gc_list_append(o, self.st.gen_head(0));
    }

    /// Unlink `o` from whatever list it is in, if it is tracked
    /// (`PyObject_GC_UnTrack`). Works in the middle of a collection too.
    ///
    /// # Safety
    ///
    /// `o` points to the live `GcHeader` of a GC-capable object that is
    /// either untracked or tracked by this collector.
    #[inline]
    pub unsafe fn untrack(&self, o: GcRef) {
        if o.tracked() {
            self.untrack_tracked(o);
        }
    }

    /// `untrack` of a tracked object: keeps the leaf count exact.
    #[inline(always)]
    fn untrack_tracked(&self, o: GcRef) {
        if o.leaf_listed() {
            let n = &self.st.leaves_len;
            n.set(n.get() - 1);
        }
        untrack_raw(o);
    }

    /// `o` may be about to hold references to GC-capable objects: if it is in
    /// generation 2's leaf list, move it back to generation 2's ordinary list
    /// (beyond CPython). Cheap when it is not (one load of the header).
    ///
    /// A host whose [`GcHost::is_leaf`] may answer `true` for `o` calls this
    /// before `o` can report any edge from `traverse` (contract 9 of
    /// [`GcHost`]); calling it at other times is harmless. Works in the middle
    /// of a collection too (host code runs only where generation 2's lists are
    /// normal lists).
    ///
    /// # Safety
    ///
    /// `o` points to the live `GcHeader` of a GC-capable object that is
    /// either untracked or tracked by this collector.
    #[inline]
    pub unsafe fn unleaf(&self, o: GcRef) {
        if o.leaf_listed() {
            self.unleaf_slow(o);
        }
    }

    #[cold]
    #[inline(never)]
    fn unleaf_slow(&self, o: GcRef) {
        let n = &self.st.leaves_len;
        n.set(n.get() - 1);
        gc_list_remove(o);
        o.set_raw_prev(o.raw_prev() & !PREV_MASK_LEAF);
        gc_list_append(o, self.st.gen_head(NUM_GENERATIONS - 1));
    }

    /// A GC-capable object is being freed (`PyObject_GC_Del`): untrack it if
    /// needed and decrement generation 0's count if positive. Call it for
    /// every GC-capable object, tracked or not, before releasing its memory.
    ///
    /// # Safety
    ///
    /// As [`untrack`](Self::untrack).
    #[inline]
    pub unsafe fn on_dealloc(&self, o: GcRef) {
        if o.tracked() {
            self.untrack_tracked(o);
        }
        let c = &self.st.counts[0];
        if c.get() > 0 {
            c.set(c.get() - 1);
        }
    }

    /// Is `o` tracked (`gc.is_tracked`)?
    ///
    /// # Safety
    ///
    /// `o` points to a live `GcHeader`.
    #[inline]
    pub unsafe fn is_tracked(&self, o: GcRef) -> bool {
        o.tracked()
    }

    /// Has `o`'s finalizer run (`gc.is_finalized`)?
    ///
    /// # Safety
    ///
    /// `o` points to a live `GcHeader`.
    #[inline]
    pub unsafe fn is_finalized(&self, o: GcRef) -> bool {
        o.finalized()
    }

    /// Mark `o` finalized: the refcount path calls it when it runs a
    /// finalizer, so that the collector never runs it again (PEP 442).
    ///
    /// # Safety
    ///
    /// `o` points to a live `GcHeader` that is not in the middle of
    /// `update_refs`..`move_unreachable` (host code never runs there).
    #[inline]
    pub unsafe fn set_finalized(&self, o: GcRef) {
        o.set_finalized_flag()
    }

    /// The GC-capable objects each of `objs` refers to (`gc.get_referents`).
    ///
    /// # Safety
    ///
    /// Every element of `objs` is a live GC-capable object owned by `host`.
    pub unsafe fn get_referents<H: GcHost>(&self, host: &H, objs: &[GcRef]) -> Vec<GcRef> {
        let mut out = Vec::new();
        for &o in objs {
            host.traverse(o, &mut |r| out.push(r));
        }
        out
    }
}
