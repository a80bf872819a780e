use mrt_object::{ClassSpec, Error, Runtime};

#[test]
fn slots_and_dict_attributes() {
    let rt = Runtime::new();
    let c = rt
        .define_class(ClassSpec::new("P").slots(&["x", "y"]).dict())
        .unwrap();
    let p = rt.instance(&c).unwrap();
    assert_eq!(p.type_name(), "P");
    assert!(
        matches!(p.getattr("x"), Err(Error::AttributeError(m)) if m == "'P' object has no attribute 'x'")
    );
    p.setattr("x", &rt.int(1).unwrap()).unwrap();
    p.setattr("z", &rt.str("zz").unwrap()).unwrap();
    assert_eq!(p.getattr("x").unwrap().as_int(), Some(1));
    assert_eq!(p.getattr("z").unwrap().as_str(), Some("zz"));
    assert!(p.hasattr("z") && !p.hasattr("y"));
    assert_eq!(p.instance_dict_opt().unwrap().len().unwrap(), 1);
    p.delattr("x").unwrap();
    p.delattr("z").unwrap();
    assert!(p.delattr("x").is_err());
    assert!(p.delattr("z").is_err());
    assert!(rt.is_tracked(&p));
}

#[test]
fn slot_only_classes_refuse_other_attributes() {
    let rt = Runtime::new();
    let c = rt.define_class(ClassSpec::new("S").slots(&["a"])).unwrap();
    let s = rt.instance(&c).unwrap();
    assert!(matches!(
        s.setattr("b", &rt.none()),
        Err(Error::AttributeError(_))
    ));
    assert!(matches!(
        rt.int(1).unwrap().getattr("a"),
        Err(Error::AttributeError(_))
    ));
    assert!(matches!(
        rt.define_class(ClassSpec::new("D").slots(&["a", "a"])),
        Err(Error::ValueError(_))
    ));
    assert_eq!(rt.class_name(&c).unwrap(), "S");
}

#[test]
fn finalizer_runs_once_on_the_refcount_path_and_may_resurrect() {
    use std::cell::Cell;
    use std::rc::Rc;
    let rt = Runtime::new();
    let calls = Rc::new(Cell::new(0));
    let c2 = calls.clone();
    let c = rt
        .define_class(ClassSpec::new("F").slots(&["x"]).finalizer(move |o| {
            c2.set(c2.get() + 1);
            // Resurrect by storing self in the runtime's globals.
            let g = o.runtime().globals().unwrap();
            g.set_item(&o.runtime().str("saved").unwrap(), o).unwrap();
        }))
        .unwrap();
    let f = rt.instance(&c).unwrap();
    f.setattr("x", &rt.list().unwrap()).unwrap();
    drop(f);
    assert_eq!(calls.get(), 1);
    let key = rt.str("saved").unwrap();
    let saved = rt.globals().unwrap().get_item(&key).unwrap();
    assert!(rt.is_finalized(&saved));
    assert!(rt.is_tracked(&saved));
    assert_eq!(saved.getattr("x").unwrap().len().unwrap(), 0);
    drop(saved);
    rt.globals().unwrap().del_item(&key).unwrap();
    assert_eq!(calls.get(), 1, "PEP 442: at most once");
}

#[test]
fn a_long_chain_of_instances_is_freed_without_recursion() {
    let rt = Runtime::new();
    let c = rt
        .define_class(ClassSpec::new("N").slots(&["next"]))
        .unwrap();
    let head = rt.instance(&c).unwrap();
    let mut cur = head.clone();
    for _ in 0..10_000_000 {
        let n = rt.instance(&c).unwrap();
        cur.setattr("next", &n).unwrap();
        cur = n;
    }
    drop(cur);
    drop(head);
    assert_eq!(rt.heap_bytes_in_use(), 0);
}
