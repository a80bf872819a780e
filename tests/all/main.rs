//! The workspace's integration tests: one binary, one module per area.

mod alloc;
mod cli;
mod differential;
mod gc;
mod observe;
