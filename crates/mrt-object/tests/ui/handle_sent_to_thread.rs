// Handles are !Send: they cannot move to another thread.
use mrt_object::Runtime;

fn main() {
    let rt = Runtime::new();
    let l = rt.list().unwrap();
    std::thread::scope(|s| {
        s.spawn(move || drop(l));
    });
}
