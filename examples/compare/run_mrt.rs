//! mrt running one case in a child process, through the public API only
//! (`mrt::object::Runtime` and its `Obj` handles), mirroring
//! `benches/python/workloads.py` line by line.

use crate::measure::{monotonic_secs, rss_bytes, spike_outcome, thread_cpu_time};
use crate::peers::{Pause, Rng};
use crate::workloads::{Case, Outcome, Workload};
use mrt::gc::Phase;
use mrt::object::{ClassSpec, Obj, Runtime};
use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

type R<T> = Result<T, mrt::object::Error>;

/// Run `case` on mrt.
pub fn run(case: &Case) -> Outcome {
    let r = match case.workload {
        Workload::CollectCycles => collect_cycles(case.n, case.reps),
        Workload::FullCollectLive => full_collect_live(case.n, case.reps),
        Workload::FullCollectChain => full_collect_chain(case.n, case.reps),
        Workload::FullCollectFragmented => full_collect_fragmented(case.n, case.reps),
        Workload::Churn => churn(case.n, case.reps),
        Workload::YoungPause => young_pause(case.old, case.n, case.reps),
        Workload::BytesPerObject => bytes_per_object(case.n),
        Workload::SpikeRelease => spike_release(case.n),
        Workload::DeepDrop => deep_drop(case.n),
        Workload::DeepCycle => deep_cycle(case.n),
    };
    r.unwrap_or_else(|e| Outcome::failed(format!("mrt error: {e:?}")))
}

fn collect_cycles(n: usize, reps: usize) -> R<Outcome> {
    let rt = Runtime::builder().gc_disabled().build();
    let mut samples = Vec::new();
    let mut found = 0;
    for _ in 0..reps {
        rt.collect();
        {
            let roots = rt.list()?;
            for _ in 0..n / 20 {
                let first = rt.list()?;
                let mut prev = first.clone();
                for _ in 1..20 {
                    let node = rt.list()?;
                    prev.append(&node)?;
                    prev = node;
                }
                prev.append(&first)?;
                roots.append(&first)?;
            }
        } // every ring is now garbage, kept alive by its cycle only
        let t = Instant::now();
        found = rt.collect();
        samples.push(t.elapsed());
    }
    let mut o = Outcome::timings(&samples, n);
    o.set("collected", found as f64);
    Ok(o)
}

/// A one-element container holding a small int.
fn one<'rt>(rt: &'rt Runtime, i: usize) -> R<Obj<'rt>> {
    let l = rt.list()?;
    l.append(&rt.int((i & 0xFF) as i64)?)?;
    Ok(l)
}

/// Time `reps` full collections of a heap rooted at `root` (after one untimed
/// collection that moves everything to the oldest generation); each must find
/// nothing.
fn time_full(rt: &Runtime, reps: usize, objects: usize) -> R<Outcome> {
    rt.collect();
    let mut samples = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        let found = rt.collect();
        samples.push(t.elapsed());
        assert_eq!(found, 0, "a live heap has no garbage");
    }
    Ok(Outcome::timings(&samples, objects))
}

fn full_collect_live(n: usize, reps: usize) -> R<Outcome> {
    let rt = Runtime::builder().gc_disabled().build();
    let root = rt.list()?;
    for i in 0..n {
        root.append(&one(&rt, i)?)?;
    }
    let o = time_full(&rt, reps, n)?;
    drop(root);
    Ok(o)
}

fn full_collect_chain(n: usize, reps: usize) -> R<Outcome> {
    let rt = Runtime::builder().gc_disabled().build();
    let root = rt.list()?;
    let objs = (0..n).map(|_| rt.list()).collect::<R<Vec<_>>>()?;
    for w in objs.windows(2) {
        w[0].append(&w[1])?;
    }
    for o in &objs {
        root.append(o)?;
    }
    drop(objs);
    let o = time_full(&rt, reps, n)?;
    drop(root);
    Ok(o)
}

