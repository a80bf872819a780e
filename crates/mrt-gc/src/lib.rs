//! mrt-gc: placeholder crate root, replaced by the collector implementation.
