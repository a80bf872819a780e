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
//! **Spare pools.** A pool whose last block is freed while it is the only pool of its
//! size class on `usedpools` stays there as the class's *spare* instead of coming back
//! here (see `docs/allocator.md`). The table only counts them (`nspare`): a spare is not
//! a free pool (it is not on `freepools` and cannot serve another class), so it does not
//! affect the order, but an arena whose pools are all free or spares
//! (`nfreepools + nspare == POOLS_PER_ARENA`) is *empty* for the retention budget
//! ([`returned_pool`](ArenaTable::returned_pool), [`parked_spare`](ArenaTable::parked_spare)).
//!
//! Everything here is safe code over indices; the pointers it stores (arena base, the
//! head of the free-pool list) are only dereferenced by the raw layer.

use crate::raw::pool::PoolHeader;
use crate::size_class::{NUM_SIZE_CLASSES, POOLS_PER_ARENA};

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
    /// Spare pools of this arena: empty pools parked on their class's `usedpools` list
    /// (at most one per size class, so at most `NUM_SIZE_CLASSES`).
    pub(crate) nspare: u32,
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
    /// Arenas with all their pools free or spare (`nfreepools + nspare == N`), kept
    /// mapped (at most the retention budget).
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

    /// Arenas held with every pool free or spare (retained for reuse).
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
            nspare: 0,
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
        if self.is_empty_arena(idx) {
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

    /// Whether every pool of arena `idx` is free or a spare.
    #[inline]
    fn is_empty_arena(&self, idx: u32) -> bool {
        let a = &self.slots[idx as usize];
        a.nfreepools + a.nspare == N
    }

    /// Arena `idx` just became empty (all pools free or spare): count it against the
    /// budget, or, when the budget is used up, take it out of the order with its spares
    /// counted as free pools and return `true` (the caller must unpark its spares, unmap
    /// it and call [`release`](Self::release)).
    fn became_empty(&mut self, idx: u32, max_empty: usize) -> bool {
        debug_assert!(self.is_empty_arena(idx));
        if self.empty < max_empty {
            self.empty += 1;
            return false;
        }
        // An arena whose every pool is a spare has no free pool, so it is not in the
        // usable list (possible since there are as many size classes as pools per arena).
        if self.slots[idx as usize].nfreepools > 0 {
            self.remove(idx);
        }
        let a = &mut self.slots[idx as usize];
        a.nfreepools = N;
        a.nspare = 0;
        true
    }

    /// Arena `idx` got one pool back (CPython `insert_to_freepool`, the arena half).
    ///
    /// Returns `true` when the arena is now empty (every pool free or spare) and the
    /// retention budget is used up. It has then been removed from the usable list (its
    /// spares counted as free pools): the caller must unpark its spares, unmap it, and
    /// call [`release`](Self::release). Up to `max_empty` empty arenas are kept mapped (at the
    /// tail of the list, used last): hysteresis against mapping and unmapping on every
    /// oscillation of a workload around an arena boundary (CPython keeps one, in a
    /// slightly different way).
    pub(crate) fn returned_pool(&mut self, idx: u32, max_empty: usize) -> bool {
        self.one_more_free(idx);
        self.is_empty_arena(idx) && self.became_empty(idx, max_empty)
    }

    /// Whether a pool returned to arena `idx` now would make it the usable head (so that
    /// the next new pool would be that very pool): the arena is full (it would enter the
    /// list at the front) or it is the head and the only arena with its free-pool count
    /// (it would stay the head). Parking a spare is then exactly the return and retake it
    /// replaces, and the most-used-arena-first order is not bypassed.
    #[inline]
    pub(crate) fn would_lead_after_return(&self, idx: u32) -> bool {
        let nf = self.slots[idx as usize].nfreepools;
        nf == 0 || (self.usable == idx && self.nfp2lasta[nf as usize] == idx)
    }

    /// A pool of arena `idx` became the spare of its class (it stays on `usedpools`, so
    /// the order is unchanged). Returns `true` exactly like
    /// [`returned_pool`](Self::returned_pool): the arena is now spare-only and over budget.
    pub(crate) fn parked_spare(&mut self, idx: u32, max_empty: usize) -> bool {
        let a = &mut self.slots[idx as usize];
        debug_assert!((a.nspare as usize) < crate::size_class::NUM_SIZE_CLASSES);
        debug_assert!(a.nfreepools + a.nspare < N);
        a.nspare += 1;
        self.is_empty_arena(idx) && self.became_empty(idx, max_empty)
    }

    /// A spare of arena `idx` got a block allocated: it is a used pool again, and the
    /// arena is no longer empty.
    pub(crate) fn reused_spare(&mut self, idx: u32) {
        if self.is_empty_arena(idx) {
            self.empty -= 1;
        }
        let a = &mut self.slots[idx as usize];
        debug_assert!(a.nspare > 0);
        a.nspare -= 1;
    }

    /// A spare of arena `idx` went onto its `freepools` list. Whether the arena is empty
    /// does not change (one spare fewer, one free pool more); the order is updated.
    pub(crate) fn spare_returned(&mut self, idx: u32) {
        let a = &mut self.slots[idx as usize];
        debug_assert!(a.nspare > 0);
        a.nspare -= 1;
        self.one_more_free(idx);
    }

    /// Take arena `idx` (which has a free pool, so it is in the list) out of the order.
    fn remove(&mut self, idx: u32) {
        let a = &self.slots[idx as usize];
        let nf = a.nfreepools;
        debug_assert!(nf > 0);
        if self.nfp2lasta[nf as usize] == idx {
            let prev = a.prev;
            self.nfp2lasta[nf as usize] =
                if prev != NONE && self.slots[prev as usize].nfreepools == nf {
                    prev
                } else {
                    NONE
                };
        }
        self.unlink(idx);
    }

    /// `nfreepools` of arena `idx` grows by one: move it to its place in the order (O(1)).
    fn one_more_free(&mut self, idx: u32) {
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
            return;
        }
        if self.nfp2lasta[nf as usize] == NONE {
            self.nfp2lasta[nf as usize] = idx;
        }
        if lastnf == idx {
            // Case 4: it was the last with the old count, so it is still in order.
            return;
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

    /// Forget arena `idx` (already taken out of the order by
    /// [`returned_pool`](Self::returned_pool) or [`parked_spare`](Self::parked_spare) and
    /// unmapped by the caller); its slot is reused by the next [`insert`](Self::insert).
    pub(crate) fn release(&mut self, idx: u32) {
        debug_assert!(self.nfp2lasta.iter().all(|&a| a != idx));
        let unused = self.unused;
        let a = &mut self.slots[idx as usize];
        a.base = std::ptr::null_mut();
        a.freepools = std::ptr::null_mut();
        a.nfreepools = 0;
        a.next_untouched = 0;
        a.nspare = 0;
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
            .filter(|a| !a.base.is_null() && a.nfreepools + a.nspare == N)
            .count();
        if self
            .slots
            .iter()
            .any(|a| a.nfreepools + a.nspare > N || a.nspare as usize > NUM_SIZE_CLASSES)
        {
            return false;
        }
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

    #[test]
    fn spare_only_arenas_count_as_empty_and_go_over_budget() {
        let mut t = ArenaTable::new();
        t.try_reserve_slot().unwrap();
        let a = t.insert(fake_base(0));
        t.took_pool(a);
        t.took_pool(a);
        assert!(
            t.would_lead_after_return(a),
            "alone: the head with a unique count"
        );
        assert!(!t.parked_spare(a, 1));
        assert_eq!((t.empty(), t.get(a).nspare), (0, 1));
        // Both used pools are spares now: empty, within the budget of one.
        assert!(!t.parked_spare(a, 1));
        assert!(t.check());
        assert_eq!(t.empty(), 1);
        // Reusing a spare makes it non-empty again.
        t.reused_spare(a);
        assert!(t.check());
        assert_eq!(t.empty(), 0);
        // A spare returned to the free pools: the order follows, emptiness does not change.
        t.spare_returned(a);
        assert!(t.check());
        assert_eq!(
            (t.get(a).nfreepools, t.get(a).nspare, t.empty()),
            (N - 1, 0, 0)
        );
        // With no budget, the arena goes as soon as it is spare-only.
        assert!(t.parked_spare(a, 0));
        assert_eq!((t.get(a).nfreepools, t.get(a).nspare), (N, 0));
        t.release(a);
        assert!(t.check());
        assert_eq!((t.live(), t.empty(), t.usable_head()), (0, 0, NONE));
    }
}
