//! Exercise mrt's allocator and print its statistics.
//!
//! `cargo run --release -p mrt --example alloc_stats`
//!
//! Three phases, with the statistics table after each: a churn of mixed 16–512-byte
//! blocks, a 200 MB spike of small blocks, and its release; then the same spike through
//! the system allocator (glibc `malloc`) to compare what stays resident afterwards.
#![allow(unsafe_code)] // the example frees what it allocates

use mrt::alloc::{ARENA_SIZE, Heap};
use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr::NonNull;

const SPIKE: usize = 200 << 20;

struct XorShift(u64);
impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Resident set size of this process in bytes (Linux `/proc/self/statm`; 0 elsewhere).
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn spike_sizes(rng: &mut XorShift) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut total = 0;
    while total < SPIKE {
        let s = 16 + rng.below(497);
        sizes.push(s);
        total += s;
    }
    sizes
}

fn shuffle(rng: &mut XorShift, v: &mut [(NonNull<u8>, usize)]) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
}

fn touch(p: NonNull<u8>, size: usize) {
    // SAFETY: `p` is a fresh block of `size` ≥ 16 bytes.
    unsafe { p.as_ptr().write_bytes(1, size) };
}

fn main() {
    let heap = Heap::new();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);

    // 1. Churn: 4096 live blocks, each replaced 100 times.
    let mut live: Vec<(NonNull<u8>, usize)> = (0..4096)
        .map(|_| {
            let s = 16 + rng.below(497);
            (heap.try_alloc(s).expect("out of memory"), s)
        })
        .collect();
    for _ in 0..100 * 4096 {
        let i = rng.below(live.len());
        let (p, s) = live[i];
        // SAFETY: `live[i]` is a live block of `s` bytes.
        unsafe { heap.free(p, s) };
        let s = 16 + rng.below(497);
        live[i] = (heap.try_alloc(s).expect("out of memory"), s);
    }
    println!("== after a churn of 409,600 alloc/free pairs (4096 live blocks)\n");
    println!("{}", heap.stats());

    // 2. Spike: 200 MB of small blocks.
    let sizes = spike_sizes(&mut rng);
    let rss0 = rss();
    let mut spike: Vec<(NonNull<u8>, usize)> = sizes
        .iter()
        .map(|&s| {
            let p = heap.try_alloc(s).expect("out of memory");
            touch(p, s);
            (p, s)
        })
        .collect();
    let rss_peak = rss();
    println!(
        "== after a spike of {} blocks ({:.0} MiB)\n",
        spike.len(),
        mib(SPIKE)
    );
    println!("{}", heap.stats());

    // 3. Release it, in random order.
    shuffle(&mut rng, &mut spike);
    for (p, s) in spike.drain(..) {
        // SAFETY: allocated in the spike with this size.
        unsafe { heap.free(p, s) };
    }
    drop(spike); // the bookkeeping vector itself is not part of the comparison
    let rss_after = rss();
    let stats = heap.stats();
    println!("== after freeing the spike\n");
    println!("{stats}");
    assert!(heap.check_invariants(), "allocator invariants broken");
    assert_eq!(stats.unaccounted_bytes(), 0);

    // The same spike through the system allocator.
    let layout = |s: usize| Layout::from_size_align(s, 16).expect("layout");
    let sys0 = rss();
    let mut sys: Vec<(NonNull<u8>, usize)> = sizes
        .iter()
        .map(|&s| {
            // SAFETY: the layout has a non-zero size.
            let p = NonNull::new(unsafe { System.alloc(layout(s)) }).expect("out of memory");
            touch(p, s);
            (p, s)
        })
        .collect();
    let sys_peak = rss();
    shuffle(&mut rng, &mut sys);
    for (p, s) in sys.drain(..) {
        // SAFETY: allocated just above with this layout.
        unsafe { System.dealloc(p.as_ptr(), layout(s)) };
    }
    drop(sys);
    let sys_after = rss();

    println!(
        "== memory kept after a {:.0} MiB spike is freed (RSS deltas)\n",
        mib(SPIKE)
    );
    println!(
        "{:<26} {:>12} {:>14} {:>12}",
        "allocator", "spike MiB", "after free MiB", "kept"
    );
    println!(
        "{:<26} {:>12.1} {:>14.1} {:>11.1}%",
        "mrt Heap",
        mib(rss_peak.saturating_sub(rss0)),
        mib(rss_after.saturating_sub(rss0)),
        100.0 * rss_after.saturating_sub(rss0) as f64 / rss_peak.saturating_sub(rss0).max(1) as f64
    );
    println!(
        "{:<26} {:>12.1} {:>14.1} {:>11.1}%",
        "system (glibc malloc)",
        mib(sys_peak.saturating_sub(sys0)),
        mib(sys_after.saturating_sub(sys0)),
        100.0 * sys_after.saturating_sub(sys0) as f64 / sys_peak.saturating_sub(sys0).max(1) as f64
    );
    println!(
        "\nmrt: {} of {} arenas returned to the OS ({:.1} MiB), {} kept mapped empty ({} KiB each).",
        stats.arenas_released,
        stats.arenas_mapped,
        mib(stats.bytes_returned_to_os as usize),
        stats.empty_arenas,
        ARENA_SIZE / 1024
    );

    for (p, s) in live {
        // SAFETY: the churn's live blocks, freed once.
        unsafe { heap.free(p, s) };
    }
}
