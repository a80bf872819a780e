//! The one place object memory comes from (docs/object_model.md §5).
//!
//! Every byte of every object, list buffer, dict entry vector and dict index table is
//! requested through [`Mem`], so the allocator's statistics, the runtime's memory
//! budget and its observers (`observe_hooks.rs`) see all of it. [`HeapAlloc`] adapts
//! it to `allocator-api2` for hashbrown's `HashTable`.
#![allow(unsafe_code)]

use crate::error::Error;
use crate::raw::observe_hooks::Hooks;
use allocator_api2::alloc::{AllocError, Allocator};
use std::alloc::Layout;
use std::ptr::NonNull;

pub(crate) use mrt_alloc::{Heap, HeapStats};

/// The `MemoryError` of a failed allocation (kept out of the inlined fast paths).
#[cold]
#[inline(never)]
fn alloc_error(e: mrt_alloc::AllocError) -> Error {
    Error::MemoryError(e.to_string())
}

/// The largest alignment a block can have (mrt-alloc's `MAX_ALIGN`: a block whose size
/// is a multiple of 16 is 16-aligned, every other one 8-aligned).
pub(crate) const ALIGN: usize = 16;

/// The runtime's heap: mrt-alloc's [`Heap`] with errors mapped to [`Error::MemoryError`],
/// plus the observation hooks and the memory budget (`observe_hooks.rs`).
pub(crate) struct Mem {
    heap: Heap,
    pub(crate) hooks: Hooks,
}

impl Mem {
    /// A heap that has allocated nothing yet.
    pub(crate) fn new() -> Self {
        Mem {
            heap: Heap::new(),
            hooks: Hooks::new(),
        }
    }

    /// `size` bytes (> 0), 8-aligned (16 when `size` is a multiple of 16), uninitialised.
    /// Fails past the memory budget.
    #[inline(always)]
    pub(crate) fn try_alloc(&self, size: usize) -> Result<NonNull<u8>, Error> {
        if self.hooks.is_slow() && self.hooks.over_limit(self.heap.bytes_in_use(), size) {
            return Err(self.limit_error(size));
        }
        self.try_alloc_admitted(size)
    }

    /// As [`Mem::try_alloc`] for a request the budget already admitted
    /// (`limit::admit`): no second budget check, so an object whose collector count
    /// was taken cannot fail on the budget.
    #[inline(always)]
    pub(crate) fn try_alloc_admitted(&self, size: usize) -> Result<NonNull<u8>, Error> {
        debug_assert!(size > 0, "zero-sized request");
        let p = match self.heap.try_alloc(size) {
            Ok(p) => p,
            Err(e) => return Err(alloc_error(e)),
        };
        self.hooks.count_alloc(size);
        if self.hooks.is_slow() {
            self.hooks.notify_alloc(p.as_ptr() as usize, size);
        }
        Ok(p)
    }

    /// Would `size` more bytes pass the budget?
    #[inline]
    pub(crate) fn over_limit(&self, size: usize) -> bool {
        self.hooks.is_slow() && self.hooks.over_limit(self.heap.bytes_in_use(), size)
    }

    /// The `MemoryError` of a request refused by the budget (counted).
    #[cold]
    #[inline(never)]
    pub(crate) fn limit_error(&self, size: usize) -> Error {
        self.hooks.count_limit_failure();
        Error::MemoryError(format!(
            "memory limit of {} bytes reached ({} in use, {} requested)",
            self.hooks.limit().unwrap_or(usize::MAX),
            self.heap.bytes_in_use(),
            size
        ))
    }

    /// Give back a block.
    ///
    /// # Safety
    /// `ptr` came from [`Mem::try_alloc`] or [`Mem::try_realloc`] of this `Mem` with
    /// exactly `size` bytes, and is not used afterwards.
    #[inline(always)]
    pub(crate) unsafe fn free(&self, ptr: NonNull<u8>, size: usize) {
        if self.hooks.is_slow() {
            self.hooks.notify_free(ptr.as_ptr() as usize, size);
        }
        self.hooks.count_free(size);
        // SAFETY: forwarded contract.
        unsafe { self.heap.free(ptr, size) }
    }

