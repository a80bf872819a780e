use mrt_object::{Kind, Runtime};

#[test]
fn inline_values_cost_nothing() {
    let rt = Runtime::new();
    let before = rt.heap_bytes_in_use();
    let xs = [
        rt.none(),
        rt.bool(true),
        rt.bool(false),
        rt.int(0).unwrap(),
        rt.int(-5).unwrap(),
        rt.int((1 << 62) - 1).unwrap(),
    ];
    assert_eq!(rt.heap_bytes_in_use(), before);
    assert!(xs.iter().all(|x| x.kind().is_none()));
    assert!(xs[0].is_none());
    assert_eq!(xs[1].as_bool(), Some(true));
    assert_eq!(xs[1].as_int(), Some(1));
}

#[test]
fn big_ints_are_boxed_and_compare_like_small_ones() {
    let rt = Runtime::new();
    for n in [i64::MAX, i64::MIN, 1 << 62, -(1 << 62) - 1] {
        let x = rt.int(n).unwrap();
        assert_eq!(x.kind(), Some(Kind::Int));
        assert_eq!(x.as_int(), Some(n));
        assert_eq!(x.hash().unwrap(), mrt_object::hash::hash_int(n));
        assert!(x.eq(&rt.int(n).unwrap()).unwrap());
    }
    assert_eq!(rt.int(-1).unwrap().hash().unwrap(), -2);
}

#[test]
fn floats_strs_bytes() {
    let rt = Runtime::new();
    let f = rt.float(2.5).unwrap();
    assert_eq!(f.as_float(), Some(2.5));
    assert_eq!(f.repr(), "2.5");
    assert_eq!(rt.float(1.0).unwrap().repr(), "1.0");
    assert_eq!(f.hash().unwrap(), mrt_object::hash::hash_float(2.5, 0));
    let s = rt.str("héllo").unwrap();
    assert_eq!(s.as_str(), Some("héllo"));
    assert_eq!(s.len().unwrap(), 5);
    assert_eq!(s.hash().unwrap(), rt.str("héllo").unwrap().hash().unwrap());
    assert_eq!(rt.str("").unwrap().hash().unwrap(), 0);
    let b = rt.bytes(b"ab\x00").unwrap();
    assert_eq!(b.as_bytes(), Some(&b"ab\x00"[..]));
    assert_eq!(b.len().unwrap(), 3);
    assert!(!b.eq(&rt.str("ab\0").unwrap()).unwrap());
    assert!(rt.float(0.5).unwrap().eq(&rt.float(0.5).unwrap()).unwrap());
    assert!(!rt.int(1).unwrap().eq(&rt.float(1.5).unwrap()).unwrap());
}

#[test]
fn interning_returns_one_object_until_it_dies() {
    let rt = Runtime::new();
    let a = rt.intern("name").unwrap();
    let b = rt.intern("name").unwrap();
    assert!(a.is(&b));
    assert!(a.is_interned());
    assert!(!rt.str("name").unwrap().is_interned());
    let addr = a.id();
    drop((a, b));
    assert_eq!(
        rt.heap_bytes_in_use(),
        0,
        "the intern table holds no reference"
    );
    let c = rt.intern("name").unwrap();
    assert_eq!(c.as_str(), Some("name"));
    let _ = addr;
}

#[test]
fn a_dying_interned_str_is_not_handed_out_again() {
    // The list's items are released in order onto the worklist, which is drained
    // last-in first-out: the instance's finalizer runs while the interned str waits
    // there at refcount zero.
    use mrt_object::ClassSpec;
    let rt = Runtime::new();
    let c = rt
        .define_class(ClassSpec::new("F").finalizer(|o| {
            let s = o.runtime().intern("ghost").unwrap();
            o.runtime().globals().unwrap().set_item(&s, &s).unwrap();
        }))
        .unwrap();
    let l = rt.list().unwrap();
    l.append(&rt.intern("ghost").unwrap()).unwrap();
    l.append(&rt.instance(&c).unwrap()).unwrap();
    let outer = rt.list_from(&[&l]).unwrap();
    drop(l);
    drop(outer);
    let key = rt.intern("ghost").unwrap();
    let stored = rt.globals().unwrap().get_item(&key).unwrap();
    assert_eq!(stored.as_str(), Some("ghost"));
    assert!(stored.is(&key));
    assert!(rt.check_heap());
}
