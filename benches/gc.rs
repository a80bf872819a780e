//! Collector benchmarks (filled by the collector work).
use criterion::Criterion;

pub fn benches(_c: &mut Criterion) {}
