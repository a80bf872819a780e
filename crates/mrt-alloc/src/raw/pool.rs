//! Pools: one [`POOL_SIZE`] page of blocks of a single size class (raw layer).
//!
//! ```text
//!  pool (POOL_SIZE-aligned, so pool_of(block) = block & !(POOL_SIZE - 1))
//!  +--------------+---------+---------+---------+-- ... --+---------+--------+
//!  | PoolHeader   | block 0 | block 1 | block 2 |         | block k | waste  |
//!  | (48 bytes)   |  used   |  free ──┼──> ...  |         | never   |        |
//!  +--------------+---------+---------+---------+-- ... --+---------+--------+
//!  ^ header       ^ POOL_OVERHEAD               ^ nextoffset  (≤ maxnextoffset:
//!                                                  blocks from here on were never used)
//! ```
//! A free block's first word links it into the pool's free list (`freeblock`). Blocks
//! past `nextoffset` were never handed out and are carved one at a time when the free
//! list runs dry (CPython `pymalloc_pool_extend`), so a pool touches memory lazily.
//!
//! Invariant of a pool on its size class's `usedpools` list: `freeblock` is non-null
//! (it has a block to hand out without further checks). A full pool has a null
//! `freeblock` and is on no list; an empty pool is on its arena's `freepools` list, or
//! it is its class's *spare*: the sole pool on `usedpools` (see `raw/heap.rs`).
#![allow(unsafe_code)]

use crate::size_class::{POOL_OVERHEAD, POOL_SIZE};
use std::ptr;

/// A free block: its first word links to the next free block of the pool.
#[repr(C)]
pub(crate) struct FreeBlock {
    pub(crate) next: *mut FreeBlock,
}

/// The header at the start of every pool (CPython `struct pool_header`).
#[repr(C)]
pub(crate) struct PoolHeader {
    /// Blocks handed out and not yet freed.
    pub(crate) ref_count: u32,
    /// Size class index; `NO_CLASS` for a pool never initialised.
    pub(crate) szidx: u32,
    /// Head of the free list; null when the pool is full.
    pub(crate) freeblock: *mut FreeBlock,
    /// Next pool in `usedpools[szidx]` or in the arena's `freepools` list.
    pub(crate) nextpool: *mut PoolHeader,
    /// Previous pool in `usedpools[szidx]` (unused on `freepools`).
    pub(crate) prevpool: *mut PoolHeader,
    /// Index of the owning arena in the arena table.
    pub(crate) arenaindex: u32,
    /// Offset of the first never-used block.
    pub(crate) nextoffset: u32,
    /// Largest valid `nextoffset` (`POOL_SIZE - block size`).
    pub(crate) maxnextoffset: u32,
    _reserved: u32,
}

const _: () = assert!(size_of::<PoolHeader>() <= POOL_OVERHEAD);
const _: () = assert!(align_of::<PoolHeader>() <= crate::ALIGNMENT);

/// `szidx` of a pool that was carved but never given a size class.
pub(crate) const NO_CLASS: u32 = u32::MAX;

/// The pool holding `block`: mask the address (pools are `POOL_SIZE`-aligned).
///
/// Pure address arithmetic; it keeps the provenance of `block` (the arena mapping), so
/// the result may be dereferenced if `block` lies in a live pool.
#[inline(always)]
pub(crate) fn pool_of(block: *mut u8) -> *mut PoolHeader {
    block.map_addr(|a| a & !(POOL_SIZE - 1)).cast()
}

/// Write a fresh header into the never-used pool at `pool` for arena `arenaindex`.
///
/// # Safety
/// `pool` is `POOL_SIZE`-aligned, writable for `POOL_SIZE` bytes and holds no live block.
pub(crate) unsafe fn carve(pool: *mut PoolHeader, arenaindex: u32) {
    // SAFETY: `pool` is writable and aligned (caller); a header fits (const assert).
    unsafe {
        pool.write(PoolHeader {
            ref_count: 0,
            szidx: NO_CLASS,
            freeblock: ptr::null_mut(),
            nextpool: ptr::null_mut(),
            prevpool: ptr::null_mut(),
            arenaindex,
            nextoffset: 0,
            maxnextoffset: 0,
            _reserved: 0,
        });
    }
}