fn full_collect_fragmented(n: usize, reps: usize) -> R<Outcome> {
    let rt = Runtime::builder().gc_disabled().build();
    let mut rng = Rng(0x5EED);
    let mut objs = (0..2 * n).map(|i| one(&rt, i)).collect::<R<Vec<_>>>()?;
    rng.shuffle(&mut objs);
    objs.truncate(n); // a random half dies: holes all over the heap
    for i in 0..n {
        objs.push(one(&rt, i)?); // the new ones land in the holes
    }
    rng.shuffle(&mut objs);
    let root = rt.list()?;
    for o in &objs {
        root.append(o)?;
    }
    drop(objs);
    let o = time_full(&rt, reps, 2 * n)?;
    drop(root);
    Ok(o)
}

fn churn(n: usize, reps: usize) -> R<Outcome> {
    let rt = Runtime::new(); // automatic collection on, as by default
    let (one, two) = (rt.int(1)?, rt.int(2)?);
    let mut samples = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        for _ in 0..n {
            let l = rt.list_from(&[&one, &two])?;
            black_box(&l);
        }
        samples.push(t.elapsed());
    }
    Ok(Outcome::timings(&samples, n))
}

fn young_pause(old: usize, n: usize, rounds: usize) -> R<Outcome> {
    let rt = Runtime::builder().gc_disabled().build();
    let keep = rt.list()?;
    for i in 0..old {
        keep.append(&one(&rt, i)?)?;
    }
    rt.collect(); // -> generation 2
    rt.collect();
    // gc.callbacks: the clocks at "start", a pause per generation at "stop",
    // each round's pauses apart. With MRT_COMPARE_PAUSE_LOG=PATH, every pause's
    // CLOCK_MONOTONIC interval is also written to PATH, to be matched with the
    // interrupts `perf record` saw (benches/python/pause_irqs.py).
    let pause_log = std::env::var_os("MRT_COMPARE_PAUSE_LOG");
    let stamp = pause_log.is_some();
    #[derive(Default)]
    struct Log {
        start: Option<(Duration, Instant, f64)>,
        rounds: [Vec<Vec<Pause>>; 3],
        /// (generation, round, start, end, thread CPU µs) when `stamp`.
        stamped: Vec<(usize, usize, f64, f64, f64)>,
    }
    let log: Rc<RefCell<Log>> = Rc::default();
    let sink = Rc::clone(&log);
    let id = rt.add_gc_callback(move |phase, info| {
        let mut l = sink.borrow_mut();
        match phase {
            Phase::Start => {
                let mono = if stamp { monotonic_secs() } else { 0.0 };
                l.start = Some((thread_cpu_time(), Instant::now(), mono));
            }
            Phase::Stop => {
                let Some((cpu0, t0, mono0)) = l.start.take() else {
                    return;
                };
                let p = Pause {
                    wall: t0.elapsed(),
                    cpu: thread_cpu_time().saturating_sub(cpu0),
                };
                let g = info.generation.min(2);
                if stamp {
                    let round = l.rounds[g].len().saturating_sub(1);
                    let cpu = p.cpu.as_secs_f64() * 1e6;
                    l.stamped.push((g, round, mono0, monotonic_secs(), cpu));
                }
                if let Some(round) = l.rounds[g].last_mut() {
                    round.push(p);
                }
            }
        }
    });
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        for g in &mut log.borrow_mut().rounds {
            g.push(Vec::new());
        }
        rt.enable();
        let t0 = Instant::now();
        for _ in 0..n {
            let a = rt.list()?;
            let b = rt.list()?;
            b.append(&a)?;
            a.append(&b)?;
        }
        best = best.min(t0.elapsed());
        rt.disable();
    }
    rt.remove_gc_callback(id);
    let mut o = Outcome::default();
    let l = log.borrow();
    for (g, p) in l.rounds.iter().enumerate() {
        o.set_pauses(g, p);
    }
    if let Some(path) = pause_log {
        let mut text = String::from("# generation round start_s end_s thread_cpu_us\n");
        for (g, r, a, b, cpu) in &l.stamped {
            text += &format!("{g} {r} {a:.9} {b:.9} {cpu:.3}\n");
        }
        if let Err(e) = std::fs::write(&path, text) {
            let msg = format!("MRT_COMPARE_PAUSE_LOG {path:?}: {e}");
            eprintln!("{msg}");
            o.note("mrt", msg);
        }
    }
    o.set("seconds", best.as_secs_f64());
    drop(keep);
    Ok(o)
}

