//! Size classes: the geometry constants and the request → class mapping.
//!
//! Requests of `0..=SMALL_REQUEST_THRESHOLD` bytes are rounded up to a multiple of
//! [`ALIGNMENT`] and served from pools of that *size class*; class `i` holds blocks of
//! `(i + 1) * 8` bytes, so there are [`NUM_SIZE_CLASSES`] = 64 classes (8, 16, …, 512).
//! Larger requests go to the [`MemorySource`](crate::MemorySource)'s large allocator.
//!
//! **Alignment.** Every block is 8-aligned, and a block whose size is a multiple of 16 is
//! 16-aligned ([`MAX_ALIGN`]: the pool header and the blocks before it are multiples of
//! 16), so a Rust `Layout` with `align <= 16` is served by asking for its size rounded up
//! to a multiple of its alignment (`Layout::pad_to_align`). CPython 3.8+ rounds to 16 on
//! 64-bit platforms; mrt's objects need only 8, and 8-byte classes save up to 8 bytes per
//! object (a two-slot instance is 40 bytes instead of 48). See `docs/allocator.md`.

/// Alignment of every block and the granularity of the size classes (bytes).
pub const ALIGNMENT: usize = 8;
/// Largest alignment a block can have: blocks whose size is a multiple of it are aligned
/// to it (see the module docs). Large allocations are aligned to it too.
pub const MAX_ALIGN: usize = 16;
/// `log2(ALIGNMENT)`.
pub const ALIGNMENT_SHIFT: u32 = ALIGNMENT.trailing_zeros();
/// The largest request served from pools; anything bigger is a large allocation.
pub const SMALL_REQUEST_THRESHOLD: usize = 512;
/// Number of size classes (`SMALL_REQUEST_THRESHOLD / ALIGNMENT`).
pub const NUM_SIZE_CLASSES: usize = SMALL_REQUEST_THRESHOLD / ALIGNMENT;
/// Size of a pool: one page of blocks of a single size class, aligned to its size.
pub const POOL_SIZE: usize = 4 * 1024;
/// Size of an arena: the unit obtained from and returned to the OS, aligned to its size.
pub const ARENA_SIZE: usize = 256 * 1024;
/// Pools per arena (arenas are exactly aligned, so no pool is lost to alignment).
pub const POOLS_PER_ARENA: usize = ARENA_SIZE / POOL_SIZE;
/// Bytes at the start of each pool taken by its header (rounded up to [`ALIGNMENT`]).
pub const POOL_OVERHEAD: usize = 48;
/// Bytes in front of every large allocation: the links that let the heap account for,
/// walk and finally free its large allocations (a multiple of [`ALIGNMENT`]).
pub const LARGE_HEADER_SIZE: usize = 32;

const _: () = assert!(ALIGNMENT.is_power_of_two() && POOL_SIZE.is_power_of_two());
const _: () = assert!(ARENA_SIZE.is_power_of_two() && ARENA_SIZE.is_multiple_of(POOL_SIZE));
const _: () = assert!(NUM_SIZE_CLASSES * ALIGNMENT == SMALL_REQUEST_THRESHOLD);
const _: () =
    assert!(POOL_OVERHEAD.is_multiple_of(MAX_ALIGN) && LARGE_HEADER_SIZE.is_multiple_of(MAX_ALIGN));
// A pool must hold at least two blocks of the largest class: the fast path relies on a
// pool never going from full to empty (or empty to full) in one step.
const _: () = assert!((POOL_SIZE - POOL_OVERHEAD) / SMALL_REQUEST_THRESHOLD >= 2);
// Pool offsets and block counts are stored as u32 in pool headers.
const _: () = assert!(POOL_SIZE <= u32::MAX as usize);

/// The size class serving a request of `size` bytes, or `None` for a large request.
///
/// ```
/// use mrt_alloc::size_class_of;
/// assert_eq!(size_class_of(0), Some(0));
/// assert_eq!(size_class_of(8), Some(0));
/// assert_eq!(size_class_of(9), Some(1));
/// assert_eq!(size_class_of(40), Some(4));
/// assert_eq!(size_class_of(512), Some(63));
/// assert_eq!(size_class_of(513), None);
/// ```
#[inline]
pub const fn size_class_of(size: usize) -> Option<usize> {
    if size <= SMALL_REQUEST_THRESHOLD {
        Some(size.saturating_sub(1) >> ALIGNMENT_SHIFT)
    } else {
        None
    }
}

/// The block size of size class `class` (`(class + 1) * 8`).
#[inline]
pub const fn class_block_size(class: usize) -> usize {
    (class + 1) << ALIGNMENT_SHIFT
}

/// How many blocks of size class `class` fit in one pool.
#[inline]
pub const fn blocks_per_pool(class: usize) -> usize {
    (POOL_SIZE - POOL_OVERHEAD) / class_block_size(class)
}

/// Bytes at the end of a pool of size class `class` too small for another block.
#[inline]
pub const fn pool_waste(class: usize) -> usize {
    POOL_SIZE - POOL_OVERHEAD - blocks_per_pool(class) * class_block_size(class)
}

/// What a request of `size` bytes really costs the heap in held bytes: the class's block
/// size for a small request, `size + LARGE_HEADER_SIZE` for a large one (saturating).
///
/// This is the amount [`HeapStats::bytes_in_use`](crate::HeapStats::bytes_in_use) grows by
/// for a small request; for a large one `bytes_in_use` grows by `size` and the header is
/// reported apart.
///
/// ```
/// use mrt_alloc::{block_size, LARGE_HEADER_SIZE};
/// assert_eq!(block_size(1), 8);
/// assert_eq!(block_size(100), 104);
/// assert_eq!(block_size(1000), 1000 + LARGE_HEADER_SIZE);
/// ```
#[inline]
pub const fn block_size(size: usize) -> usize {
    match size_class_of(size) {
        Some(class) => class_block_size(class),
        None => size.saturating_add(LARGE_HEADER_SIZE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_every_small_size() {
        for size in 0..=SMALL_REQUEST_THRESHOLD {
            let class = size_class_of(size).unwrap();
            assert!(class < NUM_SIZE_CLASSES);
            assert!(class_block_size(class) >= size);
            assert!(class == 0 || class_block_size(class - 1) < size);
            assert_eq!(block_size(size) % ALIGNMENT, 0);
        }
        assert_eq!(size_class_of(SMALL_REQUEST_THRESHOLD + 1), None);
        assert_eq!(size_class_of(usize::MAX), None);
        assert_eq!(block_size(usize::MAX), usize::MAX);
    }

    #[test]
    fn pool_geometry() {
        assert_eq!(POOLS_PER_ARENA, 64);
        assert_eq!(blocks_per_pool(0), 506);
        assert_eq!(blocks_per_pool(NUM_SIZE_CLASSES - 1), 7);
        for class in 0..NUM_SIZE_CLASSES {
            assert_eq!(
                POOL_OVERHEAD
                    + blocks_per_pool(class) * class_block_size(class)
                    + pool_waste(class),
                POOL_SIZE
            );
        }
    }
}
