// A runtime is !Send: one runtime per thread.
use mrt_object::Runtime;

fn main() {
    let rt = Runtime::new();
    std::thread::spawn(move || drop(rt));
}
