//! Observability wired to a runtime (design §6): tracemalloc over the allocation
//! observer, census and growth, the memory report, the memory budget, Prometheus.

use mrt::object::{ClassSpec, Error, Kind, Runtime};
use mrt::observe::prometheus_check;
use mrt::observe::{KeyType, Verdict};
use mrt::{RuntimeBuilderExt, tracemalloc};

#[test]
fn tracemalloc_attributes_objects_and_storage_to_frames() {
    let rt = Runtime::new();
    assert!(!tracemalloc::is_tracing(&rt));
    assert!(tracemalloc::take_snapshot(&rt).is_err());
    tracemalloc::push_frame(&rt, "app.py", 1, "main"); // before start: the stack is kept
    tracemalloc::start(&rt, 5).unwrap();
    assert!(tracemalloc::is_tracing(&rt));
    let before = tracemalloc::take_snapshot(&rt).unwrap();
    tracemalloc::push_frame(&rt, "cache.py", 42, "fill");
    let l = rt.list().unwrap();
    for i in 0..100 {
        l.append(&rt.float(i as f64).unwrap()).unwrap(); // 16 B each
    }
    tracemalloc::pop_frame(&rt).unwrap();
    let tb = tracemalloc::get_object_traceback(&rt, &l).unwrap();
    assert_eq!(tb.len(), 2);
    assert_eq!(tb.to_string(), "app.py:1"); // Python's str(traceback): the oldest frame
    let after = tracemalloc::take_snapshot(&rt).unwrap();
    let diff = after.compare_to(&before, KeyType::Lineno);
    assert!(
        diff[0].to_string().starts_with("cache.py:42: size="),
        "{}",
        diff[0]
    );
    // 1 list + 100 floats + the list buffer (its reallocations are one trace at the end).
    assert_eq!(diff[0].count, 102);
    let (current, peak) = tracemalloc::get_traced_memory(&rt);
    assert!(current > 0 && peak >= current);
    drop(l);
    assert!(tracemalloc::get_traced_memory(&rt).0 < current);
    tracemalloc::reset_peak(&rt);
    let (cur2, peak2) = tracemalloc::get_traced_memory(&rt);
    assert_eq!(cur2, peak2);
    tracemalloc::stop(&rt);
    assert!(!tracemalloc::is_tracing(&rt));
    assert!(rt.alloc_observer().is_none(), "stop removes the observer");
    tracemalloc::pop_frame(&rt).unwrap();
    assert!(tracemalloc::pop_frame(&rt).is_err());
}

#[test]
fn tracemalloc_sampling_estimates_bytes() {
    // The same workload traced exactly and sampled: the estimate is close.
    fn traced(sampling: bool) -> (u64, usize) {
        let rt = Runtime::new();
        if sampling {
            tracemalloc::start_sampling(&rt, 1, 4096, 7).unwrap();
        } else {
            tracemalloc::start(&rt, 1).unwrap();
        }
        tracemalloc::push_frame(&rt, "big.py", 3, "load");
        let keep = rt.list().unwrap();
        for _ in 0..20_000 {
            keep.append(&rt.str("x".repeat(40).as_str()).unwrap())
                .unwrap();
        }
        tracemalloc::pop_frame(&rt).unwrap();
        let snap = tracemalloc::take_snapshot(&rt).unwrap();
        (
            snap.statistics(KeyType::Lineno)[0].size,
            snap.traces().len(),
        )
    }
    let (exact, exact_traces) = traced(false);
    let (est, sampled_traces) = traced(true);
    assert_eq!(exact_traces, 20_002);
    let err = est as f64 / exact as f64 - 1.0;
    assert!(err.abs() < 0.1, "estimate {est} vs {exact}");
    assert!(
        sampled_traces < 1_000,
        "sampling keeps few traces: {sampled_traces}"
    );
}

#[test]
fn census_and_growth_name_host_classes() {
    let rt = Runtime::new();
    let point = rt
        .define_class(ClassSpec::new("Point").slots(&["x", "y"]))
        .unwrap();
    let _ = mrt::growth(&rt, 100);
    let keep = rt.list().unwrap();
    for _ in 0..30 {
        keep.append(&rt.instance(&point).unwrap()).unwrap();
    }
    let g = mrt::growth(&rt, 100);
    assert_eq!(g[0].type_name, "Point");
    assert_eq!(g[0].increase, 30);
    assert!(
        mrt::growth(&rt, 100).is_empty(),
        "no growth since the last call"
    );
    let c = mrt::census(&rt);
    assert_eq!(c.get("Point").count, 30);
    // Two slots: 16 (GC header) + 8 (header) + 2 × 8 = 40 bytes, an 8-byte size class.
    assert_eq!(c.get("Point").bytes, 30 * 40);
    assert_eq!(rt.live_count(Kind::Instance).objects, 30);
}

