//! Allocator benchmarks: small-object churn, mrt's `Heap` against the system allocator
//! (glibc `malloc` through `std::alloc::System`) in the same group.
//!
//! Sizes (16..=512 bytes, uniform) and orders are generated before measuring, with an
//! inline xorshift, so the random number generator is not measured.
//! `cargo bench -p mrt --bench bench -- alloc/`
#![allow(unsafe_code)] // the benchmarks free what they allocate

use criterion::{BenchmarkId, Criterion, Throughput};
use mrt::alloc::Heap;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::ptr::NonNull;

/// Blocks per batch.
const BATCH: usize = 1024;
/// Live blocks in the steady-state churn.
const LIVE: usize = 4096;

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn sizes(rng: &mut XorShift, n: usize) -> Vec<usize> {
    (0..n).map(|_| 16 + rng.below(512 - 16 + 1)).collect()
}

fn permutation(rng: &mut XorShift, n: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        p.swap(i, rng.below(i + 1));
    }
    p
}

/// The two allocators behind one interface (monomorphised, no dynamic dispatch).
trait Alloc {
    fn alloc(&self, size: usize) -> NonNull<u8>;
    /// # Safety
    /// `p` came from `alloc(size)` and is freed once.
    unsafe fn free(&self, p: NonNull<u8>, size: usize);
}

impl Alloc for Heap {
    #[inline]
    fn alloc(&self, size: usize) -> NonNull<u8> {
        self.try_alloc(size).expect("out of memory")
    }
    #[inline]
    unsafe fn free(&self, p: NonNull<u8>, size: usize) {
        // SAFETY: forwarded contract.
        unsafe { Heap::free(self, p, size) }
    }
}

/// glibc malloc via `std::alloc::System`, with the same 16-byte alignment.
struct Sys;
impl Alloc for Sys {
    #[inline]
    fn alloc(&self, size: usize) -> NonNull<u8> {
        // SAFETY: size ≥ 16 > 0 and 16 is a power of two.
        let layout = unsafe { Layout::from_size_align_unchecked(size, 16) };
        // SAFETY: the layout has a non-zero size.
        NonNull::new(unsafe { System.alloc(layout) }).expect("out of memory")
    }
    #[inline]
    unsafe fn free(&self, p: NonNull<u8>, size: usize) {
        // SAFETY: `p` came from `alloc(size)`, which used this layout (caller).
        unsafe { System.dealloc(p.as_ptr(), Layout::from_size_align_unchecked(size, 16)) }
    }
}

/// Allocate a batch, free it in reverse order (stack-like lifetimes).
fn lifo<A: Alloc>(a: &A, sizes: &[usize], slots: &mut [NonNull<u8>]) {
    for (slot, &size) in slots.iter_mut().zip(sizes) {
        *slot = a.alloc(size);
    }
    for (slot, &size) in slots.iter().zip(sizes).rev() {
        // SAFETY: allocated just above with this size.
        unsafe { a.free(black_box(*slot), size) };
    }
}

/// Allocate a batch, free it in a random order.
fn random<A: Alloc>(a: &A, sizes: &[usize], order: &[usize], slots: &mut [NonNull<u8>]) {
    for (slot, &size) in slots.iter_mut().zip(sizes) {
        *slot = a.alloc(size);
    }
    for &i in order {
        // SAFETY: allocated just above with this size.
        unsafe { a.free(black_box(slots[i]), sizes[i]) };
    }
}

/// Steady state: `LIVE` blocks; each step frees a random one and allocates a new one in
/// its place (a heap that is neither growing nor shrinking, like a warmed-up runtime).
fn steady<A: Alloc>(a: &A, victims: &[usize], sizes: &[usize], live: &mut [(NonNull<u8>, usize)]) {
    for (&v, &size) in victims.iter().zip(sizes) {
        let (p, old) = live[v];
        // SAFETY: `live[v]` is a live block of `old` bytes.
        unsafe { a.free(p, old) };
        live[v] = (a.alloc(size), size);
    }
}

fn churn<A: Alloc>(c: &mut Criterion, name: &str, a: &A) {
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let batch_sizes = sizes(&mut rng, BATCH);
    let order = permutation(&mut rng, BATCH);
    let mut slots = vec![NonNull::dangling(); BATCH];

    let mut g = c.benchmark_group("alloc/churn_lifo");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter(|| lifo(a, &batch_sizes, &mut slots))
    });
    g.finish();

    let mut g = c.benchmark_group("alloc/churn_random");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter(|| random(a, &batch_sizes, &order, &mut slots))
    });
    g.finish();

    let victims: Vec<usize> = (0..BATCH).map(|_| rng.below(LIVE)).collect();
    let mut live: Vec<(NonNull<u8>, usize)> = sizes(&mut rng, LIVE)
        .into_iter()
        .map(|s| (a.alloc(s), s))
        .collect();
    let mut g = c.benchmark_group("alloc/churn_steady");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter(|| steady(a, &victims, &batch_sizes, &mut live))
    });
    g.finish();
    for (p, s) in live {
        // SAFETY: every block in `live` is live with its size.
        unsafe { a.free(p, s) };
    }
}

/// Register the allocator groups (called by `benches/bench.rs`).
pub fn benches(c: &mut Criterion) {
    let heap = Heap::new();
    churn(c, "mrt", &heap);
    churn(c, "system", &Sys);
}
