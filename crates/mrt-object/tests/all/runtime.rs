use mrt_object::{Error, Runtime};

#[test]
fn new_runtime_allocates_no_heap() {
    let rt = Runtime::new();
    let s = rt.heap_stats();
    assert_eq!(s.bytes_held, 0);
    assert_eq!(s.arenas, 0);
}

#[test]
fn builder_sets_thresholds_and_enabled() {
    let rt = Runtime::builder()
        .thresholds(100, 5, 3)
        .gc_disabled()
        .build();
    assert_eq!(rt.get_threshold(), (100, 5, 3));
    assert!(!rt.is_enabled());
    rt.enable();
    assert!(rt.is_enabled());
}

#[test]
fn handles_of_another_runtime_are_a_value_error() {
    let a = Runtime::new();
    let b = Runtime::new();
    let la = a.list().unwrap();
    let xb = b.list().unwrap();
    assert!(matches!(la.append(&xb), Err(Error::ValueError(_))));
    let da = a.dict().unwrap();
    assert!(matches!(
        da.set_item(&b.str("k").unwrap(), &a.none()),
        Err(Error::ValueError(_))
    ));
    assert!(matches!(a.tuple(&[&xb]), Err(Error::ValueError(_))));
    assert!(a.weakref(&b.set().unwrap()).is_err());
    let cls = b.define_class(mrt_object::ClassSpec::new("C")).unwrap();
    assert!(matches!(a.instance(&cls), Err(Error::ValueError(_))));
    assert!(!la.is(&xb));
    assert_eq!(la.len().unwrap(), 0);
}

#[test]
fn clone_and_drop_adjust_refcounts() {
    let rt = Runtime::new();
    let l = rt.list().unwrap();
    assert_eq!(l.refcount(), Some(1));
    let l2 = l.clone();
    assert_eq!(l.refcount(), Some(2));
    drop(l2);
    assert_eq!(l.refcount(), Some(1));
    let outer = rt.list().unwrap();
    outer.append(&l).unwrap();
    assert_eq!(l.refcount(), Some(2));
    drop(outer);
    assert_eq!(l.refcount(), Some(1));
    assert_eq!(rt.int(5).unwrap().refcount(), None);
}

#[test]
fn everything_is_freed_when_the_last_handle_goes() {
    let rt = Runtime::new();
    {
        let l = rt.list().unwrap();
        for i in 0..1000 {
            let d = rt.dict().unwrap();
            d.set_item(
                &rt.str(&format!("k{i}")).unwrap(),
                &rt.float(i as f64).unwrap(),
            )
            .unwrap();
            l.append(&d).unwrap();
        }
        assert!(rt.heap_bytes_in_use() > 0);
    }
    assert_eq!(rt.heap_bytes_in_use(), 0);
    assert!(rt.check_heap());
}

#[test]
fn globals_survive_until_the_runtime_is_dropped() {
    let rt = Runtime::new();
    let g = rt.globals().unwrap();
    g.set_item(&rt.str("x").unwrap(), &rt.int(1).unwrap())
        .unwrap();
    drop(g);
    assert_eq!(
        rt.globals()
            .unwrap()
            .get_item(&rt.str("x").unwrap())
            .unwrap()
            .as_int(),
        Some(1)
    );
}

#[test]
fn dropping_the_runtime_runs_finalizers_of_cycles_and_leaked_objects() {
    use std::cell::Cell;
    use std::rc::Rc;
    let ran = Rc::new(Cell::new(0));
    let dropped = Rc::new(Cell::new(0));
    struct Payload(Rc<Cell<u32>>);
    impl Drop for Payload {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    {
        let rt = Runtime::new();
        let r = ran.clone();
        let cls = rt
            .define_class(
                mrt_object::ClassSpec::new("F")
                    .slots(&["other"])
                    .finalizer(move |_| r.set(r.get() + 1)),
            )
            .unwrap();
        let a = rt.instance(&cls).unwrap();
        let b = rt.instance(&cls).unwrap();
        a.setattr("other", &b).unwrap();
        b.setattr("other", &a).unwrap();
        let leaked = rt.instance(&cls).unwrap();
        let h = rt.host(Payload(dropped.clone())).unwrap();
        leaked.setattr("other", &h).unwrap();
        std::mem::forget(leaked);
        let h2 = rt.host(Payload(dropped.clone())).unwrap();
        h2.host_push(&h2).unwrap(); // a host-data cycle
    }
    assert_eq!(ran.get(), 3);
    assert_eq!(dropped.get(), 2);
}

#[test]
fn dropping_a_runtime_with_saved_garbage_and_frozen_objects() {
    use std::cell::Cell;
    use std::rc::Rc;
    let ran = Rc::new(Cell::new(0));
    {
        let rt = Runtime::new();
        let r = ran.clone();
        let cls = rt
            .define_class(
                mrt_object::ClassSpec::new("F")
                    .slots(&["x"])
                    .finalizer(move |_| r.set(r.get() + 1)),
            )
            .unwrap();
        let frozen = rt.instance(&cls).unwrap();
        frozen.setattr("x", &frozen).unwrap();
        drop(frozen);
        rt.freeze();
        rt.set_debug(mrt_object::mrt_gc::DEBUG_SAVEALL);
        let saved = rt.instance(&cls).unwrap();
        saved.setattr("x", &saved).unwrap();
        drop(saved);
        assert_eq!(rt.collect(), 1);
        assert_eq!(rt.garbage_len(), 1);
        assert_eq!(ran.get(), 1);
        assert!(format!("{rt:?}").starts_with("Runtime"));
    }
    assert_eq!(ran.get(), 2, "the frozen cycle is finalized at teardown");
}
