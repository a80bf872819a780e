//! Observability that needs no runtime (design.md §6; the guide is `docs/observability.md`).
//!
//! ```text
//! host frames ──push/pop──▶ Tracer ──take_snapshot──▶ Snapshot ──statistics/compare_to──▶ Statistic(Diff)
//! runtime alloc/free ─hooks─▶ Tracer                      └─filter_traces(&[Filter])
//! per-repetition Sample ───▶ MemoryMonitor ──verdict──▶ Plateau | Growing | NotEnoughData
//! metrics ───────────────▶ prometheus::Exposition (text format) ─checked by─▶ prometheus_check
//! samples, pauses ───────▶ svg (timeline, pause histogram)
//! /sys/fs/cgroup ────────▶ cgroup::memory_limit_from_cgroup
//! ```
//!
//! * [`tracemalloc`] — [`Tracer`]: Python's `tracemalloc` over addresses, exact or sampled.
//! * [`snapshot`] — [`Snapshot`], [`Statistic`], [`StatisticDiff`], grouping by [`KeyType`].
//! * [`filter`] — [`Filter`] (fnmatch patterns over tracebacks).
//! * [`frame`] — [`Frame`], [`Traceback`], the interned code table.
//! * [`sampling`] — the Poisson byte sampler and its unbiased estimator.
//! * [`trend`] — Theil–Sen slope and the Mann–Kendall trend test.
//! * [`monitor`] — [`MemoryMonitor`]: leak or plateau.
//! * [`svg`] — memory timeline and GC pause histogram as SVG.
//! * [`census`] — objects and bytes by type; objgraph's `most_common_types` and `growth`.
//! * [`cgroup`] — the container's memory limit.
//! * [`histogram`] — [`Histogram`]: bucketed observations (GC pauses).
//! * [`metrics`] — heap, collector, census and limit figures as Prometheus families.
//! * [`prometheus`] / [`prometheus_check`] — the text exposition format and a strict checker.
//!
//! Wired to a [`Runtime`](mrt_object::Runtime) (the `rt_*` modules, re-exported at the
//! crate root):
//!
//! * [`rt_tracemalloc`] — `mrt::tracemalloc`: the tracer as the runtime's allocation observer.
//! * [`rt_census`] — `mrt::census`, `mrt::growth` from the runtime's live-object counters.
//! * [`rt_monitor`] — `mrt::sample`: a monitor sample (bytes, types, traced sites).
//! * [`rt_report`] — `mrt::memory_report`: the layers that add up to the bytes held.
//! * [`rt_pauses`] — `mrt::record_gc_pauses`: pause times (and `tracing` events).
//! * [`rt_prometheus`] — `mrt::render_prometheus`.
//! * [`rt_limit`] — `mrt::RuntimeBuilderExt::memory_limit_from_cgroup`.
//!
//! # Where does memory grow?
//!
//! ```
//! use mrt::observe::{KeyType, Tracer};
//!
//! let mut tracer = Tracer::new();
//! tracer.start(5)?; // keep up to 5 frames per traceback
//! let main = tracer.intern_code("app.py", "main"); // once per piece of host code
//! tracer.push_frame(main, 10);
//! tracer.on_alloc(0x1000, 64); // the allocator's hook: one branch when tracing is off
//! let before = tracer.take_snapshot()?;
//! tracer.set_line(11)?;
//! tracer.on_alloc(0x2000, 4096);
//! tracer.on_free(0x1000);
//! let after = tracer.take_snapshot()?;
//! let top = after.compare_to(&before, KeyType::Lineno);
//! assert_eq!(top[0].to_string(), "app.py:11: size=4096 B (+4096 B), count=1 (+1), average=4096 B");
//! assert_eq!(top[1].to_string(), "app.py:10: size=0 B (-64 B), count=0 (-1)");
//! assert_eq!(tracer.get_traced_memory(), (4096, 4160));
//! # Ok::<(), mrt::observe::TraceError>(())
//! ```
//!
//! # Is it a leak?
//!
//! ```
//! use mrt::observe::{MemoryMonitor, Sample, Verdict};
//!
//! let mut monitor = MemoryMonitor::new();
//! for rep in 0..30u64 {
//!     // After each repetition: live bytes, held bytes, objects per type.
//!     let dicts = 100 + 50 * rep as i64; // 50 dicts leak per repetition
//!     monitor.record(Sample::new((1 << 20) + rep * 3200, 2 << 20).with_type("dict", dicts));
//! }
//! match monitor.verdict() {
//!     Verdict::Growing { bytes_per_repetition, top_types, .. } => {
//!         assert_eq!(bytes_per_repetition, 3200.0);
//!         assert_eq!(top_types[0], ("dict".to_owned(), 50.0));
//!     }
//!     other => panic!("expected a leak, got {other}"),
//! }
//! ```

mod fxhash;

pub mod census;
pub mod cgroup;
#[cfg(test)]
mod cpython_diff;
pub mod filter;
pub mod frame;
pub mod histogram;
pub mod metrics;
pub mod monitor;
pub mod prometheus;
pub mod prometheus_check;
pub mod rt_census;
pub mod rt_limit;
pub mod rt_monitor;
pub mod rt_pauses;
pub mod rt_prometheus;
pub mod rt_report;
pub mod rt_tracemalloc;
pub mod sampling;
pub mod snapshot;
pub mod svg;
pub mod tracemalloc;
pub mod trend;
#[cfg(test)]
mod xml_check;

pub use census::{Census, GrowthTracker};
pub use filter::Filter;
pub use frame::{CodeId, Frame, Traceback};
pub use histogram::Histogram;
pub use monitor::{MemoryMonitor, MonitorConfig, Sample, Verdict};
pub use prometheus::Exposition;
pub use snapshot::{KeyType, Snapshot, Statistic, StatisticDiff, Trace};
pub use tracemalloc::{TraceError, Tracer};
