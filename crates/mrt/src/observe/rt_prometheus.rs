//! `render_prometheus(&Runtime)`: the runtime's metrics in the Prometheus text format
//! (0.0.4), ready to serve on `/metrics`. The families are listed in
//! `docs/observability.md`; the writers are in [`metrics`](super::metrics).
//!
//! ```
//! use mrt::object::Runtime;
//! let rt = Runtime::new();
//! mrt::record_gc_pauses(&rt); // for mrt_gc_pause_seconds
//! let _keep = rt.dict().unwrap();
//! rt.collect();
//! let text = mrt::render_prometheus(&rt);
//! mrt::observe::prometheus_check::check(&text).unwrap();
//! assert!(text.contains("mrt_objects{type=\"dict\"} 1"));
//! assert!(text.contains("mrt_gc_leaves 0")); // a dict is not a leaf: only lists are
//! let full = rt.get_stats()[2].collections;
//! assert!(text.contains(&format!("mrt_gc_pause_seconds_count{{generation=\"2\"}} {full}")));
//! ```

use mrt_object::Runtime;

use super::metrics::{
    GenerationMetrics, pause_buckets, write_census, write_gc_metrics, write_heap_metrics,
};
use super::prometheus::{Exposition, PromError};
use super::rt_census::census;
use super::rt_pauses::gc_pauses;
use super::rt_tracemalloc;

/// Render every family; see [`try_render_prometheus`] for the error case.
pub fn render_prometheus(rt: &Runtime) -> String {
    try_render_prometheus(rt).unwrap_or_else(|e| format!("# mrt: metrics unavailable: {e}\n"))
}

/// Render every family, or the writer's error (only a bug in the family definitions
/// could cause one: the names are fixed and the values come from counters).
pub fn try_render_prometheus(rt: &Runtime) -> Result<String, PromError> {
    let mut e = Exposition::new();
    write_heap_metrics(&mut e, &rt.heap_stats())?;
    let t = rt.alloc_counters();
    e.counter(
        "mrt_alloc_blocks_total",
        "Blocks allocated (object blocks and container storage); rate() gives the allocation rate.",
        &[(&[], t.allocs as f64)],
    )?;
    e.counter(
        "mrt_alloc_bytes_total",
        "Bytes requested by allocations.",
        &[(&[], t.alloc_bytes as f64)],
    )?;
    e.counter(
        "mrt_free_blocks_total",
        "Blocks freed.",
        &[(&[], t.frees as f64)],
    )?;
    e.counter(
        "mrt_free_bytes_total",
        "Bytes of blocks freed.",
        &[(&[], t.free_bytes as f64)],
    )?;
    e.counter(
        "mrt_memory_limit_refusals_total",
        "Allocations refused by the runtime's memory budget.",
        &[(&[], t.limit_failures as f64)],
    )?;
    if let Some(limit) = rt.memory_limit() {
        e.gauge(
            "mrt_runtime_memory_limit_bytes",
            "The runtime's memory budget (bytes in use).",
            &[(&[], limit as f64)],
        )?;
    }
    write_census(&mut e, &census(rt))?;
    let stats = rt.get_stats();
    let pauses = gc_pauses(rt);
    let generations: Vec<GenerationMetrics> = (0..3)
        .map(|g| GenerationMetrics {
            collections: stats[g].collections as u64,
            collected: stats[g].collected as u64,
            uncollectable: stats[g].uncollectable as u64,
            pauses: pauses
                .as_ref()
                .map_or_else(pause_buckets, |p| p.histograms[g].clone()),
        })
        .collect();
    write_gc_metrics(&mut e, &generations)?;
    let (c0, c1, c2) = rt.get_count();
    e.gauge(
        "mrt_gc_count",
        "gc.get_count(): allocations (generation 0) or younger collections since the last collection.",
        &[
            (&[("generation", "0")], c0 as f64),
            (&[("generation", "1")], c1 as f64),
            (&[("generation", "2")], c2 as f64),
        ],
    )?;
    e.gauge(
        "mrt_gc_frozen",
        "gc.get_freeze_count(): objects in the permanent generation.",
        &[(&[], rt.get_freeze_count() as f64)],
    )?;
    e.gauge(
        "mrt_gc_leaves",
        "Generation-2 containers on the leaf list (no container inside; full collections skip them).",
        &[(&[], rt.gc_leaf_count() as f64)],
    )?;
    if rt_tracemalloc::is_tracing(rt) {
        let (current, peak) = rt_tracemalloc::get_traced_memory(rt);
        e.gauge(
            "mrt_tracemalloc_traced_bytes",
            "Bytes traced by tracemalloc (estimates in sampling mode).",
            &[(&[], current as f64)],
        )?;
        e.gauge(
            "mrt_tracemalloc_traced_peak_bytes",
            "Peak of the traced bytes since start or reset_peak.",
            &[(&[], peak as f64)],
        )?;
    }
    Ok(e.finish())
}
