//! `std::rc::Rc<RefCell<Vec<V>>>`: plain reference counting, the floor for
//! allocation and refcount traffic. It never reclaims a cycle (the workloads that
//! need that are reported as not expressible), and its `Drop` recurses, so a deep
//! enough nested list overflows the stack.

use super::Peer;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// A value slot.
#[derive(Clone)]
pub enum V {
    /// A small int, inline.
    Int(i64),
    /// A list.
    List(Rc<RefCell<Vec<V>>>),
}

/// The `std::rc` peer.
pub struct Std;

impl Peer for Std {
    const NAME: &'static str = "rc";
    const COLLECTS_CYCLES: bool = false;
    type List = Rc<RefCell<Vec<V>>>;
    type Tuple = Rc<(i64, i64)>;
    type Dict = Rc<RefCell<HashMap<i64, V>>>;
    type Instance = Rc<RefCell<[V; 2]>>;

    fn list() -> Self::List {
        Rc::new(RefCell::new(Vec::new()))
    }
    fn list_of_ints(items: &[i64]) -> Self::List {
        Rc::new(RefCell::new(items.iter().map(|&i| V::Int(i)).collect()))
    }
    fn push(list: &Self::List, x: Self::List) {
        list.borrow_mut().push(V::List(x));
    }
    fn push_int(list: &Self::List, i: i64) {
        list.borrow_mut().push(V::Int(i));
    }
    fn tuple2(a: i64, b: i64) -> Self::Tuple {
        Rc::new((a, b))
    }
    fn dict1(k: i64, v: i64) -> Self::Dict {
        Rc::new(RefCell::new(HashMap::from([(k, V::Int(v))])))
    }
    fn instance2() -> Self::Instance {
        Rc::new(RefCell::new([V::Int(0), V::Int(0)]))
    }
    fn collect() {}
    fn set_auto_collect(_on: bool) {}
}