    /// Resize a block, keeping `min(old, new)` bytes. On error the old block is intact.
    ///
    /// # Safety
    /// As for [`Mem::free`] with `old` as the size; `new > 0`.
    #[inline]
    pub(crate) unsafe fn try_realloc(
        &self,
        ptr: NonNull<u8>,
        old: usize,
        new: usize,
    ) -> Result<NonNull<u8>, Error> {
        if self.hooks.is_slow()
            && new > old
            && self.hooks.over_limit(
                self.heap
                    .bytes_in_use()
                    .saturating_sub(Heap::block_size(old)),
                new,
            )
        {
            return Err(self.limit_error(new));
        }
        // SAFETY: forwarded contract.
        let p = unsafe { self.heap.try_realloc(ptr, old, new) }
            .map_err(|e| Error::MemoryError(e.to_string()))?;
        self.hooks.count_free(old);
        self.hooks.count_alloc(new);
        if self.hooks.is_slow() {
            self.hooks
                .notify_realloc(ptr.as_ptr() as usize, p.as_ptr() as usize, new);
        }
        Ok(p)
    }

    /// An exact snapshot of the heap.
    pub(crate) fn stats(&self) -> HeapStats {
        self.heap.stats()
    }

    /// The allocator's own consistency check.
    pub(crate) fn check_invariants(&self) -> bool {
        self.heap.check_invariants()
    }
}

/// `allocator-api2` view of a runtime's [`Mem`], for hashbrown tables.
///
/// Holds a raw pointer: the `Mem` lives in the runtime's boxed inner state, whose
/// address is stable, and every table using a `HeapAlloc` is dropped (or abandoned
/// with the heap) before that state is dropped.
#[derive(Clone, Copy)]
pub(crate) struct HeapAlloc(NonNull<Mem>);

impl HeapAlloc {
    /// An allocator for tables that live no longer than `mem`.
    pub(crate) fn new(mem: &Mem) -> Self {
        HeapAlloc(NonNull::from(mem))
    }
}

/// The request size for `layout`: its size, rounded up to a multiple of 16 when it needs
/// more than 8-byte alignment (mrt-alloc aligns a block to 16 exactly when its size is a
/// multiple of 16; a `Layout`'s size need not be a multiple of its alignment).
#[inline]
fn request_size(layout: Layout) -> usize {
    if layout.align() > 8 {
        layout.size().next_multiple_of(ALIGN)
    } else {
        layout.size()
    }
}

// SAFETY: blocks come from `Mem::try_alloc` with `request_size(layout)` (8-aligned, and
// 16-aligned when the layout asks for more than 8; larger alignments are refused), and
// are returned to the same `Mem` with the same size. Copies of a `HeapAlloc` share the `Mem`, so a block
// allocated through one copy may be freed through another, as the trait requires.
unsafe impl Allocator for HeapAlloc {
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        if layout.align() > ALIGN {
            return Err(AllocError);
        }
        if layout.size() == 0 {
            let dangling = NonNull::<u8>::dangling().as_ptr().wrapping_add(ALIGN - 1);
            // SAFETY: non-null, aligned (`ALIGN` is a power of two and `dangling` is 1).
            let p = unsafe { NonNull::new_unchecked(dangling) };
            return Ok(NonNull::slice_from_raw_parts(p, 0));
        }
        // SAFETY: the `Mem` outlives every table using this allocator (type docs).
        let mem = unsafe { self.0.as_ref() };
        match mem.try_alloc(request_size(layout)) {
            Ok(p) => Ok(NonNull::slice_from_raw_parts(p, layout.size())),
            Err(_) => Err(AllocError),
        }
    }

    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if layout.size() == 0 {
            return;
        }
        // SAFETY: the `Mem` outlives the table; `ptr` was allocated by `allocate` with
        // this layout (the trait's contract), so with `request_size(layout)`.
        unsafe { self.0.as_ref().free(ptr, request_size(layout)) }
    }
}
