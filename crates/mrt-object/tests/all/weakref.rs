use mrt_object::{ClassSpec, Error, Runtime};
use std::cell::RefCell;
use std::rc::Rc;

fn class(rt: &Runtime) -> mrt_object::ClassId {
    rt.define_class(ClassSpec::new("C").slots(&["x", "y"]).weakrefs())
        .unwrap()
}

#[test]
fn callback_less_refs_are_shared_and_die_with_the_referent() {
    let rt = Runtime::new();
    let c = class(&rt);
    let o = rt.instance(&c).unwrap();
    let w1 = rt.weakref(&o).unwrap();
    let w2 = rt.weakref(&o).unwrap();
    assert!(w1.is(&w2));
    assert!(w1.upgrade().unwrap().is(&o));
    assert!(rt.is_tracked(&w1));
    drop(o);
    assert!(w1.upgrade().is_none());
    assert!(!w2.is_alive());
}

#[test]
fn callbacks_run_newest_first_like_cpython() {
    // CPython 3.11: w1(cb 1), w0(no cb), w2(cb 2), w3(cb 3); del o -> [3, 2, 1]
    let rt = Runtime::new();
    let c = class(&rt);
    let o = rt.instance(&c).unwrap();
    let order = Rc::new(RefCell::new(vec![]));
    let mk = |n: i32| {
        let order = order.clone();
        move |w: &mrt_object::Obj<'_>| {
            assert!(!w.is_alive());
            order.borrow_mut().push(n)
        }
    };
    let _w1 = rt.weakref_with_callback(&o, mk(1)).unwrap();
    let w0 = rt.weakref(&o).unwrap();
    let _w2 = rt.weakref_with_callback(&o, mk(2)).unwrap();
    let _w3 = rt.weakref_with_callback(&o, mk(3)).unwrap();
    assert!(rt.weakref(&o).unwrap().is(&w0));
    assert_eq!(rt.weakref_count(&o), 4);
    drop(o);
    assert_eq!(*order.borrow(), vec![3, 2, 1]);
}

#[test]
fn callbacks_run_on_the_collector_path() {
    // CPython: a.x = b; b.x = a; wa = ref(a, cb); del a, b -> collect() == 2, cb ran.
    let rt = Runtime::new();
    rt.disable();
    let c = class(&rt);
    let a = rt.instance(&c).unwrap();
    let b = rt.instance(&c).unwrap();
    a.setattr("x", &b).unwrap();
    b.setattr("x", &a).unwrap();
    let ran = Rc::new(RefCell::new(0));
    let r = ran.clone();
    let wa = rt
        .weakref_with_callback(&a, move |_| *r.borrow_mut() += 1)
        .unwrap();
    drop((a, b));
    assert_eq!(rt.collect(), 2);
    assert_eq!(*ran.borrow(), 1);
    assert!(!wa.is_alive());
}

#[test]
fn weakrefs_in_the_garbage_are_collected_too() {
    // CPython: a.x = a; w = ref(a); a.y = w; del a, w -> collect() == 2
    let rt = Runtime::new();
    rt.disable();
    let c = class(&rt);
    let a = rt.instance(&c).unwrap();
    a.setattr("x", &a).unwrap();
    let w = rt.weakref(&a).unwrap();
    a.setattr("y", &w).unwrap();
    drop((a, w));
    assert_eq!(rt.collect(), 2);
    // a.x = a; w = ref(a); del a -> collect() == 1, w() is None
    let a = rt.instance(&c).unwrap();
    a.setattr("x", &a).unwrap();
    let w = rt.weakref(&a).unwrap();
    drop(a);
    assert_eq!(rt.collect(), 1);
    assert!(!w.is_alive());
}

#[test]
fn unsupported_referents_are_a_type_error() {
    let rt = Runtime::new();
    for o in [
        rt.list().unwrap(),
        rt.dict().unwrap(),
        rt.tuple(&[]).unwrap(),
        rt.int(1 << 62).unwrap(),
        rt.str("s").unwrap(),
    ] {
        assert!(
            matches!(rt.weakref(&o), Err(Error::TypeError(_))),
            "{}",
            o.type_name()
        );
    }
    let plain = rt.define_class(ClassSpec::new("NoWeak")).unwrap();
    assert!(rt.weakref(&rt.instance(&plain).unwrap()).is_err());
    assert!(rt.weakref(&rt.set().unwrap()).is_ok());
}

#[test]
fn weakrefs_hash_and_compare_by_referent() {
    let rt = Runtime::new();
    let c = class(&rt);
    let o = rt.instance(&c).unwrap();
    let w1 = rt.weakref(&o).unwrap();
    let w2 = rt.weakref_with_callback(&o, |_| {}).unwrap();
    let never_hashed = rt.weakref_with_callback(&o, |_| {}).unwrap();
    assert!(w1.eq(&w2).unwrap());
    assert_eq!(w1.hash().unwrap(), o.hash().unwrap());
    let d = rt.dict().unwrap();
    d.set_item(&w1, &rt.none()).unwrap();
    assert!(d.contains(&w2).unwrap());
    drop(o);
    // The hash stays cached; a dead weakref that was never hashed cannot be.
    assert!(w1.hash().is_ok());
    assert!(w2.hash().is_ok());
    assert!(matches!(never_hashed.hash(), Err(Error::TypeError(_))));
    assert!(!w1.eq(&w2).unwrap());
}
