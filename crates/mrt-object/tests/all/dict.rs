use mrt_object::{Error, Obj, Runtime};
use proptest::prelude::*;

#[test]
fn set_get_delete_contains() {
    let rt = Runtime::new();
    let d = rt.dict().unwrap();
    let k = rt.str("a").unwrap();
    d.set_item(&k, &rt.int(1).unwrap()).unwrap();
    assert_eq!(d.get_item(&rt.str("a").unwrap()).unwrap().as_int(), Some(1));
    assert!(d.contains(&k).unwrap());
    d.set_item(&k, &rt.int(2).unwrap()).unwrap();
    assert_eq!(d.len().unwrap(), 1);
    assert_eq!(d.get_item(&k).unwrap().as_int(), Some(2));
    d.del_item(&k).unwrap();
    assert!(matches!(d.del_item(&k), Err(Error::KeyError(m)) if m == "\"a\""));
    assert!(matches!(d.get_item(&k), Err(Error::KeyError(_))));
    assert!(d.get_opt(&k).unwrap().is_none());
}

#[test]
fn numeric_keys_are_equal_across_types() {
    let rt = Runtime::new();
    let d = rt.dict().unwrap();
    d.set_item(&rt.int(1).unwrap(), &rt.str("int").unwrap())
        .unwrap();
    d.set_item(&rt.float(1.0).unwrap(), &rt.str("float").unwrap())
        .unwrap();
    d.set_item(&rt.bool(true), &rt.str("bool").unwrap())
        .unwrap();
    assert_eq!(d.len().unwrap(), 1);
    // The first key is kept, the last value wins (as in Python).
    let (k, v) = d.items().unwrap().pop().unwrap();
    assert_eq!(k.type_name(), "int");
    assert_eq!(v.as_str(), Some("bool"));
    // Big ints and floats too.
    let big = 1i64 << 62;
    d.set_item(&rt.int(big).unwrap(), &rt.none()).unwrap();
    assert!(d.contains(&rt.float(big as f64).unwrap()).unwrap());
    assert!(!d.contains(&rt.float(1.5).unwrap()).unwrap());
    assert_eq!(
        rt.int(big).unwrap().hash().unwrap(),
        rt.float(big as f64).unwrap().hash().unwrap()
    );
}

#[test]
fn tuple_keys_and_unhashable_keys() {
    let rt = Runtime::new();
    let d = rt.dict().unwrap();
    let t1 = rt
        .tuple(&[&rt.int(1).unwrap(), &rt.str("x").unwrap()])
        .unwrap();
    let t2 = rt
        .tuple(&[&rt.float(1.0).unwrap(), &rt.str("x").unwrap()])
        .unwrap();
    d.set_item(&t1, &rt.none()).unwrap();
    assert!(d.contains(&t2).unwrap());
    let nested = rt.tuple(&[&t1, &rt.tuple(&[&t2]).unwrap()]).unwrap();
    d.set_item(&nested, &rt.none()).unwrap();
    let nested2 = rt.tuple(&[&t2, &rt.tuple(&[&t1]).unwrap()]).unwrap();
    assert!(d.contains(&nested2).unwrap());
    // hash((1, "x")) equals hash((1.0, "x")); CPython's tuple hash for ints.
    assert_eq!(t1.hash().unwrap(), t2.hash().unwrap());
    let t12 = rt
        .tuple(&[&rt.int(1).unwrap(), &rt.int(2).unwrap()])
        .unwrap();
    assert_eq!(t12.hash().unwrap(), -3550055125485641917);
    for bad in [rt.list().unwrap(), rt.dict().unwrap(), rt.set().unwrap()] {
        let name = bad.type_name();
        assert_eq!(d.set_item(&bad, &rt.none()), Err(Error::unhashable(&name)));
        assert_eq!(d.get_opt(&bad).map(|_| ()), Err(Error::unhashable(&name)));
    }
    let with_list = rt.tuple(&[&rt.list().unwrap()]).unwrap();
    assert!(matches!(
        d.set_item(&with_list, &rt.none()),
        Err(Error::TypeError(_))
    ));
}

#[test]
fn instances_are_keys_by_identity() {
    let rt = Runtime::new();
    let c = rt.define_class(mrt_object::ClassSpec::new("K")).unwrap();
    let a = rt.instance(&c).unwrap();
    let b = rt.instance(&c).unwrap();
    let d = rt.dict().unwrap();
    d.set_item(&a, &rt.int(1).unwrap()).unwrap();
    d.set_item(&b, &rt.int(2).unwrap()).unwrap();
    assert_eq!(d.len().unwrap(), 2);
    assert_eq!(d.get_item(&a).unwrap().as_int(), Some(1));
}

#[test]
fn nan_keys_match_by_identity_only() {
    let rt = Runtime::new();
    let d = rt.dict().unwrap();
    let n1 = rt.float(f64::NAN).unwrap();
    let n2 = rt.float(f64::NAN).unwrap();
    d.set_item(&n1, &rt.none()).unwrap();
    d.set_item(&n2, &rt.none()).unwrap();
    assert_eq!(d.len().unwrap(), 2);
    assert!(d.contains(&n1).unwrap());
}

