//! Model-based property tests: the collector against a plain-Rust model of
//! reachability and of CPython 3.11's counting rules.

use proptest::prelude::*;

use mrt_gc::toy::{Root, ToyHeap};

// ---- 1. random graphs: exactly the unreachable nodes are freed ------------

#[derive(Debug, Clone)]
struct Graph {
    n: usize,
    edges: Vec<(usize, usize)>,
    roots: Vec<bool>,
    /// collect(0) after allocating this many nodes (spreads generations).
    split: usize,
}

fn graph() -> impl Strategy<Value = Graph> {
    (1usize..60).prop_flat_map(|n| {
        (
            Just(n),
            prop::collection::vec((0..n, 0..n), 0..n * 3),
            prop::collection::vec(prop::bool::weighted(0.2), n),
            0..=n,
        )
            .prop_map(|(n, edges, roots, split)| Graph {
                n,
                edges,
                roots,
                split,
            })
    })
}

/// Nodes reachable from the roots.
fn reachable(g: &Graph) -> Vec<bool> {
    let mut adj = vec![Vec::new(); g.n];
    for &(a, b) in &g.edges {
        adj[a].push(b);
    }
    let mut seen = g.roots.clone();
    let mut queue: Vec<usize> = (0..g.n).filter(|&i| g.roots[i]).collect();
    while let Some(v) = queue.pop() {
        for &w in &adj[v] {
            if !seen[w] {
                seen[w] = true;
                queue.push(w);
            }
        }
    }
    seen
}

/// Unreachable nodes that refcounting alone cannot free (Kahn's algorithm on
/// the garbage subgraph: whatever keeps an incoming edge is on or below a cycle).
fn cyclic_garbage(g: &Graph, reach: &[bool]) -> usize {
    let mut indeg = vec![0usize; g.n];
    for &(a, b) in &g.edges {
        if !reach[a] {
            indeg[b] += 1;
        }
    }
    let mut dead: Vec<bool> = vec![false; g.n];
    let mut stack: Vec<usize> = (0..g.n).filter(|&i| !reach[i] && indeg[i] == 0).collect();
    while let Some(v) = stack.pop() {
        dead[v] = true;
        for &(a, b) in &g.edges {
            if a == v {
                indeg[b] -= 1;
                if indeg[b] == 0 && !reach[b] {
                    stack.push(b);
                }
            }
        }
    }
    (0..g.n).filter(|&i| !reach[i] && !dead[i]).count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn full_collection_frees_exactly_the_unreachable(g in graph()) {
        let heap = ToyHeap::new();
        heap.collector().disable();
        let mut nodes: Vec<Root<'_>> = Vec::new();
        for i in 0..g.n {
            if i == g.split {
                heap.collect(0);
            }
            nodes.push(heap.alloc());
        }
        for &(a, b) in &g.edges {
            nodes[a].link(&nodes[b]);
        }
        let ids: Vec<usize> = nodes.iter().map(|r| r.id()).collect();
        let mut roots = Vec::new();
        for (i, r) in nodes.into_iter().enumerate() {
            if g.roots[i] { roots.push(r) }
        }
        let reach = reachable(&g);
        let expect = cyclic_garbage(&g, &reach);
        let n_reach = reach.iter().filter(|&&r| r).count();
        prop_assert_eq!(heap.live(), n_reach + expect);
        let got = heap.collect(2);
        prop_assert_eq!(got, expect);
        prop_assert_eq!(heap.live(), n_reach);
        for i in 0..g.n {
            prop_assert_eq!(heap.is_alive(ids[i]), reach[i], "node {}", i);
        }
        // Survivors keep their refcounts: one per root + one per incoming edge.
        let mut rc = vec![0usize; g.n];
        for &(a, b) in &g.edges {
            if reach[a] { rc[b] += 1 }
        }
        let root_idx: Vec<usize> = (0..g.n).filter(|&i| g.roots[i]).collect();
        for (k, r) in roots.iter().enumerate() {
            let i = root_idx[k];
            prop_assert_eq!(r.refcount(), rc[i] + 1);
        }
        prop_assert_eq!(heap.collect(2), 0);
    }
}

