//! Behaviours ported from CPython 3.11's `Lib/test/test_gc.py`, with toy
//! nodes. The expected numbers were checked against `python3.11` running the
//! equivalent Python (see the comment on each test).
//!
//! Tests start with `disable()` (like test_gc's `@gc_disabled` / the
//! test harness), so `gc_zeal` (which honours `enable`) cannot perturb them;
//! tests of automatic collection are skipped under `gc_zeal`.

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::rc::Rc;

use mrt_gc::toy::{Kind, NodeOptions, ToyHeap};
use mrt_gc::*;

fn heap() -> ToyHeap {
    let h = ToyHeap::new();
    h.collector().disable();
    h
}

#[test]
fn test_list() {
    // l = []; l.append(l); del l; gc.collect() == 1
    let h = heap();
    let l = h.alloc();
    l.link(&l);
    drop(l);
    assert_eq!(h.collect(2), 1);
    assert_eq!(h.live(), 0);
}

#[test]
fn test_dict() {
    // d = {}; d[1] = d; del d; gc.collect() == 1
    let h = heap();
    let d = h.alloc_with(NodeOptions::default().kind(Kind::DictLike));
    d.link(&d);
    drop(d);
    assert_eq!(h.collect(2), 1);
}

#[test]
fn test_tuple() {
    // a = []; t = (a,); a.append(t); del t, a; gc.collect() == 2
    let h = heap();
    let a = h.alloc();
    let t = h.alloc_with(NodeOptions::default().kind(Kind::TupleLike));
    t.link(&a);
    a.link(&t);
    drop((t, a));
    assert_eq!(h.collect(2), 2);
}

#[test]
fn test_function() {
    // exec("def f(): pass", d); del d; gc.collect() == 2 (function <-> globals dict)
    let h = heap();
    let d = h.alloc_with(NodeOptions::default().kind(Kind::DictLike));
    let f = h.alloc();
    d.link(&f);
    f.link(&d);
    drop((d, f));
    assert_eq!(h.collect(2), 2);
}

#[test]
fn test_get_count() {
    let h = heap();
    h.collect(2);
    let (a, b, c) = h.collector().get_count();
    let _x = h.alloc();
    let (d, e, f) = h.collector().get_count();
    assert_eq!((b, c), (0, 0));
    assert_eq!((e, f), (0, 0));
    assert_eq!(a, 0); // CPython only asserts a < 5: its interpreter allocates too.
    assert_eq!(d, a + 1);
}

#[test]
fn test_collect_generations() {
    let h = heap();
    h.collect(2);
    // This object trickles into generation N + 1 after each collect(N).
    let x = h.alloc();
    let c = h.collector();
    h.collect(0);
    assert_eq!(c.get_count(), (0, 1, 0));
    assert!(c.get_objects(Some(1)).contains(&x.gc_ref()));
    h.collect(1);
    assert_eq!(c.get_count(), (0, 0, 1));
    assert!(c.get_objects(Some(2)).contains(&x.gc_ref()));
    h.collect(2);
    assert_eq!(c.get_count(), (0, 0, 0));
    assert!(c.get_objects(Some(2)).contains(&x.gc_ref()));
}

#[test]
fn test_get_objects() {
    let h = heap();
    h.collect(2);
    let l = h.alloc();
    let c = h.collector();
    let has = |g| c.get_objects(g).contains(&l.gc_ref());
    assert!(has(Some(0)) && !has(Some(1)) && !has(Some(2)) && has(None));
    h.collect(0);
    assert!(!has(Some(0)) && has(Some(1)) && !has(Some(2)));
    h.collect(1);
    assert!(!has(Some(0)) && !has(Some(1)) && has(Some(2)));
    h.collect(2);
    assert!(has(Some(2)));
}

#[test]
#[should_panic(expected = "generation must be < 3")]
fn test_get_objects_arguments() {
    heap().collector().get_objects(Some(1000));
}

