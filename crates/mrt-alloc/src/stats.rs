//! Heap statistics: an exact snapshot of where every byte the heap holds is.
//!
//! # The accounting invariant
//!
//! ```text
//! arena_bytes = pool_header_bytes            (48 bytes per used pool)
//!             + small_bytes_in_use           (blocks handed out, at block size)
//!             + free_bytes                   (blocks on the free lists of used pools)
//!             + untouched_bytes              (never-used blocks at the end of used pools)
//!             + pool_waste_bytes             (pool remainders too small for a block)
//!             + empty_pool_bytes             (pools with no block in use, spares included)
//!             + 0                            (alignment waste: arenas are trimmed exactly)
//! bytes_held  = arena_bytes + large_bytes + large_header_bytes
//! ```
//! [`HeapStats::unaccounted_bytes`] is zero exactly when the first line holds, and
//! [`Heap::check_invariants`](crate::Heap::check_invariants) recomputes every term by
//! walking the arenas, pools, free lists and large allocations.

use crate::size_class::{NUM_SIZE_CLASSES, POOL_SIZE, class_block_size};
use std::fmt;

/// Per-size-class figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassStats {
    /// Block size of the class in bytes.
    pub block_size: usize,
    /// Blocks handed out and not yet freed.
    pub blocks_in_use: usize,
    /// `blocks_in_use * block_size`.
    pub bytes_in_use: usize,
    /// Pools of this class with at least one block in use.
    pub used_pools: usize,
    /// Blocks on the free lists of those pools.
    pub free_blocks: usize,
    /// Never-used blocks at the end of those pools.
    pub untouched_blocks: usize,
}

/// An exact snapshot of a [`Heap`](crate::Heap)'s memory (see the module docs for the
/// accounting invariant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapStats {
    /// Per size class, index = class (block size `(i + 1) * 8`).
    pub classes: [ClassStats; NUM_SIZE_CLASSES],
    /// Small blocks in use (all classes).
    pub small_blocks_in_use: usize,
    /// Bytes of small blocks in use, at block size.
    pub small_bytes_in_use: usize,
    /// Free blocks on the free lists of used pools.
    pub free_blocks: usize,
    /// Bytes of those free blocks.
    pub free_bytes: usize,
    /// Never-used blocks at the end of used pools.
    pub untouched_blocks: usize,
    /// Bytes of those never-used blocks.
    pub untouched_bytes: usize,
    /// Pools with at least one block in use.
    pub used_pools: usize,
    /// Bytes of the headers of the used pools.
    pub pool_header_bytes: usize,
    /// Bytes at the end of used pools too small for a block of their class.
    pub pool_waste_bytes: usize,
    /// Pools with no block in use, in held arenas: free pools (reusable by any size
    /// class) plus the spare pools.
    pub empty_pools: usize,
    /// Of `empty_pools`, the *spares*: empty pools left on their size class's list (at
    /// most one per class) so that the next allocation of the class reuses them without
    /// going through the arena (see `docs/allocator.md`, "Spare pools").
    pub spare_pools: usize,
    /// `empty_pools * POOL_SIZE`.
    pub empty_pool_bytes: usize,
    /// Arenas currently mapped.
    pub arenas: usize,
    /// Bytes of those arenas (`arenas * ARENA_SIZE`).
    pub arena_bytes: usize,
    /// Arenas among them with every pool empty (free or spare), kept mapped for reuse (at
    /// most [`HeapConfig::max_empty_arenas`](crate::HeapConfig::max_empty_arenas)).
    pub empty_arenas: usize,
    /// Large allocations outstanding.
    pub large_count: usize,
    /// Requested bytes of those large allocations.
    pub large_bytes: usize,
    /// Bytes of their headers (`large_count * LARGE_HEADER_SIZE`).
    pub large_header_bytes: usize,
    /// Bytes handed out: `small_bytes_in_use + large_bytes`.
    pub bytes_in_use: usize,
    /// Highest `bytes_in_use` so far.
    pub peak_bytes_in_use: usize,
    /// Bytes held from the memory source: `arena_bytes + large_bytes + large_header_bytes`.
    pub bytes_held: usize,
    /// Highest `bytes_held` so far.
    pub peak_bytes_held: usize,
    /// Arenas mapped since the heap was created.
    pub arenas_mapped: u64,
    /// Arenas given back to the OS since the heap was created.
    pub arenas_released: u64,
    /// Pools taken from arenas (free or never-used pools given a size class) since the
    /// heap was created: the slow path that spare pools avoid.
    pub pools_taken: u64,
    /// Bytes given back to the OS since the heap was created (arenas only; large blocks
    /// go back to the system allocator, which may or may not return them).
    pub bytes_returned_to_os: u64,
    /// Bytes of the heap's own bookkeeping in the system allocator (the arena table);
    /// not part of `bytes_held`.
    pub metadata_bytes: usize,
}

