//! Behavioural tests of the heap: draining, arena preference, failures, independence.
#![allow(unsafe_code)] // tests free what they allocate

use mrt_alloc::{
    ALIGNMENT, ARENA_SIZE, AllocErrorKind, DEFAULT_MAX_EMPTY_ARENAS, FailingSource, Heap,
    HeapConfig, NUM_SIZE_CLASSES, POOL_SIZE, POOLS_PER_ARENA, blocks_per_pool, size_class_of,
};
use std::collections::HashMap;
use std::ptr::NonNull;

/// Whether the `n` bytes at `p` all equal `byte`.
///
/// # Safety
/// `p` is valid for reads of `n` initialised bytes.
unsafe fn all_eq(p: NonNull<u8>, n: usize, byte: u8) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe { std::slice::from_raw_parts(p.as_ptr(), n) }
        .iter()
        .all(|&b| b == byte)
}

/// A tiny deterministic PRNG (xorshift64*), so tests need no extra dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

#[test]
fn a_spike_of_100_mb_is_returned_to_the_os() {
    let heap = Heap::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut blocks = Vec::new();
    let mut total = 0usize;
    while total < 100 << 20 {
        let size = 16 + rng.below(497);
        blocks.push((heap.try_alloc(size).unwrap(), size));
        total += size;
    }
    let spike = heap.stats();
    assert!(spike.arena_bytes >= 100 << 20, "{spike}");
    assert!(heap.check_invariants());
    rng.shuffle(&mut blocks);
    for (p, size) in blocks {
        // SAFETY: allocated above with this size, freed once.
        unsafe { heap.free(p, size) };
    }
    let after = heap.stats();
    assert!(heap.check_invariants());
    assert_eq!(after.bytes_in_use, 0);
    assert_eq!(after.arenas_mapped, spike.arenas as u64);
    assert!(
        after.arenas_released * 100 >= after.arenas_mapped * 95,
        "only {} of {} arenas returned\n{after}",
        after.arenas_released,
        after.arenas_mapped
    );
    assert!(after.arenas <= DEFAULT_MAX_EMPTY_ARENAS, "{after}");
    assert_eq!(
        after.bytes_returned_to_os,
        after.arenas_released * ARENA_SIZE as u64
    );
    assert!(after.peak_bytes_held >= spike.bytes_held);
    assert!(after.peak_bytes_in_use >= 100 << 20);
}

#[test]
fn allocating_from_the_most_used_arena_lets_the_others_drain() {
    const ARENAS: usize = 10;
    let heap = Heap::with_config(HeapConfig::new().max_empty_arenas(0));
    let per_pool = blocks_per_pool(size_class_of(16).unwrap());
    // Fill ten arenas with 16-byte blocks, grouped by pool.
    let mut pools: HashMap<usize, Vec<NonNull<u8>>> = HashMap::new();
    for _ in 0..ARENAS * POOLS_PER_ARENA * per_pool {
        let p = heap.try_alloc(16).unwrap();
        pools
            .entry(p.as_ptr().addr() & !(POOL_SIZE - 1))
            .or_default()
            .push(p);
    }
    assert_eq!(heap.stats().arenas, ARENAS);
    // Empty every other pool of every arena: each arena is half used.
    let mut old: Vec<Vec<NonNull<u8>>> = Vec::new();
    for (addr, blocks) in pools {
        if (addr / POOL_SIZE).is_multiple_of(2) {
            for p in blocks {
                // SAFETY: allocated above with size 16, freed once.
                unsafe { heap.free(p, 16) };
            }
        } else {
            old.push(blocks);
        }
    }
    let half = heap.stats();
    assert_eq!(half.arenas, ARENAS);
    assert_eq!(half.empty_pools, ARENAS * POOLS_PER_ARENA / 2);
    // Replace the old pools one by one, in random order, with as many new blocks.
    let mut rng = Rng(42);
    rng.shuffle(&mut old);
    let mut new = Vec::new();
    for blocks in old {
        for p in blocks {
            // SAFETY: allocated above with size 16, freed once.
            unsafe { heap.free(p, 16) };
        }
        for _ in 0..per_pool {
            new.push(heap.try_alloc(16).unwrap());
        }
        assert!(heap.check_invariants());
    }
    let end = heap.stats();
    // The live data is five arenas' worth; the preference packs it into about that many.
    assert_eq!(
        end.small_blocks_in_use,
        ARENAS / 2 * POOLS_PER_ARENA * per_pool
    );
    assert!(end.arenas <= ARENAS / 2 + 1, "{end}");
    assert!(end.arenas_released as usize >= ARENAS / 2 - 1, "{end}");
    for p in new {
        // SAFETY: allocated above with size 16, freed once.
        unsafe { heap.free(p, 16) };
    }
    assert_eq!(heap.stats().arenas, 0);
}

