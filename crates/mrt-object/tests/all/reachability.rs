//! Model-based test of refcounting + the collector together: random graphs of
//! instances and lists, random handle drops and collections (automatic ones too,
//! at tiny thresholds). A reachable object must never die; after a full collection
//! exactly the unreachable ones are dead; at the end nothing is left.

use mrt_object::{ClassSpec, Obj, Runtime};
use proptest::prelude::*;
use std::collections::HashSet;

#[derive(Debug, Clone)]
enum Op {
    NewInstance,
    NewList,
    /// Store object b in slot/list of object a (indices modulo the object count).
    Link(usize, usize, bool),
    /// Clear slot x/y of an instance, or pop a list.
    Unlink(usize, bool),
    /// Drop the handle of object i (if held).
    DropRoot(usize),
    /// Take a handle again through a weakref (instances only) if alive.
    Regain(usize),
    Collect(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::NewInstance),
        2 => Just(Op::NewList),
        6 => (any::<usize>(), any::<usize>(), any::<bool>()).prop_map(|(a, b, s)| Op::Link(a, b, s)),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(a, s)| Op::Unlink(a, s)),
        4 => any::<usize>().prop_map(Op::DropRoot),
        1 => any::<usize>().prop_map(Op::Regain),
        2 => (0usize..3).prop_map(Op::Collect),
    ]
}

struct Node<'rt> {
    /// The handle, while the test holds one (a root).
    root: Option<Obj<'rt>>,
    /// Weak reference (instances) to observe liveness.
    weak: Option<Obj<'rt>>,
    is_list: bool,
    /// Model edges: for instances [x, y], for lists the items.
    edges: Vec<Option<usize>>,
    /// Known dead (its memory may be reused; never touched again).
    dead: bool,
}

fn reachable(nodes: &[Node<'_>]) -> HashSet<usize> {
    let mut seen = HashSet::new();
    let mut stack: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].root.is_some())
        .collect();
    while let Some(i) = stack.pop() {
        if seen.insert(i) {
            stack.extend(nodes[i].edges.iter().flatten().copied());
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]
    #[test]
    fn reachable_objects_never_die_and_full_collections_free_the_rest(
        ops in proptest::collection::vec(op(), 1..250),
        auto in any::<bool>(),
    ) {
        let rt = if auto {
            Runtime::builder().thresholds(4, 2, 2).build()
        } else {
            Runtime::builder().gc_disabled().build()
        };
        let c = rt.define_class(ClassSpec::new("N").slots(&["x", "y"]).weakrefs()).unwrap();
        let mut nodes: Vec<Node<'_>> = Vec::new();
        for op in ops {
            let live: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].root.is_some()).collect();
            match op {
                Op::NewInstance => {
                    let o = rt.instance(&c).unwrap();
                    let w = rt.weakref(&o).unwrap();
                    nodes.push(Node { root: Some(o), weak: Some(w), is_list: false, edges: vec![None, None], dead: false });
                }
                Op::NewList => {
                    nodes.push(Node { root: Some(rt.list().unwrap()), weak: None, is_list: true, edges: vec![], dead: false });
                }
                Op::Link(a, b, s) if !live.is_empty() => {
                    let (a, b) = (live[a % live.len()], live[b % live.len()]);
                    let target = nodes[b].root.clone().unwrap();
                    let holder = nodes[a].root.clone().unwrap();
                    if nodes[a].is_list {
                        holder.append(&target).unwrap();
                        nodes[a].edges.push(Some(b));
                    } else {
                        holder.setattr(if s { "x" } else { "y" }, &target).unwrap();
                        nodes[a].edges[s as usize] = Some(b);
                    }
                }
                Op::Unlink(a, s) if !live.is_empty() => {
                    let a = live[a % live.len()];
                    let holder = nodes[a].root.clone().unwrap();
                    if nodes[a].is_list {
                        if holder.len().unwrap() > 0 {
                            holder.pop().unwrap();
                            nodes[a].edges.pop();
                        }
                    } else if nodes[a].edges[s as usize].take().is_some() {
                        holder.delattr(if s { "x" } else { "y" }).unwrap();
                    }
                }
                Op::DropRoot(i) if !live.is_empty() => {
                    let i = live[i % live.len()];
                    nodes[i].root = None;
                }
                Op::Regain(i) if !nodes.is_empty() => {
                    let i = i % nodes.len();
                    if nodes[i].root.is_none()
                        && !nodes[i].dead
                        && let Some(o) = nodes[i].weak.as_ref().and_then(|w| w.upgrade())
                    {
                        nodes[i].root = Some(o);
                    }
                }
                Op::Collect(g) => {
                    rt.collect_generation(g).unwrap();
                }
                _ => {}
            }
            // Safety property: everything reachable from a handle is alive.
            let reach = reachable(&nodes);
            for &i in &reach {
                if let Some(w) = &nodes[i].weak {
                    prop_assert!(w.is_alive(), "reachable node {} died", i);
                }
            }
            // Dead instances are dead for good; a dead node's edges no longer count.
            for (i, n) in nodes.iter_mut().enumerate() {
                if !reach.contains(&i) && n.weak.as_ref().is_some_and(|w| !w.is_alive()) {
                    n.dead = true;
                }
            }
            if let Op::Collect(2) = op {
                for (i, n) in nodes.iter().enumerate() {
                    if let Some(w) = &n.weak {
                        prop_assert_eq!(w.is_alive(), reach.contains(&i), "node {} after a full collection", i);
                    }
                }
            }
        }
        for n in &mut nodes {
            n.root = None;
        }
        rt.collect();
        for n in &nodes {
            if let Some(w) = &n.weak {
                prop_assert!(!w.is_alive());
            }
        }
        drop(nodes);
        prop_assert_eq!(rt.heap_bytes_in_use(), 0);
    }
}
