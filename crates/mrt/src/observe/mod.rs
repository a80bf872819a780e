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
//! The runtime hooks come later; every piece here is driven through plain values so the
//! runtime only has to call it (see the hook points in [`tracemalloc`]).

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
