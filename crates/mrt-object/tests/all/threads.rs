//! Runtimes are independent: one per thread, no shared state.

use mrt_object::{ClassSpec, Runtime};

#[test]
fn eight_runtimes_on_eight_threads() {
    let handles: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let rt = Runtime::builder().thresholds(100, 10, 10).build();
                let c = rt
                    .define_class(ClassSpec::new("N").slots(&["x"]).weakrefs())
                    .unwrap();
                let mut alive = 0;
                for i in 0..20_000 {
                    let a = rt.instance(&c).unwrap();
                    let b = rt.list().unwrap();
                    b.append(&a).unwrap();
                    a.setattr("x", &b).unwrap();
                    if i % 1000 == 0 {
                        let w = rt.weakref(&a).unwrap();
                        drop((a, b));
                        rt.collect();
                        alive += w.is_alive() as usize;
                    }
                }
                rt.collect();
                assert_eq!(alive, 0);
                assert_eq!(rt.heap_bytes_in_use(), 0, "thread {t}");
                rt.id()
            })
        })
        .collect();
    let mut ids: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8);
}