#[test]
fn allocation_failure_is_a_value_and_the_heap_stays_usable() {
    let source = FailingSource::new();
    let heap = Heap::with_config(HeapConfig::new().source(source.clone()));
    let a = heap.try_alloc(100).unwrap();
    // SAFETY: `a` has 100 writable bytes.
    unsafe { a.as_ptr().write_bytes(0xA5, 100) };
    let big = heap.try_alloc(10_000).unwrap();
    let before = heap.stats();
    assert_eq!(source.held(), before.bytes_held);

    // No more memory from the source at all.
    source.set_limit(Some(source.held()));
    let err = heap.try_alloc(20_000).unwrap_err();
    assert_eq!(err.kind(), AllocErrorKind::LargeAllocFailed);
    assert_eq!(err.size(), 20_000);
    assert!(err.to_string().contains("20000"));
    // Fill the arena we have, then the next small request needs a new arena and fails.
    let mut filled = Vec::new();
    let err = loop {
        match heap.try_alloc(512) {
            Ok(p) => filled.push(p),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), AllocErrorKind::ArenaMapFailed);
    assert!(heap.check_invariants());
    assert_eq!(heap.stats().arenas, 1);
    // A failed realloc leaves the old block untouched.
    // SAFETY: `a` is live with size 100.
    let err = unsafe { heap.try_realloc(a, 100, 50_000) }.unwrap_err();
    assert_eq!(err.kind(), AllocErrorKind::LargeAllocFailed);
    // SAFETY: `a` is still live with 100 bytes.
    let ok = unsafe { all_eq(a, 100, 0xA5) };
    assert!(ok);
    assert!(source.failures() >= 3);
    assert!(heap.check_invariants());

    // Freeing makes room again within the held arena.
    let p = filled.pop().unwrap();
    // SAFETY: allocated above with size 512.
    unsafe { heap.free(p, 512) };
    filled.push(heap.try_alloc(512).unwrap());
    // Lift the limit: everything works again.
    source.set_limit(None);
    // SAFETY: `a` is live with size 100.
    let a = unsafe { heap.try_realloc(a, 100, 50_000) }.unwrap();
    // SAFETY: the first 100 bytes were copied.
    let ok = unsafe { all_eq(a, 100, 0xA5) };
    assert!(ok);
    filled.push(heap.try_alloc(512).unwrap());
    assert!(heap.check_invariants());
    // SAFETY: all allocated above with these sizes, freed once.
    unsafe {
        heap.free(a, 50_000);
        heap.free(big, 10_000);
        for p in filled {
            heap.free(p, 512);
        }
    }
    assert_eq!(heap.stats().bytes_in_use, 0);
    assert!(heap.check_invariants());
    // On command (the retained empty arena still serves small requests).
    source.set_fail(true);
    assert_eq!(
        heap.try_alloc(600).unwrap_err().kind(),
        AllocErrorKind::LargeAllocFailed
    );
    let small = heap.try_alloc(1).unwrap();
    // SAFETY: allocated above with size 1.
    unsafe { heap.free(small, 1) };
    source.set_fail(false);
    drop(heap);
    assert_eq!(
        source.held(),
        0,
        "dropping the heap returns everything to the source"
    );
}

