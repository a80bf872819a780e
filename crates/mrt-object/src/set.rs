//! `set`: the dict table with `None` values (same hashing rules as dict keys).

use crate::error::{Error, Result, Thin, thin, unthin};
use crate::kind::Kind;
use crate::raw::handle::Obj;
use crate::raw::table;
use crate::runtime::Runtime;

impl Runtime {
    /// A new empty set (tracked, like CPython's).
    #[inline]
    pub fn set(&self) -> Result<Obj<'_>> {
        unthin(set_thin(self))
    }
}

// Out of line, returning in registers: see `Thin`.
#[inline(never)]
fn set_thin(rt: &Runtime) -> Thin<Obj<'_>> {
    thin(table::new_table(rt, Kind::Set))
}

impl<'rt> Obj<'rt> {
    /// `s.add(x)`.
    pub fn add(&self, x: &Obj<'_>) -> Result<()> {
        let none = self.runtime().none();
        table::set(self, Kind::Set, x, &none)
    }

    /// `s.discard(x)`: whether it was present.
    pub fn discard(&self, x: &Obj<'_>) -> Result<bool> {
        Ok(table::remove(self, Kind::Set, x)?.is_some())
    }

    /// `s.remove(x)` (`KeyError` when absent).
    pub fn remove(&self, x: &Obj<'_>) -> Result<()> {
        if self.discard(x)? {
            Ok(())
        } else {
            Err(Error::KeyError(x.repr()))
        }
    }
}
