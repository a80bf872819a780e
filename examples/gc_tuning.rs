//! Thresholds vs collection count and pause times under a churn workload.
//!
//! The workload keeps a long-lived population of 200,000 objects and churns short-lived
//! 2-cycles (garbage only the collector can free). For each threshold for generation 0
//! it prints how many collections of each generation ran, the pause times (median, p99,
//! max) and the peak heap — the trade-off CPython's `gc.set_threshold` tunes.
//!
//! `cargo run --release -p mrt --example gc_tuning`

use mrt::gc::Phase;
use mrt::object::{Error, Runtime};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

const LONG_LIVED: usize = 200_000;
const CYCLES: usize = 300_000;

struct Pauses {
    started: Option<(Instant, usize)>,
    by_gen: [Vec<Duration>; 3],
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn run(threshold0: usize) -> Result<(), Error> {
    let rt = Runtime::builder().thresholds(threshold0, 10, 10).build();
    let pauses = Rc::new(RefCell::new(Pauses {
        started: None,
        by_gen: Default::default(),
    }));
    let p = pauses.clone();
    rt.add_gc_callback(move |phase, info| {
        let mut p = p.borrow_mut();
        match phase {
            Phase::Start => p.started = Some((Instant::now(), info.generation)),
            Phase::Stop => {
                if let Some((t, g)) = p.started.take() {
                    p.by_gen[g].push(t.elapsed());
                }
            }
        }
    });

    let keep = rt.list()?;
    for i in 0..LONG_LIVED as i64 {
        let x = rt.list()?;
        x.append(&rt.int(i)?)?;
        keep.append(&x)?;
    }
    let start = Instant::now();
    let mut peak = 0;
    for _ in 0..CYCLES {
        let (a, b) = (rt.list()?, rt.list()?);
        a.append(&b)?;
        b.append(&a)?; // a 2-cycle: refcounting cannot free it
        peak = peak.max(rt.heap_bytes_in_use());
    }
    let elapsed = start.elapsed();
    let mut p = pauses.borrow_mut();
    for g in 0..3 {
        let v = &mut p.by_gen[g];
        v.sort();
        let lead = if g == 0 {
            format!(
                "{threshold0:>10} {:>9.1} ms {:>8.1} MiB",
                elapsed.as_secs_f64() * 1e3,
                peak as f64 / 1048576.0
            )
        } else {
            String::new()
        };
        println!(
            "{lead:<36} gen{g} {:>6} {:>10.1?} {:>10.1?} {:>10.1?}",
            v.len(),
            percentile(v, 0.5),
            percentile(v, 0.99),
            v.last().copied().unwrap_or_default()
        );
    }
    drop(keep);
    Ok(())
}

fn main() -> Result<(), Error> {
    println!(
        "{LONG_LIVED} long-lived objects, then {CYCLES} garbage 2-cycles with automatic collection on\n"
    );
    println!(
        "{:>10} {:>12} {:>12}  gen  {:>6} {:>10} {:>10} {:>10}",
        "threshold0", "churn time", "peak heap", "runs", "median", "p99", "max"
    );
    for t0 in [100, 700, 5_000, 50_000] {
        run(t0)?;
    }
    println!(
        "\nA low threshold collects often with short pauses and a small heap; a high one\n\
         collects rarely, with longer young pauses and more garbage held between them.\n\
         Full collections stay rare either way: besides its own threshold, generation 2\n\
         waits until the objects awaiting their first full collection exceed 25% of the\n\
         long-lived population (CPython's long_lived_pending rule)."
    );
    Ok(())
}
