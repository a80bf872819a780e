//! # mrt-gc — CPython 3.11's cycle collector, generic over the object model
//!
//! Reference counting frees most objects the moment they become unreachable;
//! it cannot free cycles. This crate is the cycle collector CPython 3.11 runs
//! for that (`Modules/gcmodule.c`), rewritten in Rust with the same
//! observable numbers: three generations with thresholds (700, 10, 10), the
//! same counts, the same return value of `collect`, the same order of
//! weakref clearing, finalization (PEP 442, resurrection) and clearing.
//!
//! The collector never names a concrete type. A tracked container is a
//! 16-byte [`GcHeader`] followed by the host's object; the host describes its
//! objects through the [`GcHost`] trait (refcount, traverse, clear,
//! finalizers, weakrefs) and tells the [`Collector`] about allocations,
//! tracking and deallocation. Collections are generic over the host, so the
//! phases are monomorphized.
//!
//! ```text
//! raw/header.rs   GcHeader bit layout, GcRef, the edge-visit delay line  ┐
//! raw/list.rs     intrusive lists (gc_list_*)                            │ all the
//! raw/host.rs     the GcHost trait: the contract with the object model   │ unsafe
//! raw/tracking.rs Collector's unsafe entry points (track, untrack, …)    ┘
//! collector.rs    Collector: generations, counts, thresholds, the gc API
//! collect.rs      the phases (update_refs … delete_garbage), one function each
//! validate.rs     debug-build list validation between phases
//! panics.rs       catching host panics during a collection
//! stats.rs        GenStats, callbacks, DEBUG_* flags
//! toy/            a reference host (feature `toy`; its unsafe in toy/raw_node.rs)
//! ```
//!
//! The design — header layout, lists, phases with a worked example,
//! generations and the long-lived rule, untracking, finalizers and weakrefs,
//! panics, the byte trigger, `gc_zeal`, differences from CPython and
//! benchmark evidence — is written up in `docs/cycle_collector.md`.
//!
//! ```
//! # #[cfg(feature = "toy")] {
//! use mrt_gc::toy::ToyHeap;
//! let heap = ToyHeap::new();
//! let a = heap.alloc();
//! let b = heap.alloc();
//! a.link(&b);
//! b.link(&a); // a cycle: refcounting alone cannot free it
//! drop((a, b));
//! assert_eq!(heap.live(), 2);
//! assert_eq!(heap.collect(2), 2);
//! assert_eq!(heap.live(), 0);
//! # }
//! ```

mod collect;
mod collector;
mod panics;
pub mod raw;
mod stats;
mod validate;

#[cfg(feature = "toy")]
pub mod toy;

pub use collector::{Collector, DEFAULT_THRESHOLDS, NUM_GENERATIONS};
pub use raw::{GcHeader, GcRef};
pub use raw::{GcHost, UntrackPass};
pub use stats::{
    CallbackId, CallbackInfo, DEBUG_COLLECTABLE, DEBUG_LEAK, DEBUG_SAVEALL, DEBUG_STATS,
    DEBUG_UNCOLLECTABLE, GcCallback, GenStats, Phase,
};