#[test]
fn test_freeze() {
    let h = heap();
    let c = h.collector();
    let a = h.alloc();
    let g = h.alloc();
    g.link(&g);
    drop(g);
    c.freeze();
    assert_eq!(c.get_freeze_count(), 2);
    assert_eq!(c.get_count().0, 0);
    assert_eq!(h.collect(2), 0, "frozen garbage is ignored");
    c.unfreeze();
    assert_eq!(c.get_freeze_count(), 0);
    assert!(c.get_objects(Some(2)).contains(&a.gc_ref()));
    assert_eq!(h.collect(2), 1);
}

#[test]
fn test_get_stats() {
    let h = heap();
    let c = h.collector();
    let old = c.get_stats();
    h.collect(0);
    let new = c.get_stats();
    assert_eq!(new[0].collections, old[0].collections + 1);
    assert_eq!(new[1].collections, old[1].collections);
    assert_eq!(new[2].collections, old[2].collections);
    let l = h.alloc();
    l.link(&l);
    drop(l);
    h.collect(2);
    let new2 = c.get_stats();
    assert_eq!(new2[2].collections, old[2].collections + 1);
    assert_eq!(new2[2].collected, old[2].collected + 1);
    assert_eq!(new2[0].collections, new[0].collections);
}

#[test]
fn test_callbacks_order_and_info() {
    let h = heap();
    let log: Rc<RefCell<Vec<(u8, Phase, CallbackInfo)>>> = Rc::default();
    let (l1, l2) = (log.clone(), log.clone());
    let id1 = h
        .collector()
        .add_callback(Box::new(move |p, i| l1.borrow_mut().push((1, p, *i))));
    h.collector()
        .add_callback(Box::new(move |p, i| l2.borrow_mut().push((2, p, *i))));
    let l = h.alloc_with(NodeOptions::default().legacy());
    l.link(&l);
    let m = h.alloc();
    m.link(&m);
    drop((l, m));
    assert_eq!(h.collect(1), 2);
    let start = CallbackInfo {
        generation: 1,
        collected: 0,
        uncollectable: 0,
    };
    let stop = CallbackInfo {
        generation: 1,
        collected: 1,
        uncollectable: 1,
    };
    assert_eq!(
        *log.borrow(),
        vec![
            (1, Phase::Start, start),
            (2, Phase::Start, start),
            (1, Phase::Stop, stop),
            (2, Phase::Stop, stop)
        ]
    );
    assert!(h.collector().remove_callback(id1));
    assert!(!h.collector().remove_callback(id1));
    log.borrow_mut().clear();
    h.collect(0);
    assert_eq!(log.borrow().len(), 2);
    assert!(log.borrow().iter().all(|e| e.0 == 2));
    drop(h.take_garbage());
}

#[test]
fn test_collect_inside_callback_returns_zero() {
    let h = Rc::new(heap());
    let seen = Rc::new(Cell::new(usize::MAX));
    let (hw, s) = (Rc::downgrade(&h), seen.clone());
    h.collector().add_callback(Box::new(move |_, _| {
        if let Some(h) = hw.upgrade() {
            s.set(h.collect(2));
        }
    }));
    h.collect(2);
    assert_eq!(seen.get(), 0);
}

#[test]
fn test_saveall() {
    // gc.set_debug(DEBUG_SAVEALL); l=[]; l.append(l); del l; collect() == 1; garbage == [l]
    let h = heap();
    let c = h.collector();
    c.set_debug(DEBUG_SAVEALL);
    let l = h.alloc();
    l.link(&l);
    let id = l.id();
    drop(l);
    assert_eq!(h.collect(2), 1);
    assert_eq!(c.garbage_len(), 1);
    assert!(h.is_alive(id));
    c.set_debug(0);
    let g = h.take_garbage();
    assert_eq!(g[0].id(), id);
    drop(g);
    assert_eq!(h.collect(2), 1);
    assert!(!h.is_alive(id));
}