// By hand: `Default` is not derived for arrays of more than 32 elements.
impl Default for HeapStats {
    fn default() -> Self {
        HeapStats {
            classes: [ClassStats::default(); NUM_SIZE_CLASSES],
            small_blocks_in_use: 0,
            small_bytes_in_use: 0,
            free_blocks: 0,
            free_bytes: 0,
            untouched_blocks: 0,
            untouched_bytes: 0,
            used_pools: 0,
            pool_header_bytes: 0,
            pool_waste_bytes: 0,
            empty_pools: 0,
            spare_pools: 0,
            empty_pool_bytes: 0,
            arenas: 0,
            arena_bytes: 0,
            empty_arenas: 0,
            large_count: 0,
            large_bytes: 0,
            large_header_bytes: 0,
            bytes_in_use: 0,
            peak_bytes_in_use: 0,
            bytes_held: 0,
            peak_bytes_held: 0,
            arenas_mapped: 0,
            arenas_released: 0,
            pools_taken: 0,
            bytes_returned_to_os: 0,
            metadata_bytes: 0,
        }
    }
}

impl HeapStats {
    /// `arena_bytes` minus every term of the accounting invariant: zero when it holds.
    pub fn unaccounted_bytes(&self) -> isize {
        self.arena_bytes as isize
            - (self.pool_header_bytes
                + self.small_bytes_in_use
                + self.free_bytes
                + self.untouched_bytes
                + self.pool_waste_bytes
                + self.empty_pool_bytes) as isize
    }

    /// Bytes held but not in use: the allocator's caches (free and never-used blocks,
    /// empty pools, headers, waste).
    pub fn bytes_cached(&self) -> usize {
        self.bytes_held - self.bytes_in_use
    }
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

impl fmt::Display for HeapStats {
    /// A readable table: the memory layers, then the size classes in use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: [(&str, usize, String); 10] = [
            (
                "small blocks in use",
                self.small_bytes_in_use,
                format!("{} blocks", self.small_blocks_in_use),
            ),
            (
                "free blocks in used pools",
                self.free_bytes,
                format!("{} blocks", self.free_blocks),
            ),
            (
                "never-used blocks",
                self.untouched_bytes,
                format!("{} blocks", self.untouched_blocks),
            ),
            (
                "pool headers",
                self.pool_header_bytes,
                format!("{} used pools", self.used_pools),
            ),
            ("pool tail waste", self.pool_waste_bytes, String::new()),
            (
                "empty pools",
                self.empty_pool_bytes,
                format!("{} pools ({} spare)", self.empty_pools, self.spare_pools),
            ),
            (
                "= arenas",
                self.arena_bytes,
                format!("{} arenas", self.arenas),
            ),
            (
                "large allocations",
                self.large_bytes,
                format!("{} blocks", self.large_count),
            ),
            ("large headers", self.large_header_bytes, String::new()),
            (
                "= held",
                self.bytes_held,
                format!("peak {:.2} MiB", mib(self.peak_bytes_held)),
            ),
        ];
        writeln!(f, "{:<28} {:>14} {:>10}  note", "layer", "bytes", "MiB")?;
        for (name, bytes, note) in rows {
            writeln!(f, "{name:<28} {bytes:>14} {:>10.2}  {note}", mib(bytes))?;
        }
        writeln!(
            f,
            "{:<28} {:>14} {:>10.2}  peak {:.2} MiB",
            "in use (small + large)",
            self.bytes_in_use,
            mib(self.bytes_in_use),
            mib(self.peak_bytes_in_use)
        )?;
        writeln!(
            f,
            "{:<28} {:>14} {:>10.2}  {} of {} arenas released",
            "returned to the OS",
            self.bytes_returned_to_os,
            mib(self.bytes_returned_to_os as usize),
            self.arenas_released,
            self.arenas_mapped
        )?;
        writeln!(f, "{:<28} {:>14}", "unaccounted", self.unaccounted_bytes())?;
        let used: Vec<&ClassStats> = self
            .classes
            .iter()
            .filter(|c| c.used_pools > 0 || c.blocks_in_use > 0)
            .collect();
        if !used.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "{:>6} {:>10} {:>12} {:>6} {:>10} {:>10}",
                "class", "blocks", "bytes", "pools", "free", "untouched"
            )?;
            for c in used {
                writeln!(
                    f,
                    "{:>6} {:>10} {:>12} {:>6} {:>10} {:>10}",
                    c.block_size,
                    c.blocks_in_use,
                    c.bytes_in_use,
                    c.used_pools,
                    c.free_blocks,
                    c.untouched_blocks
                )?;
            }
        }
        Ok(())
    }
}

