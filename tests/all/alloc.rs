//! Integration tests of the allocator through the facade (`mrt::alloc`).
#![allow(unsafe_code)] // the tests free what they allocate

use mrt::alloc::{AllocErrorKind, FailingSource, Heap, HeapConfig, POOL_SIZE};

#[test]
fn alloc_free_through_the_facade() {
    let heap = Heap::new();
    let sizes = [0usize, 1, 16, 17, 100, 511, 512, 513, 4096, 70_000];
    let blocks: Vec<_> = sizes
        .iter()
        .map(|&s| (heap.try_alloc(s).unwrap(), s))
        .collect();
    for &(p, s) in &blocks {
        // 8-aligned; 16-aligned when the block size is a multiple of 16.
        let align = if mrt::alloc::block_size(s).is_multiple_of(16) {
            16
        } else {
            8
        };
        assert!(p.as_ptr().addr().is_multiple_of(align), "{s}");
        // SAFETY: `p` has `s` writable bytes.
        unsafe { p.as_ptr().write_bytes(0xEE, s) };
    }
    let stats = heap.stats();
    assert_eq!(stats.large_count, 3);
    assert_eq!(stats.large_bytes, 513 + 4096 + 70_000);
    assert_eq!(
        stats.small_bytes_in_use,
        sizes
            .iter()
            .filter(|&&s| s <= 512)
            .map(|&s| Heap::block_size(s))
            .sum::<usize>()
    );
    assert_eq!(stats.unaccounted_bytes(), 0);
    for (p, s) in blocks {
        // SAFETY: allocated above with this size, freed once.
        unsafe { heap.free(p, s) };
    }
    assert_eq!(heap.bytes_in_use(), 0);
    assert!(heap.check_invariants());
}

#[test]
fn blocks_of_one_pool_share_the_pool_address() {
    let heap = Heap::new();
    let a = heap.try_alloc(32).unwrap();
    let b = heap.try_alloc(32).unwrap();
    assert_eq!(
        a.as_ptr().addr() & !(POOL_SIZE - 1),
        b.as_ptr().addr() & !(POOL_SIZE - 1)
    );
    // SAFETY: allocated above with size 32.
    unsafe {
        heap.free(a, 32);
        heap.free(b, 32);
    }
}

#[test]
fn a_memory_budget_can_be_enforced_with_a_failing_source() {
    let source = FailingSource::new();
    source.set_limit(Some(1 << 20));
    let heap = Heap::with_config(HeapConfig::new().source(source.clone()));
    let mut blocks = Vec::new();
    let err = loop {
        match heap.try_alloc(256) {
            Ok(p) => blocks.push(p),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), AllocErrorKind::ArenaMapFailed);
    assert!(heap.bytes_held() <= 1 << 20);
    assert!(heap.check_invariants());
    let stats = heap.stats();
    assert_eq!(stats.small_blocks_in_use, blocks.len());
    for p in blocks {
        // SAFETY: allocated above with size 256.
        unsafe { heap.free(p, 256) };
    }
    assert!(heap.try_alloc(256).is_ok());
}

#[test]
fn stats_render_as_a_table() {
    let heap = Heap::new();
    let p = heap.try_alloc(48).unwrap();
    let text = heap.stats().to_string();
    assert!(text.contains("small blocks in use"), "{text}");
    assert!(text.contains("returned to the OS"), "{text}");
    // SAFETY: allocated above with size 48.
    unsafe { heap.free(p, 48) };
}
