//! # mrt — an embeddable object runtime with CPython's memory model
//!
//! The facade crate: it re-exports the layers below and carries the observability
//! tools (wired to a runtime at the crate root, runtime-independent in [`observe`]) and
//! the `mrt` command.
//!
//! ```text
//! mrt-alloc  <-  mrt-gc  <-  mrt-object  <-  mrt (this crate)
//! ```
//!
//! * [`alloc`] — the pymalloc-style small-object allocator ([`mrt_alloc`]).
//! * [`gc`] — the generational cycle collector ([`mrt_gc`]).
//! * [`object`] — the object model ([`mrt_object`]).
//! * [`tracemalloc`], [`census`], [`growth`], [`sample`], [`memory_report`], [`record_gc_pauses`],
//!   [`render_prometheus`], [`RuntimeBuilderExt`] — observability on a runtime
//!   (design §6, `docs/observability.md`).

pub use mrt_alloc as alloc;
pub use mrt_gc as gc;
pub use mrt_object as object;

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

pub mod observe;
pub mod script;

pub use observe::rt_census::{census, growth};
pub use observe::rt_limit::{LimitError, RuntimeBuilderExt};
pub use observe::rt_monitor::sample;
pub use observe::rt_pauses::{GcPauses, gc_pauses, record_gc_pauses};
pub use observe::rt_prometheus::{render_prometheus, try_render_prometheus};
pub use observe::rt_report::{MemoryReport, memory_report};
pub use observe::rt_tracemalloc as tracemalloc;
