//! Iteration over lists, tuples, dicts (keys or items), sets and host data.
//!
//! An iterator holds a strong reference to its container and a position, and
//! re-reads the container at every step, so mutating a container while iterating
//! is never undefined behaviour. Lists and tuples behave like Python's (index
//! based); a dict or set whose key set changes ends the iteration (Python raises
//! `RuntimeError: dictionary changed size during iteration`; check
//! [`Iter::was_mutated`]).

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::raw::handle::Obj;
use crate::raw::{list, table, tuple};

/// An iterator over a container's items (keys for dicts).
pub struct Iter<'rt> {
    container: Obj<'rt>,
    pos: usize,
    version: u32,
    mutated: bool,
}

impl<'rt> Iter<'rt> {
    /// Whether the iteration stopped because a dict or set changed.
    pub fn was_mutated(&self) -> bool {
        self.mutated
    }

    fn table_version(&self) -> Option<u32> {
        let k = self.container.kind()?;
        table::shape(&self.container, k).ok().map(|s| s.4)
    }

    /// The next `(key, value)` of a dict.
    fn next_entry(&mut self) -> Option<(Obj<'rt>, Obj<'rt>)> {
        let k = self.container.kind()?;
        if self.table_version() != Some(self.version) {
            self.mutated = true;
            return None;
        }
        let (i, key, value) = table::next_entry(&self.container, k, self.pos)?;
        self.pos = i + 1;
        Some((key, value))
    }
}

impl<'rt> Iterator for Iter<'rt> {
    type Item = Obj<'rt>;

    fn next(&mut self) -> Option<Obj<'rt>> {
        match self.container.kind()? {
            Kind::List | Kind::Host => {
                let x = list::get_opt(&self.container, self.pos)?;
                self.pos += 1;
                Some(x)
            }
            Kind::Tuple => {
                let x = tuple::get_opt(&self.container, self.pos)?;
                self.pos += 1;
                Some(x)
            }
            Kind::Dict | Kind::Set => self.next_entry().map(|(k, _)| k),
            _ => None,
        }
    }
}

/// An iterator over a dict's `(key, value)` pairs.
pub struct ItemsIter<'rt>(Iter<'rt>);

impl ItemsIter<'_> {
    /// Whether the iteration stopped because the dict changed.
    pub fn was_mutated(&self) -> bool {
        self.0.mutated
    }
}

impl<'rt> Iterator for ItemsIter<'rt> {
    type Item = (Obj<'rt>, Obj<'rt>);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_entry()
    }
}

impl<'rt> Obj<'rt> {
    /// `iter(o)` for list, tuple, dict (keys), set and host data (its references).
    pub fn iter(&self) -> Result<Iter<'rt>> {
        match self.kind() {
            Some(Kind::List | Kind::Tuple | Kind::Dict | Kind::Set | Kind::Host) => {
                let mut it = Iter {
                    container: self.clone(),
                    pos: 0,
                    version: 0,
                    mutated: false,
                };
                it.version = it.table_version().unwrap_or(0);
                Ok(it)
            }
            _ => Err(Error::TypeError(format!(
                "'{}' object is not iterable",
                self.type_name()
            ))),
        }
    }

    /// `iter(d.items())`.
    pub fn iter_items(&self) -> Result<ItemsIter<'rt>> {
        table::table_ptr(self, Kind::Dict, "items")?;
        Ok(ItemsIter(self.iter()?))
    }
}
