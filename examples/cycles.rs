//! Parent/child trees: with strong back-pointers every tree is a cycle that
//! refcounting cannot free, so the memory stays until the cycle collector runs; with
//! weak parent pointers the same trees are freed the moment the last handle goes.
//!
//! `cargo run --release -p mrt --example cycles`

use mrt::object::{ClassId, ClassSpec, Error, Obj, Runtime};

const TREES: usize = 200;
const FANOUT: usize = 4;
const DEPTH: usize = 4; // 1 + 4 + 16 + 64 + 256 = 341 nodes a tree

/// Build one tree; `weak_parents` decides how a child points back at its parent.
fn tree<'rt>(rt: &'rt Runtime, node: &ClassId, weak_parents: bool) -> Result<Obj<'rt>, Error> {
    let root = rt.instance(node)?;
    root.setattr("children", &rt.list()?)?;
    let mut level = vec![root.clone()];
    for _ in 0..DEPTH {
        let mut next = Vec::with_capacity(level.len() * FANOUT);
        for parent in &level {
            for _ in 0..FANOUT {
                let child = rt.instance(node)?;
                child.setattr("children", &rt.list()?)?;
                let back = if weak_parents {
                    rt.weakref(parent)?
                } else {
                    parent.clone()
                };
                child.setattr("parent", &back)?;
                parent.getattr("children")?.append(&child)?;
                next.push(child);
            }
        }
        level = next;
    }
    Ok(root)
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn run(rt: &Runtime, node: &ClassId, weak_parents: bool) -> Result<(), Error> {
    let base = rt.heap_bytes_in_use();
    let trees: Vec<Obj<'_>> = (0..TREES)
        .map(|_| tree(rt, node, weak_parents))
        .collect::<Result<_, _>>()?;
    let built = rt.heap_bytes_in_use() - base;
    drop(trees); // the host lets go of every root
    let after_drop = rt.heap_bytes_in_use() - base;
    let found = rt.collect();
    let after_collect = rt.heap_bytes_in_use() - base;
    println!(
        "  built {TREES} trees of {} nodes: {:>12} in use",
        (FANOUT.pow(DEPTH as u32 + 1) - 1) / (FANOUT - 1),
        kib(built)
    );
    println!(
        "  after dropping every root:      {:>12} still in use",
        kib(after_drop)
    );
    println!(
        "  collect() found {found:>6} unreachable objects; {:>12} in use",
        kib(after_collect)
    );
    Ok(())
}

fn main() -> Result<(), Error> {
    // Automatic collection off, so the difference shows: only refcounting runs.
    let rt = Runtime::builder().gc_disabled().build();
    let node = rt.define_class(
        ClassSpec::new("Node")
            .slots(&["parent", "children"])
            .weakrefs(),
    )?;

    println!("strong parent pointers (child.parent = parent):");
    run(&rt, &node, false)?;
    println!("weak parent pointers (child.parent = weakref(parent)):");
    run(&rt, &node, true)?;
    println!(
        "\nWith strong back-pointers the trees leak until the collector runs (it finds every\n\
         node, its children list and nothing else); with weak ones refcounting frees each\n\
         tree as soon as its root is dropped, and the collector finds nothing to do."
    );
    Ok(())
}
