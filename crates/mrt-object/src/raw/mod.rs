//! The unsafe layer: object memory, refcounts, and the per-kind storage code.
//! Everything above it (the public modules) is safe code over live handles.
//!
//! The contract every function here relies on: an [`Obj`](handle::Obj) owns one
//! reference to a live object of its runtime, so holding one proves liveness.
#![allow(unsafe_code)]

pub(crate) mod atom;
pub(crate) mod compare;
pub(crate) mod dealloc;
pub(crate) mod gc_host;
pub(crate) mod gc_link;
pub(crate) mod handle;
pub(crate) mod host;
pub(crate) mod instance;
pub(crate) mod list;
pub(crate) mod mem;
pub(crate) mod object;
pub(crate) mod observe_hooks;
pub(crate) mod roots;
pub(crate) mod table;
pub(crate) mod tuple;
pub(crate) mod weakref;
