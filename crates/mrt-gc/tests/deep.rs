//! No recursion anywhere: very long chains and deep nestings are freed and
//! collected without overflowing the stack.

use mrt_gc::toy::ToyHeap;

/// A chain of `n` nodes, each holding the next; `cyclic` closes it.
fn chain(h: &ToyHeap, n: usize, cyclic: bool) {
    let first = h.alloc();
    let mut prev = first.clone();
    for _ in 1..n {
        let x = h.alloc();
        prev.link(&x);
        prev = x;
    }
    if cyclic {
        prev.link(&first);
    }
}

#[test]
fn one_million_ring_is_collected() {
    let h = ToyHeap::new();
    h.collector().disable();
    chain(&h, 1_000_000, true);
    assert_eq!(h.live(), 1_000_000);
    assert_eq!(h.collect(2), 1_000_000);
    assert_eq!(h.live(), 0);
}

#[test]
fn ten_million_deep_nesting_freed_by_refcount() {
    // l = []; for _ in range(N): l = [l]; del l
    let h = ToyHeap::new();
    h.collector().disable();
    let mut l = h.alloc();
    for _ in 1..10_000_000 {
        let outer = h.alloc();
        outer.link(&l);
        l = outer;
    }
    assert_eq!(h.live(), 10_000_000);
    drop(l);
    assert_eq!(h.live(), 0);
}

#[test]
fn ten_million_deep_nesting_survives_then_is_collected() {
    // A live deep structure is collected over (all reachable, refcounts
    // intact); then closed into a cycle and dropped, it is collected.
    let h = ToyHeap::new();
    h.collector().disable();
    let root = h.alloc();
    let mut prev = root.clone();
    for _ in 1..10_000_000 {
        let x = h.alloc();
        prev.link(&x);
        prev = x;
    }
    assert_eq!(h.collect(2), 0);
    assert_eq!(h.live(), 10_000_000);
    assert_eq!(root.refcount(), 1);
    assert_eq!(prev.refcount(), 2);
    prev.link(&root);
    drop((prev, root));
    assert_eq!(h.collect(2), 10_000_000);
    assert_eq!(h.live(), 0);
}
