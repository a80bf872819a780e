//! Model-based property test: random alloc/free/write/check sequences against a model.
//!
//! After every step: the stats match the model (bytes and blocks per size class, large
//! count and bytes) and `check_invariants()` holds; no two live blocks overlap; every
//! block keeps its contents until freed. Respects `PROPTEST_CASES` (CI runs it under
//! valgrind with 16 cases), so each case stays small.
#![allow(unsafe_code)] // the test frees what it allocates

use mrt_alloc::{FailingSource, Heap, HeapConfig, NUM_SIZE_CLASSES, block_size, size_class_of};
use proptest::prelude::*;
use std::ptr::NonNull;

#[derive(Clone, Debug)]
enum Op {
    Alloc(usize),
    /// Free the live block at this index (modulo the number of live blocks).
    Free(usize),
    /// Overwrite the live block at this index with a new pattern byte.
    Write(usize, u8),
    /// Resize the live block at this index.
    Realloc(usize, usize),
    /// Check every live block's contents.
    Check,
    /// Allocate a block and free it at once (the spare-pool path: one object at a time).
    Bounce(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..=2048).prop_map(Op::Alloc),
        3 => (0usize..=600).prop_map(Op::Alloc),
        5 => any::<usize>().prop_map(Op::Free),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Op::Write(i, b)),
        1 => (any::<usize>(), 0usize..=1024).prop_map(|(i, s)| Op::Realloc(i, s)),
        1 => Just(Op::Check),
        2 => (0usize..=512).prop_map(Op::Bounce),
    ]
}

struct Live {
    ptr: NonNull<u8>,
    size: usize,
    byte: u8,
}

fn fill(b: &Live) {
    // SAFETY: `b.ptr` is live with `b.size` writable bytes.
    unsafe { b.ptr.as_ptr().write_bytes(b.byte, b.size) };
}

fn intact(b: &Live) -> bool {
    // SAFETY: `b.ptr` is live with `b.size` initialised bytes (filled when written).
    unsafe { std::slice::from_raw_parts(b.ptr.as_ptr(), b.size) }
        .iter()
        .all(|&x| x == b.byte)
}

/// The heap's own footprint of a block (the range no other block may overlap).
fn extent(b: &Live) -> (usize, usize) {
    let start = b.ptr.as_ptr().addr();
    let len = if size_class_of(b.size).is_some() {
        block_size(b.size)
    } else {
        b.size
    };
    (start, start + len.max(1))
}

fn stats_match(heap: &Heap, live: &[Live]) -> Result<(), TestCaseError> {
    let s = heap.stats();
    let mut blocks = [0usize; NUM_SIZE_CLASSES];
    let (mut large_count, mut large_bytes) = (0, 0);
    for b in live {
        match size_class_of(b.size) {
            Some(c) => blocks[c] += 1,
            None => {
                large_count += 1;
                large_bytes += b.size;
            }
        }
    }
    for (c, cs) in s.classes.iter().enumerate() {
        prop_assert_eq!(cs.blocks_in_use, blocks[c], "class {}", c);
        prop_assert_eq!(cs.bytes_in_use, blocks[c] * cs.block_size);
    }
    prop_assert_eq!(s.large_count, large_count);
    prop_assert_eq!(s.large_bytes, large_bytes);
    let small: usize = s.classes.iter().map(|c| c.bytes_in_use).sum();
    prop_assert_eq!(s.bytes_in_use, small + large_bytes);
    prop_assert_eq!(heap.bytes_in_use(), s.bytes_in_use);
    prop_assert_eq!(heap.bytes_held(), s.bytes_held);
    prop_assert_eq!(s.unaccounted_bytes(), 0);
    prop_assert!(s.peak_bytes_in_use >= s.bytes_in_use);
    // Spares are empty pools, at most one per size class.
    prop_assert!(s.spare_pools <= s.empty_pools && s.spare_pools <= NUM_SIZE_CLASSES);
    prop_assert!(s.empty_arenas <= s.arenas);
    prop_assert!(heap.check_invariants());
    Ok(())
}

