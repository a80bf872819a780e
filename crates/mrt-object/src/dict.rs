//! `dict`: insertion ordered; keys are hashable built-ins or instances (by
//! identity); `raw::table` holds the storage code.

use crate::error::{Error, Result, Thin, thin, unthin};
use crate::kind::Kind;
use crate::raw::handle::Obj;
use crate::raw::table;
use crate::runtime::Runtime;

impl Runtime {
    /// A new empty dict (untracked until it stores something that may be tracked,
    /// like CPython's).
    #[inline]
    pub fn dict(&self) -> Result<Obj<'_>> {
        unthin(dict_thin(self))
    }
}

// Out of line, returning in registers: see `Thin`.
#[inline(never)]
fn dict_thin(rt: &Runtime) -> Thin<Obj<'_>> {
    thin(table::new_table(rt, Kind::Dict))
}

fn key_error(key: &Obj<'_>) -> Error {
    Error::KeyError(key.repr())
}

impl<'rt> Obj<'rt> {
    /// `d[key]` (`KeyError` when absent, `TypeError` when unhashable).
    #[inline]
    pub fn get_item(&self, key: &Obj<'_>) -> Result<Obj<'rt>> {
        unthin(self.get_item_thin(key))
    }

    // Out of line, returning in registers: see `Thin`.
    #[inline(never)]
    fn get_item_thin(&self, key: &Obj<'_>) -> Thin<Obj<'rt>> {
        thin(self.get_item_impl(key))
    }

    #[inline]
    fn get_item_impl(&self, key: &Obj<'_>) -> Result<Obj<'rt>> {
        table::get(self, Kind::Dict, key)?.ok_or_else(|| key_error(key))
    }

    /// `d.get(key)`: `Ok(None)` when absent.
    pub fn get_opt(&self, key: &Obj<'_>) -> Result<Option<Obj<'rt>>> {
        table::get(self, Kind::Dict, key)
    }

    /// `d[key] = value`.
    pub fn set_item(&self, key: &Obj<'_>, value: &Obj<'_>) -> Result<()> {
        table::set(self, Kind::Dict, key, value)
    }

    /// `del d[key]` (`KeyError` when absent).
    pub fn del_item(&self, key: &Obj<'_>) -> Result<()> {
        match table::remove(self, Kind::Dict, key)? {
            Some(_) => Ok(()),
            None => Err(key_error(key)),
        }
    }

    /// `d.pop(key, None)`: the removed value, or `None` when absent.
    pub fn pop_item(&self, key: &Obj<'_>) -> Result<Option<Obj<'rt>>> {
        Ok(table::remove(self, Kind::Dict, key)?.map(|(_, v)| v))
    }

    /// `list(d.keys())` (a snapshot).
    pub fn keys(&self) -> Result<Vec<Obj<'rt>>> {
        Ok(self.items()?.into_iter().map(|(k, _)| k).collect())
    }

    /// `list(d.values())` (a snapshot).
    pub fn values(&self) -> Result<Vec<Obj<'rt>>> {
        Ok(self.items()?.into_iter().map(|(_, v)| v).collect())
    }

    /// `list(d.items())` (a snapshot, in insertion order).
    pub fn items(&self) -> Result<Vec<(Obj<'rt>, Obj<'rt>)>> {
        table::table_ptr(self, Kind::Dict, "items")?;
        let mut out = Vec::with_capacity(table::len(self, Kind::Dict)?);
        let mut pos = 0;
        while let Some((i, k, v)) = table::next_entry(self, Kind::Dict, pos) {
            out.push((k, v));
            pos = i + 1;
        }
        Ok(out)
    }

    /// Remove the slack deleted entries leave (CPython keeps it until the next
    /// resize): entries are packed and the vector shrunk to fit. Dicts and sets.
    pub fn compact(&self) -> Result<()> {
        match self.kind() {
            Some(k @ (Kind::Dict | Kind::Set)) => table::compact(self, k),
            _ => table::compact(self, Kind::Dict),
        }
    }

    /// `(len, used entries incl. deleted, allocated entries, has index)`: the shape
    /// of a dict's or set's storage.
    pub fn table_shape(&self) -> Result<(usize, usize, usize, bool)> {
        let k = match self.kind() {
            Some(Kind::Set) => Kind::Set,
            _ => Kind::Dict,
        };
        let (len, used, cap, index, _) = table::shape(self, k)?;
        Ok((len, used, cap, index))
    }

    /// `repr(o)` (shallow for containers).
    pub fn repr(&self) -> String {
        crate::repr::repr(self)
    }
}
