//! Scratch memory that lives for one collection.
//!
//! design.md §4 gives `bumpalo` exactly one job in mrt: the temporary memory a
//! cycle collection needs (worklists, the finalizer queue, the list of weakref
//! callbacks to run). A [`ScratchArena`] is owned by one collector, handed out as
//! a `&Bump` for the duration of a collection and [`reset`](ScratchArena::reset)
//! afterwards. `reset` keeps the largest chunk, so a warmed-up collector does no
//! general-purpose heap allocation at all: the chunk is reused, bump by bump.
//!
//! Nothing here is `unsafe`; `bumpalo` owns the raw parts.

use bumpalo::Bump;
use std::cell::Cell;

/// Per-collection temporary memory (a thin, accounted shell over [`bumpalo::Bump`]).
///
/// ```
/// use mrt_alloc::ScratchArena;
/// let mut scratch = ScratchArena::new();
/// {
///     let mut work = bumpalo::collections::Vec::new_in(scratch.bump());
///     work.extend(0..1000u32);
///     assert_eq!(work.len(), 1000);
/// }
/// let used = scratch.allocated_bytes();
/// assert!(used >= 4000);
/// scratch.reset();
/// assert_eq!(scratch.resets(), 1);
/// ```
#[derive(Debug, Default)]
pub struct ScratchArena {
    bump: Bump,
    resets: Cell<u64>,
    high_water: Cell<usize>,
}

impl ScratchArena {
    /// An empty scratch arena. Allocates nothing until first used.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bump allocator to allocate this collection's temporaries from.
    #[inline]
    pub fn bump(&self) -> &Bump {
        &self.bump
    }

    /// Bytes currently handed out or reserved in chunks (bumpalo's own count).
    pub fn allocated_bytes(&self) -> usize {
        self.bump.allocated_bytes()
    }

    /// The most bytes held at any `reset` so far (how big a collection's scratch got).
    pub fn high_water_bytes(&self) -> usize {
        self.high_water.get().max(self.bump.allocated_bytes())
    }

    /// How many times the arena has been reset (one per collection).
    pub fn resets(&self) -> u64 {
        self.resets.get()
    }

    /// Drop every temporary at once; keep the largest chunk for the next collection.
    pub fn reset(&mut self) {
        self.high_water
            .set(self.high_water.get().max(self.bump.allocated_bytes()));
        self.bump.reset();
        self.resets.set(self.resets.get() + 1);
    }
}
