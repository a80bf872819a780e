use mrt_object::{Error, Runtime};

#[test]
fn add_discard_contains() {
    let rt = Runtime::new();
    let s = rt.set().unwrap();
    s.add(&rt.int(1).unwrap()).unwrap();
    s.add(&rt.float(1.0).unwrap()).unwrap();
    s.add(&rt.str("x").unwrap()).unwrap();
    assert_eq!(s.len().unwrap(), 2);
    assert!(s.contains(&rt.bool(true)).unwrap());
    assert!(s.discard(&rt.int(1).unwrap()).unwrap());
    assert!(!s.discard(&rt.int(1).unwrap()).unwrap());
    assert!(matches!(
        s.remove(&rt.int(1).unwrap()),
        Err(Error::KeyError(_))
    ));
    assert_eq!(s.add(&rt.list().unwrap()), Err(Error::unhashable("list")));
    let items: Vec<String> = s
        .iter()
        .unwrap()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    assert_eq!(items, vec!["x"]);
    assert!(rt.is_tracked(&s), "sets are tracked from creation");
    assert!(matches!(s.hash(), Err(Error::TypeError(_))));
}

#[test]
fn sets_compare_by_membership() {
    let rt = Runtime::new();
    let a = rt.set().unwrap();
    let b = rt.set().unwrap();
    for i in 0..20 {
        a.add(&rt.int(i).unwrap()).unwrap();
        b.add(&rt.int(19 - i).unwrap()).unwrap();
    }
    assert!(a.eq(&b).unwrap());
    b.discard(&rt.int(0).unwrap()).unwrap();
    assert!(!a.eq(&b).unwrap());
    a.clear().unwrap();
    assert_eq!(a.len().unwrap(), 0);
}
