//! Host code that panics (finalizers, weakref callbacks, host-data destructors)
//! leaves the runtime usable; the panic is reported as unraisable.

use mrt_object::{ClassSpec, Error, Runtime};

#[test]
fn a_panicking_finalizer_on_the_refcount_path() {
    let rt = Runtime::new();
    let c = rt
        .define_class(
            ClassSpec::new("P")
                .slots(&["x"])
                .finalizer(|_| panic!("finalizer boom")),
        )
        .unwrap();
    let o = rt.instance(&c).unwrap();
    o.setattr("x", &rt.list().unwrap()).unwrap();
    drop(o);
    assert_eq!(
        rt.take_unraisable(),
        vec![Error::HostPanic("finalizer boom".into())]
    );
    assert_eq!(rt.heap_bytes_in_use(), 0);
    let l = rt.list().unwrap();
    l.append(&rt.int(1).unwrap()).unwrap();
    assert_eq!(l.len().unwrap(), 1);
}

#[test]
fn a_panicking_finalizer_in_a_collection() {
    let rt = Runtime::builder().gc_disabled().build();
    let c = rt
        .define_class(
            ClassSpec::new("P")
                .slots(&["x"])
                .finalizer(|_| panic!("in gc")),
        )
        .unwrap();
    let o = rt.instance(&c).unwrap();
    o.setattr("x", &o).unwrap();
    drop(o);
    assert_eq!(rt.collect(), 1);
    assert_eq!(rt.take_unraisable().len(), 1);
    assert_eq!(rt.heap_bytes_in_use(), 0);
    assert_eq!(rt.collect(), 0);
}

#[test]
fn a_panicking_weakref_callback() {
    let rt = Runtime::new();
    let c = rt.define_class(ClassSpec::new("W").weakrefs()).unwrap();
    let o = rt.instance(&c).unwrap();
    let w1 = rt.weakref_with_callback(&o, |_| panic!("cb1")).unwrap();
    let w2 = rt.weakref_with_callback(&o, |_| panic!("cb2")).unwrap();
    drop(o);
    let errs = rt.take_unraisable();
    assert_eq!(
        errs,
        vec![
            Error::HostPanic("cb2".into()),
            Error::HostPanic("cb1".into())
        ]
    );
    assert!(!w1.is_alive() && !w2.is_alive());
    drop((w1, w2));
    assert_eq!(rt.heap_bytes_in_use(), 0);
}

#[test]
fn a_panicking_host_destructor() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("drop boom");
        }
    }
    let rt = Runtime::new();
    let h = rt.host(Bomb).unwrap();
    h.host_push(&rt.list().unwrap()).unwrap();
    drop(h);
    assert_eq!(
        rt.take_unraisable(),
        vec![Error::HostPanic("drop boom".into())]
    );
    assert_eq!(rt.heap_bytes_in_use(), 0);
}

#[test]
fn a_finalizer_that_mutates_the_container_being_changed() {
    // Releasing the old value of l[0] runs a finalizer that appends to l and clears it.
    let rt = Runtime::new();
    let c = rt
        .define_class(ClassSpec::new("M").finalizer(|o| {
            let rt = o.runtime();
            let l = rt
                .globals()
                .unwrap()
                .get_item(&rt.str("l").unwrap())
                .unwrap();
            for i in 0..100 {
                l.append(&rt.int(i).unwrap()).unwrap();
            }
            l.clear().unwrap();
            l.append(&rt.str("after").unwrap()).unwrap();
        }))
        .unwrap();
    let l = rt.list().unwrap();
    rt.globals()
        .unwrap()
        .set_item(&rt.str("l").unwrap(), &l)
        .unwrap();
    l.append(&rt.instance(&c).unwrap()).unwrap();
    l.set(0, &rt.none()).unwrap();
    assert_eq!(l.len().unwrap(), 1);
    assert_eq!(l.get(0).unwrap().as_str(), Some("after"));
    let d = rt.dict().unwrap();
    d.set_item(&rt.int(0).unwrap(), &rt.instance(&c).unwrap())
        .unwrap();
    d.clear().unwrap();
    assert_eq!(l.len().unwrap(), 1);
}