#[test]
fn test_legacy_finalizer_uncollectable() {
    // @with_tp_del class L; a=L(); b=P(); a.x=b; b.x=a; del a,b
    // python3.11: gc.collect() == 2, len(gc.garbage) == 1
    let h = heap();
    let a = h.alloc_with(NodeOptions::default().legacy());
    let b = h.alloc();
    a.link(&b);
    b.link(&a);
    drop((a, b));
    assert_eq!(h.collect(2), 2);
    assert_eq!(h.collector().garbage_len(), 1);
    let s = h.collector().get_stats();
    assert_eq!((s[2].collected, s[2].uncollectable), (0, 2));
    assert_eq!(h.live(), 2);
}

#[test]
fn test_bug21435_and_resurrection() {
    // class F: __del__ appends self to G; a=F(); b=P(); a.x=b; b.x=a; del a,b
    // python3.11: collect() == 0, len(G) == 1; G.clear(); collect() == 2
    let h = heap();
    let a = h.alloc_with(NodeOptions::default().finalizer(|r| r.heap().add_global(r)));
    let b = h.alloc();
    a.link(&b);
    b.link(&a);
    let ida = a.id();
    drop((a, b));
    assert_eq!(h.collect(2), 0);
    assert_eq!(h.globals().len(), 1);
    assert!(h.globals()[0].is_finalized());
    h.clear_globals();
    assert_eq!(h.collect(2), 2);
    assert!(!h.is_alive(ida));
    assert_eq!(h.finalizer_calls(), 1, "PEP 442: at most once");
}

#[test]
fn test_finalizer_on_refcount_path_is_not_repeated_by_gc() {
    let h = heap();
    let a = h.alloc_with(NodeOptions::default().finalizer(|r| r.heap().add_global(r)));
    drop(a); // finalizer runs, resurrects
    assert_eq!(h.finalizer_calls(), 1);
    let g = h.globals().pop().unwrap();
    g.link(&g);
    drop(g);
    h.clear_globals();
    assert_eq!(h.collect(2), 1);
    assert_eq!(h.finalizer_calls(), 1);
}

#[test]
fn test_weakref_reachable_callback_called_once() {
    // a=W(); a.x=a; wr=weakref.ref(a, cb); del a -> collect() == 1, cb called once
    let h = heap();
    let calls = Rc::new(Cell::new(0));
    let a = h.alloc();
    a.link(&a);
    let c = calls.clone();
    let wr = h.weakref(
        &a,
        Some(Box::new(move |w| {
            assert!(w.is_dead());
            c.set(c.get() + 1)
        })),
    );
    drop(a);
    assert_eq!(h.collect(2), 1);
    assert_eq!(calls.get(), 1);
    assert!(wr.is_dead());
    assert_eq!(h.collect(2), 0);
    assert_eq!(calls.get(), 1);
}

#[test]
fn test_weakref_freed_by_its_callback_is_counted() {
    // holder['w'] = weakref.ref(a, cb) where cb clears holder -> collect() == 2
    let h = heap();
    let a = h.alloc();
    a.link(&a);
    let wr = h.weakref(&a, Some(Box::new(|w| w.heap().clear_globals())));
    h.add_global(&wr);
    drop((wr, a));
    assert_eq!(h.collect(2), 2);
    assert_eq!(h.live(), 0);
}

#[test]
fn test_weakref_unreachable_callback_not_called() {
    // a.x=b; b.x=(a, weakref.ref(a, cb)) -> cb never called (python: 5 objects,
    // here 4: the callback closure is not a GC object)
    let h = heap();
    let calls = Rc::new(Cell::new(0));
    let a = h.alloc();
    let b = h.alloc();
    let t = h.alloc_with(NodeOptions::default().kind(Kind::TupleLike));
    let c = calls.clone();
    let wr = h.weakref(&a, Some(Box::new(move |_| c.set(c.get() + 1))));
    a.link(&b);
    b.link(&t);
    t.link(&a);
    t.link(&wr);
    drop((a, b, t, wr));
    assert_eq!(h.collect(2), 4);
    assert_eq!(calls.get(), 0);
}

