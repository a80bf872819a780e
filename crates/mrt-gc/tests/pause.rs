//! Generation-0 pause measurement (evidence for docs/cycle_collector.md).
//! Ignored by default; run in release:
//!
//! `cargo test -p mrt-gc --release --test pause -- --ignored --nocapture`

use std::time::{Duration, Instant};

use mrt_gc::toy::ToyHeap;

fn old_generation(h: &ToyHeap, n: usize) {
    let nodes: Vec<_> = (0..n).map(|_| h.alloc()).collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for a in &nodes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        a.link(&nodes[(x % n.max(1) as u64) as usize]);
        h.add_global(a);
    }
}

#[test]
#[ignore = "measurement; run in release"]
fn gen0_pause_does_not_depend_on_the_old_generation() {
    for old in [0usize, 100_000, 1_000_000, 4_000_000] {
        let h = ToyHeap::new();
        old_generation(&h, old);
        h.collect(2);
        // Automatic collection on, default thresholds: time each gen-0
        // collection triggered by allocating a mix of live and cyclic garbage.
        let pauses = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let p = pauses.clone();
        let start = std::rc::Rc::new(std::cell::Cell::new(Instant::now()));
        let s = start.clone();
        h.collector().add_callback(Box::new(move |phase, info| {
            if info.generation == 0 {
                match phase {
                    mrt_gc::Phase::Start => s.set(Instant::now()),
                    mrt_gc::Phase::Stop => p.borrow_mut().push(s.get().elapsed()),
                }
            }
        }));
        h.collector().set_threshold(700, 1_000_000, 1_000_000);
        let mut keep = Vec::new();
        for i in 0..700_000 {
            let a = h.alloc();
            a.link(&a);
            if i % 10 == 0 {
                keep.push(a);
            }
        }
        let v = pauses.borrow();
        let max = v.iter().max().copied().unwrap_or_default();
        let mut sorted = v.clone();
        sorted.sort();
        let med = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        println!(
            "old generation {old:>8}: {} gen-0 collections, median {:?}, max {:?}",
            v.len(),
            med,
            max
        );
        if !cfg!(debug_assertions) {
            assert!(max < Duration::from_millis(5), "pause {max:?}");
        }
    }
}

/// Minimum of several full collections of a 1M-node live heap (min is robust
/// to scheduling noise on a shared machine).
#[test]
#[ignore = "measurement; run in release"]
fn full_collection_min_time() {
    let h = ToyHeap::new();
    h.collector().disable();
    old_generation(&h, 1_000_000);
    h.collect(2);
    let mut best = Duration::MAX;
    for _ in 0..15 {
        let t = Instant::now();
        assert_eq!(h.collect(2), 0);
        best = best.min(t.elapsed());
    }
    println!(
        "full collection, 1M live: min {best:?} ({:.1} ns/object)",
        best.as_nanos() as f64 / 1e6
    );
}
