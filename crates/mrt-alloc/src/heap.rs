//! [`Heap`]: the public, safe face of the allocator.

use crate::error::AllocError;
use crate::raw::heap::RawHeap;
use crate::raw::source::{MemorySource, SystemSource};
use crate::stats::HeapStats;
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// How to build a [`Heap`].
pub struct HeapConfig {
    source: Box<dyn MemorySource>,
    max_empty_arenas: usize,
}

/// Default for [`HeapConfig::max_empty_arenas`]: 4 arenas (1 MiB) kept mapped when empty.
pub const DEFAULT_MAX_EMPTY_ARENAS: usize = 4;

impl HeapConfig {
    /// The defaults: [`SystemSource`], [`DEFAULT_MAX_EMPTY_ARENAS`] empty arenas kept.
    pub fn new() -> Self {
        Self {
            source: Box::new(SystemSource),
            max_empty_arenas: DEFAULT_MAX_EMPTY_ARENAS,
        }
    }

    /// Take memory from `source` instead of the OS directly.
    pub fn source(mut self, source: impl MemorySource + 'static) -> Self {
        self.source = Box::new(source);
        self
    }

    /// Keep up to `n` empty arenas mapped (default [`DEFAULT_MAX_EMPTY_ARENAS`]); any
    /// further arena is returned to the OS as soon as its last block is freed. An arena is
    /// empty when each of its pools is free or a size class's *spare* (an emptied pool
    /// kept on its class list for the next allocation; see
    /// [`HeapStats::spare_pools`](crate::HeapStats::spare_pools)).
    ///
    /// The retained arenas sit at the tail of the usable-arena order (used last), so they
    /// do not slow draining; they stop a workload that repeatedly allocates and frees a
    /// few hundred KiB from paying `mmap` + `munmap` + page faults each time (measured
    /// in `docs/allocator.md`). `0` returns every empty arena at once.
    pub fn max_empty_arenas(mut self, n: usize) -> Self {
        self.max_empty_arenas = n;
        self
    }
}

impl Default for HeapConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for HeapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeapConfig")
            .field("max_empty_arenas", &self.max_empty_arenas)
            .finish_non_exhaustive()
    }
}

/// A pymalloc-style heap: arenas → pools → blocks for requests up to 512 bytes, the
/// memory source for larger ones, exact statistics for all.
///
/// Single-threaded with interior mutability: every method takes `&self`, so it can be
/// called from re-entrant paths. A heap is `!Send` and `!Sync`; there is no global
/// state, and two heaps are fully independent.
///
/// ```
/// use mrt_alloc::Heap;
/// let heap = Heap::new();
/// let p = heap.try_alloc(24)?;
/// assert_eq!(p.as_ptr().addr() % 8, 0);
/// assert_eq!(heap.stats().small_bytes_in_use, 24);
/// // SAFETY: `p` came from this heap with size 24 and is freed once.
/// unsafe { heap.free(p, 24) };
/// assert_eq!(heap.stats().bytes_in_use, 0);
/// assert!(heap.check_invariants());
/// # Ok::<(), mrt_alloc::AllocError>(())
/// ```
///
/// A heap cannot cross threads:
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<mrt_alloc::Heap>();
/// ```
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<mrt_alloc::Heap>();
/// ```
pub struct Heap {
    raw: RawHeap,
    _not_send_sync: PhantomData<*mut ()>,
}

impl Heap {
    /// A heap taking memory from the OS. Allocates nothing until first used.
    pub fn new() -> Self {
        Self::with_config(HeapConfig::new())
    }

    /// A heap built from `config`.
    pub fn with_config(config: HeapConfig) -> Self {
        Self {
            raw: RawHeap::new(config.source, config.max_empty_arenas),
            _not_send_sync: PhantomData,
        }
    }

    /// Allocate `size` bytes (0 is allowed), aligned to 8, and to 16 when the block size
    /// (`block_size(size)`) is a multiple of 16: for a `Layout` with `align == 16`, ask
    /// for its size rounded up to a multiple of 16 (a `Layout`'s size need not be one).
    /// The contents are unspecified.
    ///
    /// Fails with an [`AllocError`] when the memory source refuses; the heap is then
    /// unchanged and usable.
    #[inline(always)]
    pub fn try_alloc(&self, size: usize) -> Result<NonNull<u8>, AllocError> {
        self.raw.alloc(size)
    }

    /// Free a block.
    ///
    /// # Safety
    /// * `ptr` was returned by [`try_alloc`](Self::try_alloc) or
    ///   [`try_realloc`](Self::try_realloc) of **this** heap for **this** `size`
    ///   (any size in the same size class is accepted for a small block; a large block
    ///   needs its exact size);
    /// * it has not been freed since, and is not used afterwards.
    #[inline(always)]
    #[allow(unsafe_code)] // the public unsafe entry point; the work is in `raw`
    pub unsafe fn free(&self, ptr: NonNull<u8>, size: usize) {
        // SAFETY: the caller upholds RawHeap::free's contract, which is this one.
        unsafe { self.raw.free(ptr, size) }
    }

    /// Resize a block to `new_size` bytes, keeping the first `min(old, new)` bytes.
    /// Within one size class the block stays in place. On error the old block is
    /// untouched and still owned by the caller.
    ///
    /// # Safety
    /// `ptr` and `old_size` satisfy the contract of [`free`](Self::free). On success the
    /// old pointer must no longer be used (unless it was returned again).
    #[allow(unsafe_code)] // the public unsafe entry point; the work is in `raw`
    pub unsafe fn try_realloc(
        &self,
        ptr: NonNull<u8>,
        old_size: usize,
        new_size: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        // SAFETY: the caller upholds RawHeap::realloc's contract, which is this one.
        unsafe { self.raw.realloc(ptr, old_size, new_size) }
    }

    /// The size class of a request, or `None` for a large request
    /// (see [`size_class_of`](crate::size_class_of)).
    #[inline]
    pub const fn size_class_of(size: usize) -> Option<usize> {
        crate::size_class::size_class_of(size)
    }

    /// What a request really costs (see [`block_size`](crate::block_size)).
    #[inline]
    pub const fn block_size(size: usize) -> usize {
        crate::size_class::block_size(size)
    }

    /// An exact snapshot of the heap's memory (O(size classes)).
    pub fn stats(&self) -> HeapStats {
        self.raw.stats()
    }

    /// Bytes held from the memory source right now (arenas + large), O(1). This is the
    /// figure a memory limit compares against.
    #[inline]
    pub fn bytes_held(&self) -> usize {
        self.raw.bytes_held()
    }

    /// Bytes handed out right now (small blocks at block size + large requests), O(1).
    #[inline]
    pub fn bytes_in_use(&self) -> usize {
        self.raw.bytes_in_use()
    }

    /// Walk every arena, pool, free list and large allocation, recompute all accounting
    /// and compare it with the counters and the accounting invariant. O(heap size).
    pub fn check_invariants(&self) -> bool {
        self.raw.check_invariants()
    }
}

impl Default for Heap {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Heap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heap")
            .field("bytes_in_use", &self.bytes_in_use())
            .field("bytes_held", &self.bytes_held())
            .finish_non_exhaustive()
    }
}
