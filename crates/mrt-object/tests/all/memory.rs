//! Bytes per object, read from the allocator's statistics (CPython 3.11 for
//! comparison: empty list 56, dict with one item 184, two-slot instance 48, float 24).

use mrt_object::{ClassSpec, Runtime};

fn cost<'rt>(rt: &'rt Runtime, make: impl Fn() -> Vec<mrt_object::Obj<'rt>>) -> usize {
    let before = rt.heap_bytes_in_use();
    let objs = make();
    let after = rt.heap_bytes_in_use();
    drop(objs);
    after - before
}

#[test]
fn bytes_per_object_meet_the_targets() {
    let rt = Runtime::builder().gc_disabled().build();
    let n = 1000;
    let list = cost(&rt, || (0..n).map(|_| rt.list().unwrap()).collect()) / n;
    let dict1 = cost(&rt, || {
        (0..n)
            .map(|i| {
                let d = rt.dict().unwrap();
                d.set_item(&rt.int(i as i64).unwrap(), &rt.none()).unwrap();
                d
            })
            .collect()
    }) / n;
    let c = rt
        .define_class(ClassSpec::new("P").slots(&["x", "y"]))
        .unwrap();
    let inst = cost(&rt, || {
        (0..n)
            .map(|_| {
                let p = rt.instance(&c).unwrap();
                p.setattr("x", &rt.int(1).unwrap()).unwrap();
                p.setattr("y", &rt.int(2).unwrap()).unwrap();
                p
            })
            .collect()
    }) / n;
    let float = cost(&rt, || {
        (0..n).map(|i| rt.float(i as f64).unwrap()).collect()
    }) / n;
    let inline = cost(&rt, || {
        (0..n)
            .flat_map(|i| [rt.int(i as i64).unwrap(), rt.none(), rt.bool(true)])
            .collect()
    });
    eprintln!(
        "bytes: list {list}, dict{{1}} {dict1}, 2-slot instance {inst}, float {float}, inline {inline}"
    );
    assert!(list <= 40, "empty list {list} B");
    assert!(dict1 <= 120, "dict with one item {dict1} B");
    // 16 (GcHeader) + 8 (ObjHeader) + 2 * 8 = 40 bytes requested; the allocator's
    // 16-byte size classes make that a 48-byte block (CPython 3.11: 48 too).
    assert!(inst <= 48, "two-slot instance {inst} B");
    assert!(float <= 16, "float {float} B");
    assert_eq!(inline, 0);
}
