//! Integration tests of the collector through the facade (`mrt::gc`), with
//! the collector's reference host (`mrt::gc::toy`).

use std::cell::RefCell;
use std::rc::Rc;

use mrt::gc::toy::{NodeOptions, ToyHeap};
use mrt::gc::{CallbackInfo, DEFAULT_THRESHOLDS, NUM_GENERATIONS, Phase};

#[test]
fn facade_exposes_cpython_defaults() {
    let h = ToyHeap::new();
    let c = h.collector();
    assert_eq!(NUM_GENERATIONS, 3);
    assert_eq!(c.get_threshold(), DEFAULT_THRESHOLDS);
    assert_eq!(c.get_threshold(), (700, 10, 10));
    assert!(c.is_enabled());
    assert_eq!(c.get_count(), (0, 0, 0));
    assert_eq!(c.get_freeze_count(), 0);
    assert_eq!(c.get_debug(), 0);
}

#[test]
fn cycles_are_collected_and_reported() {
    let h = ToyHeap::new();
    h.collector().disable();
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    h.collector()
        .add_callback(Box::new(move |p: Phase, i: &CallbackInfo| {
            l.borrow_mut().push((p, *i))
        }));
    for _ in 0..10 {
        let a = h.alloc();
        let b = h.alloc();
        a.link(&b);
        b.link(&a);
    }
    assert_eq!(h.live(), 20);
    assert_eq!(h.collect(2), 20);
    assert_eq!(h.live(), 0);
    let log = log.borrow();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].0, Phase::Stop);
    assert_eq!(log[1].1.collected, 20);
    assert_eq!(h.collector().get_stats()[2].collected, 20);
}

#[test]
fn finalizers_weakrefs_and_resurrection_through_the_facade() {
    let h = ToyHeap::new();
    h.collector().disable();
    let a = h.alloc_with(NodeOptions::default().finalizer(|r| r.heap().add_global(r)));
    a.link(&a);
    let wr = h.weakref(&a, None);
    drop(a);
    // Resurrected by its finalizer: not collected, but weakrefs were cleared
    // first (CPython's order: weakrefs, finalizers, resurrection check).
    assert_eq!(h.collect(2), 0);
    assert!(wr.is_dead());
    h.clear_globals();
    assert_eq!(h.collect(2), 1);
    assert_eq!(h.finalizer_calls(), 1);
}

#[cfg(not(feature = "gc_zeal"))]
#[test]
fn automatic_collection_keeps_cyclic_garbage_bounded() {
    let h = ToyHeap::new();
    for _ in 0..10_000 {
        let a = h.alloc();
        a.link(&a);
    }
    assert!(h.live() <= 701, "live {}", h.live());
    // One collection per 701 allocations; every 11th is a generation-1 one.
    let s = h.collector().get_stats();
    assert_eq!((s[0].collections, s[1].collections), (13, 1));
}