// ---- 2. automatic collection against CPython's counting rules --------------
// (Skipped under gc_zeal, which adds collections on purpose.)
#[cfg(not(feature = "gc_zeal"))]
mod counting {
    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Alloc,
        Drop(usize),
        Link(usize, usize),
        Unlink(usize),
        Collect(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => Just(Op::Alloc),
            3 => any::<usize>().prop_map(Op::Drop),
            4 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Link(a, b)),
            1 => any::<usize>().prop_map(Op::Unlink),
            1 => (0usize..3).prop_map(Op::Collect),
        ]
    }

    /// The model: objects, generations, CPython's counts.
    #[derive(Default)]
    struct Model {
        alive: Vec<bool>,
        generation: Vec<usize>,
        edges: Vec<Vec<usize>>,
        rc: Vec<usize>,
        count: [usize; 3],
        threshold: [usize; 3],
        long_lived_total: usize,
        long_lived_pending: usize,
    }

    impl Model {
        fn dealloc_cascade(&mut self, o: usize) {
            let mut work = vec![o];
            while let Some(o) = work.pop() {
                self.alive[o] = false;
                self.count[0] = self.count[0].saturating_sub(1);
                for c in std::mem::take(&mut self.edges[o]) {
                    self.rc[c] -= 1;
                    if self.rc[c] == 0 && self.alive[c] {
                        work.push(c);
                    }
                }
            }
        }
        fn decref(&mut self, o: usize) {
            self.rc[o] -= 1;
            if self.rc[o] == 0 {
                self.dealloc_cascade(o);
            }
        }
        /// gc_collect_main on the model; returns the number collected.
        fn collect(&mut self, g: usize) -> usize {
            if g + 1 < 3 {
                self.count[g + 1] += 1;
            }
            for i in 0..=g {
                self.count[i] = 0;
            }
            let n = self.alive.len();
            let young: Vec<bool> = (0..n)
                .map(|i| self.alive[i] && self.generation[i] <= g)
                .collect();
            let mut internal = vec![0usize; n];
            for i in (0..n).filter(|&i| young[i]) {
                for &c in &self.edges[i] {
                    internal[c] += 1;
                }
            }
            let mut reach: Vec<bool> = (0..n)
                .map(|i| young[i] && self.rc[i] > internal[i])
                .collect();
            let mut stack: Vec<usize> = (0..n).filter(|&i| reach[i]).collect();
            while let Some(v) = stack.pop() {
                for &w in &self.edges[v] {
                    if young[w] && !reach[w] {
                        reach[w] = true;
                        stack.push(w);
                    }
                }
            }
            let survivors = (0..n).filter(|&i| reach[i]).count();
            let garbage: Vec<usize> = (0..n).filter(|&i| young[i] && !reach[i]).collect();
            let to = (g + 1).min(2);
            for i in (0..n).filter(|&i| reach[i]) {
                self.generation[i] = to;
            }
            if g == 1 {
                self.long_lived_pending += survivors;
            } else if g == 2 {
                self.long_lived_pending = 0;
                self.long_lived_total = survivors;
            }
            for &o in &garbage {
                self.alive[o] = false;
            }
            for &o in &garbage {
                self.count[0] = self.count[0].saturating_sub(1);
                for c in std::mem::take(&mut self.edges[o]) {
                    // Clearing garbage may free older objects only it kept alive.
                    self.rc[c] -= 1;
                    if self.rc[c] == 0 && self.alive[c] {
                        self.dealloc_cascade(c);
                    }
                }
            }
            garbage.len()
        }
        fn collect_generations(&mut self) {
            for i in (0..3).rev() {
                if self.count[i] > self.threshold[i] {
                    if i == 2 && self.long_lived_pending < self.long_lived_total / 4 {
                        continue;
                    }
                    self.collect(i);
                    return;
                }
            }
        }
        fn alloc(&mut self) -> usize {
            self.count[0] += 1;
            if self.threshold[0] != 0 && self.count[0] > self.threshold[0] {
                self.collect_generations();
            }
            self.alive.push(true);
            self.generation.push(0);
            self.edges.push(Vec::new());
            self.rc.push(1);
            self.alive.len() - 1
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn counts_follow_cpython_rules(
            t in (1usize..8, 1usize..4, 1usize..4),
            ops in prop::collection::vec(op(), 1..300),
        ) {
            let heap = ToyHeap::new();
            heap.collector().set_threshold(t.0, t.1, t.2);
            let mut m = Model { threshold: [t.0, t.1, t.2], ..Default::default() };
            // Roots held by the test, with the model's object index.
            let mut roots: Vec<(Root<'_>, usize)> = Vec::new();
            for op in ops {
                match op {
                    Op::Alloc => {
                        let r = heap.alloc();
                        let i = m.alloc();
                        roots.push((r, i));
                    }
                    Op::Drop(k) if !roots.is_empty() => {
                        let (r, i) = roots.swap_remove(k % roots.len());
                        drop(r);
                        m.decref(i);
                    }
                    Op::Link(a, b) if !roots.is_empty() => {
                        let (a, b) = (a % roots.len(), b % roots.len());
                        roots[a].0.link(&roots[b].0);
                        let (ia, ib) = (roots[a].1, roots[b].1);
                        m.edges[ia].push(ib);
                        m.rc[ib] += 1;
                    }
                    Op::Unlink(a) if !roots.is_empty() => {
                        let a = a % roots.len();
                        let ia = roots[a].1;
                        if let Some(&ib) = m.edges[ia].first() {
                            let target = roots[a].0.edges().swap_remove(0);
                            prop_assert!(roots[a].0.unlink(&target));
                            drop(target);
                            m.edges[ia].remove(0);
                            m.decref(ib);
                        }
                    }
                    Op::Collect(g) => {
                        let got = heap.collect(g);
                        let want = m.collect(g);
                        prop_assert_eq!(got, want);
                    }
                    _ => {}
                }
                let c = heap.collector();
                prop_assert_eq!(c.get_count(), (m.count[0], m.count[1], m.count[2]));
                prop_assert_eq!(c.long_lived(), (m.long_lived_total, m.long_lived_pending));
                prop_assert_eq!(heap.live(), m.alive.iter().filter(|&&a| a).count());
                for g in 0..3 {
                    let want = (0..m.alive.len()).filter(|&i| m.alive[i] && m.generation[i] == g).count();
                    prop_assert_eq!(c.generation_len(g), want, "generation {}", g);
                }
            }
        }
    }
}
