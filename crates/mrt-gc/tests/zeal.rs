//! Reachability under automatic collection (with `gc_zeal`: a collection on
//! every N-th allocation): whatever the collection schedule, nothing
//! reachable is ever freed, and a final full collection frees the rest.

use proptest::prelude::*;

use mrt_gc::toy::{Root, ToyHeap};

#[derive(Debug, Clone)]
enum Op {
    Alloc,
    Drop(usize),
    Link(usize, usize),
    Unlink(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => Just(Op::Alloc),
        3 => any::<usize>().prop_map(Op::Drop),
        4 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Link(a, b)),
        1 => any::<usize>().prop_map(Op::Unlink),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn automatic_collection_never_frees_reachable_nodes(
        t0 in 1usize..20,
        ops in prop::collection::vec(op(), 1..400),
    ) {
        let heap = ToyHeap::new();
        heap.collector().set_threshold(t0, 2, 2);
        let mut roots: Vec<Root<'_>> = Vec::new();
        for op in ops {
            match op {
                Op::Alloc => roots.push(heap.alloc()),
                Op::Drop(k) if !roots.is_empty() => {
                    roots.swap_remove(k % roots.len());
                }
                Op::Link(a, b) if !roots.is_empty() => {
                    let (a, b) = (a % roots.len(), b % roots.len());
                    roots[a].link(&roots[b]);
                }
                Op::Unlink(a) if !roots.is_empty() => {
                    let a = a % roots.len();
                    if let Some(t) = roots[a].edges().pop() {
                        roots[a].unlink(&t);
                    }
                }
                _ => {}
            }
            // Everything reachable from a root is alive (walk the live graph).
            let mut seen = std::collections::HashSet::new();
            let mut stack: Vec<Root<'_>> = roots.clone();
            while let Some(r) = stack.pop() {
                if seen.insert(r.id()) {
                    prop_assert!(heap.is_alive(r.id()));
                    stack.extend(r.edges());
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<Root<'_>> = roots.clone();
        while let Some(r) = stack.pop() {
            if seen.insert(r.id()) {
                stack.extend(r.edges());
            }
        }
        heap.collect(2);
        prop_assert_eq!(heap.live(), seen.len());
    }
}

#[cfg(feature = "gc_zeal")]
#[test]
fn zeal_collects_every_nth_allocation() {
    let n: usize = std::env::var("MRT_GC_ZEAL")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let heap = ToyHeap::new();
    let keep: Vec<_> = (0..10 * n).map(|_| heap.alloc()).collect();
    let s = heap.collector().get_stats();
    assert_eq!(s[0].collections + s[1].collections + s[2].collections, 10);
    drop(keep);
}
