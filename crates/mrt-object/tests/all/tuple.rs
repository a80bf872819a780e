use mrt_object::{Error, Runtime};

#[test]
fn tuples_index_and_iterate() {
    let rt = Runtime::new();
    let t = rt
        .tuple(&[&rt.int(1).unwrap(), &rt.str("a").unwrap(), &rt.none()])
        .unwrap();
    assert_eq!(t.len().unwrap(), 3);
    assert_eq!(t.get(-2).unwrap().as_str(), Some("a"));
    assert!(matches!(t.get(3), Err(Error::IndexError(_))));
    assert!(matches!(t.get(-4), Err(Error::IndexError(_))));
    assert_eq!(t.iter().unwrap().count(), 3);
    assert!(matches!(t.append(&rt.none()), Err(Error::TypeError(_))));
    let empty = rt.tuple(&[]).unwrap();
    assert_eq!(empty.hash().unwrap(), 5740354900026072187);
}

#[test]
fn tuple_equality_is_elementwise() {
    let rt = Runtime::new();
    let a = rt
        .tuple(&[
            &rt.int(1).unwrap(),
            &rt.tuple(&[&rt.float(2.0).unwrap()]).unwrap(),
        ])
        .unwrap();
    let b = rt
        .tuple(&[&rt.bool(true), &rt.tuple(&[&rt.int(2).unwrap()]).unwrap()])
        .unwrap();
    assert!(a.eq(&b).unwrap());
    assert_eq!(a.hash().unwrap(), b.hash().unwrap());
    let c = rt.tuple(&[&rt.int(1).unwrap()]).unwrap();
    assert!(!a.eq(&c).unwrap());
}

#[test]
fn deeply_nested_tuples_hash_without_recursion() {
    let rt = Runtime::new();
    let mut t = rt.tuple(&[]).unwrap();
    for _ in 0..100_000 {
        t = rt.tuple(&[&t]).unwrap();
    }
    let h = t.hash().unwrap();
    assert_eq!(h, t.hash().unwrap());
    let u = t.clone();
    assert!(t.eq(&u).unwrap());
}
