//! `==` and `hash` agree (`a == b` implies `hash(a) == hash(b)`), with Python's
//! numeric equality across int/float/bool, over random nested tuples; and sets
//! behave like an insertion-ordered model set.

use mrt_object::{Obj, Runtime};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum V {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    None,
    Tuple(Vec<V>),
}

/// The reference semantics of `==` on these values.
fn py_eq(a: &V, b: &V) -> bool {
    fn num(v: &V) -> Option<f64> {
        match v {
            V::Int(i) => Some(*i as f64),
            V::Float(f) => Some(*f),
            V::Bool(b) => Some(*b as i64 as f64),
            _ => None,
        }
    }
    match (a, b) {
        (V::Tuple(x), V::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (V::Str(x), V::Str(y)) => x == y,
        (V::None, V::None) => true,
        _ => match (num(a), num(b)) {
            // The domain's ints are small, so comparing as f64 is exact.
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

fn build<'rt>(rt: &'rt Runtime, v: &V) -> Obj<'rt> {
    match v {
        V::Int(i) => rt.int(*i).unwrap(),
        V::Float(f) => rt.float(*f).unwrap(),
        V::Bool(b) => rt.bool(*b),
        V::Str(s) => rt.str(s).unwrap(),
        V::None => rt.none(),
        V::Tuple(items) => {
            let objs: Vec<Obj<'rt>> = items.iter().map(|x| build(rt, x)).collect();
            let refs: Vec<&Obj<'rt>> = objs.iter().collect();
            rt.tuple(&refs).unwrap()
        }
    }
}

fn value() -> impl Strategy<Value = V> {
    let leaf = prop_oneof![
        (-2i64..3).prop_map(V::Int),
        (-4i32..6).prop_map(|h| V::Float(h as f64 / 2.0)),
        any::<bool>().prop_map(V::Bool),
        "[ab]{0,2}".prop_map(V::Str),
        Just(V::None),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        proptest::collection::vec(inner, 0..3).prop_map(V::Tuple)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(800))]
    #[test]
    fn equality_implies_equal_hashes(a in value(), b in value()) {
        let rt = Runtime::new();
        let (x, y) = (build(&rt, &a), build(&rt, &b));
        let eq = x.eq(&y).unwrap();
        prop_assert_eq!(eq, py_eq(&a, &b));
        if eq {
            prop_assert_eq!(x.hash().unwrap(), y.hash().unwrap());
        }
        let d = rt.dict().unwrap();
        d.set_item(&x, &rt.none()).unwrap();
        prop_assert_eq!(d.contains(&y).unwrap(), eq);
    }

    #[test]
    fn set_matches_a_model(ops in proptest::collection::vec((value(), any::<bool>()), 0..120)) {
        let rt = Runtime::new();
        let s = rt.set().unwrap();
        let mut model: Vec<V> = Vec::new();
        for (v, add) in &ops {
            let o = build(&rt, v);
            let pos = model.iter().position(|m| py_eq(m, v));
            if *add {
                s.add(&o).unwrap();
                if pos.is_none() {
                    model.push(v.clone());
                }
            } else {
                prop_assert_eq!(s.discard(&o).unwrap(), pos.is_some());
                if let Some(i) = pos {
                    model.remove(i);
                }
            }
            prop_assert_eq!(s.len().unwrap(), model.len());
        }
        let items: Vec<Obj<'_>> = s.iter().unwrap().collect();
        prop_assert_eq!(items.len(), model.len());
        for (o, m) in items.iter().zip(&model) {
            prop_assert!(o.eq(&build(&rt, m)).unwrap());
        }
    }
}
