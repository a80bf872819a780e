//! mrt and the Rust peers (`std::rc::Rc`, `bacon_rajan_cc`, `dumpster`, `rust-cc`)
//! on the Rust-side workloads of the side-by-side benchmark, at small sizes,
//! through the same generic code (`examples/compare/peers`). The full-size
//! comparison, CPython included, is `cargo run --release -p mrt --example compare`
//! (benches/README.md).
//!
//! `cargo bench -p mrt -- peers/`

use std::time::Duration;

use criterion::Criterion;

#[path = "../examples/compare/peers/mod.rs"]
mod imp;

use imp::Peer;
use mrt::object::{ClassId, ClassSpec, Obj, Runtime};

thread_local! {
    /// The runtime of the mrt peer: one per thread, leaked so that its handles are
    /// `Obj<'static>` and fit the static-method shape of [`Peer`].
    static RT: &'static Runtime = Box::leak(Box::new(Runtime::new()));
    /// A class with two slots, `x` and `y`.
    static TWO_SLOTS: ClassId = rt()
        .define_class(ClassSpec::new("TwoSlots").slots(&["x", "y"]))
        .expect("define a two-slot class");
}

fn rt() -> &'static Runtime {
    RT.with(|r| *r)
}

/// mrt through its public API.
struct Mrt;

impl Peer for Mrt {
    const NAME: &'static str = "mrt";
    const COLLECTS_CYCLES: bool = true;
    type List = Obj<'static>;
    type Tuple = Obj<'static>;
    type Dict = Obj<'static>;
    type Instance = Obj<'static>;

    fn list() -> Self::List {
        rt().list().expect("list")
    }
    fn list_of_ints(items: &[i64]) -> Self::List {
        if let &[a, b] = items {
            // The churn's case, without the two `Vec`s of the general path (the peers
            // build theirs from the slice directly, so this keeps the comparison fair).
            let (a, b) = (rt().int(a).expect("int"), rt().int(b).expect("int"));
            return rt().list_from(&[&a, &b]).expect("list");
        }
        let ints: Vec<Obj<'static>> = items.iter().map(|&i| rt().int(i).expect("int")).collect();
        let refs: Vec<&Obj<'static>> = ints.iter().collect();
        rt().list_from(&refs).expect("list")
    }
    fn push(list: &Self::List, x: Self::List) {
        list.append(&x).expect("append");
    }
    fn push_int(list: &Self::List, i: i64) {
        list.append(&rt().int(i).expect("int")).expect("append");
    }
    fn tuple2(a: i64, b: i64) -> Self::Tuple {
        let (a, b) = (rt().int(a).expect("int"), rt().int(b).expect("int"));
        rt().tuple(&[&a, &b]).expect("tuple")
    }
    fn dict1(k: i64, v: i64) -> Self::Dict {
        let d = rt().dict().expect("dict");
        d.set_item(&rt().int(k).expect("int"), &rt().int(v).expect("int"))
            .expect("set_item");
        d
    }
    fn instance2() -> Self::Instance {
        let o = TWO_SLOTS.with(|c| rt().instance(c)).expect("instance");
        let zero = rt().int(0).expect("int");
        o.setattr("x", &zero).expect("setattr");
        o.setattr("y", &zero).expect("setattr");
        o
    }
    fn collect() {
        rt().collect();
    }
    fn set_auto_collect(on: bool) {
        if on { rt().enable() } else { rt().disable() }
    }
}

/// Register one benchmark per system for a workload generic over [`Peer`].
macro_rules! per_system {
    ($g:expr, $name:expr, $collects:expr, $f:ident) => {{
        per_system!(@one $g, $name, $collects, $f, Mrt);
        per_system!(@one $g, $name, $collects, $f, imp::rc::Std);
        per_system!(@one $g, $name, $collects, $f, imp::bacon::BaconRajan);
        per_system!(@one $g, $name, $collects, $f, imp::dumpster_unsync::Dumpster);
        per_system!(@one $g, $name, $collects, $f, imp::rustcc::RustCc);
    }};
    (@one $g:expr, $name:expr, $collects:expr, $f:ident, $p:ty) => {
        if !$collects || <$p as Peer>::COLLECTS_CYCLES {
            $g.bench_function(format!("{}/{}", $name, <$p as Peer>::NAME), |b| {
                b.iter_custom(|iters| $f::<$p>(iters))
            });
        }
    };
}

/// 20,000 containers in rings of 20, dropped; the full collection that frees them.
fn collect_cycles<P: Peer>(iters: u64) -> Duration {
    (0..iters)
        .map(|_| imp::collect_cycles::<P>(20_000, 20))
        .sum()
}

/// A full collection of 100,000 live one-element containers.
fn full_collect_live<P: Peer>(iters: u64) -> Duration {
    imp::full_collect_live::<P>(100_000, iters as usize)
        .into_iter()
        .sum()
}

/// Create and drop 10,000 two-element containers of small ints.
fn churn<P: Peer>(iters: u64) -> Duration {
    (0..iters).map(|_| imp::churn::<P>(10_000)).sum()
}

pub fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("peers");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    per_system!(g, "collect_cycles/20k", true, collect_cycles);
    per_system!(g, "full_collect_live/100k", true, full_collect_live);
    per_system!(g, "churn/10k", false, churn);
    g.finish();
}