#[test]
fn two_heaps_are_independent() {
    let h1 = Heap::new();
    let h2 = Heap::new();
    let a: Vec<_> = (0..1000).map(|i| h1.try_alloc(i % 600).unwrap()).collect();
    let b: Vec<_> = (0..10).map(|_| h2.try_alloc(48).unwrap()).collect();
    assert_eq!(h2.stats().small_blocks_in_use, 10);
    assert_eq!(h2.stats().large_count, 0);
    assert!(h1.stats().large_count > 0);
    for (i, p) in a.into_iter().enumerate() {
        // SAFETY: allocated from h1 with this size.
        unsafe { h1.free(p, i % 600) };
    }
    assert_eq!(h1.bytes_in_use(), 0);
    assert_eq!(h2.bytes_in_use(), 10 * 48);
    drop(h1);
    for p in &b {
        // SAFETY: h2's blocks are still live after h1 is gone.
        unsafe { p.as_ptr().write_bytes(7, 48) };
    }
    for p in b {
        // SAFETY: allocated from h2 with size 48.
        unsafe { h2.free(p, 48) };
    }
    assert!(h2.check_invariants());
}

#[test]
fn new_heap_holds_nothing_and_zero_sized_requests_work() {
    let heap = Heap::new();
    let s = heap.stats();
    assert_eq!((s.arenas, s.bytes_held, s.metadata_bytes), (0, 0, 0));
    let p = heap.try_alloc(0).unwrap();
    let q = heap.try_alloc(0).unwrap();
    assert_ne!(p, q);
    assert_eq!(heap.bytes_in_use(), 2 * ALIGNMENT);
    // SAFETY: allocated above with size 0.
    unsafe {
        heap.free(p, 0);
        heap.free(q, 0);
    }
    assert!(heap.check_invariants());
}

#[test]
fn realloc_moves_between_classes_and_keeps_contents() {
    let heap = Heap::new();
    let mut p = heap.try_alloc(10).unwrap();
    let mut size = 10;
    // SAFETY: `p` has `size` bytes.
    unsafe { p.as_ptr().write_bytes(0x5A, size) };
    for new_size in [12, 16, 17, 200, 512, 513, 4000, 100_000, 600, 300, 1] {
        // SAFETY: `p` is live with `size` bytes.
        let q = unsafe { heap.try_realloc(p, size, new_size) }.unwrap();
        if Heap::size_class_of(size).is_some()
            && Heap::size_class_of(size) == Heap::size_class_of(new_size)
        {
            assert_eq!(p, q, "same class reallocs in place");
        }
        let keep = size.min(new_size);
        // SAFETY: `q` has at least `keep` initialised bytes.
        let ok = unsafe { all_eq(q, keep, 0x5A) };
        assert!(ok);
        // SAFETY: `q` has `new_size` bytes.
        unsafe { q.as_ptr().write_bytes(0x5A, new_size) };
        p = q;
        size = new_size;
        assert!(heap.check_invariants());
        assert_eq!(
            heap.bytes_in_use(),
            if size <= 512 {
                Heap::block_size(size)
            } else {
                size
            }
        );
    }
    // SAFETY: live with `size`.
    unsafe { heap.free(p, size) };
}

#[test]
fn dropping_a_heap_frees_outstanding_blocks() {
    // Under valgrind's leak check this proves the large blocks are freed too.
    let source = FailingSource::new();
    let heap = Heap::with_config(HeapConfig::new().source(source.clone()));
    for i in 0..5000 {
        heap.try_alloc(i % 2000).unwrap();
    }
    assert!(source.held() > 0);
    drop(heap);
    assert_eq!(source.held(), 0);
}

