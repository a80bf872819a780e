//! Finalizers, PEP 442 style: when they run (refcount path and collector), that each
//! runs at most once, resurrection, and what `garbage` holds with `DEBUG_SAVEALL`.
//!
//! `cargo run --release -p mrt --example finalizers`

use mrt::gc::DEBUG_SAVEALL;
use mrt::object::{ClassSpec, Error, Runtime};
use std::cell::RefCell;
use std::rc::Rc;

fn main() -> Result<(), Error> {
    let rt = Runtime::builder().gc_disabled().build();
    let log: Rc<RefCell<Vec<String>>> = Rc::default();

    // A class whose finalizer logs its instance's name.
    let logger = log.clone();
    let noisy = rt.define_class(ClassSpec::new("Noisy").slots(&["name", "other"]).finalizer(
        move |o| {
            let name = o
                .getattr("name")
                .ok()
                .and_then(|n| n.as_str().map(str::to_owned));
            logger
                .borrow_mut()
                .push(format!("finalize {}", name.unwrap_or_default()));
        },
    ))?;
    let make = |name: &str| -> Result<_, Error> {
        let o = rt.instance(&noisy)?;
        o.setattr("name", &rt.str(name)?)?;
        Ok(o)
    };
    let flush = |title: &str| {
        println!("{title}");
        for line in log.borrow_mut().drain(..) {
            println!("    {line}");
        }
    };

    // 1. Refcounting: the finalizer runs the moment the last reference goes.
    let a = make("a")?;
    drop(a);
    flush("1. drop the only handle to `a`:");

    // 2. A cycle: nothing happens on drop; the collector finalizes both, then frees them.
    let (b, c) = (make("b")?, make("c")?);
    b.setattr("other", &c)?;
    c.setattr("other", &b)?;
    drop((b, c));
    flush("2. drop a cycle b <-> c (no finalizer runs: each still holds the other):");
    let n = rt.collect();
    flush(&format!("   collect() -> {n}:"));

    // 3. Resurrection: a finalizer that stores its object in the globals dict.
    let saver = rt.define_class(ClassSpec::new("Phoenix").slots(&["me"]).finalizer(|o| {
        let rt = o.runtime();
        if let (Ok(g), Ok(k)) = (rt.globals(), rt.str("phoenix")) {
            let _ = g.set_item(&k, o); // resurrect: a new strong reference
        }
    }))?;
    let p = rt.instance(&saver)?;
    p.setattr("me", &p)?; // a self-cycle
    drop(p);
    let n = rt.collect();
    let g = rt.globals()?;
    let key = rt.str("phoenix")?;
    let back = g.get_item(&key)?;
    println!(
        "3. a self-cycle whose finalizer resurrects it: collect() -> {n}; it is alive in \
         globals, finalized = {}",
        rt.is_finalized(&back)
    );
    drop(back);
    g.del_item(&key)?;
    let n = rt.collect();
    println!(
        "   dropped again: collect() -> {n}; the finalizer did not run a second time \
         (PEP 442: at most once)"
    );

    // 4. DEBUG_SAVEALL: unreachable objects go to `garbage` instead of being freed.
    rt.set_debug(DEBUG_SAVEALL);
    let (d, e) = (make("d")?, make("e")?);
    d.setattr("other", &e)?;
    e.setattr("other", &d)?;
    drop((d, e));
    let n = rt.collect();
    flush(&format!(
        "4. with DEBUG_SAVEALL, collect() -> {n}; garbage holds {} objects; finalizers ran:",
        rt.garbage_len()
    ));
    rt.set_debug(0);
    Ok(())
}
