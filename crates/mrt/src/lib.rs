//! # mrt — an embeddable object runtime with CPython's memory model
//!
//! The facade crate: it re-exports the layers below and will carry the
//! observability tools and the `mrt` command.
//!
//! ```text
//! mrt-alloc  <-  mrt-gc  <-  mrt-object  <-  mrt (this crate)
//! ```
//!
//! * [`alloc`] — the pymalloc-style small-object allocator ([`mrt_alloc`]).
//! * [`gc`] — the generational cycle collector ([`mrt_gc`]).
//! * [`object`] — the object model ([`mrt_object`]).

pub use mrt_alloc as alloc;
pub use mrt_gc as gc;
pub use mrt_object as object;

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

pub mod observe;
pub mod script;
