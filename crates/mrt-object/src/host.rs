//! Host data: an opaque Rust value placed in the object graph, with a vector of
//! references to runtime objects that the runtime manages (so the collector can
//! traverse it exactly; a host-written traverse that reported a reference it does not
//! own could free a live object, which a safe API must not allow).

use crate::error::{Error, Result, Thin, thin, unthin};
use crate::kind::Kind;
use crate::raw::handle::Obj;
use crate::raw::{host, list};
use crate::runtime::Runtime;
use std::any::Any;

impl Runtime {
    /// New host data holding `value` (always tracked). `value` is dropped when the
    /// object is freed; a panic in its destructor is caught and reported through
    /// [`Runtime::take_unraisable`].
    pub fn host<T: Any>(&self, value: T) -> Result<Obj<'_>> {
        host::new_host(self, Box::new(value))
    }
}

impl<'rt> Obj<'rt> {
    /// The Rust value of host data, if it is a `T`. Shared access only (use interior
    /// mutability for state that changes).
    pub fn host_value<T: Any>(&self) -> Option<&T> {
        host::payload(self)?.downcast_ref::<T>()
    }

    fn expect_host(&self) -> Result<()> {
        if self.kind() == Some(Kind::Host) {
            Ok(())
        } else {
            Err(Error::TypeError(format!(
                "'{}' object is not host data",
                self.type_name()
            )))
        }
    }

    /// Add a reference from host data to `x`.
    pub fn host_push(&self, x: &Obj<'_>) -> Result<()> {
        self.expect_host()?;
        list::append(self, x)
    }

    /// Reference `i` of host data.
    #[inline]
    pub fn host_ref(&self, i: isize) -> Result<Obj<'rt>> {
        unthin(self.host_ref_thin(i))
    }

    // Out of line, returning in registers: see `Thin`.
    #[inline(never)]
    fn host_ref_thin(&self, i: isize) -> Thin<Obj<'rt>> {
        thin(self.host_ref_impl(i))
    }

    #[inline]
    fn host_ref_impl(&self, i: isize) -> Result<Obj<'rt>> {
        self.expect_host()?;
        list::get(self, i)
    }

    /// Replace reference `i` of host data.
    pub fn host_set(&self, i: isize, x: &Obj<'_>) -> Result<()> {
        self.expect_host()?;
        list::set(self, i, x)
    }

    /// Remove and return reference `i` of host data.
    #[inline]
    pub fn host_remove(&self, i: isize) -> Result<Obj<'rt>> {
        unthin(self.host_remove_thin(i))
    }

    // Out of line, returning in registers: see `Thin`.
    #[inline(never)]
    fn host_remove_thin(&self, i: isize) -> Thin<Obj<'rt>> {
        thin(self.host_remove_impl(i))
    }

    #[inline]
    fn host_remove_impl(&self, i: isize) -> Result<Obj<'rt>> {
        self.expect_host()?;
        list::pop(self, i)
    }

    /// Drop every reference host data holds.
    pub fn host_clear(&self) -> Result<()> {
        self.expect_host()?;
        list::clear(self)
    }
}
