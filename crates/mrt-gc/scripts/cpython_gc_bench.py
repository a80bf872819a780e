"""CPython 3.11 side of benches/gc.rs: the same workloads, only gc.collect() timed.

    python3 crates/mrt-gc/scripts/cpython_gc_bench.py
"""
import gc, random, time, statistics

def timeit(f, reps):
    ts = []
    for _ in range(reps):
        ts.append(f())
    return statistics.median(ts)

def collect_cycles():
    gc.collect()
    for _ in range(10_000):
        first = []
        prev = first
        for _ in range(19):
            x = []
            prev.append(x)
            prev = x
        prev.append(first)
    del first, prev, x
    t = time.perf_counter(); n = gc.collect(); d = time.perf_counter() - t
    assert n == 200_000, n
    return d

def live_set(n, rnd):
    nodes = [[] for _ in range(n)]
    for x in nodes:
        x.append(nodes[rnd.randrange(n)])
    return nodes

def full(keep, reps=5):
    gc.collect()
    def one():
        t = time.perf_counter(); n = gc.collect(); d = time.perf_counter() - t
        return d
    return timeit(one, reps)

def fragmented(rnd):
    first = [[] for _ in range(2_000_000)]
    rnd.shuffle(first)
    del first[1_000_000:]
    second = [[] for _ in range(1_000_000)]
    allx = first + second
    del first, second
    n = len(allx)
    for x in allx:
        x.append(allx[rnd.randrange(n)])
    rnd.shuffle(allx)
    return allx

def gen0_pause(reps=2000):
    ts = []
    for _ in range(reps):
        for _ in range(35):
            first = []; prev = first
            for _ in range(19):
                x = []; prev.append(x); prev = x
            prev.append(first)
        del first, prev, x
        t = time.perf_counter(); gc.collect(0); ts.append(time.perf_counter() - t)
    return statistics.median(ts), max(ts)

gc.disable()
rnd = random.Random(1)
d = timeit(collect_cycles, 5)
print(f"collect_cycles 200k rings of 20: {d*1e3:.1f} ms ({d/200_000*1e9:.0f} ns/object)")
keep = live_set(1_000_000, rnd)
d = full(keep)
print(f"full collection 1M live: {d*1e3:.1f} ms ({d/1_000_000*1e9:.0f} ns/object)")
del keep
gc.collect()
keep = fragmented(rnd)
d = full(keep, 3)
print(f"full collection 2M live fragmented: {d*1e3:.1f} ms ({d/2_000_000*1e9:.0f} ns/object)")
del keep
gc.collect()
med, mx = gen0_pause()
print(f"gen0 pause, 700 young, ~0 old: median {med*1e6:.1f} us, max {mx*1e6:.1f} us")
keep = live_set(1_000_000, rnd)
gc.collect()
med, mx = gen0_pause()
print(f"gen0 pause, 700 young, 1M old: median {med*1e6:.1f} us, max {mx*1e6:.1f} us")
