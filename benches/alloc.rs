//! Allocator benchmarks (filled by the allocator work).
use criterion::Criterion;

pub fn benches(_c: &mut Criterion) {}