#[test]
fn empty_arenas_are_retained_up_to_the_configured_count() {
    let heap = Heap::with_config(HeapConfig::new().max_empty_arenas(2));
    let blocks: Vec<_> = (0..10 * POOLS_PER_ARENA * 7)
        .map(|_| heap.try_alloc(512).unwrap())
        .collect();
    assert_eq!(heap.stats().arenas, 10);
    for p in blocks {
        // SAFETY: allocated above with size 512.
        unsafe { heap.free(p, 512) };
    }
    let s = heap.stats();
    assert_eq!((s.arenas, s.arenas_released), (2, 8));
    assert_eq!(s.empty_pools, 2 * POOLS_PER_ARENA);
    assert!(heap.check_invariants());
}

#[test]
fn the_retained_empty_arena_is_reused_then_released_on_drop() {
    let heap = Heap::new();
    let p = heap.try_alloc(64).unwrap();
    // SAFETY: allocated above with size 64.
    unsafe { heap.free(p, 64) };
    let s = heap.stats();
    assert_eq!(
        (s.arenas, s.arenas_released, s.empty_pools),
        (1, 0, POOLS_PER_ARENA)
    );
    let q = heap.try_alloc(64).unwrap();
    assert_eq!(heap.stats().arenas_mapped, 1, "no new mapping");
    // SAFETY: allocated above with size 64.
    unsafe { heap.free(q, 64) };
    let heap = Heap::with_config(HeapConfig::new().max_empty_arenas(0));
    let p = heap.try_alloc(64).unwrap();
    // SAFETY: allocated above with size 64.
    unsafe { heap.free(p, 64) };
    let s = heap.stats();
    assert_eq!((s.arenas, s.arenas_released, s.bytes_held), (0, 1, 0));
}

#[cfg(feature = "poison")]
#[test]
fn freed_blocks_are_poisoned() {
    let heap = Heap::new();
    let keep = heap.try_alloc(64).unwrap(); // keeps the pool (and arena) alive
    let p = heap.try_alloc(64).unwrap();
    // SAFETY: 64 writable bytes.
    unsafe { p.as_ptr().write_bytes(0, 64) };
    // SAFETY: allocated above with size 64.
    unsafe { heap.free(p, 64) };
    // SAFETY: the pool is still mapped (`keep` lives in it); we only read bytes.
    let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), 64) };
    assert!(bytes[8..].iter().all(|&b| b == mrt_alloc::POISON_BYTE));
    // SAFETY: allocated above with size 64.
    unsafe { heap.free(keep, 64) };
}

#[test]
fn large_blocks_on_both_sides_of_the_mmap_threshold_work_and_are_counted() {
    use mrt_alloc::LARGE_MMAP_THRESHOLD;
    let heap = Heap::new();
    let sizes = [
        600,
        LARGE_MMAP_THRESHOLD - 64,
        LARGE_MMAP_THRESHOLD,
        LARGE_MMAP_THRESHOLD + 1,
        8 << 20,
    ];
    let blocks: Vec<(NonNull<u8>, usize)> = sizes
        .iter()
        .enumerate()
        .map(|(i, &size)| {
            let p = heap.try_alloc(size).unwrap();
            assert_eq!(p.as_ptr().addr() % 16, 0);
            // SAFETY: a fresh block of `size` bytes.
            unsafe { std::ptr::write_bytes(p.as_ptr(), i as u8 + 1, size) };
            (p, size)
        })
        .collect();
    let stats = heap.stats();
    assert_eq!(stats.large_count, sizes.len());
    assert_eq!(stats.large_bytes, sizes.iter().sum::<usize>());
    assert!(heap.check_invariants());
    for (i, &(p, size)) in blocks.iter().enumerate() {
        // SAFETY: the block is live with `size` initialised bytes.
        let intact = unsafe { all_eq(p, size, i as u8 + 1) };
        assert!(intact, "block {i} kept its contents");
        // SAFETY: allocated above with this size, freed once.
        unsafe { heap.free(p, size) };
    }
    let stats = heap.stats();
    assert_eq!((stats.large_count, stats.large_bytes), (0, 0));
    assert!(heap.check_invariants());
}

// ---- Spare pools -------------------------------------------------------------------

