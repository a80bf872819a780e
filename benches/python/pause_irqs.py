#!/usr/bin/env python3
"""Which young-collection pauses had an interrupt inside them?

Runs mrt's `young_pause` case (the compare example's child) under
`perf record`, with the interrupt tracepoints of the kernel, and matches each
pause (its CLOCK_MONOTONIC interval, written by the child when
MRT_COMPARE_PAUSE_LOG is set) with the interrupts taken by the same thread
inside it. Prints the pauses' thread-CPU times grouped by what interrupted
them, then the slowest pauses that no interrupt explains, with their start
time modulo 4 ms (the guest's 250 Hz tick) and 10 ms: a host-side preemption
of the virtual CPU is invisible to the guest's tracepoints but shows up as a
fixed phase.

Needs `perf` and the right to trace the kernel (root, or
kernel.perf_event_paranoid <= -1). Build the example first:

    cargo build --release -p mrt --example compare
    sudo python3 benches/python/pause_irqs.py [--old 100000] [--n 2000000] [--reps 5]

Exit status 2 with a message when perf or the permission is missing.
"""

import argparse
import bisect
import collections
import os
import shutil
import subprocess
import sys
import tempfile

EVENTS = [
    "irq_vectors:local_timer_entry",
    "irq_vectors:call_function_entry",
    "irq_vectors:call_function_single_entry",
    "irq_vectors:reschedule_entry",
    "irq_vectors:irq_work_entry",
    "irq:irq_handler_entry",
    "irq:softirq_entry",
    "sched:sched_switch",
]


def fail(msg):
    print(f"pause_irqs: {msg}", file=sys.stderr)
    sys.exit(2)


def read_pauses(path):
    pauses = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            g, r, a, b, cpu = line.split()
            pauses.append((int(g), int(r), float(a), float(b), float(cpu)))
    return pauses


def read_events(perf, data):
    # --ns: the pause log has nanoseconds; perf's default microseconds would put an
    # interrupt near either end of a ~17 µs pause on the wrong side.
    run = subprocess.run(
        [perf, "script", "--ns", "-i", data, "-F", "time,event"],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        fail(f"perf script failed (exit status {run.returncode}):\n{run.stderr}")
    out = run.stdout
    events = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        try:
            t = float(parts[0].rstrip(":"))
        except ValueError:
            continue
        name = parts[1].rstrip(":")
        # "irq_vectors:local_timer_entry" -> "local_timer"
        short = name.split(":")[-1].removesuffix("_entry")
        events.append((t, short))
    events.sort()
    return events


def summary(values):
    v = sorted(values)
    n = len(v)
    return (
        n,
        v[n // 2],
        v[min(n - 1, int(n * 0.999))],
        v[-1],
        sum(x > 100 for x in v),
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--compare",
        default=os.path.join(
            os.environ.get("CARGO_TARGET_DIR", "target"), "release", "examples", "compare"
        ),
    )
    ap.add_argument("--old", type=int, default=100_000)
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()

    perf = shutil.which("perf")
    if perf is None:
        fail("perf is not installed")
    if not os.access(args.compare, os.X_OK):
        fail(f"{args.compare} not found: cargo build --release -p mrt --example compare")

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        log = os.path.join(tmp, "pauses.txt")
        env = dict(os.environ, MRT_COMPARE_PAUSE_LOG=log)
        cmd = [perf, "record", "-q", "-k", "CLOCK_MONOTONIC", "-o", data]
        for e in EVENTS:
            cmd += ["-e", e]
        cmd += ["--", args.compare, "--child", "mrt", "young_pause"]
        cmd += ["--n", str(args.n), "--reps", str(args.reps), "--old", str(args.old)]
        run = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if run.returncode != 0 or not os.path.exists(log):
            fail(
                f"perf record or the child failed (exit status {run.returncode}); tracing the "
                "kernel needs root or perf_event_paranoid <= -1, and the irq_vectors and irq "
                f"tracepoints:\n{run.stderr}"
            )
        pauses = read_pauses(log)
        events = read_events(perf, data)

    times = [t for t, _ in events]
    groups = collections.defaultdict(list)
    unexplained = []
    for g, r, a, b, cpu in pauses:
        if g == 2:
            continue
        i, j = bisect.bisect_left(times, a), bisect.bisect_right(times, b)
        kinds = sorted({k for _, k in events[i:j]} - {"sched_switch"})
        groups["+".join(kinds) or "no interrupt"].append(cpu)
        if not kinds:
            unexplained.append((cpu, a))

    print(f"young_pause old={args.old} n={args.n} reps={args.reps}: gen 0/1 pauses, thread CPU µs")
    print(f"{'interrupted by':<42} {'pauses':>7} {'median':>7} {'p99.9':>7} {'max':>7} {'>100µs':>7}")
    for kind, cpus in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        n, med, p999, mx, over = summary(cpus)
        print(f"{kind:<42} {n:>7} {med:>7.1f} {p999:>7.1f} {mx:>7.1f} {over:>7}")
    unexplained.sort(reverse=True)
    print("\nslowest pauses without an interrupt: start modulo 4 ms and 10 ms (µs)")
    for cpu, a in unexplained[:12]:
        us = a * 1e6
        print(f"  {cpu:7.1f} µs   {us % 4000:7.0f}   {us % 10000:7.0f}")


if __name__ == "__main__":
    main()
