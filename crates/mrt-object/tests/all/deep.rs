//! Deallocation and collection never recurse (design §5).

use mrt_object::Runtime;

#[test]
fn a_ten_million_deep_nested_list_is_freed_without_stack_overflow() {
    let rt = Runtime::builder().gc_disabled().build();
    let root = rt.list().unwrap();
    let mut cur = root.clone();
    for _ in 0..10_000_000 {
        let inner = rt.list().unwrap();
        cur.append(&inner).unwrap();
        cur = inner;
    }
    drop(cur);
    drop(root);
    assert_eq!(rt.heap_bytes_in_use(), 0);
}

#[test]
fn a_deep_nested_cycle_is_collected_without_stack_overflow() {
    let rt = Runtime::builder().gc_disabled().build();
    let root = rt.list().unwrap();
    let mut cur = root.clone();
    for _ in 0..1_000_000 {
        let inner = rt.list().unwrap();
        cur.append(&inner).unwrap();
        cur = inner;
    }
    cur.append(&root).unwrap();
    drop(cur);
    drop(root);
    assert_eq!(rt.collect(), 1_000_001);
    assert_eq!(rt.heap_bytes_in_use(), 0);
}
