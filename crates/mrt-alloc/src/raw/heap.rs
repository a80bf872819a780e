//! [`RawHeap`]: the allocator state machine behind [`Heap`](crate::Heap) (raw layer).
//!
//! The state lives in an `UnsafeCell` and every operation takes `&self`, because the
//! runtime calls the allocator from re-entrant paths (a dealloc inside a callback inside
//! a dealloc). Soundness of handing out `&mut State` inside each operation rests on:
//! the heap is `!Sync` (one thread), each public operation derives the `&mut State`
//! exactly once and passes it down, and the only code it calls out to — the
//! [`MemorySource`] — may not call back into the heap (its contract, point 3).
//!
//! **Spare pools.** When the last block of a pool is freed and that pool is the only one
//! on `usedpools[class]`, it stays there as the class's *spare* (`ref_count == 0`, free
//! list intact) instead of going back to its arena, so a workload that allocates and
//! frees one block at a time does not pay [`RawHeap::pool_became_empty`] +
//! [`RawHeap::alloc_from_new_pool`] on every cycle. Invariant: a pool with `ref_count`
//! 0 that is not on its arena's `freepools` is the sole pool on its class's `usedpools`
//! list. A spare is an *empty* pool for every statistic, each arena counts its spares
//! (`nspare`), and an arena whose pools are all free or spares is an empty arena for
//! the `max_empty_arenas` budget: over budget, its spares are unparked and it is
//! unmapped.
//!
//! **Pending spares.** Deciding about a pool that just emptied (park it as a spare, with
//! the arena accounting, or give it back) is deferred: the free that empties the sole
//! pool of a class only sets the class's bit in `pending`, and the pool stays accounted
//! as a used pool with no block in use. If the next allocation of the class comes first
//! (a workload that allocates and frees one object at a time), it clears the bit and
//! nothing else happens: no cold call on either side. Any other slow path, and every
//! observation (`stats`, `bytes_held`, `check_invariants`), first *settles* the pending
//! pools — does exactly what [`RawHeap::pool_became_empty`] would have done at the free —
//! so every arena decision and every statistic sees the state the eager rule gives. The
//! fast paths gain one `ref_count == 0` test in [`pop_block`] and one sole-pool test when
//! a free empties a pool.
#![allow(unsafe_code)]

use super::large::{LargeHeader, LargeList};
use super::pool::{self, FreeBlock, NO_CLASS, PoolHeader};
use super::source::MemorySource;
use crate::arena::{ArenaTable, NONE};
use crate::error::{AllocError, AllocErrorKind};
use crate::size_class::{
    ALIGNMENT, ARENA_SIZE, LARGE_HEADER_SIZE, NUM_SIZE_CLASSES, POOL_OVERHEAD, POOL_SIZE,
    POOLS_PER_ARENA, blocks_per_pool, class_block_size, size_class_of,
};
use crate::stats::{Counters, HeapStats, snapshot};
use std::cell::UnsafeCell;
use std::ptr::{self, NonNull};

struct State {
    /// `usedpools[c]`: pools of class `c` with a free block (CPython `usedpools`); null
    /// when there is none — the fast path's only test. Either pools with a block in use,
    /// or exactly one empty pool: the class's spare (see the module docs).
    usedpools: [*mut PoolHeader; NUM_SIZE_CLASSES],
    counters: Counters,
    arenas: ArenaTable,
    large: LargeList,
    /// Bit `c`: `usedpools[c]` is a pool that emptied while it was the sole pool of its
    /// class, not yet settled (see the module docs); accounted as a used pool.
    pending: u64,
}

const _: () = assert!(NUM_SIZE_CLASSES <= u64::BITS as usize);

/// The allocator core. See the module docs for the aliasing discipline.
pub(crate) struct RawHeap {
    state: UnsafeCell<State>,
    source: Box<dyn MemorySource>,
    max_empty_arenas: usize,
}

impl RawHeap {
    pub(crate) fn new(source: Box<dyn MemorySource>, max_empty_arenas: usize) -> Self {
        Self {
            state: UnsafeCell::new(State {
                usedpools: [ptr::null_mut(); NUM_SIZE_CLASSES],
                counters: Counters::new(),
                arenas: ArenaTable::new(),
                large: LargeList::new(),
                pending: 0,
            }),
            source,
            max_empty_arenas,
        }
    }