#[test]
fn test_is_tracked_and_untracking() {
    // gc.is_tracked((1, 2)) is False after a collection; ([],) stays tracked;
    // an empty dict is untracked by a full collection only.
    let h = heap();
    let atom = h.alloc_with(NodeOptions::default().untracked());
    let t_atoms = h.alloc_with(NodeOptions::default().kind(Kind::TupleLike));
    t_atoms.link(&atom);
    let l = h.alloc();
    let t_list = h.alloc_with(NodeOptions::default().kind(Kind::TupleLike));
    t_list.link(&l);
    let d = h.alloc_with(NodeOptions::default().kind(Kind::DictLike));
    assert!(!atom.is_tracked());
    h.collect(0);
    assert!(!t_atoms.is_tracked());
    assert!(t_list.is_tracked());
    assert!(d.is_tracked());
    h.collect(2);
    assert!(!d.is_tracked());
}

#[test]
fn test_get_referrers_and_referents() {
    let h = heap();
    let a = h.alloc();
    let b = h.alloc();
    let c = h.alloc();
    a.link(&c);
    b.link(&c);
    let col = h.collector();
    let mut r = col.get_referrers(&h, &[c.gc_ref()]);
    r.sort();
    let mut want = vec![a.gc_ref(), b.gc_ref()];
    want.sort();
    assert_eq!(r, want);
    let refs = h.get_referents(&[&a, &b]);
    assert_eq!(refs, vec![c.gc_ref(), c.gc_ref()]);
}

#[derive(Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);
impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn test_debug_stats_output_format() {
    let h = heap();
    let sink = Sink::default();
    let c = h.collector();
    c.set_debug_output(Some(Box::new(sink.clone())));
    c.set_debug(DEBUG_STATS | DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE);
    let _keep = h.alloc();
    let l = h.alloc();
    l.link(&l);
    let u = h.alloc_with(NodeOptions::default().legacy());
    u.link(&u);
    drop((l, u));
    c.freeze();
    let _young = h.alloc();
    c.unfreeze();
    // 3 in gen 2 now (unfrozen), 1 in gen 0.
    assert_eq!(h.collect(0), 0);
    assert_eq!(h.collect(2), 2);
    let out = String::from_utf8(sink.0.borrow().clone()).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "gc: collecting generation 0...");
    assert_eq!(lines[1], "gc: objects in each generation: 1 0 3");
    assert_eq!(lines[2], "gc: objects in permanent generation: 0");
    assert!(
        lines[3].starts_with("gc: done, 0 unreachable, 0 uncollectable, ")
            && lines[3].ends_with("s elapsed")
    );
    assert_eq!(lines[4], "gc: collecting generation 2...");
    assert_eq!(lines[5], "gc: objects in each generation: 0 1 3");
    assert!(
        lines[7].starts_with("gc: collectable <Node 0x"),
        "{}",
        lines[7]
    );
    assert!(
        lines[8].starts_with("gc: uncollectable <Node 0x"),
        "{}",
        lines[8]
    );
    assert!(lines[9].starts_with("gc: done, 2 unreachable, 1 uncollectable, "));
    c.set_debug(0);
    drop(h.take_garbage());
}

#[test]
fn test_debug_leak_is_the_union() {
    assert_eq!(
        DEBUG_LEAK,
        DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL
    );
}

// ---- automatic collection (skipped under gc_zeal, which adds collections) ----

#[cfg(not(feature = "gc_zeal"))]
mod automatic {
    use super::*;

    #[test]
    fn gen0_collects_when_count_exceeds_threshold() {
        let h = ToyHeap::new();
        let c = h.collector();
        let mut keep = Vec::new();
        for _ in 0..700 {
            keep.push(h.alloc());
        }
        assert_eq!(c.get_count(), (700, 0, 0));
        assert_eq!(c.get_stats()[0].collections, 0);
        keep.push(h.alloc()); // count 701 > 700: collect generation 0
        assert_eq!(c.get_count(), (0, 1, 0));
        assert_eq!(c.get_stats()[0].collections, 1);
        assert_eq!(
            c.generation_len(1),
            700,
            "the new object is tracked after the collection"
        );
        assert_eq!(c.generation_len(0), 1);
    }

