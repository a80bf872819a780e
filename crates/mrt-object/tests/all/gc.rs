//! Tracking and collection counts, checked against CPython 3.11 (expected values
//! in the comments were produced by `python3.11` with `gc.disable()`).

use mrt_object::{ClassSpec, Runtime};
use std::cell::Cell;
use std::rc::Rc;

fn rt() -> Runtime {
    Runtime::builder().gc_disabled().build()
}

#[test]
fn a_self_referencing_list_is_collected() {
    let rt = rt();
    let l = rt.list().unwrap();
    l.append(&l).unwrap();
    drop(l);
    assert!(rt.heap_bytes_in_use() > 0);
    assert_eq!(rt.collect(), 1);
    assert_eq!(rt.heap_bytes_in_use(), 0);
    assert_eq!(rt.collect(), 0);
}

#[test]
fn dicts_are_tracked_lazily_and_untracked_by_full_collections() {
    // d = {}; d[1] = 2 -> untracked; d[2] = [] -> tracked; del d[2];
    // collect(1) -> tracked; collect(2) -> untracked
    let rt = rt();
    let d = rt.dict().unwrap();
    assert!(!rt.is_tracked(&d));
    d.set_item(&rt.int(1).unwrap(), &rt.int(2).unwrap())
        .unwrap();
    assert!(!rt.is_tracked(&d));
    d.set_item(&rt.int(2).unwrap(), &rt.list().unwrap())
        .unwrap();
    assert!(rt.is_tracked(&d));
    d.del_item(&rt.int(2).unwrap()).unwrap();
    rt.collect_generation(1).unwrap();
    assert!(rt.is_tracked(&d));
    rt.collect_generation(2).unwrap();
    assert!(!rt.is_tracked(&d));
    // d2[1] = () -> untracked tuple? A tuple is only "maybe tracked" while tracked.
    let d2 = rt.dict().unwrap();
    let t = rt.tuple(&[]).unwrap();
    rt.collect_generation(0).unwrap(); // untracks the empty tuple
    assert!(!rt.is_tracked(&t));
    d2.set_item(&rt.int(1).unwrap(), &t).unwrap();
    assert!(!rt.is_tracked(&d2));
    d2.set_item(&rt.int(2).unwrap(), &rt.dict().unwrap())
        .unwrap();
    assert!(rt.is_tracked(&d2), "any dict value may be tracked");
}

#[test]
fn tuples_are_untracked_by_any_collection_when_they_hold_atoms_only() {
    let rt = rt();
    let t = rt
        .tuple(&[&rt.int(1).unwrap(), &rt.str("x").unwrap()])
        .unwrap();
    assert!(rt.is_tracked(&t));
    rt.collect_generation(0).unwrap();
    assert!(!rt.is_tracked(&t));
    let l = rt.list().unwrap();
    let t2 = rt.tuple(&[&l]).unwrap();
    rt.collect_generation(0).unwrap();
    assert!(rt.is_tracked(&t2));
    // l = []; l.append(l); t = (l,); del l; collect(0) -> 0 (t keeps it alive)
    l.append(&l).unwrap();
    drop(l);
    assert_eq!(rt.collect_generation(0).unwrap(), 0);
    drop(t2);
    assert_eq!(rt.collect(), 1);
}

#[test]
fn atoms_are_never_tracked() {
    let rt = rt();
    for o in [
        rt.int(1 << 62).unwrap(),
        rt.float(1.0).unwrap(),
        rt.str("s").unwrap(),
        rt.bytes(b"b").unwrap(),
        rt.none(),
        rt.int(3).unwrap(),
    ] {
        assert!(!rt.is_tracked(&o));
    }
    assert_eq!(rt.get_count().0, 0, "atoms do not count in generation 0");
}

