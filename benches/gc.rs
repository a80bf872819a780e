//! Collector benchmarks on the toy host (`mrt_gc::toy`): only the collection
//! is timed (setup and teardown are not). Workloads and CPython 3.11's numbers
//! for the same workloads are in `docs/cycle_collector.md`
//! (`crates/mrt-gc/scripts/cpython_gc_bench.py` is the Python side).
//!
//! `cargo bench -p mrt -- gc/`
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use mrt::gc::toy::ToyHeap;

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
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

/// `rings` garbage rings of `len` nodes each.
fn garbage_rings(h: &ToyHeap, rings: usize, len: usize) {
    for _ in 0..rings {
        let first = h.alloc();
        let mut prev = first.clone();
        for _ in 1..len {
            let x = h.alloc();
            prev.link(&x);
            prev = x;
        }
        prev.link(&first);
    }
}

/// `n` live nodes, each with one edge to a random node of the set, rooted
/// in the heap's globals.
fn live_set(h: &ToyHeap, n: usize, rng: &mut Rng) {
    let nodes: Vec<_> = (0..n).map(|_| h.alloc()).collect();
    for x in &nodes {
        x.link(&nodes[rng.below(n)]);
    }
    for x in &nodes {
        h.add_global(x);
    }
}

/// The fragmented heap: allocate 2M, drop a random half, allocate 1M more,
/// give each survivor a random edge and root them in shuffled order.
fn fragmented_set(h: &ToyHeap, rng: &mut Rng) {
    let mut first: Vec<_> = (0..2_000_000).map(|_| h.alloc()).collect();
    rng.shuffle(&mut first);
    first.truncate(1_000_000); // drops a random half
    let second: Vec<_> = (0..1_000_000).map(|_| h.alloc()).collect();
    let mut all: Vec<_> = first.into_iter().chain(second).collect();
    let n = all.len();
    for i in 0..n {
        let j = rng.below(n);
        all[i].link(&all[j]);
    }
    rng.shuffle(&mut all);
    for x in &all {
        h.add_global(x);
    }
}

fn new_heap() -> ToyHeap {
    let h = ToyHeap::new();
    h.collector().disable();
    h
}

/// Time `iters` full collections of a heap built once.
fn time_full(h: &ToyHeap, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let t = Instant::now();
        let n = h.collect(2);
        total += t.elapsed();
        assert_eq!(n, 0);
    }
    total
}

pub fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("gc");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(5));

    g.bench_function("collect_cycles/200k_nodes_rings_of_20", |b| {
        b.iter_batched(
            || {
                let h = new_heap();
                garbage_rings(&h, 10_000, 20);
                h
            },
            |h| {
                assert_eq!(h.collect(2), 200_000);
                h // dropped outside the timing
            },
            BatchSize::PerIteration,
        )
    });

    // Heaps are built inside the closures, so a filtered-out benchmark costs nothing.
    g.bench_function("full_collection/1M_live", |b| {
        let h = new_heap();
        live_set(&h, 1_000_000, &mut Rng(0x9e37_79b9_7f4a_7c15));
        h.collect(2);
        b.iter_custom(|iters| time_full(&h, iters))
    });

    // The first full collection of a freshly fragmented heap: list order
    // does not follow memory; includes re-sorting the survivors by address.
    g.bench_function("full_collection/2M_live_fragmented_first", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let h = new_heap();
                fragmented_set(&h, &mut Rng(0x2545_f491_4f6c_dd1d ^ i));
                total += time_full(&h, 1);
            }
            total
        })
    });

    // Steady state: later full collections of the same heap (the oldest
    // generation is in address order after the first one).
    g.bench_function("full_collection/2M_live_fragmented", |b| {
        let h = new_heap();
        fragmented_set(&h, &mut Rng(0x2545_f491_4f6c_dd1d));
        h.collect(2);
        b.iter_custom(|iters| time_full(&h, iters))
    });

    for old in [0usize, 1_000_000] {
        g.bench_function(format!("gen0_pause/700_young_{old}_old"), |b| {
            let h = new_heap();
            live_set(&h, old, &mut Rng(7));
            h.collect(2);
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // 700 young objects: 35 garbage rings of 20, set up untimed.
                    garbage_rings(&h, 35, 20);
                    let t = Instant::now();
                    let n = h.collect(0);
                    total += t.elapsed();
                    assert_eq!(n, 700);
                }
                total
            })
        });
    }
    g.finish();
}