#[test]
fn insertion_order_and_compaction() {
    let rt = Runtime::new();
    let d = rt.dict().unwrap();
    for i in 0..100 {
        d.set_item(&rt.int(i).unwrap(), &rt.int(i * 10).unwrap())
            .unwrap();
    }
    let (_, _, _, index) = d.table_shape().unwrap();
    assert!(index, "large dicts have a hash index");
    for i in (0..100).step_by(2) {
        d.del_item(&rt.int(i).unwrap()).unwrap();
    }
    let (len, used, cap, _) = d.table_shape().unwrap();
    assert_eq!((len, used), (50, 100), "deletions leave slack like CPython");
    assert!(cap >= 100);
    let before = rt.heap_bytes_in_use();
    d.compact().unwrap();
    let (len, used, cap, _) = d.table_shape().unwrap();
    assert_eq!((len, used, cap), (50, 50, 50));
    assert!(rt.heap_bytes_in_use() < before);
    let keys: Vec<i64> = d
        .keys()
        .unwrap()
        .iter()
        .map(|k| k.as_int().unwrap())
        .collect();
    assert_eq!(keys, (1..100).step_by(2).collect::<Vec<_>>());
    // Re-inserting a deleted key puts it at the end.
    d.set_item(&rt.int(0).unwrap(), &rt.none()).unwrap();
    assert_eq!(d.keys().unwrap().last().unwrap().as_int(), Some(0));
    for i in (1..100).step_by(2) {
        assert_eq!(
            d.get_item(&rt.int(i).unwrap()).unwrap().as_int(),
            Some(i * 10)
        );
    }
}

#[test]
fn iteration_stops_when_the_dict_changes() {
    let rt = Runtime::new();
    let d = rt.dict().unwrap();
    for i in 0..5 {
        d.set_item(&rt.int(i).unwrap(), &rt.none()).unwrap();
    }
    let mut it = d.iter().unwrap();
    assert_eq!(it.next().unwrap().as_int(), Some(0));
    d.set_item(&rt.int(99).unwrap(), &rt.none()).unwrap();
    assert!(it.next().is_none());
    assert!(it.was_mutated());
    // Replacing a value is not a change of the key set.
    let mut it = d.iter_items().unwrap();
    it.next();
    d.set_item(&rt.int(1).unwrap(), &rt.int(7).unwrap())
        .unwrap();
    assert_eq!(it.next().unwrap().1.as_int(), Some(7));
    assert!(!it.was_mutated());
}

#[test]
fn dicts_compare_by_content() {
    let rt = Runtime::new();
    let a = rt.dict().unwrap();
    let b = rt.dict().unwrap();
    for i in 0..10 {
        a.set_item(
            &rt.int(i).unwrap(),
            &rt.list_from(&[&rt.int(i).unwrap()]).unwrap(),
        )
        .unwrap();
    }
    for i in (0..10).rev() {
        b.set_item(
            &rt.float(i as f64).unwrap(),
            &rt.list_from(&[&rt.int(i).unwrap()]).unwrap(),
        )
        .unwrap();
    }
    assert!(a.eq(&b).unwrap());
    b.set_item(&rt.int(3).unwrap(), &rt.none()).unwrap();
    assert!(!a.eq(&b).unwrap());
}

/// An insertion-ordered model: a Vec of (key, value) pairs.
#[derive(Default)]
struct Model(Vec<(K, i64)>);

#[derive(Debug, Clone, PartialEq)]
enum K {
    Int(i64),
    Str(String),
}

impl Model {
    fn pos(&self, k: &K) -> Option<usize> {
        self.0.iter().position(|(x, _)| x == k)
    }
}

fn key<'rt>(rt: &'rt Runtime, k: &K) -> Obj<'rt> {
    match k {
        K::Int(i) => rt.int(*i).unwrap(),
        K::Str(s) => rt.str(s).unwrap(),
    }
}

#[derive(Debug, Clone)]
enum Op {
    Set(K, i64),
    Del(K),
    Get(K),
    Clear,
    Compact,
}

fn k() -> impl Strategy<Value = K> {
    prop_oneof![(0i64..40).prop_map(K::Int), "[a-c]{1,2}".prop_map(K::Str)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (k(), any::<i64>()).prop_map(|(k, v)| Op::Set(k, v)),
        3 => k().prop_map(Op::Del),
        2 => k().prop_map(Op::Get),
        1 => Just(Op::Compact),
        1 => prop::bool::weighted(0.1).prop_map(|_| Op::Clear),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn dict_matches_an_insertion_ordered_model(ops in proptest::collection::vec(op(), 0..300)) {
        let rt = Runtime::new();
        let d = rt.dict().unwrap();
        let mut m = Model::default();
        for op in ops {
            match op {
                Op::Set(k, v) => {
                    d.set_item(&key(&rt, &k), &rt.int(v).unwrap()).unwrap();
                    match m.pos(&k) { Some(i) => m.0[i].1 = v, None => m.0.push((k, v)) }
                }
                Op::Del(k) => match m.pos(&k) {
                    Some(i) => { d.del_item(&key(&rt, &k)).unwrap(); m.0.remove(i); }
                    None => prop_assert!(matches!(d.del_item(&key(&rt, &k)), Err(Error::KeyError(_)))),
                },
                Op::Get(k) => {
                    let got = d.get_opt(&key(&rt, &k)).unwrap().map(|v| v.as_int().unwrap());
                    prop_assert_eq!(got, m.pos(&k).map(|i| m.0[i].1));
                }
                Op::Clear => { d.clear().unwrap(); m.0.clear(); }
                Op::Compact => d.compact().unwrap(),
            }
            prop_assert_eq!(d.len().unwrap(), m.0.len());
        }
        let items: Vec<(K, i64)> = d.items().unwrap().into_iter().map(|(k, v)| {
            let k = match k.as_int() { Some(i) => K::Int(i), None => K::Str(k.as_str().unwrap().to_string()) };
            (k, v.as_int().unwrap())
        }).collect();
        prop_assert_eq!(items, m.0);
        drop(d);
        prop_assert_eq!(rt.heap_bytes_in_use(), 0);
    }
}
