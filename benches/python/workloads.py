#!/usr/bin/env python3
"""CPython 3.11 side of mrt's side-by-side benchmark (benches/README.md).

One workload per run, one JSON object on stdout, so that every measurement
starts from a fresh interpreter (the harness `examples/compare.rs` runs this
file as a subprocess):

    python3 benches/python/workloads.py WORKLOAD [--n N] [--reps R] [--old N]

The workloads mirror the Rust ones in `examples/compare/workloads.rs` line by
line: lists are the containers, small ints (-5..256, CPython's cached ones)
the atoms, `gc.disable()` wherever automatic collection must be off,
`time.perf_counter` for every time, `gc.callbacks` for pauses, `tracemalloc`
for bytes per object, `sys._debugmallocstats` (pymalloc arenas) and
`/proc/self/statm` (RSS) for what stays held after a spike.

Output: {"system", "version", "workload", "params", "metrics", "notes"},
where "metrics" maps names to numbers (seconds, ns, bytes, percent) — the same
names the Rust side uses.
"""

import argparse
import gc
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import tracemalloc

perf_counter = time.perf_counter

# ---------------------------------------------------------------- helpers


def rss_bytes():
    """Resident set size of this process (Linux /proc/self/statm)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def pymalloc_arena_bytes():
    """Bytes of pymalloc arenas currently mapped ("# arenas allocated current"
    times the arena size), read from sys._debugmallocstats(), which writes to
    the C-level stderr: fd 2 is pointed at a temporary file meanwhile."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read().decode("utf-8", "replace")
    m = re.search(r"(\d+) arenas \* (\d+) bytes/arena", text)
    if m:
        return int(m.group(1)) * int(m.group(2))
    m = re.search(r"# arenas allocated current\s*=\s*([\d,]+)", text)
    return int(m.group(1).replace(",", "")) * (1 << 20) if m else 0


def best(samples):
    """Minimum of the samples: the least disturbed run on a shared machine."""
    return min(samples)


def timing_metrics(samples, objects):
    s = best(samples)
    return {
        "seconds": s,
        "ns_per_object": s / objects * 1e9,
        "samples": len(samples),
        "median_seconds": statistics.median(samples),
    }


# -------------------------------------------------------------- workloads


