//! A [`MemoryMonitor`](super::MemoryMonitor) sample from a [`Runtime`]: take one after
//! each repetition of a workload (after a collection) and record it. Re-exported as
//! `mrt::sample`.
//!
//! ```
//! use mrt::object::Runtime;
//! use mrt::observe::{MemoryMonitor, Verdict};
//! let rt = Runtime::new();
//! let leak = rt.list().unwrap();
//! let mut monitor = MemoryMonitor::new();
//! for _ in 0..20 {
//!     for _ in 0..100 {
//!         leak.append(&rt.dict().unwrap()).unwrap(); // 100 dicts kept per repetition
//!     }
//!     rt.collect();
//!     monitor.record(mrt::sample(&rt));
//! }
//! let Verdict::Growing { top_types, .. } = monitor.verdict() else { panic!() };
//! assert_eq!(top_types[0], ("dict".to_owned(), 100.0));
//! ```

use mrt_object::Runtime;

use super::monitor::Sample;
use super::rt_census::census;
use super::rt_tracemalloc;
use super::snapshot::KeyType;

/// Live bytes (bytes in use), held bytes, objects per type (the census) and, while
/// tracemalloc traces, traced bytes per site (`file:line`).
pub fn sample(rt: &Runtime) -> Sample {
    let s = rt.heap_stats();
    let mut sample = Sample::new(s.bytes_in_use as u64, s.bytes_held as u64);
    for (name, count) in census(rt).counts() {
        sample = sample.with_type(&name, count);
    }
    if let Ok(snap) = rt_tracemalloc::take_snapshot(rt) {
        for st in snap.statistics(KeyType::Lineno) {
            let site = st.traceback.to_string();
            sample = sample.with_site(&site, st.size as i64);
        }
    }
    sample
}
