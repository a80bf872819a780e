//! The classic weak cache: a `WeakValueDict` maps keys to objects without keeping
//! them alive, so an entry vanishes the moment its last user drops the object —
//! no eviction policy, no stale entries, no leak.
//!
//! `cargo run --release -p mrt --example weak_cache`

use mrt::object::{ClassSpec, Error, Obj, Runtime, WeakValueDict};
use std::cell::Cell;

fn main() -> Result<(), Error> {
    let rt = Runtime::new();
    let image = rt.define_class(
        ClassSpec::new("Image")
            .slots(&["path", "pixels"])
            .weakrefs(),
    )?;
    let cache = WeakValueDict::new(&rt)?;
    let loads = Cell::new(0);

    // Load through the cache: reuse a live object, else "decode" a new one.
    let load = |path: &str| -> Result<Obj<'_>, Error> {
        let key = rt.str(path)?;
        if let Some(hit) = cache.get(&key)? {
            return Ok(hit);
        }
        loads.set(loads.get() + 1);
        let img = rt.instance(&image)?;
        img.setattr("path", &key)?;
        img.setattr("pixels", &rt.bytes(&vec![0u8; 64 * 1024])?)?;
        cache.set(&key, &img)?;
        Ok(img)
    };

    let a = load("cat.png")?;
    let b = load("dog.png")?;
    let a_again = load("cat.png")?;
    println!("two users of cat.png share one object: {}", a.is(&a_again));
    println!(
        "cache holds {} entries; decoded {} images",
        cache.len()?,
        loads.get()
    );
    println!("heap in use: {} KiB", rt.heap_bytes_in_use() / 1024);

    drop(b);
    println!("\ndropped the only user of dog.png:");
    println!(
        "cache holds {} entries (dog.png vanished at once)",
        cache.len()?
    );
    println!("heap in use: {} KiB", rt.heap_bytes_in_use() / 1024);

    drop(a);
    println!("\ndropped one of two users of cat.png:");
    println!("cache holds {} entries (cat.png still used)", cache.len()?);
    drop(a_again);
    println!("dropped the last user of cat.png:");
    println!("cache holds {} entries", cache.len()?);
    println!("heap in use: {} KiB", rt.heap_bytes_in_use() / 1024);

    let _c = load("cat.png")?;
    println!(
        "\nloading cat.png again decodes it again: {} decodes in all",
        loads.get()
    );
    Ok(())
}
