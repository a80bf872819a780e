//! `bacon_rajan_cc::Cc`: reference counting plus Bacon and Rajan's synchronous
//! cycle collection (2001). Decrements to a non-zero count buffer "possible
//! roots"; `collect_cycles()` — never called automatically — runs trial deletion
//! from those roots only.

use super::Peer;
use bacon_rajan_cc::{Cc, Trace, Tracer, collect_cycles};
use std::cell::RefCell;
use std::collections::HashMap;

/// A value slot.
#[derive(Clone)]
pub enum V {
    /// A small int, inline.
    Int(i64),
    /// A list.
    List(Cc<RefCell<Vec<V>>>),
}

impl Trace for V {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        if let V::List(l) = self {
            l.trace(tracer);
        }
    }
}

/// Two slots (bacon_rajan_cc 0.4 has no `Trace` for arrays).
pub struct Slots {
    /// Slot `x`.
    pub x: RefCell<V>,
    /// Slot `y`.
    pub y: RefCell<V>,
}

impl Trace for Slots {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.x.trace(tracer);
        self.y.trace(tracer);
    }
}

/// The `bacon_rajan_cc` peer.
pub struct BaconRajan;

impl Peer for BaconRajan {
    const NAME: &'static str = "bacon_rajan_cc";
    const COLLECTS_CYCLES: bool = true;
    type List = Cc<RefCell<Vec<V>>>;
    type Tuple = Cc<(i64, i64)>;
    type Dict = Cc<RefCell<HashMap<i64, V>>>;
    type Instance = Cc<Slots>;

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
        Cc::new(RefCell::new(HashMap::from([(k, V::Int(v))])))
    }
    fn instance2() -> Self::Instance {
        Cc::new(Slots {
            x: RefCell::new(V::Int(0)),
            y: RefCell::new(V::Int(0)),
        })
    }
    fn collect() {
        collect_cycles();
    }
    fn set_auto_collect(_on: bool) {}
}
