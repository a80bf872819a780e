//! The raw layer: every `unsafe` operation of the crate lives below this module.
//!
//! * [`pool`] — pool headers, the in-pool free list, pool lists (pointer surgery).
//! * [`large`] — the header and intrusive list of large allocations.
//! * [`source`] — the [`MemorySource`](source::MemorySource) trait and the OS/`std::alloc`
//!   implementations (`mmap`/`munmap`).
//! * [`heap`] — [`RawHeap`](heap::RawHeap): the allocator state machine behind
//!   [`Heap`](crate::Heap), with the fast paths and the invariant walker.
//!
//! The public modules above (`heap.rs`, `arena.rs`, `stats.rs`, …) are safe code.
#![allow(unsafe_code)]

pub(crate) mod heap;
pub(crate) mod large;
pub(crate) mod pool;
pub mod source;