/// `heap_bytes_in_use` growth per object over `n` objects held in a `Vec`
/// (outside mrt's heap).
fn per_object<'rt>(rt: &'rt Runtime, n: usize, make: impl Fn(usize) -> R<Obj<'rt>>) -> R<f64> {
    let mut holder = Vec::with_capacity(n);
    rt.collect();
    let before = rt.heap_bytes_in_use();
    for i in 0..n {
        holder.push(make(i)?);
    }
    let after = rt.heap_bytes_in_use();
    drop(holder);
    Ok(after.saturating_sub(before) as f64 / n as f64)
}

fn bytes_per_object(n: usize) -> R<Outcome> {
    let rt = Runtime::builder().gc_disabled().build();
    let two_slots = rt.define_class(ClassSpec::new("TwoSlots").slots(&["x", "y"]))?;
    let zero = rt.int(0)?;
    let mut o = Outcome::default();
    o.set("empty_list", per_object(&rt, n, |_| rt.list())?)
        .set(
            "dict1",
            per_object(&rt, n, |_| {
                let d = rt.dict()?;
                d.set_item(&zero, &zero)?;
                Ok(d)
            })?,
        )
        .set(
            "instance2",
            per_object(&rt, n, |_| {
                let x = rt.instance(&two_slots)?;
                x.setattr("x", &zero)?;
                x.setattr("y", &zero)?;
                Ok(x)
            })?,
        )
        .set("float", per_object(&rt, n, |i| rt.float(i as f64 + 0.5))?)
        .set(
            "small_int",
            per_object(&rt, n, |i| rt.int((i & 0xFF) as i64))?,
        )
        .note("*", "allocator bytes in use (block sizes: multiples of 8)");
    Ok(o)
}

fn spike_release(n: usize) -> R<Outcome> {
    let rt = Runtime::builder().gc_disabled().build();
    rt.collect();
    let held = |rt: &Runtime| rt.heap_stats().bytes_held;
    let (h0, r0) = (held(&rt), rss_bytes());
    let spike = rt.list()?;
    for i in 0..n {
        let (a, b) = (rt.int((i % 100) as i64)?, rt.int((i % 100 + 1) as i64)?);
        spike.append(&rt.tuple(&[&a, &b])?)?;
    }
    let (h1, r1) = (held(&rt), rss_bytes());
    drop(spike);
    rt.collect();
    let (h2, r2) = (held(&rt), rss_bytes());
    Ok(spike_outcome(
        [h0, h1, h2],
        [r0, r1, r2],
        "HeapStats::bytes_held (arenas + large blocks)",
    ))
}

fn deep_drop(n: usize) -> R<Outcome> {
    let rt = Runtime::builder().gc_disabled().build();
    let mut x = rt.list()?;
    for _ in 1..n {
        let y = rt.list()?;
        y.append(&x)?;
        x = y;
    }
    let t = Instant::now();
    drop(x);
    let d = t.elapsed();
    let mut o = Outcome::default();
    o.set("nested_drop_seconds", d.as_secs_f64());
    Ok(o)
}

fn deep_cycle(n: usize) -> R<Outcome> {
    let rt = Runtime::builder().gc_disabled().build();
    rt.collect();
    {
        let first = rt.list()?;
        let mut cur = first.clone();
        for _ in 1..n {
            let next = rt.list()?;
            cur.append(&next)?;
            cur = next;
        }
        cur.append(&first)?;
    }
    let t = Instant::now();
    let found = rt.collect();
    let d = t.elapsed();
    let mut o = Outcome::default();
    o.set("cycle_collect_seconds", d.as_secs_f64())
        .set("cycle_collected", found as f64);
    Ok(o)
}
