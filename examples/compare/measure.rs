//! What the workloads measure with besides a clock: glibc's `mallinfo2` (the bytes
//! `malloc` has handed out, for the Rust peers' bytes per object, and what it holds
//! from the OS) and the process's resident set size. The binary keeps the system
//! allocator as its global allocator: `Rc` is the floor mrt's churn is judged
//! against, so it runs on plain `malloc`. (A counting wrapper, the first design,
//! cost `Rc`'s churn 0–5% in interleaved runs, within this VM's layout noise.)
#![allow(unsafe_code)] // FFI calls

use crate::workloads::Outcome;

/// Bytes glibc's `malloc` has handed out and not taken back (`mallinfo2`:
/// `uordblks + hblkhd`): each block counts the request plus malloc's 8-byte header,
/// rounded up to 16, which is what the process pays for it. Blocks parked in the
/// per-thread cache count as in use, so a delta over `n` allocations is off by at
/// most a few cached blocks either way.
pub fn malloc_in_use_bytes() -> usize {
    // SAFETY: mallinfo2 has no preconditions (glibc ≥ 2.33).
    let mi = unsafe { libc::mallinfo2() };
    mi.uordblks + mi.hblkhd
}

/// Resident set size of this process in bytes (Linux `/proc/self/statm`; 0 elsewhere).
pub fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * usize::try_from(page).unwrap_or(4096)
}

/// Bytes glibc's `malloc` holds from the OS: its `sbrk` heap plus its `mmap`ed chunks.
pub fn malloc_held_bytes() -> usize {
    // SAFETY: mallinfo2 has no preconditions (glibc ≥ 2.33).
    let mi = unsafe { libc::mallinfo2() };
    mi.arena + mi.hblkhd
}

/// CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`): unlike the wall
/// clock it does not advance while the thread is preempted, so on a shared machine
/// it measures a pause's own work (page faults included, waiting excluded).
pub fn thread_cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// `CLOCK_MONOTONIC` in seconds: the clock `perf record -k CLOCK_MONOTONIC` stamps
/// its events with, so a pause can be matched with the interrupts taken inside it
/// (`benches/python/pause_irqs.py`).
pub fn monotonic_secs() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// The spike_release figures from memory readings taken before the spike, at its
/// peak and after it was dropped (`held`: the allocator's own count of bytes held
/// from the OS; `rss`: the process's resident set): the share of the peak's growth
/// still held afterwards, and the peak's size. `held_note` says what `held` measures.
pub fn spike_outcome(held: [usize; 3], rss: [usize; 3], held_note: &str) -> Outcome {
    let [h0, h1, h2] = held;
    let [r0, r1, r2] = rss;
    let pct = |after: usize, peak: usize, before: usize| {
        100.0 * after.saturating_sub(before) as f64 / peak.saturating_sub(before).max(1) as f64
    };
    let mut o = Outcome::default();
    o.set("held_alloc_pct", pct(h2, h1, h0))
        .set("held_rss_pct", pct(r2, r1, r0))
        .set("peak_alloc_mib", h1.saturating_sub(h0) as f64 / 1048576.0)
        .set("peak_rss_mib", r1.saturating_sub(r0) as f64 / 1048576.0)
        .note("held_alloc_pct", held_note);
    o
}
