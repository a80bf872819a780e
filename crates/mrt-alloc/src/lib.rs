//! mrt-alloc: placeholder crate root, replaced by the allocator implementation.
mod scratch;
pub use scratch::ScratchArena;
