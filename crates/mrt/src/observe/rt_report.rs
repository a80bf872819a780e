//! `memory_report(&Runtime)`: the runtime's memory as one table of layers that add up
//! exactly to what the allocator holds, with the collector's state beside it
//! (design §6 "memory report").
//!
//! ```text
//! bytes held = live objects          (object blocks, census)
//!            + container storage     (separate list buffers, dict entries and indexes)
//!            + free blocks           (free lists of used pools)
//!            + never-used blocks     (the untouched tail of used pools)
//!            + empty pools           (cached, ready for any size class)
//!            + pool headers + pool tail waste
//! ```
//! The first two are the blocks in use at their full cost (small blocks at block size,
//! large allocations with their 16-byte header, objects and storage alike); everything
//! else is the allocator's cache. The same bytes split the other way are
//! arenas (all but large allocations) + large allocations (requests + headers).
//!
//! ```
//! use mrt::object::Runtime;
//! let rt = Runtime::new();
//! let keep: Vec<_> = (0..1000).map(|_| rt.list().unwrap()).collect();
//! let r = mrt::memory_report(&rt);
//! assert_eq!(r.layers().iter().map(|(_, b)| b).sum::<u64>(), r.held_bytes);
//! assert_eq!(r.held_bytes, rt.heap_stats().bytes_held as u64);
//! println!("{r}");
//! # drop(keep);
//! ```

use std::fmt;

use mrt_object::mrt_gc::GenStats;
use mrt_object::{AllocCounters, Runtime};

use super::svg::format_bytes;

/// The memory layers of a runtime and its collector's state at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryReport {
    /// Live objects' own blocks (the census total; large ones with their header).
    pub object_bytes: u64,
    /// Live objects.
    pub objects: u64,
    /// Other blocks in use: separate list buffers (not the items a short `list_from`
    /// list keeps inline, which are object bytes), dict entry vectors and index tables
    /// (large ones with their header).
    pub storage_bytes: u64,
    /// Blocks on the free lists of used pools.
    pub free_block_bytes: u64,
    /// Never-used blocks at the end of used pools.
    pub untouched_bytes: u64,
    /// Pools with no block in use.
    pub empty_pool_bytes: u64,
    /// Pool headers.
    pub pool_header_bytes: u64,
    /// Pool remainders too small for a block.
    pub pool_waste_bytes: u64,
    /// Everything the allocator holds from the OS: the sum of the layers above.
    pub held_bytes: u64,
    /// Bytes in use (live objects + container storage).
    pub in_use_bytes: u64,
    /// Highest held bytes so far.
    pub peak_held_bytes: u64,
    /// Highest bytes in use so far.
    pub peak_in_use_bytes: u64,
    /// Arenas held and their bytes.
    pub arenas: u64,
    /// Bytes of those arenas.
    pub arena_bytes: u64,
    /// Large allocations and their bytes (requests + headers).
    pub large_count: u64,
    /// Bytes of large allocations, headers included.
    pub large_bytes: u64,
    /// Bytes handed back to the OS since the runtime was created.
    pub returned_to_os_bytes: u64,
    /// The memory budget, if any.
    pub memory_limit: Option<u64>,
    /// Cumulative allocator traffic.
    pub traffic: AllocCounters,
    /// `gc.get_count()`.
    pub gc_count: (usize, usize, usize),
    /// `gc.get_threshold()`.
    pub gc_threshold: (usize, usize, usize),
    /// `gc.get_stats()`.
    pub gc_stats: [GenStats; 3],
}

