// A runtime is !Sync: handles cannot be created from two threads at once.
use mrt_object::Runtime;

fn main() {
    let rt = Runtime::new();
    std::thread::scope(|s| {
        s.spawn(|| drop(rt.list()));
    });
}