#[test]
fn every_gc_capable_allocation_counts_and_every_dealloc_uncounts() {
    let rt = rt();
    let c = rt
        .define_class(ClassSpec::new("C").slots(&["x"]).weakrefs())
        .unwrap();
    let objs = vec![
        rt.list().unwrap(),
        rt.dict().unwrap(),
        rt.set().unwrap(),
        rt.tuple(&[&rt.none()]).unwrap(),
        rt.instance(&c).unwrap(),
        rt.host(5u8).unwrap(),
    ];
    let w = rt.weakref(&objs[4]).unwrap();
    assert_eq!(rt.get_count().0, 7);
    drop(w);
    drop(objs);
    assert_eq!(rt.get_count().0, 0);
}

#[test]
fn automatic_collection_at_threshold() {
    let rt = Runtime::builder().thresholds(10, 10, 10).build();
    for _ in 0..25 {
        let l = rt.list().unwrap();
        l.append(&l).unwrap();
    }
    let stats = rt.get_stats();
    assert!(stats[0].collections >= 2, "{stats:?}");
    assert!(rt.get_count().0 <= 10);
}

#[test]
fn finalizers_in_cycles_run_once_and_resurrection_is_respected() {
    // f.x = f; __del__ saves self; del f -> collect() == 0 (resurrected),
    // is_finalized; then break the cycle and drop -> freed by refcount, no rerun.
    let rt = rt();
    let calls = Rc::new(Cell::new(0));
    let c2 = calls.clone();
    let c = rt
        .define_class(ClassSpec::new("F").slots(&["x"]).finalizer(move |o| {
            c2.set(c2.get() + 1);
            let rt = o.runtime();
            rt.globals()
                .unwrap()
                .set_item(&rt.str("saved").unwrap(), o)
                .unwrap();
        }))
        .unwrap();
    let f = rt.instance(&c).unwrap();
    f.setattr("x", &f).unwrap();
    drop(f);
    assert_eq!(rt.collect(), 0);
    assert_eq!(calls.get(), 1);
    let key = rt.str("saved").unwrap();
    let saved = rt.globals().unwrap().pop_item(&key).unwrap().unwrap();
    assert!(rt.is_finalized(&saved));
    saved.delattr("x").unwrap();
    drop(saved);
    assert_eq!(rt.collect(), 0);
    assert_eq!(calls.get(), 1);
    assert_eq!(
        rt.heap_bytes_in_use(),
        rt.globals().map(|_| rt.heap_bytes_in_use()).unwrap()
    );
}

#[test]
fn a_finalizer_cycle_without_resurrection_is_freed() {
    let rt = rt();
    let calls = Rc::new(Cell::new(0));
    let c2 = calls.clone();
    let c = rt
        .define_class(
            ClassSpec::new("F")
                .slots(&["x"])
                .finalizer(move |_| c2.set(c2.get() + 1)),
        )
        .unwrap();
    let a = rt.instance(&c).unwrap();
    let b = rt.instance(&c).unwrap();
    a.setattr("x", &b).unwrap();
    b.setattr("x", &a).unwrap();
    drop((a, b));
    assert_eq!(rt.collect(), 2);
    assert_eq!(calls.get(), 2);
    assert_eq!(rt.heap_bytes_in_use(), 0);
}

#[test]
fn host_data_takes_part_in_cycles() {
    let rt = rt();
    let h = rt.host(String::from("payload")).unwrap();
    let l = rt.list().unwrap();
    h.host_push(&l).unwrap();
    l.append(&h).unwrap();
    assert_eq!(
        h.host_value::<String>().map(String::as_str),
        Some("payload")
    );
    assert!(h.host_value::<u32>().is_none());
    assert!(h.host_ref(0).unwrap().is(&l));
    drop((h, l));
    assert_eq!(rt.collect(), 2);
    assert_eq!(rt.heap_bytes_in_use(), 0);
}