    /// The state, for the duration of one operation.
    ///
    /// # Safety
    /// No other reference to the state is alive: call once per public operation, on a
    /// path that cannot re-enter the heap (see the module docs).
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    unsafe fn state(&self) -> &mut State {
        // SAFETY: exclusive for this operation (caller); the heap is !Sync.
        unsafe { &mut *self.state.get() }
    }

    /// Allocate `size` bytes (8-aligned; 16-aligned when the block size is a multiple of
    /// 16: see `size_class`).
    #[inline(always)]
    pub(crate) fn alloc(&self, size: usize) -> Result<NonNull<u8>, AllocError> {
        match size_class_of(size) {
            Some(class) => {
                // SAFETY: one state borrow for this operation; nothing below re-enters.
                let st = unsafe { self.state() };
                let pool = st.usedpools[class];
                if !pool.is_null() {
                    // SAFETY: a pool on usedpools[class] is live, of this class, and has
                    // a non-null free block (pool.rs invariant).
                    return Ok(unsafe { pop_block(st, pool, class) });
                }
                self.alloc_from_new_pool(st, class)
            }
            None => self.alloc_large(size),
        }
    }

    /// Free a block.
    ///
    /// # Safety
    /// `ptr` came from `alloc(size)` (or `realloc(.., size)`) of this heap and was not
    /// freed since.
    #[inline(always)]
    pub(crate) unsafe fn free(&self, ptr: NonNull<u8>, size: usize) {
        match size_class_of(size) {
            Some(class) => {
                // SAFETY: one state borrow for this operation; nothing below re-enters.
                let st = unsafe { self.state() };
                let bp = ptr.as_ptr();
                let pool = pool::pool_of(bp);
                // SAFETY: `ptr` is a live block of class `class` (caller), so its pool is
                // a live, initialised pool of that class holding at least this block.
                unsafe {
                    debug_assert_eq!(
                        (*pool).szidx as usize,
                        class,
                        "free({bp:p}, {size}): the block belongs to another size class"
                    );
                    debug_assert!((*pool).ref_count > 0);
                    #[cfg(feature = "poison")]
                    poison_block(bp, class_block_size(class));
                    let block = bp.cast::<FreeBlock>();
                    let last = (*pool).freeblock;
                    (*block).next = last;
                    (*pool).freeblock = block;
                    (*pool).ref_count -= 1;
                    st.counters.blocks_in_use[class] -= 1;
                    st.counters.bytes_in_use -= class_block_size(class);
                    if last.is_null() {
                        // It was full, so it is on no list and (≥ 2 blocks per pool) it
                        // is not empty now: it becomes usable again.
                        self.settle(st);
                        pool_was_full(st, pool, class);
                    } else if (*pool).ref_count == 0 {
                        if st.usedpools[class] == pool
                            && (*pool).nextpool.is_null()
                            && st.arenas.would_lead_after_return((*pool).arenaindex)
                        {
                            // The sole pool of its class, one that would be parked as
                            // its spare (returning it would make its arena the next
                            // one used anyway): decided later (module docs).
                            st.pending |= 1 << class;
                        } else {
                            self.settle(st);
                            self.pool_became_empty(st, pool, class);
                        }
                    }
                }
            }
            // SAFETY: forwarded contract.
            None => unsafe { self.free_large(ptr, size) },
        }
    }

    /// Resize a block; on error the old block is untouched.
    ///
    /// # Safety
    /// As for [`free`](Self::free) with `old_size`.
    pub(crate) unsafe fn realloc(
        &self,
        ptr: NonNull<u8>,
        old_size: usize,
        new_size: usize,
    ) -> Result<NonNull<u8>, AllocError> {
        if let (Some(a), Some(b)) = (size_class_of(old_size), size_class_of(new_size))
            && a == b
        {
            return Ok(ptr);
        }
        let new = self.alloc(new_size)?;
        // SAFETY: `ptr` is live with at least `old_size` bytes (caller); `new` is a fresh
        // block of at least `new_size` bytes; distinct live blocks never overlap.
        unsafe {
            ptr::copy_nonoverlapping(ptr.as_ptr(), new.as_ptr(), old_size.min(new_size));
            self.free(ptr, old_size);
        }
        Ok(new)
    }