#[test]
fn memory_report_layers_add_up_exactly() {
    let rt = Runtime::new();
    let keep = rt.list().unwrap();
    for i in 0..20_000i64 {
        let d = rt.dict().unwrap();
        d.set_item(
            &rt.int(i).unwrap(),
            &rt.str(&"v".repeat((i % 700) as usize)).unwrap(),
        )
        .unwrap();
        if i % 3 == 0 {
            keep.append(&d).unwrap();
        }
    }
    for _ in 0..3_000 {
        keep.pop().unwrap();
    }
    let r = mrt::memory_report(&rt);
    let s = rt.heap_stats();
    assert_eq!(r.layers().iter().map(|(_, b)| b).sum::<u64>(), r.held_bytes);
    assert_eq!(r.held_bytes, s.bytes_held as u64);
    assert_eq!(r.arena_bytes + r.large_bytes, r.held_bytes);
    assert!(r.object_bytes > 0 && r.storage_bytes > 0 && r.free_block_bytes > 0);
    let census_bytes: u64 = mrt::census(&rt).types().values().map(|t| t.bytes).sum();
    assert_eq!(r.object_bytes, census_bytes);
    let text = r.to_string();
    assert!(text.contains("live objects") && text.contains("= held"));
    assert!(text.contains("generation"));
    // Every line of the layer table has its numbers in the same columns.
    let widths: Vec<usize> = text.lines().skip(1).take(7).map(|l| l.len()).collect();
    assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
}