#[test]
fn one_block_at_a_time_keeps_the_class_spare_and_never_goes_back_to_the_arena() {
    let heap = Heap::new();
    let first = heap.try_alloc(48).unwrap();
    // SAFETY: allocated above with size 48, freed once.
    unsafe { heap.free(first, 48) };
    let s = heap.stats();
    assert_eq!((s.arenas_mapped, s.pools_taken), (1, 1));
    // The emptied pool is its class's spare: an empty pool, in an empty arena.
    assert_eq!(
        (s.spare_pools, s.empty_pools, s.used_pools),
        (1, POOLS_PER_ARENA, 0)
    );
    assert_eq!(
        (s.empty_arenas, s.untouched_blocks, s.free_blocks),
        (1, 0, 0)
    );
    assert_eq!(s.unaccounted_bytes(), 0);
    assert!(heap.check_invariants());
    for i in 0..10_000 {
        let p = heap.try_alloc(48).unwrap();
        assert_eq!(p, first, "the spare hands out the same block again");
        if i % 1000 == 0 {
            let s = heap.stats();
            assert_eq!((s.spare_pools, s.used_pools, s.empty_arenas), (0, 1, 0));
            assert_eq!(s.empty_pools, POOLS_PER_ARENA - 1);
            assert!(heap.check_invariants());
        }
        // SAFETY: allocated above with size 48, freed once.
        unsafe { heap.free(p, 48) };
        if i % 1000 == 0 {
            assert!(heap.check_invariants());
        }
    }
    let s = heap.stats();
    assert_eq!(
        (s.arenas_mapped, s.arenas_released, s.pools_taken),
        (1, 0, 1),
        "no arena mapped and no pool taken after the first\n{s}"
    );
    assert_eq!(
        (s.spare_pools, s.empty_pools, s.empty_arenas),
        (1, POOLS_PER_ARENA, 1)
    );
    assert!(heap.check_invariants());
}

#[test]
fn object_and_buffer_churn_keeps_one_spare_per_class() {
    // The runtime's pattern: an object plus its buffer, both dropped, repeated.
    let heap = Heap::new();
    for _ in 0..10_000 {
        let obj = heap.try_alloc(48).unwrap();
        let buf = heap.try_alloc(64).unwrap();
        // SAFETY: allocated above with these sizes, freed once.
        unsafe {
            heap.free(obj, 48);
            heap.free(buf, 64);
        }
    }
    let s = heap.stats();
    assert_eq!((s.arenas_mapped, s.pools_taken), (1, 2), "{s}");
    assert_eq!((s.spare_pools, s.empty_arenas, s.bytes_in_use), (2, 1, 0));
    assert!(heap.check_invariants());
}

#[test]
fn a_spare_only_arena_is_released_when_over_the_budget() {
    let per_pool = blocks_per_pool(NUM_SIZE_CLASSES - 1);
    let heap = Heap::with_config(HeapConfig::new().max_empty_arenas(1));
    // Arena A: full of 512-byte blocks. Arena B: one more 512 pool and one 16 pool.
    let a: Vec<_> = (0..POOLS_PER_ARENA * per_pool)
        .map(|_| heap.try_alloc(512).unwrap())
        .collect();
    let b512 = heap.try_alloc(512).unwrap();
    let b16 = heap.try_alloc(16).unwrap();
    assert_eq!(heap.stats().arenas, 2);
    // SAFETY: allocated above with size 16, freed once.
    unsafe { heap.free(b16, 16) };
    let s = heap.stats();
    assert_eq!(
        (s.spare_pools, s.empty_arenas),
        (1, 0),
        "B is not empty\n{s}"
    );
    for p in a {
        // SAFETY: allocated above with size 512, freed once.
        unsafe { heap.free(p, 512) };
    }
    let s = heap.stats();
    assert_eq!(
        (s.arenas, s.empty_arenas, s.arenas_released),
        (2, 1, 0),
        "{s}"
    );
    assert!(heap.check_invariants());
    // B's last block: B is now spare-only, which counts as empty; A already uses the
    // budget, so B goes, spares and all.
    // SAFETY: allocated above with size 512, freed once.
    unsafe { heap.free(b512, 512) };
    let s = heap.stats();
    assert_eq!(
        (s.arenas, s.empty_arenas, s.arenas_released),
        (1, 1, 1),
        "{s}"
    );
    assert_eq!((s.spare_pools, s.empty_pools), (0, POOLS_PER_ARENA));
    assert!(heap.check_invariants());
}

