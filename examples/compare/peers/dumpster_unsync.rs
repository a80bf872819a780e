//! `dumpster::unsync::Gc`: reference counting plus a cycle collector that
//! searches from the handles dropped since the last collection ("dirty" boxes).
//! Automatic collection (by default when more handles were dropped than exist)
//! is switched off by the workloads through `set_collect_condition`.

use super::Peer;
use dumpster::Trace;
use dumpster::unsync::{Gc, collect, default_collect_condition, set_collect_condition};
use std::cell::RefCell;
use std::collections::HashMap;

/// A value slot.
#[derive(Clone, Trace)]
pub enum V {
    /// A small int, inline.
    Int(i64),
    /// A list.
    List(Gc<RefCell<Vec<V>>>),
}

/// The `dumpster::unsync` peer.
pub struct Dumpster;

impl Peer for Dumpster {
    const NAME: &'static str = "dumpster";
    const COLLECTS_CYCLES: bool = true;
    type List = Gc<RefCell<Vec<V>>>;
    type Tuple = Gc<(i64, i64)>;
    type Dict = Gc<RefCell<HashMap<i64, V>>>;
    type Instance = Gc<RefCell<[V; 2]>>;

    fn list() -> Self::List {
        Gc::new(RefCell::new(Vec::new()))
    }
    fn list_of_ints(items: &[i64]) -> Self::List {
        Gc::new(RefCell::new(items.iter().map(|&i| V::Int(i)).collect()))
    }
    fn push(list: &Self::List, x: Self::List) {
        list.borrow_mut().push(V::List(x));
    }
    fn push_int(list: &Self::List, i: i64) {
        list.borrow_mut().push(V::Int(i));
    }
    fn tuple2(a: i64, b: i64) -> Self::Tuple {
        Gc::new((a, b))
    }
    fn dict1(k: i64, v: i64) -> Self::Dict {
        Gc::new(RefCell::new(HashMap::from([(k, V::Int(v))])))
    }
    fn instance2() -> Self::Instance {
        Gc::new(RefCell::new([V::Int(0), V::Int(0)]))
    }
    fn collect() {
        collect();
    }
    fn set_auto_collect(on: bool) {
        fn never(_: &dumpster::unsync::CollectInfo) -> bool {
            false
        }
        set_collect_condition(if on { default_collect_condition } else { never });
    }
}
