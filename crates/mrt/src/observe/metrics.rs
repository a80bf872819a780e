//! The runtime's metrics as Prometheus families: the seam between the layers' statistics
//! and [`Exposition`]. Heap figures come straight from [`mrt_alloc::HeapStats`] (exact, so
//! the layers add up to the bytes held); collector figures are plain values and the census a [`Census`], so
//! this module does not depend on how the runtime stores them.
//!
//! Metric names are fixed in `docs/observability.md` so dashboards can be written now.

use mrt_alloc::{HeapStats, POOL_SIZE};

use super::census::Census;
use super::histogram::Histogram;
use super::monitor::Sample;
use super::prometheus::{Exposition, PromError};

/// The heap's memory layers `(label, bytes)`; they add up to `bytes_held` exactly
/// (the allocator's accounting invariant).
pub fn heap_layers(stats: &HeapStats) -> [(&'static str, u64); 8] {
    [
        ("small_in_use", stats.small_bytes_in_use as u64),
        ("free_blocks", stats.free_bytes as u64),
        ("untouched_blocks", stats.untouched_bytes as u64),
        ("pool_headers", stats.pool_header_bytes as u64),
        ("pool_waste", stats.pool_waste_bytes as u64),
        ("empty_pools", stats.empty_pool_bytes as u64),
        ("large_in_use", stats.large_bytes as u64),
        ("large_headers", stats.large_header_bytes as u64),
    ]
}

/// Share of the bytes of used pools not holding live blocks (free and never-used blocks,
/// headers, tail waste): 0 for a perfectly packed heap; 0 when no pool is used.
pub fn fragmentation_ratio(stats: &HeapStats) -> f64 {
    let pool_bytes = stats.used_pools * POOL_SIZE;
    if pool_bytes == 0 {
        return 0.0;
    }
    1.0 - stats.small_bytes_in_use as f64 / pool_bytes as f64
}

/// A monitor sample from heap statistics (live = bytes in use, held = bytes held).
pub fn sample_from_heap(stats: &HeapStats) -> Sample {
    Sample::new(stats.bytes_in_use as u64, stats.bytes_held as u64)
}

/// Write the heap families: `mrt_heap_bytes{layer}`, held/in-use and their peaks, arenas,
/// arenas mapped/released and bytes returned to the OS (counters), fragmentation.
pub fn write_heap_metrics(e: &mut Exposition, stats: &HeapStats) -> Result<(), PromError> {
    let layers = heap_layers(stats);
    let series: Vec<([(&str, &str); 1], f64)> = layers
        .iter()
        .map(|&(layer, bytes)| ([("layer", layer)], bytes as f64))
        .collect();
    let series: Vec<(&[(&str, &str)], f64)> = series.iter().map(|(l, v)| (&l[..], *v)).collect();
    e.gauge(
        "mrt_heap_bytes",
        "Bytes the heap holds, by layer; the layers add up to mrt_heap_held_bytes.",
        &series,
    )?;
    e.gauge(
        "mrt_heap_held_bytes",
        "Bytes held from the OS (arenas and large allocations).",
        &[(&[], stats.bytes_held as f64)],
    )?;
    e.gauge(
        "mrt_heap_held_peak_bytes",
        "Highest mrt_heap_held_bytes so far.",
        &[(&[], stats.peak_bytes_held as f64)],
    )?;
    e.gauge(
        "mrt_heap_in_use_bytes",
        "Bytes in live blocks (small and large).",
        &[(&[], stats.bytes_in_use as f64)],
    )?;
    e.gauge(
        "mrt_heap_in_use_peak_bytes",
        "Highest mrt_heap_in_use_bytes so far.",
        &[(&[], stats.peak_bytes_in_use as f64)],
    )?;
    e.gauge(
        "mrt_heap_arenas",
        "Arenas mapped now.",
        &[(&[], stats.arenas as f64)],
    )?;
    e.counter(
        "mrt_heap_arenas_mapped_total",
        "Arenas mapped since the heap was created.",
        &[(&[], stats.arenas_mapped as f64)],
    )?;
    e.counter(
        "mrt_heap_arenas_released_total",
        "Arenas given back to the OS.",
        &[(&[], stats.arenas_released as f64)],
    )?;
    e.counter(
        "mrt_heap_returned_to_os_bytes_total",
        "Bytes of arenas given back to the OS.",
        &[(&[], stats.bytes_returned_to_os as f64)],
    )?;
    e.gauge(
        "mrt_heap_fragmentation_ratio",
        "Share of used-pool bytes not holding live blocks.",
        &[(&[], fragmentation_ratio(stats))],
    )
}

/// One generation's collector figures.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationMetrics {
    /// Collections of this generation.
    pub collections: u64,
    /// Unreachable objects found.
    pub collected: u64,
    /// Unreachable objects that could not be freed.
    pub uncollectable: u64,
    /// Pause times in seconds.
    pub pauses: Histogram,
}