    /// No pool of `class` has a free block: take an empty pool from the most used arena,
    /// mapping a new arena if none has one (CPython `allocate_from_new_pool`).
    #[cold]
    #[inline(never)]
    fn alloc_from_new_pool(&self, st: &mut State, class: usize) -> Result<NonNull<u8>, AllocError> {
        debug_assert!(st.usedpools[class].is_null());
        self.settle(st);
        let size = class_block_size(class);
        if st.arenas.usable_head() == NONE {
            if st.counters.spare_pools > 0 {
                // Spares never cost a mapping: give one back to its arena and use that.
                unpark_any_spare(st);
            } else {
                self.new_arena(st, size)?;
            }
        }
        let idx = st.arenas.usable_head();
        let arena = st.arenas.get_mut(idx);
        let pool = if !arena.freepools.is_null() {
            let pool = arena.freepools;
            // SAFETY: pools on an arena's freepools list are initialised, empty headers.
            arena.freepools = unsafe { (*pool).nextpool };
            pool
        } else {
            debug_assert!((arena.next_untouched as usize) < POOLS_PER_ARENA);
            // SAFETY: next_untouched < POOLS_PER_ARENA (nfreepools > 0 and the freepools
            // list is empty), so the pool lies inside the live arena and was never used.
            unsafe {
                let pool = arena
                    .base
                    .add(arena.next_untouched as usize * POOL_SIZE)
                    .cast::<PoolHeader>();
                pool::carve(pool, idx);
                arena.next_untouched += 1;
                pool
            }
        };
        st.arenas.took_pool(idx);
        st.counters.empty_pools -= 1;
        // SAFETY: `pool` is an empty, initialised pool of a live arena, now on no list.
        unsafe {
            (*pool).nextpool = ptr::null_mut();
            if (*pool).szidx as usize != class {
                // A pool that last served this class keeps its free list (CPython).
                pool::init(pool, class, size);
            }
            pool::push_front(&mut st.usedpools[class], pool);
            st.counters.used_pools[class] += 1;
            st.counters.untouched[class] += pool::untouched_blocks(pool, size);
            st.counters.pools_taken += 1;
            // Not `pop_block`: this empty pool is a used pool already, not a spare.
            Ok(take_block(st, pool, class))
        }
    }

    /// Map an arena and make it the usable head (CPython `new_arena`).
    #[cold]
    #[inline(never)]
    fn new_arena(&self, st: &mut State, request: usize) -> Result<(), AllocError> {
        if st.arenas.try_reserve_slot().is_err() {
            return Err(AllocError::new(request, AllocErrorKind::Metadata));
        }
        let Some(base) = self.source.map_arena() else {
            return Err(AllocError::new(request, AllocErrorKind::ArenaMapFailed));
        };
        debug_assert_eq!(base.as_ptr().addr() % ARENA_SIZE, 0, "misaligned arena");
        st.arenas.insert(base.as_ptr());
        st.counters.empty_pools += POOLS_PER_ARENA;
        st.counters.arenas_mapped += 1;
        let held = self.held(st);
        st.counters.peak_held = st.counters.peak_held.max(held);
        Ok(())
    }

    /// Settle the pending pools (module docs): call before any arena decision or
    /// statistic.
    #[inline(always)]
    fn settle(&self, st: &mut State) {
        if st.pending != 0 {
            self.settle_pending(st);
        }
    }

    #[cold]
    #[inline(never)]
    fn settle_pending(&self, st: &mut State) {
        while st.pending != 0 {
            let class = st.pending.trailing_zeros() as usize;
            st.pending &= st.pending - 1;
            let pool = st.usedpools[class];
            // SAFETY: a pending bit is set only for the sole pool on usedpools[class]
            // when it emptied, and cleared when that pool is allocated from; nothing
            // else changes that list meanwhile (every other change settles first).
            unsafe {
                debug_assert!(!pool.is_null() && (*pool).ref_count == 0);
                debug_assert!((*pool).nextpool.is_null());
            }
            self.pool_became_empty(st, pool, class);
        }
    }

