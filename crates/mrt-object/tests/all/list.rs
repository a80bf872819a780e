use mrt_object::{Error, Runtime};
use proptest::prelude::*;

fn ints(_rt: &Runtime, l: &mrt_object::Obj<'_>) -> Vec<i64> {
    l.iter().unwrap().map(|x| x.as_int().unwrap()).collect()
}

#[test]
fn append_get_set_pop_insert() {
    let rt = Runtime::new();
    let l = rt.list().unwrap();
    for i in 0..10 {
        l.append(&rt.int(i).unwrap()).unwrap();
    }
    assert_eq!(l.len().unwrap(), 10);
    assert_eq!(l.get(-1).unwrap().as_int(), Some(9));
    l.set(0, &rt.int(100).unwrap()).unwrap();
    assert_eq!(l.get(0).unwrap().as_int(), Some(100));
    assert_eq!(l.pop().unwrap().as_int(), Some(9));
    assert_eq!(l.pop_at(0).unwrap().as_int(), Some(100));
    l.insert(-100, &rt.int(-1).unwrap()).unwrap();
    l.insert(100, &rt.int(50).unwrap()).unwrap();
    assert_eq!(ints(&rt, &l), vec![-1, 1, 2, 3, 4, 5, 6, 7, 8, 50]);
    assert!(matches!(l.get(10), Err(Error::IndexError(_))));
    assert!(matches!(l.set(-11, &rt.none()), Err(Error::IndexError(_))));
    l.clear().unwrap();
    assert!(matches!(l.pop(), Err(Error::IndexError(m)) if m == "pop from empty list"));
}

#[test]
fn growth_follows_cpython_list_resize() {
    // Measured with CPython 3.11 (sys.getsizeof(l) - 56) // 8 after each append.
    let rt = Runtime::new();
    let l = rt.list().unwrap();
    let mut caps = vec![];
    for i in 0..80 {
        l.append(&rt.int(i).unwrap()).unwrap();
        let c = l.list_capacity().unwrap();
        if caps.last() != Some(&c) {
            caps.push(c);
        }
    }
    assert_eq!(caps, vec![4, 8, 16, 24, 32, 40, 52, 64, 76, 92]);
}

#[test]
fn literal_lists_keep_cpythons_capacities_in_and_out_of_their_inline_area() {
    // CPython 3.11, cap = (sys.getsizeof(l) - 56) // 8:
    // l = [1, 2]; l.clear(); l.append(3)                    -> 4
    // l = [1..=8]; l.append(9) -> 16; l.pop(); l.pop(0)       -> 12
    // l.pop(); l.pop()                                      -> len 5, cap 8
    // l = [1, 2]; l.pop() -> 2; l.pop() -> 0; l.append(1)    -> 4
    let rt = Runtime::new();
    let int = |i| rt.int(i).unwrap();
    let from = |n: i64| {
        let items: Vec<_> = (1..=n).map(int).collect();
        rt.list_from(&items.iter().collect::<Vec<_>>()).unwrap()
    };
    let l = from(2);
    l.clear().unwrap();
    l.append(&int(3)).unwrap();
    assert_eq!(l.list_capacity().unwrap(), 4);
    let l = from(8);
    assert_eq!(l.list_capacity().unwrap(), 8);
    l.append(&int(9)).unwrap();
    assert_eq!(l.list_capacity().unwrap(), 16);
    l.pop().unwrap();
    l.pop_at(0).unwrap();
    assert_eq!(l.list_capacity().unwrap(), 12);
    l.pop().unwrap();
    l.pop().unwrap();
    assert_eq!((l.len().unwrap(), l.list_capacity().unwrap()), (5, 8));
    let l = from(2);
    l.pop().unwrap();
    assert_eq!(l.list_capacity().unwrap(), 2);
    l.pop().unwrap();
    assert_eq!(l.list_capacity().unwrap(), 0);
    l.append(&int(1)).unwrap();
    assert_eq!(l.list_capacity().unwrap(), 4);
}

