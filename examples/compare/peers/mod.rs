//! The Rust peers of the side-by-side benchmark and the timed workloads they can
//! express, written once, generically over [`Peer`].
//!
//! ```text
//! Peer (list-like container handle, 2-tuple, dict{1}, two-slot instance, collect)
//!   ├── rc::Std              std::rc::Rc<RefCell<Vec<V>>> — the floor; leaks cycles
//!   ├── bacon::BaconRajan    bacon_rajan_cc::Cc (synchronous trial deletion, manual collect)
//!   ├── dumpster_unsync::Dumpster  dumpster::unsync::Gc (automatic collection switched off)
//!   └── rustcc::RustCc       rust_cc::Cc (auto-collect switched off)
//! ```
//!
//! Shared with `benches/peers.rs` (criterion) through `#[path]`, so this module
//! and its children depend on nothing else of the example.
//!
//! All three collectors are *candidate-based* (Bacon–Rajan's "possible roots"):
//! a collection examines the objects whose count was decremented to a non-zero
//! value since the last collection, and whatever they reach — not the whole heap.
//! A full collection of a live heap that nobody touched therefore costs them next
//! to nothing, whatever its size; `benches/README.md` says so next to the numbers.

// Each peer module implements every method; not every binary calls each of them.
#![allow(dead_code)]

pub mod bacon;
pub mod dumpster_unsync;
pub mod rc;
pub mod rustcc;

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One Rust memory-management library, seen through the operations the workloads need.
pub trait Peer {
    /// Name in tables and JSON.
    const NAME: &'static str;
    /// Whether the library reclaims reference cycles at all.
    const COLLECTS_CYCLES: bool;
    /// A strong handle to a list-like container (`Ptr<RefCell<Vec<V>>>`).
    type List: Clone;
    /// A strong handle to an immutable pair of small ints.
    type Tuple;
    /// A strong handle to a map holding one item.
    type Dict;
    /// A strong handle to an object with two mutable slots.
    type Instance;

    /// A new empty list.
    fn list() -> Self::List;
    /// A new list holding exactly these ints (allocated at its final size).
    fn list_of_ints(items: &[i64]) -> Self::List;
    /// `list.append(x)`, taking `x`'s reference.
    fn push(list: &Self::List, x: Self::List);
    /// `list.append(i)`.
    fn push_int(list: &Self::List, i: i64);
    /// A new pair.
    fn tuple2(a: i64, b: i64) -> Self::Tuple;
    /// A new map `{k: v}`.
    fn dict1(k: i64, v: i64) -> Self::Dict;
    /// A new two-slot object (both slots hold the int 0).
    fn instance2() -> Self::Instance;
    /// Run a full collection (a no-op where [`Peer::COLLECTS_CYCLES`] is false).
    fn collect();
    /// Switch the library's automatic collection on or off (where it has one).
    fn set_auto_collect(on: bool);
}

/// xorshift64*: deterministic, dependency-free.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// `n` containers in rings of `ring` (each holds a reference to the next), the
/// roots dropped with automatic collection off; returns the time of the one full
/// collection that follows.
pub fn collect_cycles<P: Peer>(n: usize, ring: usize) -> Duration {
    P::set_auto_collect(false);
    P::collect();
    {
        let roots = P::list();
        for _ in 0..n / ring {
            let first = P::list();
            let mut prev = first.clone();
            for _ in 1..ring {
                let node = P::list();
                P::push(&prev, node.clone());
                prev = node;
            }
            P::push(&prev, first.clone());
            P::push(&roots, first);
        }
    }
    let t = Instant::now();
    P::collect();
    t.elapsed()
}

/// A root list holding `n` one-element containers (each holding a small int).
pub fn live_set<P: Peer>(n: usize) -> P::List {
    let root = P::list();
    for i in 0..n {
        P::push(&root, P::list_of_ints(&[(i & 0xFF) as i64]));
    }
    root
}

/// Time `reps` full collections of a live heap built by `build` (after one
/// untimed collection, as on the CPython side).
///
/// A candidate-based collector examines only what is reachable from the handles
/// decremented since its last collection, so before each timed collection the
/// root's handle is cloned and dropped: the root becomes a candidate and trial
/// deletion walks the whole live heap from it — the work a full collection of
/// that heap means for these collectors. (Without it a collection examines
/// nothing and takes tens of nanoseconds whatever the heap's size.)
fn time_collections<P: Peer>(reps: usize, build: impl FnOnce() -> P::List) -> Vec<Duration> {
    P::set_auto_collect(false);
    let root = build();
    P::collect();
    let samples = (0..reps)
        .map(|_| {
            drop(black_box(root.clone()));
            let t = Instant::now();
            P::collect();
            t.elapsed()
        })
        .collect();
    drop(black_box(root));
    samples
}