    /// The last block of `pool` was freed. If it is the only pool of its class with a
    /// free block and returning it would make its arena the usable head (so the next new
    /// pool would be this one again), park it there as the class's spare; otherwise move
    /// it to its arena's free pools and re-sort the arena (CPython `insert_to_freepool`). Either way, an
    /// arena left with only free and spare pools beyond the retention budget is unmapped.
    #[cold]
    #[inline(never)]
    fn pool_became_empty(&self, st: &mut State, pool: *mut PoolHeader, class: usize) {
        // SAFETY: `pool` is a live, empty pool of `class` on usedpools[class] (it had a
        // free block before this free, so it was on the list).
        let (idx, untouched) = unsafe {
            (
                (*pool).arenaindex,
                pool::untouched_blocks(pool, class_block_size(class)),
            )
        };
        // An empty pool counts as empty whether parked or returned.
        st.counters.untouched[class] -= untouched;
        st.counters.used_pools[class] -= 1;
        st.counters.empty_pools += 1;
        // SAFETY: `pool` is on usedpools[class] (above), so its links are valid.
        let sole = st.usedpools[class] == pool && unsafe { (*pool).nextpool.is_null() };
        let release = if sole && st.arenas.would_lead_after_return(idx) {
            // Park it: it stays on usedpools[class] with its free list.
            st.counters.spare_pools += 1;
            st.arenas.parked_spare(idx, self.max_empty_arenas)
        } else {
            // SAFETY: `pool` is on usedpools[class]; it then goes on no list but its
            // arena's freepools (singly linked via nextpool).
            unsafe {
                pool::unlink(&mut st.usedpools[class], pool);
                let arena = st.arenas.get_mut(idx);
                (*pool).nextpool = arena.freepools;
                arena.freepools = pool;
            }
            st.arenas.returned_pool(idx, self.max_empty_arenas)
        };
        if release {
            self.release_arena(st, idx);
        }
    }

    /// Arena `idx` has only free and spare pools and the arena table took it out of the
    /// order (over the retention budget): unpark its spares and give it back.
    #[cold]
    #[inline(never)]
    fn release_arena(&self, st: &mut State, idx: u32) {
        for class in 0..NUM_SIZE_CLASSES {
            let head = st.usedpools[class];
            // SAFETY: a pool on a usedpools list is a live header; a spare is the sole
            // pool of its list, so unlinking it leaves the list empty.
            unsafe {
                if !head.is_null() && (*head).ref_count == 0 && (*head).arenaindex == idx {
                    pool::unlink(&mut st.usedpools[class], head);
                    let arena = st.arenas.get_mut(idx);
                    (*head).nextpool = arena.freepools;
                    arena.freepools = head;
                    st.counters.spare_pools -= 1;
                }
            }
        }
        let base = st.arenas.get(idx).base;
        // SAFETY: every pool of the arena is empty: no live block points into it, and it
        // is on no list (its spares were unlinked above). It came from this source.
        unsafe { self.source.unmap_arena(NonNull::new_unchecked(base)) };
        st.arenas.release(idx);
        st.counters.empty_pools -= POOLS_PER_ARENA;
        st.counters.arenas_released += 1;
    }

    #[cold]
    #[inline(never)]
    fn alloc_large(&self, size: usize) -> Result<NonNull<u8>, AllocError> {
        let total = size
            .checked_add(LARGE_HEADER_SIZE)
            .filter(|&t| t <= isize::MAX as usize)
            .ok_or(AllocError::new(size, AllocErrorKind::TooLarge))?;
        let Some(raw) = self.source.alloc_large(total) else {
            return Err(AllocError::new(size, AllocErrorKind::LargeAllocFailed));
        };
        // SAFETY: one state borrow for this operation (the source call is over).
        let st = unsafe { self.state() };
        // SAFETY: `raw` is valid for `total` bytes, 16-aligned (source contract).
        unsafe {
            st.large.push(raw.as_ptr().cast::<LargeHeader>(), size);
            st.counters.bytes_in_use += size;
            st.counters.peak_in_use = st.counters.peak_in_use.max(st.counters.bytes_in_use);
            let held = self.held(st);
            st.counters.peak_held = st.counters.peak_held.max(held);
            Ok(NonNull::new_unchecked(raw.as_ptr().add(LARGE_HEADER_SIZE)))
        }
    }