#[test]
fn freeze_and_get_objects() {
    let rt = rt();
    let l = rt.list().unwrap();
    assert!(rt.get_objects(None).unwrap().iter().any(|o| o.is(&l)));
    rt.freeze();
    assert_eq!(rt.get_freeze_count(), 1);
    assert!(rt.get_objects(None).unwrap().is_empty());
    rt.unfreeze();
    assert_eq!(rt.get_objects(Some(2)).unwrap().len(), 1);
    assert!(rt.get_objects(Some(3)).is_err());
    assert!(rt.collect_generation(3).is_err());
}

#[test]
fn the_empty_tuple_is_a_shared_untracked_uncounted_singleton() {
    // CPython's `()` is one static object outside the collector.
    let rt = rt();
    let a = rt.tuple(&[]).unwrap();
    let b = rt.tuple(&[]).unwrap();
    assert!(a.is(&b));
    assert!(!rt.is_tracked(&a));
    assert_eq!(rt.get_count().0, 0);
    let l = rt.list().unwrap();
    l.append(&a).unwrap();
    l.append(&l).unwrap();
    drop((l, a, b));
    assert_eq!(rt.collect(), 1, "only the list is unreachable");
}

#[test]
fn referents_referrers_garbage_and_callbacks() {
    let rt = rt();
    let a = rt.list().unwrap();
    let b = rt.list().unwrap();
    a.append(&b).unwrap();
    a.append(&rt.str("atom").unwrap()).unwrap();
    let refs = rt.get_referents(&a).unwrap();
    assert_eq!(refs.len(), 1, "atoms are not GC-capable");
    assert!(refs[0].is(&b));
    let back = rt.get_referrers(&b).unwrap();
    assert_eq!(back.len(), 1);
    assert!(back[0].is(&a));
    drop((refs, back));

    let phases = Rc::new(Cell::new((0, 0)));
    let p = phases.clone();
    let id = rt.add_gc_callback(move |phase, info| {
        let (s, c) = p.get();
        match phase {
            mrt_object::mrt_gc::Phase::Start => p.set((s + 1, c)),
            mrt_object::mrt_gc::Phase::Stop => p.set((s, c + info.collected)),
        }
    });
    rt.set_debug(mrt_object::mrt_gc::DEBUG_SAVEALL);
    a.append(&a).unwrap();
    drop((a, b));
    assert_eq!(rt.collect(), 2);
    assert_eq!(phases.get(), (1, 2));
    assert_eq!(rt.garbage().len(), 2);
    assert_eq!(rt.garbage_len(), 2);
    rt.set_debug(0);
    rt.clear_garbage();
    assert_eq!(rt.collect(), 2, "released garbage is found again");
    assert!(rt.remove_gc_callback(id));
    assert!(!rt.remove_gc_callback(id));
    assert_eq!(rt.heap_bytes_in_use(), 0);
}

#[test]
fn a_panicking_gc_callback_leaves_the_runtime_usable() {
    let rt = Runtime::builder().thresholds(5, 10, 10).build();
    let id = rt.add_gc_callback(|phase, _| {
        if phase == mrt_object::mrt_gc::Phase::Stop {
            panic!("callback boom")
        }
    });
    let l = rt.list().unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for _ in 0..10 {
            l.append(&rt.list().unwrap()).unwrap();
        }
    }));
    assert!(caught.is_err());
    rt.remove_gc_callback(id);
    l.append(&rt.list().unwrap()).unwrap();
    l.clear().unwrap();
    assert_eq!(l.len().unwrap(), 0);
    assert!(rt.check_heap());
}