def collect_cycles(n, reps, ring=20, **_):
    """n containers in rings of `ring` (each holds a reference to the next),
    every root dropped with automatic collection off, then one full
    collection. Only the collection is timed."""
    gc.disable()
    samples = []
    collected = 0
    for _ in range(reps):
        gc.collect()
        roots = []
        for _ in range(n // ring):
            first = []
            prev = first
            for _ in range(ring - 1):
                node = []
                prev.append(node)
                prev = node
            prev.append(first)
            roots.append(first)
        first = prev = node = None
        roots = None  # every ring is now garbage, kept alive by its cycle only
        t0 = perf_counter()
        collected = gc.collect()
        samples.append(perf_counter() - t0)
    m = timing_metrics(samples, n)
    m["collected"] = collected
    return m, {}


def _live_set(n):
    # One-element containers, each holding a small int.
    return [[i & 0xFF] for i in range(n)]


def _time_full_collections(reps, objects):
    """One untimed full collection (everything moves to the oldest
    generation), then `reps` timed ones, each of which must find nothing."""
    gc.collect()
    samples = []
    for _ in range(reps):
        t0 = perf_counter()
        found = gc.collect()
        samples.append(perf_counter() - t0)
        assert found == 0, found
    return timing_metrics(samples, objects)


def full_collect_live(n, reps, **_):
    """n live one-element containers held by one root list; time one full
    collection that frees nothing. One untimed collection first moves
    everything to the oldest generation (the state a long-running program's
    heap is in)."""
    gc.disable()
    root = _live_set(n)
    m = _time_full_collections(reps, n)
    del root
    return m, {}


def full_collect_chain(n, reps, **_):
    """n live containers, each holding the next (containers of containers),
    all held by one root list; time one full collection (after one untimed
    one, as in full_collect_live)."""
    gc.disable()
    objs = [[] for _ in range(n)]
    for i in range(n - 1):
        objs[i].append(objs[i + 1])
    root = []
    for o in objs:
        root.append(o)
    del objs
    m = _time_full_collections(reps, n)
    del root
    return m, {}


def full_collect_fragmented(n, reps, **_):
    """Allocate 2n one-element containers, drop a random half, allocate n
    more (they fill the holes), hold the 2n survivors in one root list in
    shuffled order; time one full collection (after one untimed one, as in
    full_collect_live)."""
    gc.disable()
    rng = random.Random(0x5EED)
    objs = _live_set(2 * n)
    rng.shuffle(objs)
    del objs[n:]  # a random half dies: holes all over the heap
    objs.extend(_live_set(n))  # the new ones land in the holes
    rng.shuffle(objs)
    m = _time_full_collections(reps, 2 * n)
    del objs
    return m, {}


def churn(n, reps, **_):
    """Create and drop n two-element containers holding two small ints
    (automatic collection on, as by default: allocations and deallocations
    cancel out in generation 0's count, so no collection runs)."""
    gc.enable()
    samples = []
    for _ in range(reps):
        t0 = perf_counter()
        for _ in range(n):
            x = [1, 2]  # noqa: F841 -- the previous list dies here
        x = None
        samples.append(perf_counter() - t0)
    return timing_metrics(samples, n), {
        "seconds": "includes the bytecode interpreter's loop and BUILD_LIST dispatch"
    }


def young_pause(n, reps, old, **_):
    """`old` live containers promoted to the oldest generation, then `reps`
    rounds of n short-lived 2-cycles with automatic collection on; every
    collection's pause is recorded (gc.callbacks start/stop) by the wall clock
    (perf_counter) and by the thread's CPU clock (thread_time: a pause's own
    work, not the preemptions of a shared machine), each round's apart, for
    the worst collection's best-of-rounds figure (`_max_of_min`)."""
    gc.disable()
    keep = _live_set(old)
    gc.collect()  # -> generation 2
    gc.collect()
    rounds = {0: [], 1: [], 2: []}
    start = [0.0, 0.0]
    thread_time = time.thread_time

    def on_gc(phase, info):
        if phase == "start":
            start[0], start[1] = thread_time(), perf_counter()
        else:
            wall = perf_counter() - start[1]
            rounds[info["generation"]][-1].append((wall, thread_time() - start[0]))

    gc.callbacks.append(on_gc)
    best = float("inf")
    for _ in range(reps):
        for g in rounds.values():
            g.append([])
        gc.enable()
        t0 = perf_counter()
        for _ in range(n):
            a = []
            b = [a]
            a.append(b)
        a = b = None
        best = min(best, perf_counter() - t0)
        gc.disable()
    gc.callbacks.remove(on_gc)
    m = {"seconds": best}
    for g, per_round in rounds.items():
        ps = [p for r in per_round for p in r]
        m[f"gen{g}_count"] = len(ps) // reps
        if ps:
            wall = sorted(w for w, _ in ps)
            m[f"gen{g}_median_us"] = statistics.median(wall) * 1e6
            m[f"gen{g}_p99_us"] = wall[min(len(wall), -(-len(wall) * 99 // 100)) - 1] * 1e6
            m[f"gen{g}_max_us"] = wall[-1] * 1e6
            m[f"gen{g}_cpu_max_us"] = max(c for _, c in ps) * 1e6
        worst = _max_of_min([[c for _, c in r] for r in per_round])
        if worst is not None:
            m[f"gen{g}_cpu_max_of_min_us"] = worst * 1e6
    del keep
    return m, {}


def _max_of_min(rounds):
    """The worst k-th pause, each taken as the best of its rounds (the k that
    every round has); None with fewer than two rounds or no pause."""
    common = min((len(r) for r in rounds), default=0)
    if len(rounds) < 2 or common == 0:
        return None
    return max(min(r[k] for r in rounds) for k in range(common))


class TwoSlots:
    __slots__ = ("x", "y")

    def __init__(self):
        self.x = 0
        self.y = 0


def bytes_per_object(n, **_):
    """Bytes per object as tracemalloc sees them (requested sizes, GC header
    included; pymalloc rounds each block up to 16 bytes)."""
    gc.disable()

    def measure(make):
        holder = [None] * n
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            holder[i] = make(i)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del holder
        return (after - before) / n

    m = {
        "empty_list": measure(lambda i: []),
        "dict1": measure(lambda i: {0: 0}),
        "instance2": measure(lambda i: TwoSlots()),
        "float": measure(lambda i: i + 0.5),
        "small_int": measure(lambda i: i & 0xFF),
    }
    return m, {}


def spike_release(n, **_):
    """n small tuples (two small ints each) allocated, held in a list, then
    dropped: which fraction of the peak is still held afterwards, by the
    allocator (pymalloc arenas) and by the process (RSS)."""
    gc.disable()
    gc.collect()
    a0, r0 = pymalloc_arena_bytes(), rss_bytes()
    spike = [(i % 100, i % 100 + 1) for i in range(n)]
    a1, r1 = pymalloc_arena_bytes(), rss_bytes()
    spike = None
    gc.collect()
    a2, r2 = pymalloc_arena_bytes(), rss_bytes()
    return {
        "held_alloc_pct": 100.0 * (a2 - a0) / max(a1 - a0, 1),
        "held_rss_pct": 100.0 * (r2 - r0) / max(r1 - r0, 1),
        "peak_alloc_mib": (a1 - a0) / 2**20,
        "peak_rss_mib": (r1 - r0) / 2**20,
    }, {"held_alloc_pct": "pymalloc arenas only (the list's buffer is a malloc block)"}


def deep_drop(n, **_):
    """Build an n-deep nested list and time dropping it (CPython's trashcan
    keeps the deallocation iterative)."""
    gc.disable()
    gc.collect()
    x = []
    for _ in range(n - 1):
        x = [x]
    t0 = perf_counter()
    x = None
    return {"nested_drop_seconds": perf_counter() - t0}, {}


def deep_cycle(n, **_):
    """Build an n-long cycle of lists, drop it, and time the full collection
    that frees it."""
    gc.disable()
    gc.collect()
    first = []
    cur = first
    for _ in range(n - 1):
        nxt = []
        cur.append(nxt)
        cur = nxt
    cur.append(first)
    first = cur = nxt = None
    t0 = perf_counter()
    found = gc.collect()
    return {
        "cycle_collect_seconds": perf_counter() - t0,
        "cycle_collected": found,
    }, {}


WORKLOADS = {
    "collect_cycles": collect_cycles,
    "full_collect_live": full_collect_live,
    "full_collect_chain": full_collect_chain,
    "full_collect_fragmented": full_collect_fragmented,
    "churn": churn,
    "young_pause": young_pause,
    "bytes_per_object": bytes_per_object,
    "spike_release": spike_release,
    "deep_drop": deep_drop,
    "deep_cycle": deep_cycle,
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workload", choices=sorted(WORKLOADS))
    p.add_argument("--n", type=int, required=True, help="objects (see each workload)")
    p.add_argument("--reps", type=int, default=3, help="timed repetitions (best is kept)")
    p.add_argument("--old", type=int, default=0, help="young_pause: old-generation objects")
    a = p.parse_args()
    metrics, notes = WORKLOADS[a.workload](n=a.n, reps=a.reps, old=a.old)
    json.dump(
        {
            "system": "cpython",
            "version": sys.version.split()[0],
            "workload": a.workload,
            "params": {"n": a.n, "reps": a.reps, "old": a.old},
            "metrics": metrics,
            "notes": notes,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
