//! Unwind tests: host code panics in the middle of a collection; the
//! collection completes (other garbage is still freed), the first panic is
//! resumed afterwards, and the collector stays usable.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mrt_gc::toy::{Kind, NodeOptions, ToyHeap};

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn garbage_ring(h: &ToyHeap, n: usize) {
    let first = h.alloc();
    let mut prev = first.clone();
    for _ in 1..n {
        let x = h.alloc();
        prev.link(&x);
        prev = x;
    }
    prev.link(&first);
}

#[test]
fn finalizer_panic_is_resumed_after_the_collection() {
    let h = ToyHeap::new();
    h.collector().disable();
    garbage_ring(&h, 10);
    let f = h.alloc_with(NodeOptions::default().finalizer(|_| panic!("finalizer boom")));
    f.link(&f);
    drop(f);
    garbage_ring(&h, 10);
    let r = catch_unwind(AssertUnwindSafe(|| h.collect(2)));
    assert_eq!(panic_message(r.unwrap_err()), "finalizer boom");
    assert!(!h.collector().is_collecting());
    assert_eq!(
        h.live(),
        0,
        "all garbage freed, the panicking node included"
    );
    let s = h.collector().get_stats();
    assert_eq!(s[2].collected, 21);
    assert_eq!(h.collect(2), 0);
}

#[test]
fn two_panics_resume_the_first() {
    let h = ToyHeap::new();
    h.collector().disable();
    for msg in ["first", "second"] {
        let f = h.alloc_with(NodeOptions::default().finalizer(move |_| panic!("{msg}")));
        f.link(&f);
    }
    let r = catch_unwind(AssertUnwindSafe(|| h.collect(0)));
    assert_eq!(panic_message(r.unwrap_err()), "first");
    assert_eq!(h.live(), 0);
}

#[test]
fn clear_panic() {
    let h = ToyHeap::new();
    h.collector().disable();
    let a = h.alloc_with(NodeOptions::default().kind(Kind::ClearPanics));
    let b = h.alloc();
    a.link(&b);
    b.link(&a);
    drop((a, b));
    garbage_ring(&h, 5);
    let r = catch_unwind(AssertUnwindSafe(|| h.collect(2)));
    assert!(panic_message(r.unwrap_err()).contains("toy clear panic"));
    // a's clear failed, but clearing b freed a by refcount.
    assert_eq!(h.live(), 0);
    assert_eq!(h.collect(2), 0);
}

#[test]
fn weakref_callback_panic() {
    let h = ToyHeap::new();
    h.collector().disable();
    let a = h.alloc();
    a.link(&a);
    let wr = h.weakref(&a, Some(Box::new(|_| panic!("callback boom"))));
    drop(a);
    garbage_ring(&h, 3);
    let r = catch_unwind(AssertUnwindSafe(|| h.collect(2)));
    assert_eq!(panic_message(r.unwrap_err()), "callback boom");
    assert!(wr.is_dead());
    drop(wr);
    assert_eq!(h.live(), 0);
}

#[test]
fn gc_callback_panic_does_not_stop_the_collection() {
    let h = ToyHeap::new();
    h.collector().disable();
    h.collector().add_callback(Box::new(|p, _| {
        if p == mrt_gc::Phase::Start {
            panic!("gc callback boom")
        }
    }));
    garbage_ring(&h, 4);
    let r = catch_unwind(AssertUnwindSafe(|| h.collect(2)));
    assert_eq!(panic_message(r.unwrap_err()), "gc callback boom");
    assert_eq!(h.live(), 0);
    assert!(!h.collector().is_collecting());
}

#[test]
fn traverse_panic_frees_nothing_and_keeps_lists_consistent() {
    let h = ToyHeap::new();
    h.collector().disable();
    let keep = h.alloc();
    let child = h.alloc();
    keep.link(&child);
    drop(child);
    garbage_ring(&h, 6);
    h.set_traverse_panics(true);
    let r = catch_unwind(AssertUnwindSafe(|| h.collect(2)));
    assert!(panic_message(r.unwrap_err()).contains("toy traverse panic"));
    assert_eq!(
        h.live(),
        8,
        "nothing may be freed when reachability is unknown"
    );
    h.set_traverse_panics(false);
    assert_eq!(h.collect(2), 6);
    assert_eq!(h.live(), 2);
    assert_eq!(keep.edges()[0].refcount(), 2);
}

#[cfg(not(feature = "gc_zeal"))]
#[test]
fn panic_from_an_automatic_collection_surfaces_from_the_allocation() {
    let h = ToyHeap::new();
    h.collector().set_threshold(3, 10, 10);
    let f = h.alloc_with(NodeOptions::default().finalizer(|_| panic!("auto boom")));
    f.link(&f);
    drop(f);
    let _a = h.alloc();
    let _b = h.alloc();
    let r = catch_unwind(AssertUnwindSafe(|| h.alloc())); // count 4 > 3
    assert_eq!(panic_message(r.unwrap_err()), "auto boom");
    assert_eq!(h.collector().get_count(), (0, 1, 0));
    assert_eq!(h.live(), 2);
    let _c = h.alloc();
    assert_eq!(h.collector().get_count(), (1, 1, 0));
}