/// Dropping containers frees their dying items in CPython's order (last item first,
/// each freed completely before the next is released) whether the container is freed
/// on the fast path (every item survives) or has to fall back to the worklist part way.
#[test]
fn dealloc_order_is_cpythons_on_both_paths() {
    let rt = rt();
    let log = Rc::new(std::cell::RefCell::new(Vec::new()));
    let l2 = log.clone();
    let c = rt
        .define_class(ClassSpec::new("F").slots(&["name"]).finalizer(move |o| {
            let n = o.getattr("name").unwrap().as_int().unwrap();
            l2.borrow_mut().push(n);
        }))
        .unwrap();
    let f = |n: i64| {
        let o = rt.instance(&c).unwrap();
        o.setattr("name", &rt.int(n).unwrap()).unwrap();
        o
    };
    // [a, 7, b, kept]: `kept` survives, then b dies, then 7, then a.
    let kept = f(0);
    let l = rt
        .list_from(&[&f(1), &rt.int(7).unwrap(), &f(2), &kept])
        .unwrap();
    drop(l);
    assert_eq!(*log.borrow(), vec![2, 1]);
    log.borrow_mut().clear();
    // A tuple of survivors and atoms is freed at once; nothing runs.
    let t = rt.tuple(&[&kept, &rt.int(3).unwrap(), &kept]).unwrap();
    drop(t);
    assert!(log.borrow().is_empty());
    // Nested: the inner list (last item) goes first, with its own items.
    let inner = rt.list_from(&[&f(3), &f(4)]).unwrap();
    let outer = rt.list_from(&[&f(5), &kept, &inner]).unwrap();
    drop(inner);
    drop(outer);
    assert_eq!(*log.borrow(), vec![4, 3, 5]);
    drop(kept);
    assert_eq!(*log.borrow(), vec![4, 3, 5, 0]);
}

/// A list that starts out holding only atoms and later gets a container — by
/// `append`, `insert`, `set` or `list_from` — is traversed again: the cycle it
/// closes is found. After `clear` it is an atom list again.
#[test]
fn lists_of_atoms_that_later_hold_containers_are_traversed() {
    let rt = rt();
    let one = rt.int(1).unwrap();
    for how in 0..4 {
        let l = rt.list_from(&[&one, &one]).unwrap();
        let inner = rt.list_from(&[&one]).unwrap();
        match how {
            0 => l.append(&inner).unwrap(),
            1 => l.insert(0, &inner).unwrap(),
            2 => l.set(1, &inner).unwrap(),
            _ => {
                let w = rt.list_from(&[&one, &inner]).unwrap();
                l.append(&w).unwrap();
            }
        }
        // Close the cycle through the inner list: inner -> l -> inner.
        inner.append(&l).unwrap();
        drop((l, inner));
        let found = rt.collect();
        assert!(found >= 2, "case {how}: collected {found}");
    }
    let l = rt.list().unwrap();
    l.append(&l).unwrap();
    l.clear().unwrap();
    l.append(&one).unwrap();
    let keep = rt.list_from(&[&l]).unwrap();
    drop(l);
    assert_eq!(rt.collect(), 0);
    drop(keep);
    assert_eq!(rt.collect(), 0);
}

// ---- generation 2's leaves (beyond CPython; same counts as CPython) ----------

#[test]
fn lists_of_atoms_surviving_a_full_collection_become_leaves() {
    let rt = rt();
    let keep = rt.list().unwrap();
    for i in 0..100 {
        let l = rt
            .list_from(&[&rt.int(i).unwrap(), &rt.str("x").unwrap()])
            .unwrap();
        keep.append(&l).unwrap();
    }
    keep.append(&rt.list().unwrap()).unwrap(); // an empty list is a leaf too
    assert_eq!(
        rt.gc_leaf_count(),
        0,
        "only full collections sort out leaves"
    );
    rt.collect_generation(1).unwrap();
    assert_eq!(rt.gc_leaf_count(), 0);
    assert_eq!(rt.collect(), 0);
    assert_eq!(rt.gc_leaf_count(), 101, "keep holds lists: not a leaf");
    // Still tracked members of generation 2, as in CPython.
    assert_eq!(rt.get_objects(Some(2)).unwrap().len(), 102);
    assert!(rt.is_tracked(&keep.get(0).unwrap()));
    assert_eq!(rt.collect(), 0);
    drop(keep);
    assert_eq!(rt.gc_leaf_count(), 0);
    assert_eq!(rt.heap_bytes_in_use(), 0);
}