#[test]
fn slices_are_sized_exactly_as_in_cpython() {
    // x = list(range(30)); (sys.getsizeof(s) - 56) // 8 for x[0:3], x[0:1],
    // x[2:22], x[5:5] -> 3, 1, 20, 0
    let rt = Runtime::new();
    let x = rt.list().unwrap();
    for i in 0..30 {
        x.append(&rt.int(i).unwrap()).unwrap();
    }
    for (a, b, cap) in [(0, 3, 3), (0, 1, 1), (2, 22, 20), (5, 5, 0)] {
        let s = x.slice(a, b).unwrap();
        assert_eq!(s.list_capacity().unwrap(), cap, "x[{a}:{b}]");
        assert_eq!(s.len().unwrap(), (b - a) as usize);
    }
}

#[test]
fn slices_copy() {
    let rt = Runtime::new();
    let l = rt.list().unwrap();
    for i in 0..6 {
        l.append(&rt.int(i).unwrap()).unwrap();
    }
    assert_eq!(ints(&rt, &l.slice(1, 4).unwrap()), vec![1, 2, 3]);
    assert_eq!(ints(&rt, &l.slice(-2, 100).unwrap()), vec![4, 5]);
    assert_eq!(ints(&rt, &l.slice(4, 2).unwrap()), Vec::<i64>::new());
}

#[test]
fn mutation_while_iterating_is_safe() {
    let rt = Runtime::new();
    let l = rt.list().unwrap();
    for i in 0..4 {
        l.append(&rt.int(i).unwrap()).unwrap();
    }
    let mut seen = vec![];
    for x in l.iter().unwrap() {
        seen.push(x.as_int().unwrap());
        if seen.len() < 6 {
            l.append(&rt.int(10).unwrap()).unwrap();
        }
        if seen.len() == 7 {
            l.clear().unwrap();
        }
    }
    assert_eq!(seen.len(), 7);
}

#[test]
fn wrong_type_is_a_type_error() {
    let rt = Runtime::new();
    let d = rt.dict().unwrap();
    assert!(matches!(d.append(&rt.none()), Err(Error::TypeError(_))));
    assert!(matches!(rt.int(3).unwrap().len(), Err(Error::TypeError(_))));
    assert!(matches!(rt.none().iter(), Err(Error::TypeError(_))));
}

#[test]
fn lists_compare_structurally() {
    let rt = Runtime::new();
    let a = rt
        .list_from(&[&rt.int(1).unwrap(), &rt.float(2.0).unwrap()])
        .unwrap();
    let b = rt
        .list_from(&[&rt.bool(true), &rt.int(2).unwrap()])
        .unwrap();
    assert!(a.eq(&b).unwrap());
    b.append(&rt.none()).unwrap();
    assert!(!a.eq(&b).unwrap());
    // Self-referencing lists terminate.
    a.append(&a).unwrap();
    assert!(a.eq(&a).unwrap());
    assert!(a.contains(&rt.int(2).unwrap()).unwrap());
    assert!(matches!(a.hash(), Err(Error::TypeError(_))));
}

#[derive(Debug, Clone)]
enum Op {
    Append(i64),
    Insert(isize, i64),
    Pop(isize),
    Set(isize, i64),
    Get(isize),
    Clear,
    Slice(isize, isize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<i64>().prop_map(Op::Append),
        1 => (-20isize..20, any::<i64>()).prop_map(|(i, x)| Op::Insert(i, x)),
        2 => (-20isize..20).prop_map(Op::Pop),
        1 => (-20isize..20, any::<i64>()).prop_map(|(i, x)| Op::Set(i, x)),
        1 => (-20isize..20).prop_map(Op::Get),
        1 => Just(Op::Clear).prop_filter("rare", |_| true),
        1 => (-20isize..20, -20isize..20).prop_map(|(a, b)| Op::Slice(a, b)),
    ]
}