/// Run `ops`, comparing with the model after every `every`-th operation (observing
/// settles pending empty pools, so a larger `every` lets them pile up between checks).
fn run(ops: Vec<Op>, max_empty: usize, every: usize) -> Result<(), TestCaseError> {
    let source = FailingSource::new();
    let heap = Heap::with_config(
        HeapConfig::new()
            .source(source.clone())
            .max_empty_arenas(max_empty),
    );
    let mut live: Vec<Live> = Vec::new();
    let mut next_byte = 1u8;
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Alloc(size) => {
                let ptr = heap
                    .try_alloc(size)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                // Natural alignment: 16 for blocks whose size is a multiple of 16.
                let align = if mrt_alloc::block_size(size).is_multiple_of(16) {
                    16
                } else {
                    8
                };
                prop_assert!(ptr.as_ptr().addr().is_multiple_of(align));
                next_byte = next_byte.wrapping_add(1);
                let b = Live {
                    ptr,
                    size,
                    byte: next_byte,
                };
                let (s, e) = extent(&b);
                for other in &live {
                    let (os, oe) = extent(other);
                    prop_assert!(
                        e <= os || oe <= s,
                        "overlap: {:#x}..{:#x} / {:#x}..{:#x}",
                        s,
                        e,
                        os,
                        oe
                    );
                }
                fill(&b);
                live.push(b);
            }
            Op::Free(i) if !live.is_empty() => {
                let b = live.swap_remove(i % live.len());
                prop_assert!(intact(&b), "block of {} bytes corrupted", b.size);
                // SAFETY: `b` is live, allocated from `heap` with `b.size`.
                unsafe { heap.free(b.ptr, b.size) };
            }
            Op::Write(i, byte) if !live.is_empty() => {
                let n = live.len();
                let b = &mut live[i % n];
                prop_assert!(intact(b));
                b.byte = byte;
                fill(b);
            }
            Op::Realloc(i, new_size) if !live.is_empty() => {
                let n = live.len();
                let b = &mut live[i % n];
                // SAFETY: `b` is live, allocated from `heap` with `b.size`.
                let ptr = unsafe { heap.try_realloc(b.ptr, b.size, new_size) }
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let kept = Live {
                    ptr,
                    size: b.size.min(new_size),
                    byte: b.byte,
                };
                prop_assert!(intact(&kept), "realloc lost contents");
                b.ptr = ptr;
                b.size = new_size;
                fill(b);
            }
            Op::Check => {
                for b in &live {
                    prop_assert!(intact(b));
                }
            }
            Op::Bounce(size) => {
                let ptr = heap
                    .try_alloc(size)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                // SAFETY: `ptr` was just allocated from `heap` with `size`.
                unsafe {
                    ptr.as_ptr().write_bytes(0xEE, size);
                    heap.free(ptr, size);
                }
                for b in &live {
                    prop_assert!(intact(b));
                }
            }
            _ => {}
        }
        if step % every == 0 {
            stats_match(&heap, &live)?;
            // Arenas with only free and spare pools stay within the budget.
            prop_assert!(heap.stats().empty_arenas <= max_empty);
        }
    }
    for b in live.drain(..) {
        prop_assert!(intact(&b));
        // SAFETY: `b` is live, allocated from `heap` with `b.size`.
        unsafe { heap.free(b.ptr, b.size) };
    }
    stats_match(&heap, &live)?;
    let s = heap.stats();
    prop_assert_eq!(s.bytes_in_use, 0);
    prop_assert!(s.arenas <= max_empty);
    drop(heap);
    prop_assert_eq!(source.held(), 0);
    Ok(())
}

proptest! {
    #[test]
    fn heap_matches_model(
        ops in prop::collection::vec(op(), 1..120),
        keep in 0usize..3,
        every in prop_oneof![Just(1usize), Just(4), Just(17)],
    ) {
        run(ops, keep, every)?;
    }

    /// Long runs of one or two classes: pools fill, empty, and get reused across classes.
    #[test]
    fn pools_fill_empty_and_change_class(
        sizes in prop::collection::vec(prop_oneof![Just(16usize), Just(500usize), Just(256usize)], 1..4),
        n in 1usize..1200,
    ) {
        let mut ops = Vec::new();
        for (k, &size) in sizes.iter().enumerate() {
            ops.extend((0..n).map(|_| Op::Alloc(size)));
            ops.extend((0..n).map(|i| Op::Free(i * 7 + k)));
        }
        // Cheap variant: check the model only at the end of each phase.
        let heap = Heap::new();
        let mut live: Vec<Live> = Vec::new();
        for op in ops {
            match op {
                Op::Alloc(size) => {
                    let ptr = heap.try_alloc(size).unwrap();
                    let b = Live { ptr, size, byte: (size % 251) as u8 };
                    fill(&b);
                    live.push(b);
                }
                Op::Free(i) => {
                    let b = live.swap_remove(i % live.len());
                    prop_assert!(intact(&b));
                    // SAFETY: `b` is live, allocated from `heap` with `b.size`.
                    unsafe { heap.free(b.ptr, b.size) };
                    if live.is_empty() {
                        stats_match(&heap, &live)?;
                    }
                }
                _ => unreachable!(),
            }
        }
        stats_match(&heap, &live)?;
    }
}
