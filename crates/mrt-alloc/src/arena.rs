//! Arenas: the table of arena objects and the `usable_arenas` ordering.
//!
//! An arena is [`ARENA_SIZE`] bytes obtained from the [`MemorySource`](crate::MemorySource),
//! carved into [`POOLS_PER_ARENA`] pools. Its *arena object* (this file) lives outside the
//! arena, in a table indexed by the `arenaindex` stored in every pool header (CPython's
//! `arenas` vector): the table may reallocate, so links between arenas are indices.
//!
//! **Ordering** (CPython `usable_arenas`, `nfp2lasta`). Arenas with at least one free pool
//! are kept in a doubly linked list sorted by `nfreepools` ascending, so a new pool is
//! always taken from the *most used* arena. Lightly used arenas are then left alone and
//! drain, and an arena whose pools are all free goes back to the OS. `nfp2lasta[n]` is the
//! last arena in the list with exactly `n` free pools; it makes the re-sort after a pool is
//! freed O(1): the arena moves just behind `nfp2lasta[old n]` — the only place it can go.
//!
//! Everything here is safe code over indices; the pointers it stores (arena base, the
//! head of the free-pool list) are only dereferenced by the raw layer.

use crate::raw::pool::PoolHeader;
use crate::size_class::POOLS_PER_ARENA;

/// "No arena": the null index of the intrusive lists.
pub(crate) const NONE: u32 = u32::MAX;
const N: u32 = POOLS_PER_ARENA as u32;

/// One arena's bookkeeping (CPython `struct arena_object`).
#[derive(Debug)]
pub(crate) struct ArenaObject {
    /// Start of the mapping (aligned to `ARENA_SIZE`); null while the slot is unused.
    pub(crate) base: *mut u8,
    /// Singly linked list (through `PoolHeader::nextpool`) of empty, initialised pools.
    pub(crate) freepools: *mut PoolHeader,
    /// Free pools: those on `freepools` plus the never-carved ones from `next_untouched`.
    pub(crate) nfreepools: u32,
    /// Index of the first pool never carved yet (pools are carved lazily, in order).
    pub(crate) next_untouched: u32,
    prev: u32,
    next: u32,
}

/// All arena objects plus the usable-arena ordering.
#[derive(Debug)]
pub(crate) struct ArenaTable {
    slots: Vec<ArenaObject>,
    /// Head of the usable list (fewest free pools first); `NONE` when empty.
    usable: u32,
    /// `nfp2lasta[n]`: the last arena in the usable list with `n` free pools, or `NONE`.
    nfp2lasta: [u32; POOLS_PER_ARENA + 1],
    /// Head of the list of unused slots (linked through `next`).
    unused: u32,
    live: usize,
    /// Arenas with all their pools free (kept mapped, at the tail of the usable list).
    empty: usize,
}

impl ArenaTable {
    /// An empty table (allocates nothing).
    pub(crate) const fn new() -> Self {
        Self {
            slots: Vec::new(),
            usable: NONE,
            nfp2lasta: [NONE; POOLS_PER_ARENA + 1],
            unused: NONE,
            live: 0,
            empty: 0,
        }
    }

    /// Arenas held with every pool free (retained for reuse).
    pub(crate) fn empty(&self) -> usize {
        self.empty
    }

    /// Number of arenas currently held.
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// Bytes of the table itself (metadata held in the system allocator).
    pub(crate) fn metadata_bytes(&self) -> usize {
        self.slots.capacity() * size_of::<ArenaObject>()
    }

    /// The head of the usable list: the most used arena with a free pool, or `NONE`.
    #[inline]
    pub(crate) fn usable_head(&self) -> u32 {
        self.usable
    }

    /// The arena object in slot `idx`.
    #[inline]
    pub(crate) fn get(&self, idx: u32) -> &ArenaObject {
        &self.slots[idx as usize]
    }

