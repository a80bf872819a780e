//! # mrt-alloc — a pymalloc-style small-object allocator with exact statistics
//!
//! ```text
//! Heap ──> arenas (256 KiB, mmap'd, ARENA_SIZE-aligned; kept sorted most-used first)
//!            └──> pools (4 KiB, POOL_SIZE-aligned; one size class each)
//!                   └──> blocks (8..=512 bytes in 64 classes of 8 bytes)
//! requests > 512 bytes ──> MemorySource::alloc_large (std::alloc::System), counted too
//! ```
//! **Accounting invariant** (exact at any time, verified by [`Heap::check_invariants`]):
//! `arena bytes = pool headers + blocks in use + free blocks in used pools + never-used
//! blocks + pool tail waste + empty pools` (alignment waste is zero: arenas are trimmed
//! to an exact aligned window), and `bytes held = arena bytes + large bytes + large
//! headers`. See [`HeapStats`] and the design notes in `docs/allocator.md`.
//!
//! * The block → pool lookup is an address mask; the fast path is: size class →
//!   `usedpools[class]` → pop the pool's free list.
//! * New pools come from the arena with the fewest free pools (CPython's
//!   `usable_arenas`, re-sorted in O(1) with `nfp2lasta`), so lightly used arenas drain
//!   and an empty arena is `munmap`ped: memory really goes back to the OS.
//! * A pool emptied while it is its class's only pool with free blocks stays on the
//!   class list as a *spare* (an empty pool for the statistics and the empty-arena
//!   budget), so allocating and freeing one object at a time stays on the fast path.
//! * Failure is a value ([`AllocError`]); the OS side is a [`MemorySource`], which tests
//!   replace with a [`FailingSource`].
//! * [`ScratchArena`] is the per-collection bump arena (design §4) — unrelated to the
//!   heap, kept here because this crate owns memory.
//!
//! ```
//! use mrt_alloc::Heap;
//! let heap = Heap::new();
//! let blocks: Vec<_> = (0..1000).map(|i| (heap.try_alloc(i % 300).unwrap(), i % 300)).collect();
//! assert!(heap.stats().arenas >= 1);
//! for (p, size) in blocks {
//!     // SAFETY: each block came from `heap` with this size and is freed once.
//!     unsafe { heap.free(p, size) };
//! }
//! let stats = heap.stats();
//! assert_eq!(stats.bytes_in_use, 0);
//! assert_eq!(stats.unaccounted_bytes(), 0);
//! ```
//!
//! Features: `poison` fills freed small blocks with `0xDB` (except the free-list link
//! word), for the runtime's `gc_zeal` stress mode.

mod arena;
mod error;
mod heap;
mod raw;
mod scratch;
mod size_class;
mod stats;

pub use error::{AllocError, AllocErrorKind};
pub use heap::{DEFAULT_MAX_EMPTY_ARENAS, Heap, HeapConfig};
pub use raw::source::{FailingSource, LARGE_MMAP_THRESHOLD, MemorySource, SystemSource};
pub use scratch::ScratchArena;
pub use size_class::{
    ALIGNMENT, ARENA_SIZE, LARGE_HEADER_SIZE, MAX_ALIGN, NUM_SIZE_CLASSES, POOL_OVERHEAD,
    POOL_SIZE, POOLS_PER_ARENA, SMALL_REQUEST_THRESHOLD, block_size, blocks_per_pool,
    class_block_size, size_class_of,
};
pub use stats::{ClassStats, HeapStats};

/// The byte freed small blocks are filled with when the `poison` feature is on.
pub const POISON_BYTE: u8 = 0xDB;
