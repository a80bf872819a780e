//! The unsafe lower layer of the collector: the 16-byte [`GcHeader`], the
//! [`GcRef`] pointer to it, and the intrusive doubly linked lists threaded
//! through headers (CPython's `PyGC_Head` and the `gc_list_*` helpers).
//!
//! # The crate invariant that makes the accessors safe to call
//!
//! Every `GcRef` that reaches a `pub(crate)` accessor in this module points to
//! a live, correctly aligned `GcHeader`. That holds because a `GcRef` can only
//! enter the collector through
//!
//! 1. an `unsafe` entry point of [`Collector`](crate::Collector) (`track`,
//!    `untrack`, `on_dealloc`, `is_tracked`, …) whose `# Safety` section
//!    requires exactly this, or
//! 2. the [`GcHost`] trait (an `unsafe trait`), whose contract
//!    requires every `GcRef` it hands to the collector to be live, or
//! 3. a list head owned by the collector itself (a boxed or stack-local
//!    `GcHeader` that outlives its use), or the `next`/`prev` link of a header
//!    already covered by 1–3 (objects unlink themselves before they are freed:
//!    `on_dealloc`).
//!
//! The accessors are `pub(crate)`, so no code outside this crate can call them
//! with a `GcRef` of its own making.
#![allow(unsafe_code)]

mod header;
mod host;
mod list;
mod tracking;

pub use header::{GcHeader, GcRef};
pub(crate) use header::{
    NEXT_MASK_UNREACHABLE, PREV_MASK_COLLECTING, PREV_MASK_FINALIZED, PREV_MASK_LEAF, VisitDelay,
};
pub use host::{GcHost, UntrackPass};
pub(crate) use list::*;
