//! Exercises the allocator and prints its statistics (filled by the allocator work).
fn main() {}
