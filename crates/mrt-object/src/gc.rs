//! The `gc` module's API on [`Runtime`], delegating to mrt-gc's collector
//! (docs/object_model.md §4).

use crate::error::{Error, Result};
use crate::raw::handle::Obj;
use crate::raw::{gc_host, gc_link};
use crate::runtime::Runtime;

/// `gc.get_stats()` entries.
pub use mrt_gc::GenStats;

impl Runtime {
    /// `gc.collect(generation)`: collect `generation` (0, 1 or 2) and the younger
    /// ones; returns the number of unreachable objects found (CPython's value).
    /// Returns 0 when called from host code during a collection.
    pub fn collect_generation(&self, generation: usize) -> Result<usize> {
        if generation > 2 {
            return Err(Error::ValueError("invalid generation".into()));
        }
        Ok(gc_host::collect(self, generation))
    }

    /// `gc.collect()`: a full collection.
    pub fn collect(&self) -> usize {
        gc_host::collect(self, 2)
    }

    /// `gc.get_threshold()`.
    pub fn get_threshold(&self) -> (usize, usize, usize) {
        self.inner.gc.get_threshold()
    }

    /// `gc.set_threshold(t0, t1, t2)` (`t0 == 0` disables automatic collection).
    pub fn set_threshold(&self, t0: usize, t1: usize, t2: usize) {
        self.inner.gc.set_threshold(t0, t1, t2)
    }

    /// `gc.enable()`.
    pub fn enable(&self) {
        self.inner.gc.enable()
    }

    /// `gc.disable()`.
    pub fn disable(&self) {
        self.inner.gc.disable()
    }

    /// `gc.isenabled()`.
    pub fn is_enabled(&self) -> bool {
        self.inner.gc.is_enabled()
    }

    /// `gc.get_count()`: GC-capable allocations minus deallocations since the last
    /// collection, and the collections of the younger generation since the last
    /// collection of generations 1 and 2.
    pub fn get_count(&self) -> (usize, usize, usize) {
        self.inner.gc.get_count()
    }

    /// `gc.get_stats()`.
    pub fn get_stats(&self) -> [GenStats; 3] {
        self.inner.gc.get_stats()
    }

    /// `gc.freeze()`.
    pub fn freeze(&self) {
        self.inner.gc.freeze()
    }

    /// `gc.unfreeze()`.
    pub fn unfreeze(&self) {
        self.inner.gc.unfreeze()
    }

    /// `gc.get_freeze_count()`.
    pub fn get_freeze_count(&self) -> usize {
        self.inner.gc.get_freeze_count()
    }

    /// `gc.get_objects(generation)` (all generations for `None`).
    pub fn get_objects(&self, generation: Option<usize>) -> Result<Vec<Obj<'_>>> {
        if generation.is_some_and(|g| g > 2) {
            return Err(Error::ValueError(
                "generation parameter must be less than 3".into(),
            ));
        }
        Ok(gc_host::get_objects(self, generation))
    }

    /// How many of generation 2's objects are leaves: lists holding no
    /// container, which full collections skip (beyond CPython; see
    /// docs/cycle_collector.md, "Leaves"). They still count as tracked members
    /// of generation 2 for every CPython-visible figure.
    pub fn gc_leaf_count(&self) -> usize {
        self.inner.gc.leaf_count()
    }

    /// `gc.is_tracked(o)`.
    pub fn is_tracked(&self, o: &Obj<'_>) -> bool {
        gc_link::is_tracked_obj(o)
    }

    /// `gc.is_finalized(o)`.
    pub fn is_finalized(&self, o: &Obj<'_>) -> bool {
        gc_link::is_finalized_obj(o)
    }

    /// `gc.set_debug(flags)` (`mrt_gc::DEBUG_*`).
    pub fn set_debug(&self, flags: u32) {
        self.inner.gc.set_debug(flags)
    }

    /// `gc.get_debug()`.
    pub fn get_debug(&self) -> u32 {
        self.inner.gc.get_debug()
    }

    /// Number of objects in `gc.garbage` (uncollectable or `DEBUG_SAVEALL`).
    pub fn garbage_len(&self) -> usize {
        self.inner.gc.garbage_len()
    }

    /// `gc.garbage`: objects a collection found unreachable but kept
    /// (`DEBUG_SAVEALL`).
    pub fn garbage(&self) -> Vec<Obj<'_>> {
        gc_host::garbage(self)
    }

    /// `del gc.garbage[:]`: release the objects in `gc.garbage`.
    pub fn clear_garbage(&self) {
        gc_host::clear_garbage(self)
    }

    /// `gc.get_referents(o)`: the GC-capable objects `o` refers to directly.
    pub fn get_referents<'rt>(&'rt self, o: &Obj<'rt>) -> Result<Vec<Obj<'rt>>> {
        self.check_owned(o)?;
        Ok(gc_host::get_referents(o))
    }

    /// `gc.get_referrers(o)`: the tracked objects that refer to `o` directly.
    pub fn get_referrers<'rt>(&'rt self, o: &Obj<'rt>) -> Result<Vec<Obj<'rt>>> {
        self.check_owned(o)?;
        Ok(gc_host::get_referrers(o))
    }

    /// `gc.callbacks.append(cb)`: called with the phase (start/stop) and the
    /// collection's info around every collection. A panic in the callback is
    /// resumed after the collection completed (it unwinds out of the operation that
    /// triggered the collection; the runtime stays consistent).
    pub fn add_gc_callback(
        &self,
        cb: impl FnMut(mrt_gc::Phase, &mrt_gc::CallbackInfo) + 'static,
    ) -> mrt_gc::CallbackId {
        self.inner.gc.add_callback(Box::new(cb))
    }

    /// `gc.callbacks.remove(cb)`; `false` if it was not registered.
    pub fn remove_gc_callback(&self, id: mrt_gc::CallbackId) -> bool {
        self.inner.gc.remove_callback(id)
    }

    /// The runtime's globals dict: a root the host (and finalizers) can store
    /// objects in; freed with the runtime.
    pub fn globals(&self) -> Result<Obj<'_>> {
        crate::raw::roots::globals(self)
    }
}