#[test]
fn a_spare_only_arena_uses_the_budget_so_an_empty_one_is_released() {
    let per_pool = blocks_per_pool(NUM_SIZE_CLASSES - 1);
    let heap = Heap::with_config(HeapConfig::new().max_empty_arenas(1));
    let a: Vec<_> = (0..POOLS_PER_ARENA * per_pool)
        .map(|_| heap.try_alloc(512).unwrap())
        .collect();
    let b16 = heap.try_alloc(16).unwrap();
    // SAFETY: allocated above with size 16, freed once.
    unsafe { heap.free(b16, 16) };
    let s = heap.stats();
    assert_eq!((s.arenas, s.empty_arenas, s.spare_pools), (2, 1, 1), "{s}");
    for p in a {
        // SAFETY: allocated above with size 512, freed once.
        unsafe { heap.free(p, 512) };
        assert!(heap.stats().empty_arenas <= 1);
    }
    let s = heap.stats();
    assert_eq!(
        (s.arenas, s.empty_arenas, s.arenas_released),
        (1, 1, 1),
        "{s}"
    );
    assert_eq!((s.spare_pools, s.empty_pools), (1, POOLS_PER_ARENA));
    assert!(heap.check_invariants());
    // The retained spare-only arena serves its class without taking a pool; reusing the
    // spare makes the arena non-empty again.
    let taken = s.pools_taken;
    let p = heap.try_alloc(16).unwrap();
    let s = heap.stats();
    assert_eq!(
        (s.pools_taken, s.spare_pools, s.empty_arenas),
        (taken, 0, 0)
    );
    assert!(heap.check_invariants());
    // SAFETY: allocated above with size 16, freed once.
    unsafe { heap.free(p, 16) };
    assert_eq!(heap.stats().empty_arenas, 1);
    assert!(heap.check_invariants());
}

#[test]
fn with_no_retained_arenas_spares_do_not_keep_an_arena() {
    let heap = Heap::with_config(HeapConfig::new().max_empty_arenas(0));
    for i in 0..1000 {
        let p = heap.try_alloc(48).unwrap();
        let q = heap.try_alloc(200).unwrap();
        // SAFETY: allocated above with these sizes, freed once.
        unsafe {
            heap.free(p, 48);
            heap.free(q, 200);
        }
        let s = heap.stats();
        assert_eq!((s.arenas, s.bytes_held, s.spare_pools), (0, 0, 0), "{s}");
        assert_eq!(s.arenas_released, i + 1);
    }
    assert!(heap.check_invariants());
    // A spare in a busy arena is fine, but it goes with the arena's last block.
    let keep = heap.try_alloc(100).unwrap();
    let p = heap.try_alloc(48).unwrap();
    // SAFETY: allocated above with size 48, freed once.
    unsafe { heap.free(p, 48) };
    assert_eq!(heap.stats().spare_pools, 1);
    assert!(heap.check_invariants());
    // SAFETY: allocated above with size 100, freed once.
    unsafe { heap.free(keep, 100) };
    let s = heap.stats();
    assert_eq!((s.arenas, s.spare_pools, s.empty_pools), (0, 0, 0), "{s}");
    assert!(heap.check_invariants());
}