/// Take the report.
pub fn memory_report(rt: &Runtime) -> MemoryReport {
    let s = rt.heap_stats();
    let objects = rt.live_objects();
    let object_bytes: u64 = objects.iter().map(|t| t.live.bytes).sum();
    let object_count: u64 = objects.iter().map(|t| t.live.objects).sum();
    // Blocks at their full cost: small ones at block size, large ones with their
    // header (the census charges objects the same way), so the split is exact.
    let charged = (s.small_bytes_in_use + s.large_bytes + s.large_header_bytes) as u64;
    let storage_bytes = charged.saturating_sub(object_bytes);
    MemoryReport {
        object_bytes,
        objects: object_count,
        storage_bytes,
        free_block_bytes: s.free_bytes as u64,
        untouched_bytes: s.untouched_bytes as u64,
        empty_pool_bytes: s.empty_pool_bytes as u64,
        pool_header_bytes: s.pool_header_bytes as u64,
        pool_waste_bytes: s.pool_waste_bytes as u64,
        held_bytes: s.bytes_held as u64,
        in_use_bytes: s.bytes_in_use as u64,
        peak_held_bytes: s.peak_bytes_held as u64,
        peak_in_use_bytes: s.peak_bytes_in_use as u64,
        arenas: s.arenas as u64,
        arena_bytes: s.arena_bytes as u64,
        large_count: s.large_count as u64,
        large_bytes: (s.large_bytes + s.large_header_bytes) as u64,
        returned_to_os_bytes: s.bytes_returned_to_os,
        memory_limit: rt.memory_limit().map(|b| b as u64),
        traffic: rt.alloc_counters(),
        gc_count: rt.get_count(),
        gc_threshold: rt.get_threshold(),
        gc_stats: rt.get_stats(),
    }
}

impl MemoryReport {
    /// The layers `(name, bytes)`; they add up to [`held_bytes`](Self::held_bytes).
    pub fn layers(&self) -> [(&'static str, u64); 7] {
        [
            ("live objects", self.object_bytes),
            ("container storage", self.storage_bytes),
            ("free blocks in used pools", self.free_block_bytes),
            ("never-used blocks", self.untouched_bytes),
            ("empty pools", self.empty_pool_bytes),
            ("pool headers", self.pool_header_bytes),
            ("pool tail waste", self.pool_waste_bytes),
        ]
    }

    /// Free space in used pools over bytes held (0 for an empty heap).
    pub fn fragmentation(&self) -> f64 {
        if self.held_bytes == 0 {
            0.0
        } else {
            (self.free_block_bytes + self.untouched_bytes) as f64 / self.held_bytes as f64
        }
    }
}

impl fmt::Display for MemoryReport {
    /// An aligned table: the layers with their share of the bytes held, the totals, the
    /// other split (arenas / large), then the collector.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self.held_bytes.max(1) as f64;
        writeln!(
            f,
            "{:<28} {:>12} {:>10} {:>7}",
            "layer", "bytes", "", "share"
        )?;
        for (name, bytes) in self.layers() {
            writeln!(
                f,
                "{:<28} {:>12} {:>10} {:>6.1}%",
                name,
                bytes,
                format_bytes(bytes as f64),
                100.0 * bytes as f64 / held
            )?;
        }
        let row = |f: &mut fmt::Formatter<'_>, name: &str, bytes: u64| {
            writeln!(
                f,
                "{:<28} {:>12} {:>10}",
                name,
                bytes,
                format_bytes(bytes as f64)
            )
        };
        row(f, "= held", self.held_bytes)?;
        row(f, "  in use", self.in_use_bytes)?;
        row(f, &format!("  arenas ({})", self.arenas), self.arena_bytes)?;
        row(
            f,
            &format!("  large allocations ({})", self.large_count),
            self.large_bytes,
        )?;
        row(f, "peak held", self.peak_held_bytes)?;
        row(f, "returned to the OS", self.returned_to_os_bytes)?;
        if let Some(limit) = self.memory_limit {
            row(f, "memory limit (in use)", limit)?;
        }
        writeln!(
            f,
            "objects {}, fragmentation {:.1}%, allocations {} ({} freed), limit refusals {}",
            self.objects,
            100.0 * self.fragmentation(),
            self.traffic.allocs,
            self.traffic.frees,
            self.traffic.limit_failures
        )?;
        let (c0, c1, c2) = self.gc_count;
        let (t0, t1, t2) = self.gc_threshold;
        writeln!(
            f,
            "gc count ({c0}, {c1}, {c2}), threshold ({t0}, {t1}, {t2})"
        )?;
        writeln!(
            f,
            "{:<10} {:>11} {:>10} {:>13}",
            "generation", "collections", "collected", "uncollectable"
        )?;
        for (g, st) in self.gc_stats.iter().enumerate() {
            writeln!(
                f,
                "{:<10} {:>11} {:>10} {:>13}",
                g, st.collections, st.collected, st.uncollectable
            )?;
        }
        Ok(())
    }
}
