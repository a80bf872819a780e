//! The workspace's criterion benchmarks: one entry point registering groups
//! from sibling modules (hashbrown's `benches/bench.rs` pattern).
//!
//! `cargo bench -p mrt` runs them all; `cargo bench -p mrt -- alloc/` one group.

// criterion_group! expands to an undocumented `pub fn`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main};

mod alloc;
mod gc;
mod handles;
mod observe;
mod peers;

criterion_group!(
    benches,
    alloc::benches,
    gc::benches,
    handles::benches,
    observe::benches,
    peers::benches
);
criterion_main!(benches);