/// Write the collector families, one series per generation (`generation="0"` …):
/// `mrt_gc_collections_total`, `mrt_gc_collected_total`, `mrt_gc_uncollectable_total`,
/// `mrt_gc_pause_seconds` (histogram).
pub fn write_gc_metrics(
    e: &mut Exposition,
    generations: &[GenerationMetrics],
) -> Result<(), PromError> {
    let names: Vec<String> = (0..generations.len()).map(|g| g.to_string()).collect();
    let labels: Vec<[(&str, &str); 1]> =
        names.iter().map(|n| [("generation", n.as_str())]).collect();
    let counter = |f: fn(&GenerationMetrics) -> u64| -> Vec<(&[(&str, &str)], f64)> {
        labels
            .iter()
            .zip(generations)
            .map(|(l, g)| (&l[..], f(g) as f64))
            .collect()
    };
    e.counter(
        "mrt_gc_collections_total",
        "Collections per generation.",
        &counter(|g| g.collections),
    )?;
    e.counter(
        "mrt_gc_collected_total",
        "Unreachable objects found per generation.",
        &counter(|g| g.collected),
    )?;
    e.counter(
        "mrt_gc_uncollectable_total",
        "Uncollectable objects per generation.",
        &counter(|g| g.uncollectable),
    )?;
    let pauses: Vec<(&[(&str, &str)], &Histogram)> = labels
        .iter()
        .zip(generations)
        .map(|(l, g)| (&l[..], &g.pauses))
        .collect();
    e.histogram(
        "mrt_gc_pause_seconds",
        "Collection pause times per generation.",
        &pauses,
    )
}

/// The default pause-time buckets: 10 µs to ~56 s, 4 per decade.
pub fn pause_buckets() -> Histogram {
    // The parameters are valid (start > 0, factor > 1, count >= 1); the fallback is never used.
    Histogram::log_buckets(1e-5, 10f64.powf(0.25), 27).unwrap_or_else(|_| Histogram::empty())
}

/// Write the census: `mrt_objects{type}` and `mrt_object_bytes{type}`.
pub fn write_census(e: &mut Exposition, census: &Census) -> Result<(), PromError> {
    let types = census.types();
    let labels: Vec<[(&str, &str); 1]> = types.keys().map(|t| [("type", t.as_str())]).collect();
    let counts: Vec<(&[(&str, &str)], f64)> = labels
        .iter()
        .zip(types.values())
        .map(|(l, t)| (&l[..], t.count as f64))
        .collect();
    let bytes: Vec<(&[(&str, &str)], f64)> = labels
        .iter()
        .zip(types.values())
        .map(|(l, t)| (&l[..], t.bytes as f64))
        .collect();
    e.gauge("mrt_objects", "Live objects by type.", &counts)?;
    e.gauge("mrt_object_bytes", "Bytes of live objects by type.", &bytes)
}

/// Write the container limit, if there is one (`mrt_memory_limit_bytes`).
pub fn write_memory_limit(e: &mut Exposition, limit: Option<u64>) -> Result<(), PromError> {
    match limit {
        Some(bytes) => e.gauge(
            "mrt_memory_limit_bytes",
            "The cgroup memory limit.",
            &[(&[], bytes as f64)],
        ),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::prometheus_check::check;
    use mrt_alloc::Heap;

    fn busy_heap() -> Heap {
        let heap = Heap::new();
        for i in 0..5000 {
            heap.try_alloc(16 + (i % 31) * 16).unwrap();
        }
        heap.try_alloc(100_000).unwrap();
        heap
    }

    #[test]
    fn layers_add_up_to_held_bytes() {
        let heap = busy_heap();
        let stats = heap.stats();
        let sum: u64 = heap_layers(&stats).iter().map(|(_, b)| b).sum();
        assert_eq!(sum, stats.bytes_held as u64);
        let f = fragmentation_ratio(&stats);
        assert!((0.0..1.0).contains(&f), "{f}");
        assert_eq!(fragmentation_ratio(&HeapStats::default()), 0.0);
        let s = sample_from_heap(&stats);
        assert_eq!(
            (s.live_bytes, s.held_bytes),
            (stats.bytes_in_use as u64, stats.bytes_held as u64)
        );
    }

    #[test]
    fn all_families_pass_the_checker() {
        let heap = busy_heap();
        let mut e = Exposition::new();
        write_heap_metrics(&mut e, &heap.stats()).unwrap();
        let mut gens: Vec<GenerationMetrics> = (0..3)
            .map(|g| GenerationMetrics {
                collections: 10 - 3 * g,
                collected: 100 * g,
                uncollectable: g,
                pauses: pause_buckets(),
            })
            .collect();
        gens[0].pauses.observe(2e-5);
        gens[2].pauses.observe(0.3);
        write_gc_metrics(&mut e, &gens).unwrap();
        let mut census = Census::new();
        census.add("dict", 10, 640);
        census.add("weird \"type\"\n", 1, 16);
        write_census(&mut e, &census).unwrap();
        write_memory_limit(&mut e, Some(1 << 30)).unwrap();
        write_memory_limit(&mut e, None).unwrap();
        let families = check(e.as_str()).unwrap();
        let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
        for want in [
            "mrt_heap_bytes",
            "mrt_heap_fragmentation_ratio",
            "mrt_gc_pause_seconds",
            "mrt_objects",
            "mrt_memory_limit_bytes",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        let heap_bytes = &families[0];
        assert_eq!(heap_bytes.samples.len(), 8);
        let pauses = families
            .iter()
            .find(|f| f.name == "mrt_gc_pause_seconds")
            .unwrap();
        // 27 bounds + +Inf, _sum, _count per generation.
        assert_eq!(pauses.samples.len(), 3 * (27 + 1 + 2));
        let objects = families.iter().find(|f| f.name == "mrt_objects").unwrap();
        assert_eq!(objects.samples[1].labels[0].1, "weird \"type\"\n");
        // Writing the heap twice is refused (duplicate family), nothing half-written.
        let before = e.as_str().len();
        assert!(write_heap_metrics(&mut e, &heap.stats()).is_err());
        assert_eq!(e.as_str().len(), before);
    }
}
