//! Collection pause times of a [`Runtime`], recorded by a collection callback that
//! times each collection from its `start` to its `stop` phase. Re-exported as
//! `mrt::record_gc_pauses` / `mrt::gc_pauses`.
//!
//! With the cargo feature `tracing`, the same callback emits a `tracing` event at each
//! start (`target: "mrt::gc"`, level DEBUG, field `generation`) and stop (fields
//! `generation`, `collected`, `uncollectable`, `pause_seconds`), so a subscriber sees
//! every collection, automatic ones included.
//!
//! ```
//! use mrt::object::Runtime;
//! let rt = Runtime::new();
//! mrt::record_gc_pauses(&rt);
//! rt.collect();
//! let p = mrt::gc_pauses(&rt).unwrap();
//! // Every collection since the recorder was installed (one here; more under gc_zeal).
//! let full = rt.get_stats()[2].collections;
//! assert_eq!(p.histograms[2].count() as usize, full);
//! assert_eq!(p.pauses[2].len(), full);
//! ```

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Instant;

use mrt_object::Runtime;
use mrt_object::mrt_gc::{CallbackInfo, Phase};

use super::histogram::Histogram;
use super::metrics::pause_buckets;

/// Pause times kept per generation for plots (older ones are dropped; the histograms
/// keep counting).
pub const KEEP_PAUSES: usize = 100_000;

/// Recorded pauses, per generation (the oldest generation collected).
#[derive(Clone, Debug, PartialEq)]
pub struct GcPauses {
    /// Bucketed pause times in seconds ([`pause_buckets`]).
    pub histograms: [Histogram; 3],
    /// The last [`KEEP_PAUSES`] pause times in seconds, oldest first.
    pub pauses: [Vec<f64>; 3],
    /// Collections timed, all generations.
    pub collections: usize,
}

struct Recorder {
    started: Cell<Option<Instant>>,
    pauses: RefCell<GcPauses>,
}

impl Recorder {
    fn on_phase(&self, phase: Phase, info: &CallbackInfo) {
        match phase {
            Phase::Start => {
                #[cfg(feature = "tracing")]
                tracing::debug!(target: "mrt::gc", generation = info.generation, "collection start");
                self.started.set(Some(Instant::now()));
            }
            Phase::Stop => {
                let Some(t0) = self.started.take() else {
                    return;
                };
                let secs = t0.elapsed().as_secs_f64();
                #[cfg(feature = "tracing")]
                tracing::debug!(
                    target: "mrt::gc",
                    generation = info.generation,
                    collected = info.collected,
                    uncollectable = info.uncollectable,
                    pause_seconds = secs,
                    "collection stop"
                );
                let g = info.generation.min(2);
                let mut p = self.pauses.borrow_mut();
                p.histograms[g].observe(secs);
                if p.pauses[g].len() == KEEP_PAUSES {
                    p.pauses[g].remove(0);
                }
                p.pauses[g].push(secs);
                p.collections += 1;
            }
        }
    }
}

/// Start recording collection pauses on `rt` (idempotent: one recorder per runtime).
pub fn record_gc_pauses(rt: &Runtime) {
    if rt.extension::<Recorder>().is_some() {
        return;
    }
    let rec = Rc::new(Recorder {
        started: Cell::new(None),
        pauses: RefCell::new(GcPauses {
            histograms: [pause_buckets(), pause_buckets(), pause_buckets()],
            pauses: Default::default(),
            collections: 0,
        }),
    });
    let cb = rec.clone();
    rt.add_gc_callback(move |phase, info| cb.on_phase(phase, info));
    rt.set_extension(rec);
}

/// The pauses recorded so far, or `None` if [`record_gc_pauses`] was not called.
pub fn gc_pauses(rt: &Runtime) -> Option<GcPauses> {
    rt.extension::<Recorder>()
        .map(|r| r.pauses.borrow().clone())
}
