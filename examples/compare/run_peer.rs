//! A Rust peer running one case in a child process: the generic workloads of
//! [`peers`](crate::peers) plus the memory measurements (glibc's statistics).

use crate::measure::{
    malloc_held_bytes, malloc_in_use_bytes, rss_bytes, spike_outcome, thread_cpu_time,
};
use crate::peers::{self, Peer};
use crate::workloads::{Case, Outcome, Workload};
use std::hint::black_box;

/// CPython's generation-0 threshold: the peers (one generation, no automatic
/// collection here) collect after this many container allocations in `young_pause`.
const YOUNG_EVERY: usize = 700;

/// Run `case` on peer `P`.
pub fn run<P: Peer>(case: &Case) -> Outcome {
    let (n, reps) = (case.n, case.reps);
    let no_collector = || {
        Outcome::unsupported(
            "Rc has no cycle collector: the cycles leak, there is no collection to time",
        )
    };
    match case.workload {
        Workload::CollectCycles if !P::COLLECTS_CYCLES => no_collector(),
        Workload::FullCollectLive
        | Workload::FullCollectFragmented
        | Workload::FullCollectChain
            if !P::COLLECTS_CYCLES =>
        {
            no_collector()
        }
        Workload::YoungPause | Workload::DeepCycle if !P::COLLECTS_CYCLES => no_collector(),
        Workload::CollectCycles => {
            let samples: Vec<_> = (0..reps)
                .map(|_| peers::collect_cycles::<P>(n, 20))
                .collect();
            Outcome::timings(&samples, n)
        }
        Workload::FullCollectLive => {
            let mut o = Outcome::timings(&peers::full_collect_live::<P>(n, reps), n);
            o.note("*", CANDIDATES);
            o
        }
        Workload::FullCollectFragmented => {
            let mut o = Outcome::timings(&peers::full_collect_fragmented::<P>(n, reps), 2 * n);
            o.note("*", CANDIDATES);
            o
        }
        Workload::FullCollectChain => {
            let mut o = Outcome::timings(&peers::full_collect_chain::<P>(n, reps), n);
            o.note("*", CANDIDATES);
            o
        }
        Workload::Churn => {
            let samples: Vec<_> = (0..reps).map(|_| peers::churn::<P>(n)).collect();
            Outcome::timings(&samples, n)
        }
        Workload::YoungPause => {
            let (pauses, total) =
                peers::young_pause::<P>(case.old, n, YOUNG_EVERY, reps, thread_cpu_time);
            let mut o = Outcome::default();
            o.set_pauses(0, &pauses)
                .set("seconds", total.as_secs_f64())
                .note(
                    "*",
                    "one generation and no automatic collection here: a full collection \
                     after every 700 container allocations, each timed",
                );
            o
        }
        Workload::BytesPerObject => bytes_per_object::<P>(n),
        Workload::SpikeRelease => spike_release::<P>(n),
        Workload::DeepDrop => {
            let mut o = Outcome::default();
            o.set(
                "nested_drop_seconds",
                peers::deep_drop::<P>(n).as_secs_f64(),
            );
            o
        }
        Workload::DeepCycle => {
            let mut o = Outcome::default();
            o.set(
                "cycle_collect_seconds",
                peers::deep_cycle::<P>(n).as_secs_f64(),
            );
            o
        }
    }
}

/// Why a peer's full collection of a live heap costs next to nothing.
const CANDIDATES: &str = "candidate-based collector: it examines what is reachable from \
    the handles decremented since its last collection, so the root's handle is cloned and \
    dropped before each timed collection to make it walk the live heap (without that a \
    collection costs ~30 ns whatever the heap)";

/// malloc's bytes in use per object, averaged over `n` objects (the holder is
/// allocated before the first reading).
fn per_object<T>(n: usize, make: impl Fn(usize) -> T) -> f64 {
    let mut holder = Vec::with_capacity(n);
    let before = malloc_in_use_bytes();
    for i in 0..n {
        holder.push(make(i));
    }
    let after = malloc_in_use_bytes();
    drop(black_box(holder));
    after.saturating_sub(before) as f64 / n as f64
}

fn bytes_per_object<P: Peer>(n: usize) -> Outcome {
    let mut o = Outcome::default();
    o.set("empty_list", per_object(n, |_| P::list()))
        .set("dict1", per_object(n, |_| P::dict1(0, 0)))
        .set("instance2", per_object(n, |_| P::instance2()))
        .note(
            "*",
            "malloc's bytes in use (mallinfo2): the request plus malloc's 8-byte header, \
             rounded up to 16",
        )
        .note(
            "float",
            "unboxed: an f64 lives inline in the 16-byte value enum (no heap object)",
        )
        .note(
            "small_int",
            "unboxed: an i64 lives inline in the 16-byte value enum (no heap object)",
        );
    o
}

/// `n` small tuples held in a `Vec`, then dropped: the fraction of the peak that
/// glibc's malloc still holds from the OS, and the same for the process's RSS.
fn spike_release<P: Peer>(n: usize) -> Outcome {
    let (h0, r0) = (malloc_held_bytes(), rss_bytes());
    let spike: Vec<P::Tuple> = (0..n)
        .map(|i| P::tuple2((i % 100) as i64, (i % 100 + 1) as i64))
        .collect();
    let (h1, r1) = (malloc_held_bytes(), rss_bytes());
    drop(black_box(spike));
    let (h2, r2) = (malloc_held_bytes(), rss_bytes());
    spike_outcome(
        [h0, h1, h2],
        [r0, r1, r2],
        "glibc malloc: sbrk heap + mmapped chunks (mallinfo2)",
    )
}
