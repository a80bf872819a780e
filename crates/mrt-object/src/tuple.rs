//! `tuple`: immutable, fixed size, items inline.

use crate::error::{Result, Thin, thin, unthin};
use crate::raw::handle::Obj;
use crate::raw::tuple;
use crate::runtime::Runtime;

impl Runtime {
    /// A new tuple (tracked at creation like CPython's; a collection untracks it
    /// once it holds only untracked objects).
    #[inline]
    pub fn tuple<'rt>(&'rt self, items: &[&Obj<'rt>]) -> Result<Obj<'rt>> {
        unthin(tuple_thin(self, items))
    }
}

// Out of line, returning in registers: see `Thin`.
#[inline(never)]
fn tuple_thin<'rt>(rt: &'rt Runtime, items: &[&Obj<'rt>]) -> Thin<Obj<'rt>> {
    thin(tuple::new_tuple(rt, items))
}