/// `n` live one-element containers held by one root list: times of `reps` full
/// collections that free nothing.
pub fn full_collect_live<P: Peer>(n: usize, reps: usize) -> Vec<Duration> {
    time_collections::<P>(reps, || live_set::<P>(n))
}

/// Allocate `2n` one-element containers, drop a random half, allocate `n` more
/// (into the holes), hold the `2n` survivors in one root list in shuffled order:
/// times of `reps` full collections.
pub fn full_collect_fragmented<P: Peer>(n: usize, reps: usize) -> Vec<Duration> {
    time_collections::<P>(reps, || {
        let mut rng = Rng(0x5EED);
        let mut objs: Vec<P::List> = (0..2 * n)
            .map(|i| P::list_of_ints(&[(i & 0xFF) as i64]))
            .collect();
        rng.shuffle(&mut objs);
        objs.truncate(n);
        objs.extend((0..n).map(|i| P::list_of_ints(&[(i & 0xFF) as i64])));
        rng.shuffle(&mut objs);
        let root = P::list();
        for o in objs {
            P::push(&root, o);
        }
        root
    })
}

/// `n` live containers, each holding the next, all held by one root list:
/// times of `reps` full collections.
pub fn full_collect_chain<P: Peer>(n: usize, reps: usize) -> Vec<Duration> {
    time_collections::<P>(reps, || {
        let objs: Vec<P::List> = (0..n).map(|_| P::list()).collect();
        for w in objs.windows(2) {
            P::push(&w[0], w[1].clone());
        }
        let root = P::list();
        for o in objs {
            P::push(&root, o);
        }
        root
    })
}

/// Create and drop `n` two-element containers holding two small ints.
pub fn churn<P: Peer>(n: usize) -> Duration {
    let t = Instant::now();
    for _ in 0..n {
        let l = P::list_of_ints(&[1, 2]);
        black_box(&l);
    }
    t.elapsed()
}

/// One collection pause, by the wall clock and by the thread's CPU clock.
#[derive(Clone, Copy, Debug)]
pub struct Pause {
    /// Wall-clock duration (includes any preemption of the thread).
    pub wall: Duration,
    /// CPU time the thread spent (excludes preemption).
    pub cpu: Duration,
}

/// Pauses of a young-collection workload on a collector without generations:
/// `old` live containers, then `rounds` times `n` short-lived 2-cycles, with a
/// full collection after every `every` container allocations (CPython's
/// generation-0 threshold), each one timed by the wall clock and by `cpu_clock`.
/// Returns each round's pauses and the best round's total time.
pub fn young_pause<P: Peer>(
    old: usize,
    n: usize,
    every: usize,
    rounds: usize,
    cpu_clock: fn() -> Duration,
) -> (Vec<Vec<Pause>>, Duration) {
    P::set_auto_collect(false);
    let keep = live_set::<P>(old);
    P::collect();
    let mut per_round = Vec::with_capacity(rounds);
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let mut pauses = Vec::with_capacity(2 * n / every + 1);
        let mut allocated = 0;
        let t0 = Instant::now();
        for _ in 0..n {
            let a = P::list();
            let b = P::list();
            P::push(&b, a.clone());
            P::push(&a, b);
            drop(a);
            allocated += 2;
            if allocated >= every {
                allocated = 0;
                let (c, t) = (cpu_clock(), Instant::now());
                P::collect();
                let wall = t.elapsed();
                pauses.push(Pause {
                    wall,
                    cpu: cpu_clock().saturating_sub(c),
                });
            }
        }
        best = best.min(t0.elapsed());
        per_round.push(pauses);
    }
    drop(black_box(keep));
    (per_round, best)
}

/// An `n`-deep nested list (`x = [x]` `n - 1` times): the time to drop it.
pub fn deep_drop<P: Peer>(n: usize) -> Duration {
    P::set_auto_collect(false);
    let mut x = P::list();
    for _ in 1..n {
        let y = P::list();
        P::push(&y, x);
        x = y;
    }
    let t = Instant::now();
    drop(x);
    t.elapsed()
}

/// An `n`-long cycle of lists, dropped: the time of the full collection that frees it.
pub fn deep_cycle<P: Peer>(n: usize) -> Duration {
    P::set_auto_collect(false);
    P::collect();
    {
        let first = P::list();
        let mut cur = first.clone();
        for _ in 1..n {
            let next = P::list();
            P::push(&cur, next.clone());
            cur = next;
        }
        P::push(&cur, first);
    }
    let t = Instant::now();
    P::collect();
    t.elapsed()
}