/// Give the empty pool `pool` size class `class` of block size `size`: one block on the
/// free list, the rest never used (CPython `init_pool`, minus the first allocation).
///
/// # Safety
/// `pool` points to an initialised header of an empty pool (`ref_count == 0`) that is on
/// no list, inside a live arena.
pub(crate) unsafe fn init(pool: *mut PoolHeader, class: usize, size: usize) {
    // SAFETY: the header is valid and the pool writable (caller); the first block lies
    // at POOL_OVERHEAD < POOL_SIZE, inside the pool.
    unsafe {
        debug_assert_eq!((*pool).ref_count, 0);
        let first = pool.cast::<u8>().add(POOL_OVERHEAD).cast::<FreeBlock>();
        (*first).next = ptr::null_mut();
        (*pool).szidx = class as u32;
        (*pool).freeblock = first;
        (*pool).nextoffset = (POOL_OVERHEAD + size) as u32;
        (*pool).maxnextoffset = (POOL_SIZE - size) as u32;
    }
}

/// Never-used blocks left in `pool` (`size` is its block size).
///
/// # Safety
/// `pool` points to an initialised header with a size class.
#[inline]
pub(crate) unsafe fn untouched_blocks(pool: *const PoolHeader, size: usize) -> usize {
    // SAFETY: the header is valid (caller).
    let (next, max) = unsafe { ((*pool).nextoffset, (*pool).maxnextoffset) };
    if next <= max {
        (max - next) as usize / size + 1
    } else {
        0
    }
}

/// The free list of `pool` just ran dry: carve the next never-used block onto it.
/// Returns `false` (and changes nothing) when the pool has none left, i.e. it is full.
///
/// # Safety
/// `pool` points to an initialised header of a pool with block size `size` whose
/// `freeblock` is null.
#[inline]
pub(crate) unsafe fn extend(pool: *mut PoolHeader, size: usize) -> bool {
    // SAFETY: the header is valid (caller); `nextoffset <= maxnextoffset` means a whole
    // block fits before the end of the pool, so the write stays inside it.
    unsafe {
        debug_assert!((*pool).freeblock.is_null());
        let next = (*pool).nextoffset;
        if next > (*pool).maxnextoffset {
            return false;
        }
        let block = pool.cast::<u8>().add(next as usize).cast::<FreeBlock>();
        (*block).next = ptr::null_mut();
        (*pool).freeblock = block;
        (*pool).nextoffset = next + size as u32;
        true
    }
}

/// Push `pool` at the front of the doubly linked list whose head is `*head`.
///
/// # Safety
/// `pool` is a valid header on no list; `*head` is null or the valid head of the list.
#[inline]
pub(crate) unsafe fn push_front(head: &mut *mut PoolHeader, pool: *mut PoolHeader) {
    // SAFETY: both headers are valid (caller).
    unsafe {
        let old = *head;
        (*pool).prevpool = ptr::null_mut();
        (*pool).nextpool = old;
        if !old.is_null() {
            (*old).prevpool = pool;
        }
    }
    *head = pool;
}

/// Remove `pool` from the doubly linked list whose head is `*head`.
///
/// # Safety
/// `pool` is a valid header on the list headed by `*head`.
#[inline]
pub(crate) unsafe fn unlink(head: &mut *mut PoolHeader, pool: *mut PoolHeader) {
    // SAFETY: `pool` and its neighbours are valid headers on this list (caller).
    unsafe {
        let prev = (*pool).prevpool;
        let next = (*pool).nextpool;
        if prev.is_null() {
            debug_assert_eq!(*head, pool);
            *head = next;
        } else {
            (*prev).nextpool = next;
        }
        if !next.is_null() {
            (*next).prevpool = prev;
        }
        (*pool).prevpool = ptr::null_mut();
        (*pool).nextpool = ptr::null_mut();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::size_class::{blocks_per_pool, class_block_size};

    #[repr(C, align(4096))]
    struct Page([u8; POOL_SIZE]);

    #[test]
    fn carve_init_extend_until_full() {
        let mut page = Box::new(Page([0; POOL_SIZE]));
        let pool = (&raw mut page.0).cast::<PoolHeader>();
        for class in [0, 5, 31] {
            let size = class_block_size(class);
            // SAFETY: `page` is a POOL_SIZE-aligned, writable page we own.
            unsafe {
                carve(pool, 7);
                init(pool, class, size);
                assert_eq!(untouched_blocks(pool, size), blocks_per_pool(class) - 1);
                let mut handed = 0;
                loop {
                    let b = (*pool).freeblock;
                    if b.is_null() {
                        break;
                    }
                    assert_eq!(pool_of(b.cast()), pool);
                    handed += 1;
                    (*pool).freeblock = (*b).next;
                    if (*pool).freeblock.is_null() && !extend(pool, size) {
                        break;
                    }
                }
                assert_eq!(handed, blocks_per_pool(class));
                assert_eq!(untouched_blocks(pool, size), 0);
            }
        }
    }
}