    /// # Safety
    /// `ptr` is a live large allocation of this heap of `size` bytes.
    #[cold]
    #[inline(never)]
    unsafe fn free_large(&self, ptr: NonNull<u8>, size: usize) {
        // SAFETY: one state borrow, ended before the source is called.
        let st = unsafe { self.state() };
        // SAFETY: the header sits LARGE_HEADER_SIZE bytes before the payload (caller).
        unsafe {
            let hdr = ptr.as_ptr().sub(LARGE_HEADER_SIZE).cast::<LargeHeader>();
            debug_assert_eq!(
                (*hdr).size,
                size,
                "free of a large block with the wrong size"
            );
            let size = st.large.remove(hdr);
            st.counters.bytes_in_use -= size;
            self.source
                .free_large(NonNull::new_unchecked(hdr.cast()), size + LARGE_HEADER_SIZE);
        }
    }

    fn held(&self, st: &State) -> usize {
        st.arenas.live() * ARENA_SIZE + st.large.bytes + st.large.count * LARGE_HEADER_SIZE
    }

    /// Bytes currently held from the memory source.
    #[inline]
    pub(crate) fn bytes_held(&self) -> usize {
        // SAFETY: one state borrow for this operation.
        let st = unsafe { self.state() };
        self.settle(st);
        self.held(st)
    }

    /// Bytes currently handed out.
    #[inline]
    pub(crate) fn bytes_in_use(&self) -> usize {
        // SAFETY: one state borrow for this (read-only) operation.
        unsafe { self.state() }.counters.bytes_in_use
    }

    pub(crate) fn stats(&self) -> HeapStats {
        // SAFETY: one state borrow for this operation.
        let st = unsafe { self.state() };
        self.settle(st);
        snapshot(
            &st.counters,
            st.arenas.live(),
            st.arenas.empty(),
            st.large.count,
            st.large.bytes,
            st.arenas.metadata_bytes(),
        )
    }

    /// Walk every arena, pool, free list, pool list and large allocation; recompute every
    /// counter and compare. Bounded walks: a corrupted list yields `false`, not a hang.
    pub(crate) fn check_invariants(&self) -> bool {
        // SAFETY: one state borrow for this operation.
        let st = unsafe { self.state() };
        // The invariants are those of the settled state (module docs).
        self.settle(st);
        // SAFETY: the walk only dereferences pools of live arenas, found from the arena
        // table, and checks every link's bounds before following it.
        unsafe { check(st) }
    }
}

/// Hand out the first free block of `pool` (the fast path of CPython `pymalloc_alloc`),
/// noticing when `pool` is its class's spare.
///
/// # Safety
/// `pool` is a live pool of `class` on `usedpools[class]` with a non-null `freeblock`.
#[inline(always)]
unsafe fn pop_block(st: &mut State, pool: *mut PoolHeader, class: usize) -> NonNull<u8> {
    // SAFETY: the header is valid (caller); an empty pool on usedpools is a spare.
    unsafe {
        if (*pool).ref_count == 0 {
            let bit = 1 << class;
            if st.pending & bit != 0 {
                // Emptied and refilled before anything looked: nothing was accounted.
                st.pending &= !bit;
            } else {
                spare_reused(st, pool, class);
            }
        }
        take_block(st, pool, class)
    }
}

/// Hand out the first free block of `pool`, a used pool.
///
/// # Safety
/// `pool` is a live pool of `class` on `usedpools[class]` with a non-null `freeblock`,
/// accounted as a used pool: not a spare (an empty pool only comes here fresh from
/// `alloc_from_new_pool`, which counted it as used).
#[inline(always)]
unsafe fn take_block(st: &mut State, pool: *mut PoolHeader, class: usize) -> NonNull<u8> {
    let size = class_block_size(class);
    // SAFETY: the header is valid and `freeblock` a free block of this pool (caller).
    unsafe {
        debug_assert_eq!((*pool).szidx as usize, class);
        let bp = (*pool).freeblock;
        debug_assert!(!bp.is_null());
        (*pool).ref_count += 1;
        let next = (*bp).next;
        (*pool).freeblock = next;
        if next.is_null() {
            pool_free_list_empty(st, pool, class);
        }
        st.counters.blocks_in_use[class] += 1;
        st.counters.bytes_in_use += size;
        if st.counters.bytes_in_use > st.counters.peak_in_use {
            st.counters.peak_in_use = st.counters.bytes_in_use;
        }
        NonNull::new_unchecked(bp.cast())
    }
}