fn norm(i: isize, n: usize) -> Option<usize> {
    let j = if i < 0 { i + n as isize } else { i };
    (j >= 0 && (j as usize) < n).then_some(j as usize)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn list_matches_vec(
        init in proptest::collection::vec(any::<i64>(), 0..24),
        ops in proptest::collection::vec(op(), 0..200),
    ) {
        // Start from `list_from` (short ones keep their items inline in the object)
        // or, for no items, from `list()`.
        let rt = Runtime::new();
        let first: Vec<_> = init.iter().map(|&x| rt.int(x).unwrap()).collect();
        let l = rt.list_from(&first.iter().collect::<Vec<_>>()).unwrap();
        drop(first);
        let mut model: Vec<i64> = init;
        for op in ops {
            match op {
                Op::Append(x) => { l.append(&rt.int(x).unwrap()).unwrap(); model.push(x); }
                Op::Insert(i, x) => {
                    l.insert(i, &rt.int(x).unwrap()).unwrap();
                    let n = model.len() as isize;
                    let at = if i < 0 { (n + i).max(0) } else { i.min(n) } as usize;
                    model.insert(at, x);
                }
                Op::Pop(i) => match norm(i, model.len()) {
                    Some(j) => prop_assert_eq!(l.pop_at(i).unwrap().as_int(), Some(model.remove(j))),
                    None => prop_assert!(matches!(l.pop_at(i), Err(Error::IndexError(_)))),
                },
                Op::Set(i, x) => match norm(i, model.len()) {
                    Some(j) => { l.set(i, &rt.int(x).unwrap()).unwrap(); model[j] = x; }
                    None => prop_assert!(l.set(i, &rt.int(x).unwrap()).is_err()),
                },
                Op::Get(i) => match norm(i, model.len()) {
                    Some(j) => prop_assert_eq!(l.get(i).unwrap().as_int(), Some(model[j])),
                    None => prop_assert!(l.get(i).is_err()),
                },
                Op::Clear => { l.clear().unwrap(); model.clear(); }
                Op::Slice(a, b) => {
                    let n = model.len() as isize;
                    let c = |i: isize| (if i < 0 { i + n } else { i }).clamp(0, n) as usize;
                    let (s, e) = (c(a), c(b));
                    let want: Vec<i64> = if s < e { model[s..e].to_vec() } else { vec![] };
                    let got: Vec<i64> = l.slice(a, b).unwrap().iter().unwrap().map(|x| x.as_int().unwrap()).collect();
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert_eq!(l.len().unwrap(), model.len());
            let cap = l.list_capacity().unwrap();
            prop_assert!(cap >= model.len());
        }
        let got: Vec<i64> = l.iter().unwrap().map(|x| x.as_int().unwrap()).collect();
        prop_assert_eq!(got, model);
        drop(l);
        prop_assert_eq!(rt.heap_bytes_in_use(), 0);
    }
}

#[test]
fn get_agrees_with_python_indexing_for_every_storage_and_edge_index() {
    let rt = Runtime::new();
    // No storage, a single item (kept in the list itself), inline items, a heap buffer.
    for n in [0usize, 1, 2, 16, 17, 100] {
        let items: Vec<_> = (0..n as i64).map(|i| rt.int(i).unwrap()).collect();
        let refs: Vec<_> = items.iter().collect();
        let from = rt.list_from(&refs).unwrap();
        let appended = rt.list().unwrap();
        for x in &items {
            appended.append(x).unwrap();
        }
        let n = n as isize;
        for l in [&from, &appended] {
            for i in [
                isize::MIN,
                -n - 1,
                -n,
                -1,
                0,
                1,
                n - 1,
                n,
                n + 1,
                isize::MAX,
            ] {
                let want = if (-n..n).contains(&i) {
                    Some(if i < 0 { i + n } else { i } as i64)
                } else {
                    None
                };
                match (l.get(i), want) {
                    (Ok(x), Some(w)) => assert_eq!(x.as_int(), Some(w), "n={n} i={i}"),
                    (Err(Error::IndexError(m)), None) => {
                        assert_eq!(m, "list index out of range", "n={n} i={i}")
                    }
                    (got, want) => panic!("n={n} i={i}: got {got:?}, want {want:?}"),
                }
            }
        }
    }
    // Not a list: the general path's errors.
    let t = rt.tuple(&[&rt.int(5).unwrap()]).unwrap();
    assert_eq!(t.get(-1).unwrap().as_int(), Some(5));
    assert!(matches!(t.get(1), Err(Error::IndexError(_))));
    assert!(matches!(
        rt.dict().unwrap().get(0),
        Err(Error::TypeError(_))
    ));
    assert!(matches!(
        rt.int(3).unwrap().get(0),
        Err(Error::TypeError(_))
    ));
}

#[test]
fn get_on_host_data_is_a_type_error_as_before() {
    let rt = Runtime::new();
    let h = rt.host(0u8).unwrap();
    h.host_push(&rt.list().unwrap()).unwrap();
    assert!(matches!(h.get(0), Err(Error::TypeError(_))));
    assert!(h.host_ref(0).is_ok());
}
