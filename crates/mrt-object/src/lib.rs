//! # mrt-object — the object model
//!
//! The only crate in the workspace that knows concrete object types (`list`,
//! `dict`, `str`, instances, weak references …). It allocates objects from
//! [`mrt_alloc`] and plugs its containers into the cycle collector of
//! [`mrt_gc`]. Dependency direction: `mrt-alloc <- mrt-gc <- mrt-object <- mrt`.
//!
//! The object model is being built (see the project's issue tracker); this crate
//! currently only fixes its place in the workspace.

pub use mrt_alloc;
pub use mrt_gc;
