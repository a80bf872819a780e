//! `rust_cc::Cc` (crate `rust-cc`): reference counting plus a cycle collector
//! over a buffer of possible roots (decremented handles). Its automatic
//! collection (feature `auto-collect`, on by default) is switched off by the
//! workloads through `rust_cc::config`.

use super::Peer;
use ::rust_cc::{Cc, Finalize, Trace, collect_cycles, config};
use std::cell::RefCell;

/// A value slot.
#[derive(Clone, Trace, Finalize)]
pub enum V {
    /// A small int, inline.
    Int(i64),
    /// A list.
    List(Cc<RefCell<Vec<V>>>),
}

/// A one-item map. rust-cc 0.6 has no `Trace` for `HashMap`; a map of one item
/// is a pair either way, so a `Vec` of pairs stands in (noted in the README).
#[derive(Trace, Finalize)]
pub struct Map {
    /// The items.
    pub items: RefCell<Vec<(i64, V)>>,
}

/// The `rust-cc` peer.
pub struct RustCc;

impl Peer for RustCc {
    const NAME: &'static str = "rust-cc";
    const COLLECTS_CYCLES: bool = true;
    type List = Cc<RefCell<Vec<V>>>;
    type Tuple = Cc<(i64, i64)>;
    type Dict = Cc<Map>;
    type Instance = Cc<RefCell<[V; 2]>>;

    fn list() -> Self::List {
        Cc::new(RefCell::new(Vec::new()))
    }
    fn list_of_ints(items: &[i64]) -> Self::List {
        Cc::new(RefCell::new(items.iter().map(|&i| V::Int(i)).collect()))
    }
    fn push(list: &Self::List, x: Self::List) {
        list.borrow_mut().push(V::List(x));
    }
    fn push_int(list: &Self::List, i: i64) {
        list.borrow_mut().push(V::Int(i));
    }
    fn tuple2(a: i64, b: i64) -> Self::Tuple {
        Cc::new((a, b))
    }
    fn dict1(k: i64, v: i64) -> Self::Dict {
        Cc::new(Map {
            items: RefCell::new(vec![(k, V::Int(v))]),
        })
    }
    fn instance2() -> Self::Instance {
        Cc::new(RefCell::new([V::Int(0), V::Int(0)]))
    }
    fn collect() {
        collect_cycles();
    }
    fn set_auto_collect(on: bool) {
        // Fails only while a collection is running, which no workload does here.
        let _ = config::config(|c| c.set_auto_collect(on));
    }
}