#[test]
fn memory_limit_collects_first_then_fails_and_recovers() {
    let limit = 256 * 1024;
    // Automatic collection off: only the budget's collections free the cycles.
    let rt = Runtime::builder().memory_limit(limit).gc_disabled().build();
    let pair = rt
        .define_class(ClassSpec::new("Pair").slots(&["other"]))
        .unwrap();
    // Garbage cycles only a collection can free: the budget collects instead of failing.
    for _ in 0..20_000 {
        let a = rt.instance(&pair).unwrap();
        let b = rt.instance(&pair).unwrap();
        a.setattr("other", &b).unwrap();
        b.setattr("other", &a).unwrap();
    }
    assert!(rt.heap_bytes_in_use() <= limit);
    let collections = rt.alloc_counters().limit_collections;
    assert!(collections >= 1);
    assert_eq!(rt.alloc_counters().limit_failures, 0);
    // Live data past the budget: MemoryError, repeatedly, and the runtime recovers.
    let keep = rt.list().unwrap();
    for round in 0..5 {
        let mut failed = false;
        for i in 0..100_000i64 {
            match rt.str(&format!("item {i} of round {round}")) {
                Ok(s) => {
                    if keep.append(&s).is_err() {
                        failed = true; // the list buffer hit the budget: unchanged
                        break;
                    }
                }
                Err(Error::MemoryError(msg)) => {
                    assert!(msg.contains("memory limit"), "{msg}");
                    failed = true;
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert!(failed, "round {round} never hit the limit");
        assert!(rt.heap_bytes_in_use() <= limit);
        let n = keep.len().unwrap();
        assert!(n > 100);
        while keep.len().unwrap() > 0 {
            keep.pop().unwrap();
        }
        assert!(rt.check_heap());
    }
    assert!(rt.alloc_counters().limit_failures >= 5);
    drop(keep);
    rt.collect();
    // Only the runtime's own objects (class and interned names) are left.
    assert!(
        rt.heap_bytes_in_use() < 16 * 1024,
        "{}",
        rt.heap_bytes_in_use()
    );
}

#[test]
fn memory_limit_from_cgroup_is_typed() {
    let dir = std::env::temp_dir().join(format!("mrt-cgroup-{}", std::process::id()));
    let cg = dir.join("sys/fs/cgroup/app");
    std::fs::create_dir_all(&cg).unwrap();
    std::fs::create_dir_all(dir.join("proc/self")).unwrap();
    std::fs::write(dir.join("proc/self/cgroup"), "0::/app\n").unwrap();
    std::fs::write(
        dir.join("proc/self/mountinfo"),
        "30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n",
    )
    .unwrap();
    std::fs::write(cg.join("memory.max"), "1073741824\n").unwrap();
    let b = Runtime::builder()
        .memory_limit_from_cgroup_at(&dir, 0.5)
        .unwrap();
    assert_eq!(b.get_memory_limit(), Some(512 << 20));
    assert_eq!(b.build().memory_limit(), Some(512 << 20));
    std::fs::write(cg.join("memory.max"), "max\n").unwrap();
    let e = Runtime::builder()
        .memory_limit_from_cgroup_at(&dir, 0.5)
        .unwrap_err();
    assert!(matches!(
        e,
        mrt::LimitError::Cgroup(mrt::observe::cgroup::CgroupError::NoLimit { .. })
    ));
    assert!(matches!(
        Runtime::builder().memory_limit_from_cgroup_at(&dir, 1.5),
        Err(mrt::LimitError::InvalidFraction(_))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn prometheus_output_passes_the_strict_checker() {
    let rt = Runtime::builder().memory_limit(64 << 20).build();
    mrt::record_gc_pauses(&rt);
    tracemalloc::start(&rt, 1).unwrap();
    let c = rt
        .define_class(ClassSpec::new("Node").slots(&["a"]))
        .unwrap();
    let keep = rt.list().unwrap();
    for _ in 0..5_000 {
        let n = rt.instance(&c).unwrap();
        n.setattr("a", &n).unwrap(); // self-cycle: collected
        keep.append(&rt.dict().unwrap()).unwrap();
    }
    let numbers = rt.list().unwrap(); // holds no container: a leaf once it reaches generation 2
    numbers.append(&rt.int(7).unwrap()).unwrap();
    rt.collect();
    let text = mrt::render_prometheus(&rt);
    let families = prometheus_check::check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
    for want in [
        "mrt_heap_bytes",
        "mrt_heap_fragmentation_ratio",
        "mrt_alloc_blocks_total",
        "mrt_alloc_bytes_total",
        "mrt_objects",
        "mrt_gc_collections_total",
        "mrt_gc_pause_seconds",
        "mrt_runtime_memory_limit_bytes",
        "mrt_tracemalloc_traced_bytes",
        "mrt_gc_frozen",
        "mrt_gc_leaves",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert!(text.contains("mrt_objects{type=\"dict\"} 5000"), "{text}");
    let leaves = rt.gc_leaf_count();
    assert!(leaves >= 1);
    assert!(
        text.contains(&format!("\nmrt_gc_leaves {leaves}\n")),
        "{text}"
    );
    assert!(text.contains("\nmrt_gc_frozen 0\n"), "{text}");
    rt.freeze();
    let frozen = rt.get_freeze_count();
    assert!(frozen > leaves);
    let after = mrt::render_prometheus(&rt);
    assert!(
        after.contains(&format!("\nmrt_gc_frozen {frozen}\n")),
        "{after}"
    );
    assert!(after.contains("\nmrt_gc_leaves 0\n"), "{after}");
    rt.unfreeze();
    // The recorder saw every collection since it was installed (more under gc_zeal).
    let full = rt.get_stats()[2].collections;
    assert!(full >= 1);
    assert!(text.contains(&format!(
        "mrt_gc_pause_seconds_count{{generation=\"2\"}} {full}\n"
    )));
    let p = mrt::gc_pauses(&rt).unwrap();
    assert_eq!(p.pauses[2].len(), full);
    let all: usize = rt.get_stats().iter().map(|g| g.collections).sum();
    assert_eq!(p.collections, all);
}

#[test]
fn monitor_fed_from_the_runtime_tells_leak_from_plateau() {
    fn run(leak: bool) -> Verdict {
        let rt = Runtime::new();
        let leaked = rt.list().unwrap();
        let mut monitor = mrt::observe::MemoryMonitor::new();
        for rep in 0..30 {
            let tmp = rt.list().unwrap();
            for i in 0..500i64 {
                let d = rt.dict().unwrap();
                d.set_item(&rt.int(i).unwrap(), &rt.int(rep).unwrap())
                    .unwrap();
                tmp.append(&d).unwrap();
            }
            if leak {
                for _ in 0..50 {
                    leaked.append(&tmp.pop().unwrap()).unwrap();
                }
            }
            drop(tmp);
            rt.collect();
            monitor.record(mrt::sample(&rt));
        }
        monitor.verdict()
    }
    assert!(
        matches!(run(false), Verdict::Plateau { .. }),
        "{}",
        run(false)
    );
    match run(true) {
        Verdict::Growing { top_types, .. } => assert_eq!(top_types[0].0, "dict"),
        other => panic!("{other}"),
    }
}

/// `--features tracing`: every collection is a start and a stop event on "mrt::gc".
#[cfg(feature = "tracing")]
#[test]
fn collections_are_tracing_events() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    #[derive(Default)]
    struct Count {
        starts: AtomicUsize,
        stops: AtomicUsize,
    }
    struct Counter(Arc<Count>);
    struct MessageIs(&'static str, bool);
    impl tracing::field::Visit for MessageIs {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" && format!("{value:?}") == self.0 {
                self.1 = true;
            }
        }
    }
    impl Subscriber for Counter {
        fn enabled(&self, m: &Metadata<'_>) -> bool {
            m.target() == "mrt::gc"
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, e: &Event<'_>) {
            let mut start = MessageIs("collection start", false);
            e.record(&mut start);
            let mut stop = MessageIs("collection stop", false);
            e.record(&mut stop);
            if start.1 {
                self.0.starts.fetch_add(1, Ordering::Relaxed);
            }
            if stop.1 {
                self.0.stops.fetch_add(1, Ordering::Relaxed);
            }
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    let count = Arc::new(Count::default());
    tracing::subscriber::with_default(Counter(count.clone()), || {
        let rt = Runtime::new();
        mrt::record_gc_pauses(&rt);
        rt.collect();
        rt.collect_generation(0).unwrap();
    });
    // Two collections asked for, one more when the runtime is dropped (teardown).
    assert_eq!(count.starts.load(Ordering::Relaxed), 3);
    assert_eq!(count.stops.load(Ordering::Relaxed), 3);
}

/// In sampled mode the runtime skips what the sampler would not sample (quiet bytes) and
/// the frees of blocks it did not trace; the result must be exactly what a tracer that
/// hears every event decides with the same seed.
#[test]
fn quiet_sampling_decides_exactly_as_hearing_every_event() {
    use mrt::object::AllocObserver;
    use mrt::observe::Tracer;
    use std::cell::RefCell;
    use std::rc::Rc;

    struct Everything(RefCell<Tracer>);
    impl AllocObserver for Everything {
        fn on_alloc(&self, addr: usize, size: usize) {
            self.0.borrow_mut().on_alloc(addr, size);
        }
        fn on_free(&self, addr: usize, _size: usize) {
            self.0.borrow_mut().on_free(addr);
        }
        fn on_realloc(&self, old: usize, new: usize, size: usize) {
            self.0.borrow_mut().on_realloc(old, new, size);
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }

    fn workload<'rt>(rt: &'rt Runtime, frame: &dyn Fn(u32)) -> mrt::object::Obj<'rt> {
        let keep = rt.list().unwrap();
        for i in 0..30_000i64 {
            frame((i % 7) as u32 + 1);
            let d = rt.dict().unwrap();
            for k in 0..(i % 12) {
                d.set_item(&rt.int(k).unwrap(), &rt.str("value").unwrap())
                    .unwrap();
            }
            if i % 3 == 0 {
                keep.append(&d).unwrap();
            }
            if i % 5 == 0 && keep.len().unwrap() > 0 {
                keep.pop().unwrap();
            }
        }
        keep
    }

    for seed in [1, 2, 3] {
        let gated = Runtime::new();
        tracemalloc::push_frame(&gated, "w.py", 1, "work");
        tracemalloc::start_sampling(&gated, 1, 2048, seed).unwrap();
        let _keep_a = workload(&gated, &|line| tracemalloc::set_line(&gated, line).unwrap());
        let a = tracemalloc::take_snapshot(&gated).unwrap();

        let plain = Runtime::new();
        let mut t = Tracer::new();
        let code = t.intern_code("w.py", "work");
        t.push_frame(code, 1);
        t.start_sampling(1, 2048, seed).unwrap();
        let obs = Rc::new(Everything(RefCell::new(t)));
        plain.set_alloc_observer(Some(obs.clone()));
        let keep_b = workload(&plain, &|line| obs.0.borrow_mut().set_line(line).unwrap());
        let b = obs.0.borrow().take_snapshot().unwrap();

        let (sa, sb) = (a.statistics(KeyType::Lineno), b.statistics(KeyType::Lineno));
        assert_eq!(sa, sb, "seed {seed}");
        assert!(a.traces().len() > 50, "{}", a.traces().len());
        assert_eq!(a.traces().len(), b.traces().len());
        assert_eq!(
            tracemalloc::get_traced_memory(&gated),
            obs.0.borrow().get_traced_memory()
        );
        plain.set_alloc_observer(None);
        drop(keep_b);
    }
}
