use mrt_object::{ClassSpec, Error, Runtime, WeakKeyDict, WeakValueDict};

#[test]
fn weak_value_dict_drops_entries_whose_value_died() {
    let rt = Runtime::builder().gc_disabled().build();
    let c = rt
        .define_class(ClassSpec::new("V").slots(&["me"]).weakrefs())
        .unwrap();
    let d = WeakValueDict::new(&rt).unwrap();
    let a = rt.instance(&c).unwrap();
    let b = rt.instance(&c).unwrap();
    d.set(&rt.int(1).unwrap(), &a).unwrap();
    d.set(&rt.int(2).unwrap(), &b).unwrap();
    assert!(d.get(&rt.int(1).unwrap()).unwrap().unwrap().is(&a));
    assert_eq!(d.len().unwrap(), 2);
    drop(a);
    assert!(d.get(&rt.int(1).unwrap()).unwrap().is_none());
    assert_eq!(d.len().unwrap(), 1);
    // A value in a cycle dies in a collection.
    b.setattr("me", &b).unwrap();
    drop(b);
    assert_eq!(d.len().unwrap(), 1);
    assert_eq!(rt.collect(), 1);
    assert_eq!(d.len().unwrap(), 0);
    assert!(d.is_empty().unwrap());
    assert!(matches!(
        d.remove(&rt.int(1).unwrap()),
        Err(Error::KeyError(_))
    ));
    assert!(matches!(
        d.set(&rt.int(3).unwrap(), &rt.list().unwrap()),
        Err(Error::TypeError(_))
    ));
}

#[test]
fn weak_key_dict_drops_entries_whose_key_died() {
    let rt = Runtime::new();
    let c = rt.define_class(ClassSpec::new("K").weakrefs()).unwrap();
    let d = WeakKeyDict::new(&rt).unwrap();
    let k1 = rt.instance(&c).unwrap();
    let k2 = rt.instance(&c).unwrap();
    d.set(&k1, &rt.str("one").unwrap()).unwrap();
    d.set(&k2, &rt.str("two").unwrap()).unwrap();
    d.set(&k1, &rt.str("uno").unwrap()).unwrap();
    assert_eq!(d.len().unwrap(), 2);
    assert_eq!(d.get(&k1).unwrap().unwrap().as_str(), Some("uno"));
    assert!(d.contains(&k2).unwrap());
    drop(k1);
    let items = d.items().unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0].0.is(&k2));
    d.remove(&k2).unwrap();
    assert!(d.is_empty().unwrap());
    assert!(matches!(
        d.set(&rt.dict().unwrap(), &rt.none()),
        Err(Error::TypeError(_))
    ));
}

#[test]
fn items_and_remove_see_only_live_entries_in_insertion_order() {
    let rt = Runtime::builder().gc_disabled().build();
    let c = rt.define_class(ClassSpec::new("W").weakrefs()).unwrap();
    let (x, y, z) = (
        rt.instance(&c).unwrap(),
        rt.instance(&c).unwrap(),
        rt.instance(&c).unwrap(),
    );
    let values = WeakValueDict::new(&rt).unwrap();
    let keys = WeakKeyDict::new(&rt).unwrap();
    for (i, o) in [&x, &y, &z].into_iter().enumerate() {
        values.set(&rt.int(i as i64).unwrap(), o).unwrap();
        keys.set(o, &rt.int(i as i64).unwrap()).unwrap();
    }
    drop(y);
    let v = values.items().unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!((v[0].0.as_int(), v[1].0.as_int()), (Some(0), Some(2)));
    assert!(v[0].1.is(&x) && v[1].1.is(&z));
    let k = keys.items().unwrap();
    assert_eq!(k.len(), 2);
    assert!(k[0].0.is(&x) && k[1].0.is(&z));
    assert_eq!((k[0].1.as_int(), k[1].1.as_int()), (Some(0), Some(2)));

    // The dead entry is gone: removing it is a KeyError, like an absent key.
    assert!(matches!(
        values.remove(&rt.int(1).unwrap()),
        Err(Error::KeyError(_))
    ));
    values.remove(&rt.int(0).unwrap()).unwrap();
    assert!(!values.contains(&rt.int(0).unwrap()).unwrap());
    assert_eq!(values.len().unwrap(), 1);

    keys.remove(&x).unwrap();
    match keys.remove(&x) {
        Err(Error::KeyError(shown)) => assert!(shown.contains('W'), "{shown}"),
        other => panic!("expected KeyError, got {other:?}"),
    }
    assert_eq!(keys.len().unwrap(), 1);
}
