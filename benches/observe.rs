//! The cost of observability on an allocation-heavy churn (docs/observability.md,
//! "Measured overhead"): the same workload on a runtime whose observer seam was never
//! touched (`baseline`), on one where tracemalloc was started and stopped again with a
//! frame still pushed (`off`: the allocator's one never-taken branch), with exact
//! tracing (`full`) and with sampled tracing at one sample per 512 KiB (`sampling`).
//! Targets: off ≤ 1.02× baseline, full ≤ 2×, sampling ≤ 1.1×.
//!
//! `cargo bench -p mrt -- observe/`
use std::time::{Duration, Instant};

use criterion::Criterion;
use mrt::object::Runtime;
use mrt::tracemalloc;

/// One round of churn: 2,000 requests, each a dict holding a str and a list of four
/// floats (5 objects and 3 storage blocks), of which every 20th is kept in a ring of
/// 100 (so the live set stays small and constant), the rest freed at once.
fn churn(rt: &Runtime, keep: &mrt::object::Obj<'_>, round: &mut i64) {
    let key = rt.intern("payload").unwrap();
    for i in 0..2_000i64 {
        let d = rt.dict().unwrap();
        let l = rt.list().unwrap();
        for j in 0..4 {
            l.append(&rt.float((i + j) as f64).unwrap()).unwrap();
        }
        d.set_item(&key, &l).unwrap();
        d.set_item(
            &rt.intern("name").unwrap(),
            &rt.str("request body").unwrap(),
        )
        .unwrap();
        if i % 20 == 0 {
            let slot = (*round % 100) as isize;
            *round += 1;
            if keep.len().unwrap() < 100 {
                keep.append(&d).unwrap();
            } else {
                keep.set(slot, &d).unwrap();
            }
        }
    }
}

/// How a mode prepares its runtime.
type Setup = fn(&Runtime);

/// A runtime prepared for one mode.
fn prepared(setup: impl Fn(&Runtime)) -> Runtime {
    let rt = Runtime::new();
    setup(&rt);
    rt
}

pub fn benches(c: &mut Criterion) {
    let modes: [(&str, Setup); 4] = [
        ("baseline", |_| {}),
        ("off", |rt| {
            tracemalloc::push_frame(rt, "bench.py", 1, "churn");
            tracemalloc::start(rt, 1).unwrap();
            tracemalloc::stop(rt);
        }),
        ("full", |rt| {
            tracemalloc::push_frame(rt, "bench.py", 1, "churn");
            tracemalloc::start(rt, 1).unwrap();
        }),
        ("sampling", |rt| {
            tracemalloc::push_frame(rt, "bench.py", 1, "churn");
            tracemalloc::start_sampling(rt, 1, 512 * 1024, 42).unwrap();
        }),
    ];
    let runtimes: Vec<Runtime> = modes.iter().map(|(_, setup)| prepared(setup)).collect();
    let keeps: Vec<_> = runtimes.iter().map(|rt| rt.list().unwrap()).collect();
    let mut rounds = [0i64; 4];
    for ((rt, keep), round) in runtimes.iter().zip(&keeps).zip(&mut rounds) {
        for _ in 0..20 {
            churn(rt, keep, round);
        }
    }
    let mut g = c.benchmark_group("observe");
    g.measurement_time(Duration::from_secs(4));
    g.warm_up_time(Duration::from_secs(1));
    for (i, (name, _)) in modes.iter().enumerate() {
        let (rt, keep) = (&runtimes[i], &keeps[i]);
        let round = &mut rounds[i];
        g.bench_function(format!("churn_{name}"), |b| {
            b.iter(|| churn(rt, keep, round))
        });
    }
    g.finish();
    // Criterion measures the modes one after another, so on a loaded machine a drift
    // shows up as overhead. The ratios are also measured interleaved: 41 rounds, each
    // timing 10 churns of every mode in turn; the median ratio to the baseline is
    // printed (the figure docs/observability.md reports).
    let mut ratios: [Vec<f64>; 4] = Default::default();
    for _ in 0..41 {
        let mut t = [0f64; 4];
        for (i, ti) in t.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..10 {
                churn(&runtimes[i], &keeps[i], &mut rounds[i]);
            }
            *ti = start.elapsed().as_secs_f64();
        }
        for i in 0..4 {
            ratios[i].push(t[i] / t[0]);
        }
    }
    for (i, (name, _)) in modes.iter().enumerate().skip(1) {
        let r = &mut ratios[i];
        r.sort_by(f64::total_cmp);
        println!(
            "observe/interleaved {name}/baseline: median {:.3}x (quartiles {:.3}x .. {:.3}x)",
            r[20], r[10], r[30]
        );
    }
}