#[test]
fn a_cycle_referring_to_an_old_leaf_takes_it_along() {
    // keep = [[1, 2]]; gc.collect(); leaf = keep.pop(); c = [leaf, leaf]
    // c.append(c); del leaf, c; gc.collect() -> 2
    let rt = rt();
    let keep = rt.list().unwrap();
    let two = rt.list_from(&[&rt.int(1).unwrap(), &rt.int(2).unwrap()]);
    keep.append(&two.unwrap()).unwrap();
    assert_eq!(rt.collect(), 0);
    assert_eq!(rt.gc_leaf_count(), 1);
    let leaf = keep.pop().unwrap();
    let c = rt.list_from(&[&leaf, &leaf]).unwrap();
    c.append(&c).unwrap();
    drop((leaf, c));
    assert_eq!(rt.collect(), 2);
    assert_eq!(rt.gc_leaf_count(), 0);
    drop(keep);
    assert_eq!(rt.heap_bytes_in_use(), 0);
}

#[test]
fn an_old_leaf_still_referenced_from_outside_survives() {
    // keep = [[1], [2]]; gc.collect(); a, b = keep; c = [a]; c.append(c)
    // del keep, c, a; gc.collect() -> 2 (c and a; b is held)
    let rt = rt();
    let keep = rt.list().unwrap();
    for i in 1..=2 {
        keep.append(&rt.list_from(&[&rt.int(i).unwrap()]).unwrap())
            .unwrap();
    }
    assert_eq!(rt.collect(), 0);
    let (a, b) = (keep.get(0).unwrap(), keep.get(1).unwrap());
    let c = rt.list_from(&[&a, &b]).unwrap();
    c.append(&c).unwrap();
    drop((keep, c, a));
    assert_eq!(rt.gc_leaf_count(), 2);
    assert_eq!(rt.collect(), 2);
    assert_eq!(rt.gc_leaf_count(), 1);
    assert_eq!(b.get(0).unwrap().as_int(), Some(2));
}

#[test]
fn an_old_leaf_that_stores_a_container_is_collected_as_usual() {
    // l = [1]; keep = [l]; gc.collect(); l.append(l); del keep, l
    // gc.collect() -> 1
    let rt = rt();
    let l = rt.list_from(&[&rt.int(1).unwrap()]).unwrap();
    let keep = rt.list_from(&[&l]).unwrap();
    assert_eq!(rt.collect(), 0);
    assert_eq!(rt.gc_leaf_count(), 1);
    l.append(&l).unwrap();
    assert_eq!(rt.gc_leaf_count(), 0, "no longer a leaf");
    drop((keep, l));
    assert_eq!(rt.collect(), 1);
    assert_eq!(rt.heap_bytes_in_use(), 0);
}

#[test]
fn saved_garbage_lists_an_adopted_leaf_where_cpython_does() {
    // gc.set_debug(gc.DEBUG_SAVEALL); keep = [[1]]; gc.collect()
    // leaf = keep.pop(); c = [leaf]; c.append(c); del c, leaf, keep
    // gc.collect() -> 2; gc.garbage == [[1], [[1], [...]]]
    let rt = rt();
    rt.set_debug(mrt_object::mrt_gc::DEBUG_SAVEALL);
    let keep = rt.list_from(&[&rt.list_from(&[&rt.int(1).unwrap()]).unwrap()]);
    let keep = keep.unwrap();
    assert_eq!(rt.collect(), 0);
    let leaf = keep.pop().unwrap();
    let c = rt.list_from(&[&leaf]).unwrap();
    c.append(&c).unwrap();
    drop((c, leaf, keep));
    assert_eq!(rt.collect(), 2);
    let g = rt.garbage();
    assert_eq!(g.len(), 2);
    assert_eq!(g[0].len().unwrap(), 1, "the leaf [1] first");
    assert_eq!(g[1].len().unwrap(), 2, "then the cycle");
    rt.set_debug(0);
}