/// The free list of `pool` ran dry: carve a never-used block, or, if the pool is full,
/// take it off `usedpools` (CPython `pymalloc_pool_extend`).
///
/// # Safety
/// `pool` is a live pool of `class` on `usedpools[class]` with a null `freeblock`.
#[cold]
#[inline(never)]
unsafe fn pool_free_list_empty(st: &mut State, pool: *mut PoolHeader, class: usize) {
    // SAFETY: forwarded from the caller.
    unsafe {
        if pool::extend(pool, class_block_size(class)) {
            st.counters.untouched[class] -= 1;
        } else {
            pool::unlink(&mut st.usedpools[class], pool);
        }
    }
}

/// A block was freed into the full `pool`: it has a free block again, so it goes to the
/// front of `usedpools[class]`, where the next allocation of the class finds it. A spare
/// of the class there goes back to its arena (a spare is always alone on its list).
///
/// # Safety
/// `pool` is a live pool of `class` on no list, with one free block now.
#[cold]
#[inline(never)]
unsafe fn pool_was_full(st: &mut State, pool: *mut PoolHeader, class: usize) {
    let spare = st.usedpools[class];
    // SAFETY: a pool on usedpools is a live header; `pool` is on no list (caller).
    unsafe {
        if !spare.is_null() && (*spare).ref_count == 0 {
            // The class's spare must be the sole pool on its list: now that a used pool
            // has a free block again, the spare goes back to its arena.
            unpark(st, spare, class);
        }
        pool::push_front(&mut st.usedpools[class], pool);
    }
}

/// Move the spare `spare` (the sole pool on `usedpools[class]`) to its arena's free
/// pools: it stays an empty pool, and the arena's emptiness does not change.
///
/// # Safety
/// `spare` is the spare of `class`: a live, empty pool, the sole pool on
/// `usedpools[class]`.
unsafe fn unpark(st: &mut State, spare: *mut PoolHeader, class: usize) {
    // SAFETY: `spare` is a live header on usedpools[class] (caller); afterwards it is
    // on its arena's freepools only.
    unsafe {
        pool::unlink(&mut st.usedpools[class], spare);
        let idx = (*spare).arenaindex;
        let arena = st.arenas.get_mut(idx);
        (*spare).nextpool = arena.freepools;
        arena.freepools = spare;
        st.arenas.spare_returned(idx);
    }
    st.counters.spare_pools -= 1;
}

/// No arena has a free pool, but some class has a spare: return one to its arena (which
/// then has a free pool and becomes the usable head).
#[cold]
#[inline(never)]
fn unpark_any_spare(st: &mut State) {
    for class in 0..NUM_SIZE_CLASSES {
        let head = st.usedpools[class];
        // SAFETY: a pool on a usedpools list is a live header; one with ref_count 0 is
        // the class's spare (sole on its list).
        unsafe {
            if !head.is_null() && (*head).ref_count == 0 {
                unpark(st, head, class);
                return;
            }
        }
    }
    debug_assert!(false, "spare_pools > 0 but no spare found");
}

/// The spare of `class` is being allocated from: it is a used pool again.
///
/// # Safety
/// `pool` is the spare of `class`: a live, empty pool, the sole pool on
/// `usedpools[class]`.
#[cold]
#[inline(never)]
unsafe fn spare_reused(st: &mut State, pool: *mut PoolHeader, class: usize) {
    // SAFETY: the header is valid (caller).
    let (idx, untouched) = unsafe {
        debug_assert!(st.usedpools[class] == pool && (*pool).nextpool.is_null());
        (
            (*pool).arenaindex,
            pool::untouched_blocks(pool, class_block_size(class)),
        )
    };
    st.arenas.reused_spare(idx);
    st.counters.spare_pools -= 1;
    st.counters.empty_pools -= 1;
    st.counters.used_pools[class] += 1;
    st.counters.untouched[class] += untouched;
}

/// Fill a freed block with `0xDB`, except the free-list link word.
///
/// # Safety
/// `bp` is a block of `size` bytes that nothing uses any more.
#[cfg(feature = "poison")]
#[inline]
unsafe fn poison_block(bp: *mut u8, size: usize) {
    let link = size_of::<*mut FreeBlock>();
    // SAFETY: the block has `size` ≥ 8 = link bytes (an 8-byte block has nothing past
    // its link to fill) and is unused (caller).
    unsafe { ptr::write_bytes(bp.add(link), crate::POISON_BYTE, size - link) };
}

