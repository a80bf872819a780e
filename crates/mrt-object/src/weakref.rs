//! Weak references, CPython semantics: tracked objects; the callback-less ref of
//! an object is shared; callbacks run once when the referent dies (by refcount or
//! in a collection), newest first after the basic ref.

use crate::error::Result;
use crate::raw::handle::Obj;
use crate::raw::weakref;
use crate::runtime::Runtime;
use std::rc::Rc;

impl Runtime {
    /// `weakref.ref(o)`: the shared callback-less weak reference to `o`
    /// (`TypeError` for objects that do not support weak references: lists, dicts,
    /// tuples, atoms, instances of classes without weakref support).
    pub fn weakref<'rt>(&'rt self, o: &Obj<'rt>) -> Result<Obj<'rt>> {
        self.check_owned(o)?;
        weakref::new_weakref(o, None)
    }

    /// `weakref.ref(o, callback)`: a new weak reference whose callback is called
    /// once, with the dead weak reference, when `o` dies. A panic in the callback is
    /// caught and reported through [`Runtime::take_unraisable`].
    pub fn weakref_with_callback<'rt>(
        &'rt self,
        o: &Obj<'rt>,
        callback: impl Fn(&Obj<'_>) + 'static,
    ) -> Result<Obj<'rt>> {
        self.check_owned(o)?;
        weakref::new_weakref(o, Some(Rc::new(callback)))
    }

    /// `weakref.getweakrefcount(o)`.
    pub fn weakref_count(&self, o: &Obj<'_>) -> usize {
        weakref::count(o)
    }
}

impl<'rt> Obj<'rt> {
    /// `wr()`: the referent while it is alive (`None` for non-weakrefs too).
    pub fn upgrade(&self) -> Option<Obj<'rt>> {
        weakref::upgrade(self)
    }

    /// Whether this is a weak reference whose referent is alive.
    pub fn is_alive(&self) -> bool {
        self.upgrade().is_some()
    }

    /// Whether this is a weak reference.
    pub fn is_weakref(&self) -> bool {
        weakref::is_weakref(self)
    }
}