#[test]
fn spares_never_cost_an_arena_mapping() {
    let per_pool = blocks_per_pool(NUM_SIZE_CLASSES - 1);
    let heap = Heap::new();
    let p = heap.try_alloc(16).unwrap();
    // SAFETY: allocated above with size 16, freed once.
    unsafe { heap.free(p, 16) };
    assert_eq!(heap.stats().spare_pools, 1);
    // Every other pool of the arena goes to 512-byte blocks; the next pool is the spare.
    let mut blocks: Vec<_> = (0..(POOLS_PER_ARENA - 1) * per_pool)
        .map(|_| heap.try_alloc(512).unwrap())
        .collect();
    assert_eq!(heap.stats().spare_pools, 1);
    blocks.push(heap.try_alloc(512).unwrap());
    let s = heap.stats();
    assert_eq!(
        (s.arenas_mapped, s.spare_pools, s.empty_pools),
        (1, 0, 0),
        "{s}"
    );
    assert!(heap.check_invariants());
    for p in blocks {
        // SAFETY: allocated above with size 512, freed once.
        unsafe { heap.free(p, 512) };
    }
    assert!(heap.check_invariants());
}

#[test]
fn a_pool_that_was_full_takes_over_from_the_spare() {
    let per_pool = blocks_per_pool(size_class_of(16).unwrap());
    let heap = Heap::new();
    // Two pools of class 0: the first full, the second with one block.
    let full: Vec<_> = (0..per_pool).map(|_| heap.try_alloc(16).unwrap()).collect();
    let last = heap.try_alloc(16).unwrap();
    // SAFETY: allocated above with size 16, freed once.
    unsafe { heap.free(last, 16) };
    assert_eq!(heap.stats().spare_pools, 1);
    // A block freed in the full pool: it goes on the list and the spare goes back.
    let mut full = full.into_iter();
    // SAFETY: allocated above with size 16, freed once.
    unsafe { heap.free(full.next().unwrap(), 16) };
    let s = heap.stats();
    assert_eq!((s.spare_pools, s.used_pools), (0, 1), "{s}");
    assert!(heap.check_invariants());
    for p in full {
        // SAFETY: allocated above with size 16, freed once.
        unsafe { heap.free(p, 16) };
    }
    let s = heap.stats();
    assert_eq!(
        (s.spare_pools, s.used_pools, s.bytes_in_use),
        (1, 0, 0),
        "{s}"
    );
    assert!(heap.check_invariants());
}

/// An arena can hold one spare of every size class and nothing else (64 classes, 64 pools
/// per arena): it is full and not in the usable list, yet empty. Over the budget it must be
/// released without touching the usable list (found in review: it used to unlink the list's
/// head and lose every other arena).
#[test]
fn an_arena_made_only_of_spares_is_released_cleanly() {
    for max_empty in [0, 1, 4] {
        let heap = Heap::with_config(HeapConfig::new().max_empty_arenas(max_empty));
        let mut blocks: Vec<(NonNull<u8>, usize)> = Vec::new();
        // One block of every class: arena A is full, one pool per class.
        for class in 0..NUM_SIZE_CLASSES {
            let size = (class + 1) * ALIGNMENT;
            blocks.push((heap.try_alloc(size).unwrap(), size));
        }
        assert_eq!(heap.stats().arenas, 1);
        // Fill class 0's pool, then one more block: arena B.
        let small = ALIGNMENT;
        for _ in 1..blocks_per_pool(0) {
            blocks.push((heap.try_alloc(small).unwrap(), small));
        }
        let extra = heap.try_alloc(small).unwrap();
        assert_eq!(heap.stats().arenas, 2);
        // SAFETY: allocated above with this size, freed once.
        unsafe { heap.free(extra, small) };
        assert!(heap.check_invariants());
        for (p, size) in blocks {
            // SAFETY: allocated above with this size, freed once.
            unsafe { heap.free(p, size) };
        }
        assert!(heap.check_invariants(), "max_empty {max_empty}");
        let s = heap.stats();
        assert_eq!(s.bytes_in_use, 0);
        assert!(s.arenas <= max_empty, "max_empty {max_empty}: {s}");
        // The heap still works and does not map more than it needs.
        let p = heap.try_alloc(100).unwrap();
        assert!(heap.stats().arenas <= max_empty.max(1), "{}", heap.stats());
        // SAFETY: allocated above with size 100.
        unsafe { heap.free(p, 100) };
        assert!(heap.check_invariants());
    }
}
