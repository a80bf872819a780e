//! # mrt-object — the object model
//!
//! The only crate in the workspace that knows concrete object types (`list`,
//! `dict`, `str`, instances, weak references …). It allocates objects from
//! [`mrt_alloc`] and plugs its containers into the cycle collector of
//! [`mrt_gc`]. Dependency direction: `mrt-alloc <- mrt-gc <- mrt-object <- mrt`.
//!
//! Built so far: Python's hashing rules bit-exact with CPython 3.11 ([`hash`]) and
//! the typed [`Error`]. The runtime, handles and types follow (see
//! `docs/object_model.md` for the planned layout).

pub mod error;
pub mod hash;
pub mod value;

pub use error::{Error, Result};
pub use mrt_alloc;
pub use mrt_gc;
pub use value::{Decoded, Value};