    /// The arena object in slot `idx`, mutably.
    #[inline]
    pub(crate) fn get_mut(&mut self, idx: u32) -> &mut ArenaObject {
        &mut self.slots[idx as usize]
    }

    /// Indices of the slots holding an arena.
    pub(crate) fn live_indices(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.base.is_null())
            .map(|(i, _)| i as u32)
    }

    /// Make sure [`insert`](Self::insert) will not need to allocate. `Err` if the table
    /// cannot grow (the caller reports an allocation error; nothing changed).
    pub(crate) fn try_reserve_slot(&mut self) -> Result<(), ()> {
        if self.unused != NONE {
            return Ok(());
        }
        self.slots.try_reserve(1).map_err(|_| ())
    }

    /// Register a freshly mapped arena with all its pools free, as the new usable head.
    ///
    /// Called only when the usable list is empty (CPython `new_arena`), after
    /// [`try_reserve_slot`](Self::try_reserve_slot) succeeded.
    pub(crate) fn insert(&mut self, base: *mut u8) -> u32 {
        debug_assert_eq!(self.usable, NONE, "new arena while another has free pools");
        debug_assert!(!base.is_null());
        let object = ArenaObject {
            base,
            freepools: std::ptr::null_mut(),
            nfreepools: N,
            next_untouched: 0,
            prev: NONE,
            next: NONE,
        };
        let idx = if self.unused != NONE {
            let idx = self.unused;
            self.unused = self.slots[idx as usize].next;
            self.slots[idx as usize] = object;
            idx
        } else {
            debug_assert!(
                self.slots.len() < self.slots.capacity(),
                "slot not reserved"
            );
            self.slots.push(object);
            (self.slots.len() - 1) as u32
        };
        self.usable = idx;
        self.nfp2lasta[N as usize] = idx;
        self.live += 1;
        self.empty += 1;
        idx
    }

    /// The usable head `idx` just handed out one of its free pools
    /// (CPython `allocate_from_new_pool`): keep `nfp2lasta` right, and drop the arena from
    /// the usable list once it is full.
    pub(crate) fn took_pool(&mut self, idx: u32) {
        debug_assert_eq!(
            idx, self.usable,
            "pools are taken from the usable head only"
        );
        let nf = self.slots[idx as usize].nfreepools;
        debug_assert!(nf > 0);
        if nf == N {
            self.empty -= 1;
        }
        // The head has the fewest free pools; if it was the last with `nf`, none remain.
        if self.nfp2lasta[nf as usize] == idx {
            self.nfp2lasta[nf as usize] = NONE;
        }
        // With `nf - 1` it is now strictly below every other arena: alone at the front.
        if nf > 1 {
            debug_assert_eq!(self.nfp2lasta[nf as usize - 1], NONE);
            self.nfp2lasta[nf as usize - 1] = idx;
        }
        self.slots[idx as usize].nfreepools = nf - 1;
        if nf == 1 {
            // Full: unlink the head.
            let next = self.slots[idx as usize].next;
            self.usable = next;
            if next != NONE {
                self.slots[next as usize].prev = NONE;
            }
            let a = &mut self.slots[idx as usize];
            a.next = NONE;
            a.prev = NONE;
        }
    }

    /// Arena `idx` got one pool back (CPython `insert_to_freepool`, the arena half).
    ///
    /// Returns `true` when the arena is now entirely free and has been removed from the
    /// usable list: the caller must unmap it and then call [`release`](Self::release).
    /// Up to `max_empty` entirely free arenas are kept mapped (at the tail of the list,
    /// used last): hysteresis against mapping and unmapping on every oscillation of a
    /// workload around an arena boundary (CPython keeps one, in a slightly different way).
    pub(crate) fn returned_pool(&mut self, idx: u32, max_empty: usize) -> bool {
        let nf = self.slots[idx as usize].nfreepools;
        debug_assert!(nf < N);
        let lastnf = self.nfp2lasta[nf as usize];
        if nf > 0 && lastnf == idx {
            // It was the last with `nf`: the new last with `nf` is its predecessor, if equal.
            let prev = self.slots[idx as usize].prev;
            self.nfp2lasta[nf as usize] =
                if prev != NONE && self.slots[prev as usize].nfreepools == nf {
                    prev
                } else {
                    NONE
                };
        }
        let nf = nf + 1;
        self.slots[idx as usize].nfreepools = nf;

        if nf == N {
            if self.empty >= max_empty {
                // Case 1: entirely free and enough are retained already → give it back.
                self.unlink(idx);
                return true;
            }
            self.empty += 1;
        }
        if nf == 1 {
            // Case 2: it was full, so it is not in the list; it has the fewest free pools.
            let head = self.usable;
            let a = &mut self.slots[idx as usize];
            a.prev = NONE;
            a.next = head;
            if head != NONE {
                self.slots[head as usize].prev = idx;
            }
            self.usable = idx;
            if self.nfp2lasta[1] == NONE {
                self.nfp2lasta[1] = idx;
            }
            return false;
        }
        if self.nfp2lasta[nf as usize] == NONE {
            self.nfp2lasta[nf as usize] = idx;
        }
        if lastnf == idx {
            // Case 4: it was the last with the old count, so it is still in order.
            return false;
        }
        // Case 3: move it just behind `lastnf`, the last arena with the old count.
        self.unlink(idx);
        let after = self.slots[lastnf as usize].next;
        {
            let a = &mut self.slots[idx as usize];
            a.prev = lastnf;
            a.next = after;
        }
        if after != NONE {
            self.slots[after as usize].prev = idx;
        }
        self.slots[lastnf as usize].next = idx;
        false
    }

    fn unlink(&mut self, idx: u32) {
        let (prev, next) = {
            let a = &self.slots[idx as usize];
            (a.prev, a.next)
        };
        if prev == NONE {
            debug_assert_eq!(self.usable, idx);
            self.usable = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next != NONE {
            self.slots[next as usize].prev = prev;
        }
        let a = &mut self.slots[idx as usize];
        a.prev = NONE;
        a.next = NONE;
    }

    /// Forget arena `idx` (already unlinked by [`returned_pool`](Self::returned_pool) and
    /// unmapped by the caller); its slot is reused by the next [`insert`](Self::insert).
    pub(crate) fn release(&mut self, idx: u32) {
        debug_assert!(self.nfp2lasta.iter().all(|&a| a != idx));
        let unused = self.unused;
        let a = &mut self.slots[idx as usize];
        a.base = std::ptr::null_mut();
        a.freepools = std::ptr::null_mut();
        a.nfreepools = 0;
        a.next_untouched = 0;
        a.prev = NONE;
        a.next = unused;
        self.unused = idx;
        self.live -= 1;
    }

    /// Forget every arena at once (the heap is being dropped; the caller unmapped them).
    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.usable = NONE;
        self.nfp2lasta = [NONE; POOLS_PER_ARENA + 1];
        self.unused = NONE;
        self.live = 0;
        self.empty = 0;
    }

    /// Check the ordering invariants (CPython's `assert`s, all at once):
    /// the usable list holds exactly the live arenas with free pools, its links are
    /// consistent, it is sorted by `nfreepools` ascending, and every `nfp2lasta[n]` is
    /// the last arena of the run with `n` free pools.
    pub(crate) fn check(&self) -> bool {
        let mut in_list = 0usize;
        let mut prev = NONE;
        let mut cur = self.usable;
        let mut last_nf = 0u32;
        let mut expected = [NONE; POOLS_PER_ARENA + 1];
        while cur != NONE {
            if in_list > self.slots.len() {
                return false; // a cycle
            }
            let Some(a) = self.slots.get(cur as usize) else {
                return false;
            };
            if a.base.is_null() || a.prev != prev || a.nfreepools == 0 || a.nfreepools > N {
                return false;
            }
            if a.nfreepools < last_nf {
                return false;
            }
            last_nf = a.nfreepools;
            expected[a.nfreepools as usize] = cur;
            in_list += 1;
            prev = cur;
            cur = a.next;
        }
        let live_with_free = self
            .slots
            .iter()
            .filter(|a| !a.base.is_null() && a.nfreepools > 0)
            .count();
        let live = self.slots.iter().filter(|a| !a.base.is_null()).count();
        let mut unused = 0usize;
        let mut u = self.unused;
        while u != NONE {
            if unused > self.slots.len() || !self.slots[u as usize].base.is_null() {
                return false;
            }
            unused += 1;
            u = self.slots[u as usize].next;
        }
        let empty = self
            .slots
            .iter()
            .filter(|a| !a.base.is_null() && a.nfreepools == N)
            .count();
        in_list == live_with_free
            && empty == self.empty
            && expected == self.nfp2lasta
            && live == self.live
            && live + unused == self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The ordering logic only stores the base pointers; fake, distinct, non-null values
    // are enough to exercise it without mapping memory.
    fn fake_base(i: usize) -> *mut u8 {
        std::ptr::without_provenance_mut((i + 1) * crate::ARENA_SIZE)
    }

    fn order(t: &ArenaTable) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut cur = t.usable;
        while cur != NONE {
            out.push((cur, t.get(cur).nfreepools));
            cur = t.slots[cur as usize].next;
        }
        out
    }

    /// Take every pool of a freshly inserted arena, as the allocator would.
    fn fill(t: &mut ArenaTable, i: usize) -> u32 {
        t.try_reserve_slot().unwrap();
        let idx = t.insert(fake_base(i));
        for _ in 0..N {
            t.took_pool(idx);
            assert!(t.check());
        }
        idx
    }

    #[test]
    fn most_used_arena_first_and_o1_resort() {
        let mut t = ArenaTable::new();
        let a: Vec<u32> = (0..4).map(|i| fill(&mut t, i)).collect();
        assert_eq!(t.usable_head(), NONE);
        // Free 3 pools in a[0], 1 in a[1], 2 in a[2], 5 in a[3].
        for (k, n) in [(0, 3), (1, 1), (2, 2), (3, 5)] {
            for _ in 0..n {
                assert!(!t.returned_pool(a[k], 0));
                assert!(t.check(), "{:?}", order(&t));
            }
        }
        let nfs: Vec<u32> = order(&t).iter().map(|&(_, nf)| nf).collect();
        assert_eq!(nfs, vec![1, 2, 3, 5]);
        assert_eq!(t.usable_head(), a[1]);
        // Taking from the head keeps order.
        t.took_pool(a[1]);
        assert!(t.check());
        assert_eq!(t.usable_head(), a[2]);
    }

    #[test]
    fn empty_arenas_are_released_beyond_the_retained_count() {
        let mut t = ArenaTable::new();
        let a = fill(&mut t, 0);
        let b = fill(&mut t, 1);
        for _ in 0..N - 1 {
            assert!(!t.returned_pool(a, 1));
        }
        // b gets one pool back: it is ahead of a (fewer free pools).
        assert!(!t.returned_pool(b, 1));
        assert!(t.check());
        // a becomes empty: retained (hysteresis, one allowed).
        assert!(!t.returned_pool(a, 1));
        assert!(t.check());
        assert_eq!((t.live(), t.empty()), (2, 1));
        // b becomes empty too: one is retained already, so it is released.
        for _ in 0..N - 2 {
            assert!(!t.returned_pool(b, 1));
        }
        assert!(t.returned_pool(b, 1));
        t.release(b);
        assert!(t.check());
        assert_eq!(t.live(), 1);
        // The slot is reused.
        t.took_pool(a);
        assert!(t.check());
    }
}