    #[test]
    fn deallocation_decrements_gen0_count() {
        let h = ToyHeap::new();
        let a = h.alloc();
        let b = h.alloc();
        assert_eq!(h.collector().get_count().0, 2);
        drop(a);
        assert_eq!(h.collector().get_count().0, 1);
        drop(b);
        assert_eq!(h.collector().get_count().0, 0);
    }

    #[test]
    fn threshold_zero_disables() {
        let h = ToyHeap::new();
        h.collector().set_threshold(0, 10, 10);
        let keep: Vec<_> = (0..2000).map(|_| h.alloc()).collect();
        assert_eq!(h.collector().get_stats()[0].collections, 0);
        assert_eq!(h.collector().get_count().0, 2000);
        drop(keep);
    }

    #[test]
    fn disabled_collector_does_not_collect_automatically() {
        let h = ToyHeap::new();
        h.collector().disable();
        let keep: Vec<_> = (0..2000).map(|_| h.alloc()).collect();
        assert_eq!(h.collector().get_stats()[0].collections, 0);
        drop(keep);
    }

    #[test]
    fn generations_cascade_and_long_lived_rule() {
        // thresholds (1, 1, 1): every allocation past the first collects.
        let h = ToyHeap::new();
        let c = h.collector();
        c.set_threshold(1, 1, 1);
        let mut keep = Vec::new();
        keep.push(h.alloc()); // count 1
        keep.push(h.alloc()); // count 2 > 1: gen 0 collected -> (0,1,0)
        assert_eq!(c.get_count(), (0, 1, 0));
        keep.push(h.alloc()); // (1,1,0)
        keep.push(h.alloc()); // (2,1,0): gen 0 -> (0,2,0)
        assert_eq!(c.get_count(), (0, 2, 0));
        keep.push(h.alloc());
        keep.push(h.alloc()); // gen1 count 2 > 1: collect gen 1 -> (0,0,1)
        assert_eq!(c.get_count(), (0, 0, 1));
        assert_eq!(c.get_stats()[1].collections, 1);
        // 5 survivors went to gen 2 through a gen-1 collection (the sixth
        // object is tracked only after on_alloc's collection): pending 5,
        // total 0, so the next time gen 2's count passes 1, a full one runs.
        assert_eq!(c.long_lived(), (0, 5));
        let mut n = 0;
        while c.get_stats()[2].collections == 0 {
            keep.push(h.alloc());
            n += 1;
            assert!(n < 50, "no full collection");
        }
        assert_eq!(c.get_count(), (0, 0, 0));
        let (total, pending) = c.long_lived();
        assert_eq!(pending, 0);
        assert!(total >= 5);
        // Now pending < total / 4 blocks full collections: gen 1 runs instead.
        let before = c.get_stats();
        for _ in 0..6 {
            keep.push(h.alloc());
        }
        let after = c.get_stats();
        assert_eq!(after[2].collections, before[2].collections);
        assert!(after[1].collections > before[1].collections);
    }

    #[test]
    fn byte_trigger_off_by_default_on_when_set() {
        // A few huge containers: no collection by count, one by bytes.
        let h = ToyHeap::new();
        let c = h.collector();
        let big = || NodeOptions::default().extra_bytes(64 << 20);
        let keep: Vec<_> = (0..10).map(|_| h.alloc_with(big())).collect();
        assert_eq!(c.get_stats()[0].collections, 0);
        assert_eq!(c.get_byte_threshold(), None);
        c.set_byte_threshold(Some(256 << 20));
        let keep2: Vec<_> = (0..10).map(|_| h.alloc_with(big())).collect();
        assert!(c.get_stats()[0].collections >= 1, "{:?}", c.get_stats());
        assert!(c.bytes_since_collection() <= 256 << 20);
        drop((keep, keep2));
    }
}