/// Raw counters kept by the heap; [`HeapStats`] is derived from them on demand.
#[derive(Clone, Debug)]
pub(crate) struct Counters {
    pub(crate) blocks_in_use: [usize; NUM_SIZE_CLASSES],
    pub(crate) used_pools: [usize; NUM_SIZE_CLASSES],
    pub(crate) untouched: [usize; NUM_SIZE_CLASSES],
    pub(crate) bytes_in_use: usize,
    pub(crate) peak_in_use: usize,
    /// Includes the spares.
    pub(crate) empty_pools: usize,
    /// Spare pools parked on `usedpools` (each also counted in `empty_pools`).
    pub(crate) spare_pools: usize,
    pub(crate) peak_held: usize,
    pub(crate) arenas_mapped: u64,
    pub(crate) arenas_released: u64,
    pub(crate) pools_taken: u64,
}

impl Counters {
    pub(crate) const fn new() -> Self {
        Self {
            blocks_in_use: [0; NUM_SIZE_CLASSES],
            used_pools: [0; NUM_SIZE_CLASSES],
            untouched: [0; NUM_SIZE_CLASSES],
            bytes_in_use: 0,
            peak_in_use: 0,
            empty_pools: 0,
            spare_pools: 0,
            peak_held: 0,
            arenas_mapped: 0,
            arenas_released: 0,
            pools_taken: 0,
        }
    }
}

/// Build the snapshot from counters plus the few totals kept elsewhere.
pub(crate) fn snapshot(
    c: &Counters,
    arenas: usize,
    empty_arenas: usize,
    large_count: usize,
    large_bytes: usize,
    metadata_bytes: usize,
) -> HeapStats {
    use crate::size_class::{
        ARENA_SIZE, LARGE_HEADER_SIZE, POOL_OVERHEAD, blocks_per_pool, pool_waste,
    };
    let mut s = HeapStats::default();
    for (i, cs) in s.classes.iter_mut().enumerate() {
        let size = class_block_size(i);
        let pools = c.used_pools[i];
        let capacity = pools * blocks_per_pool(i);
        *cs = ClassStats {
            block_size: size,
            blocks_in_use: c.blocks_in_use[i],
            bytes_in_use: c.blocks_in_use[i] * size,
            used_pools: pools,
            free_blocks: capacity - c.blocks_in_use[i] - c.untouched[i],
            untouched_blocks: c.untouched[i],
        };
        s.small_blocks_in_use += cs.blocks_in_use;
        s.small_bytes_in_use += cs.bytes_in_use;
        s.free_blocks += cs.free_blocks;
        s.free_bytes += cs.free_blocks * size;
        s.untouched_blocks += cs.untouched_blocks;
        s.untouched_bytes += cs.untouched_blocks * size;
        s.used_pools += pools;
        s.pool_waste_bytes += pools * pool_waste(i);
    }
    s.pool_header_bytes = s.used_pools * POOL_OVERHEAD;
    s.empty_pools = c.empty_pools;
    s.empty_pool_bytes = c.empty_pools * POOL_SIZE;
    s.spare_pools = c.spare_pools;
    s.arenas = arenas;
    s.empty_arenas = empty_arenas;
    s.arena_bytes = arenas * ARENA_SIZE;
    s.large_count = large_count;
    s.large_bytes = large_bytes;
    s.large_header_bytes = large_count * LARGE_HEADER_SIZE;
    s.bytes_in_use = c.bytes_in_use;
    s.peak_bytes_in_use = c.peak_in_use;
    s.bytes_held = s.arena_bytes + large_bytes + s.large_header_bytes;
    s.peak_bytes_held = c.peak_held.max(s.bytes_held);
    s.arenas_mapped = c.arenas_mapped;
    s.arenas_released = c.arenas_released;
    s.pools_taken = c.pools_taken;
    s.bytes_returned_to_os = c.arenas_released * ARENA_SIZE as u64;
    s.metadata_bytes = metadata_bytes;
    s
}