impl Drop for RawHeap {
    /// Unmap every arena and free every outstanding large allocation. Blocks still held
    /// by the owner dangle afterwards; not using them is the owner's responsibility.
    fn drop(&mut self) {
        let st = self.state.get_mut();
        let bases: Vec<*mut u8> = st
            .arenas
            .live_indices()
            .map(|i| st.arenas.get(i).base)
            .collect();
        for base in bases {
            // SAFETY: a live arena from this source; the heap is going away.
            unsafe { self.source.unmap_arena(NonNull::new_unchecked(base)) };
        }
        st.arenas.clear();
        while !st.large.head.is_null() {
            let hdr = st.large.head;
            // SAFETY: `hdr` is on the list; it came from alloc_large(size + header).
            unsafe {
                let size = st.large.remove(hdr);
                self.source
                    .free_large(NonNull::new_unchecked(hdr.cast()), size + LARGE_HEADER_SIZE);
            }
        }
        st.usedpools = [ptr::null_mut(); NUM_SIZE_CLASSES];
    }
}

/// The invariant walker behind [`RawHeap::check_invariants`].
///
/// # Safety
/// `st` is the state of a heap whose arenas are all live mappings.
unsafe fn check(st: &State) -> bool {
    macro_rules! ensure {
        ($cond:expr) => {
            if !$cond {
                if cfg!(debug_assertions) {
                    eprintln!("mrt-alloc invariant failed: {}", stringify!($cond));
                }
                return false;
            }
        };
    }
    // Called on a settled state only.
    ensure!(st.pending == 0);
    ensure!(st.arenas.check());
    let mut blocks = [0usize; NUM_SIZE_CLASSES];
    let mut pools = [0usize; NUM_SIZE_CLASSES];
    let mut untouched = [0usize; NUM_SIZE_CLASSES];
    let mut usable_pools = [0usize; NUM_SIZE_CLASSES];
    let mut empty_pools = 0usize;
    let mut spare_pools = 0usize;
    let mut empty_arenas = 0usize;
    for idx in st.arenas.live_indices() {
        let arena = st.arenas.get(idx);
        let base = arena.base;
        ensure!(base.addr().is_multiple_of(ARENA_SIZE));
        ensure!(arena.next_untouched as usize <= POOLS_PER_ARENA);
        let in_arena = |p: *const PoolHeader| {
            p.addr() >= base.addr()
                && p.addr() < base.addr() + arena.next_untouched as usize * POOL_SIZE
                && p.addr().is_multiple_of(POOL_SIZE)
        };
        // The free pools.
        let mut is_free = [false; POOLS_PER_ARENA];
        let mut free_listed = 0usize;
        let mut p = arena.freepools;
        while !p.is_null() {
            ensure!(in_arena(p) && free_listed < POOLS_PER_ARENA);
            let k = (p.addr() - base.addr()) / POOL_SIZE;
            ensure!(!is_free[k]);
            is_free[k] = true;
            free_listed += 1;
            // SAFETY: `p` is a carved pool of this live arena (checked above).
            unsafe {
                ensure!((*p).ref_count == 0 && (*p).arenaindex == idx);
                p = (*p).nextpool;
            }
        }
        let never = POOLS_PER_ARENA - arena.next_untouched as usize;
        ensure!(arena.nfreepools as usize == free_listed + never);
        empty_pools += free_listed + never;
        // The used pools and spares: every carved pool not on the free list.
        let mut spares = 0usize;
        for (k, &free) in is_free
            .iter()
            .enumerate()
            .take(arena.next_untouched as usize)
        {
            if free {
                continue;
            }
            // SAFETY: pool `k` < next_untouched is a carved pool of this live arena.
            unsafe {
                let pool = base.add(k * POOL_SIZE).cast::<PoolHeader>();
                ensure!((*pool).arenaindex == idx && (*pool).szidx != NO_CLASS);
                let class = (*pool).szidx as usize;
                ensure!(class < NUM_SIZE_CLASSES);
                let size = class_block_size(class);
                let cap = blocks_per_pool(class);
                let used = (*pool).ref_count as usize;
                ensure!(used <= cap);
                let spare = used == 0;
                if spare {
                    // A spare: the sole pool on its class's usedpools list.
                    ensure!(st.usedpools[class] == pool);
                    ensure!((*pool).nextpool.is_null() && (*pool).prevpool.is_null());
                }
                ensure!((*pool).maxnextoffset as usize == POOL_SIZE - size);
                let next = (*pool).nextoffset as usize;
                ensure!(
                    next >= POOL_OVERHEAD + size && (next - POOL_OVERHEAD).is_multiple_of(size)
                );
                ensure!(next <= POOL_SIZE);
                let tail = pool::untouched_blocks(pool, size);
                // Walk the free list: in bounds, on a block boundary, below nextoffset,
                // no duplicates, no cycle.
                let mut seen = [0u64; POOL_SIZE / ALIGNMENT / 64];
                let mut nfree = 0usize;
                let mut b = (*pool).freeblock;
                while !b.is_null() {
                    let off = b.addr().wrapping_sub(pool.addr());
                    ensure!(off >= POOL_OVERHEAD && off < next && nfree < cap);
                    ensure!((off - POOL_OVERHEAD).is_multiple_of(size));
                    let i = (off - POOL_OVERHEAD) / size;
                    ensure!(seen[i / 64] & (1 << (i % 64)) == 0);
                    seen[i / 64] |= 1 << (i % 64);
                    nfree += 1;
                    b = (*b).next;
                }
                ensure!(used + nfree + tail == cap);
                // Full ⇔ no free block (never-used blocks are carved eagerly one at a time).
                ensure!((*pool).freeblock.is_null() == (used == cap));
                if used < cap {
                    usable_pools[class] += 1;
                }
                if spare {
                    // An empty pool for the statistics.
                    spares += 1;
                    empty_pools += 1;
                } else {
                    blocks[class] += used;
                    pools[class] += 1;
                    untouched[class] += tail;
                }
            }
        }
        ensure!(arena.nspare as usize == spares);
        spare_pools += spares;
        if free_listed + never + spares == POOLS_PER_ARENA {
            empty_arenas += 1;
        }
    }
    ensure!(empty_arenas == st.arenas.empty());
    // The usedpools lists: exactly the pools of each class with a free block.
    let total_pools = st.arenas.live() * POOLS_PER_ARENA;
    for (class, &head) in st.usedpools.iter().enumerate() {
        let mut n = 0usize;
        let mut prev: *mut PoolHeader = ptr::null_mut();
        let mut p = head;
        while !p.is_null() {
            ensure!(n < total_pools);
            // SAFETY: pools on usedpools lists are live headers; the count bound above
            // stops a cycle and the final count check catches foreign pointers.
            unsafe {
                ensure!((*p).prevpool == prev);
                ensure!((*p).szidx as usize == class && !(*p).freeblock.is_null());
                prev = p;
                p = (*p).nextpool;
            }
            n += 1;
        }
        ensure!(n == usable_pools[class]);
    }
    // Large allocations.
    let mut large_count = 0usize;
    let mut large_bytes = 0usize;
    let mut prev: *mut LargeHeader = ptr::null_mut();
    let mut h = st.large.head;
    while !h.is_null() {
        ensure!(large_count < st.large.count);
        // SAFETY: headers on the large list are live allocations of this heap.
        unsafe {
            ensure!((*h).prev == prev && h.addr().is_multiple_of(crate::ALIGNMENT));
            large_count += 1;
            large_bytes += (*h).size;
            prev = h;
            h = (*h).next;
        }
    }
    ensure!(large_count == st.large.count && large_bytes == st.large.bytes);
    // Counters against the walk.
    let c = &st.counters;
    ensure!(c.blocks_in_use == blocks);
    ensure!(c.used_pools == pools);
    ensure!(c.untouched == untouched);
    ensure!(c.empty_pools == empty_pools);
    ensure!(c.spare_pools == spare_pools);
    let small: usize = (0..NUM_SIZE_CLASSES)
        .map(|i| blocks[i] * class_block_size(i))
        .sum();
    ensure!(c.bytes_in_use == small + large_bytes);
    ensure!(c.peak_in_use >= c.bytes_in_use);
    let stats = snapshot(
        c,
        st.arenas.live(),
        empty_arenas,
        large_count,
        large_bytes,
        0,
    );
    ensure!(stats.unaccounted_bytes() == 0);
    ensure!(stats.peak_bytes_held >= stats.bytes_held);
    ensure!(c.arenas_mapped - c.arenas_released == st.arenas.live() as u64);
    true
}
