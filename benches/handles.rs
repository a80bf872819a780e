//! The public API's handle-returning calls in tight loops, against `std::rc::Rc` doing
//! the same in the same run: `list_get` reads `l[i]` into a new handle and drops it
//! (mrt `Obj::get`; `Rc`: clone of a `Vec<Rc<…>>` element through a `RefCell`), and
//! `list_from2` makes and drops a two-int list (`Runtime::list_from`; `Rc`:
//! `Rc<RefCell<Vec<V>>>`). These are the calls whose `Result<Obj>` used to come back
//! through memory and stall the caller (docs/object_model.md §5, "Handles come back in
//! registers"); a regression there shows up here first.
//!
//! `cargo bench -p mrt -- handles/`
use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use mrt::object::Runtime;

/// Reads (or lists) per iteration.
const N: usize = 10_000;

/// The peers' value type, as in `examples/compare/peers/rc.rs`.
#[allow(dead_code)] // the payloads are only stored
enum V {
    Int(i64),
    List(RcList),
}

/// The `Rc` peer's list.
type RcList = Rc<RefCell<Vec<V>>>;

pub fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("handles");
    g.sample_size(20);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));

    let rt = Runtime::new();
    let l = rt.list().unwrap();
    for _ in 0..64 {
        l.append(&rt.list().unwrap()).unwrap();
    }
    g.bench_function("list_get/mrt", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                for i in 0..N {
                    let x = l.get((i & 63) as isize).unwrap();
                    black_box(&x);
                }
            }
            t.elapsed()
        })
    });
    let v: Rc<RefCell<Vec<RcList>>> = Rc::new(RefCell::new(
        (0..64).map(|_| Rc::new(RefCell::new(Vec::new()))).collect(),
    ));
    g.bench_function("list_get/rc", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                for i in 0..N {
                    let x = Rc::clone(&v.borrow()[i & 63]);
                    black_box(&x);
                }
            }
            t.elapsed()
        })
    });

    let (one, two) = (rt.int(1).unwrap(), rt.int(2).unwrap());
    g.bench_function("list_from2/mrt", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                for _ in 0..N {
                    let x = rt.list_from(&[&one, &two]).unwrap();
                    black_box(&x);
                }
            }
            t.elapsed()
        })
    });
    g.bench_function("list_from2/rc", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                for _ in 0..N {
                    let x = Rc::new(RefCell::new(vec![V::Int(1), V::Int(2)]));
                    black_box(&x);
                }
            }
            t.elapsed()
        })
    });
    g.finish();
}
