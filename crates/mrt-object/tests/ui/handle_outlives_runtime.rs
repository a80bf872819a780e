// A handle cannot outlive the runtime it belongs to.
use mrt_object::Runtime;

fn main() {
    let escaped;
    {
        let rt = Runtime::new();
        escaped = rt.list().unwrap();
    }
    drop(escaped);
}
