//! `tuple`: immutable, fixed size, items inline.

use crate::error::Result;
use crate::raw::handle::Obj;
use crate::raw::tuple;
use crate::runtime::Runtime;

impl Runtime {
    /// A new tuple (tracked at creation like CPython's; a collection untracks it
    /// once it holds only untracked objects).
    pub fn tuple<'rt>(&'rt self, items: &[&Obj<'rt>]) -> Result<Obj<'rt>> {
        tuple::new_tuple(self, items)
    }
}
