// A function cannot hand out a handle to a runtime it created and drops.
use mrt_object::{Obj, Runtime};

fn make() -> Obj<'static> {
    let rt = Runtime::new();
    rt.list().unwrap()
}

fn main() {
    drop(make());
}
