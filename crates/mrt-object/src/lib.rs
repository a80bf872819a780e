//! # mrt-object — the object model
//!
//! The only crate in the workspace that knows concrete object types (`list`,
//! `dict`, `str`, instances, weak references …). It allocates every object from
//! [`mrt_alloc`]'s heap and plugs its containers into the cycle collector of
//! [`mrt_gc`]. Dependency direction: `mrt-alloc <- mrt-gc <- mrt-object <- mrt`.
//!
//! ```text
//! Runtime (one isolated heap; !Send, !Sync)
//!   └── Obj<'rt>  strong handle: Clone = incref, Drop = decref (free at zero,
//!                 children first, through a worklist: never recursive)
//!         └── Value  one tagged word: None/bool/63-bit int inline, else the
//!                    address of an object (ObjHeader; GcHeader in front if GC-capable)
//! ```
//!
//! * Values that need no heap (None, bools, ints in 63 bits) cost nothing.
//! * Types: int, float, str (interning), bytes, tuple, list (CPython 3.11 growth),
//!   dict (insertion ordered, hashbrown index past 8 entries), set, instances of
//!   host classes ([`ClassSpec`]: slots, dict, finalizer, weakrefs), weak
//!   references with callbacks, and host data.
//! * Hashing and equality follow CPython 3.11 for built-ins ([`hash`]), never call
//!   host code, and never recurse.
//! * Host code (finalizers, weakref callbacks, host-data destructors) that panics
//!   leaves the runtime usable; the panic is reported by
//!   [`Runtime::take_unraisable`].
//! * Unsafe code lives only in the private `raw` module; the public API is safe
//!   whatever the sequence of calls (handles of another runtime are a `ValueError`).
//!
//! The layout of every object, the tracking rules and the reasons behind them are
//! in `docs/object_model.md`.
//!
//! ```
//! use mrt_object::Runtime;
//! let rt = Runtime::new();
//! let d = rt.dict().unwrap();
//! d.set_item(&rt.int(1).unwrap(), &rt.str("one").unwrap()).unwrap();
//! // 1 == 1.0 == True as keys, like Python.
//! assert_eq!(d.get_item(&rt.float(1.0).unwrap()).unwrap().as_str(), Some("one"));
//! assert_eq!(d.get_item(&rt.bool(true)).unwrap().as_str(), Some("one"));
//! assert!(d.get_item(&rt.list().unwrap()).is_err()); // TypeError: unhashable type: 'list'
//! ```

mod class;
mod dict;
pub mod error;
mod gc;
pub mod hash;
mod host;
mod instance;
mod iter;
mod kind;
mod list;
mod object;
pub mod observe;
mod raw;
mod repr;
mod runtime;
mod scalar;
mod set;
mod tuple;
pub mod value;
mod weakdict;
mod weakref;

pub use class::{ClassId, ClassSpec, Finalizer, MAX_SLOTS};
pub use error::{Error, Result};
pub use iter::{ItemsIter, Iter};
pub use kind::Kind;
pub use mrt_alloc;
pub use mrt_gc;
pub use observe::{AllocCounters, AllocObserver, LiveCount, TypeCount};
pub use raw::handle::Obj;
pub use runtime::{Callback, Runtime, RuntimeBuilder};
pub use value::{Decoded, Value};
pub use weakdict::{WeakKeyDict, WeakValueDict};
