//! Integration tests of mrt-object, one module per area.
#![allow(missing_docs)]

mod deep;
mod dict;
mod gc;
mod hashing;
mod instance;
mod list;
mod memory;
mod reachability;
mod runtime;
mod scalar;
mod set;
mod threads;
mod tuple;
mod unwind;
mod weakdict;
mod weakref;
