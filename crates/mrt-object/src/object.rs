//! Operations every value supports, dispatching on its kind: `len`, indexing,
//! `in`, `==`, `hash`, `is`, `clear`, type names.

use crate::error::{Error, Result, Thin, thin, unthin};
use crate::kind::Kind;
use crate::raw::handle::Obj;
use crate::raw::{compare, list, table, tuple};

impl<'rt> Obj<'rt> {
    /// The Python type name (`"int"`, `"list"`, an instance's class name …).
    pub fn type_name(&self) -> String {
        crate::repr::type_name(self)
    }

    /// `len(o)` for str, bytes, tuple, list, dict, set and host data (its references).
    pub fn len(&self) -> Result<usize> {
        match self.kind() {
            Some(Kind::List | Kind::Host) => list::len(self),
            Some(Kind::Tuple) => Ok(tuple::len(self).unwrap_or(0)),
            Some(k @ (Kind::Dict | Kind::Set)) => table::len(self, k),
            Some(Kind::Str) => Ok(self.as_str().map_or(0, |s| s.chars().count())),
            Some(Kind::Bytes) => Ok(self.as_bytes().map_or(0, <[u8]>::len)),
            _ => Err(Error::TypeError(format!(
                "object of type '{}' has no len()",
                self.type_name()
            ))),
        }
    }

    /// `len(o) == 0` (errors as [`Obj::len`]).
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// `o[i]` for lists and tuples (negative indices count from the end).
    #[inline]
    pub fn get(&self, i: isize) -> Result<Obj<'rt>> {
        match list::get_fast(self, i) {
            Some(x) => Ok(x),
            None => unthin(self.get_thin(i)),
        }
    }

    // Out of line, returning in registers: see `Thin`.
    #[inline(never)]
    fn get_thin(&self, i: isize) -> Thin<Obj<'rt>> {
        thin(self.get_impl(i))
    }

    #[inline]
    fn get_impl(&self, i: isize) -> Result<Obj<'rt>> {
        match self.kind() {
            Some(Kind::List) => list::get(self, i),
            Some(Kind::Tuple) => {
                let n = tuple::len(self).unwrap_or(0) as isize;
                let j = if i < 0 { i + n } else { i };
                if j < 0 {
                    return Err(Error::IndexError("tuple index out of range".into()));
                }
                tuple::get_opt(self, j as usize)
                    .ok_or_else(|| Error::IndexError("tuple index out of range".into()))
            }
            _ => Err(Error::TypeError(format!(
                "'{}' object is not subscriptable by index",
                self.type_name()
            ))),
        }
    }

    /// `x in o` for dicts (keys), sets, lists and tuples (by `==`).
    pub fn contains(&self, x: &Obj<'_>) -> Result<bool> {
        self.check_same_runtime(x)?;
        match self.kind() {
            Some(k @ (Kind::Dict | Kind::Set)) => Ok(table::get(self, k, x)?.is_some()),
            Some(Kind::List | Kind::Tuple) => {
                for item in self.iter()? {
                    if compare::eq_obj(&item, x)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => Err(Error::TypeError(format!(
                "argument of type '{}' is not iterable",
                self.type_name()
            ))),
        }
    }

    /// `o.clear()` for lists, dicts and sets.
    pub fn clear(&self) -> Result<()> {
        match self.kind() {
            Some(Kind::List) => list::clear(self),
            Some(k @ (Kind::Dict | Kind::Set)) => table::clear(self, k),
            _ => Err(Error::TypeError(format!(
                "'{}' object has no attribute 'clear'",
                self.type_name()
            ))),
        }
    }

    /// `a == b` with Python's rules for built-ins (`1 == 1.0 == True`, containers
    /// structurally); instances and host data compare by identity.
    pub fn eq(&self, other: &Obj<'_>) -> Result<bool> {
        compare::eq_obj(self, other)
    }

    /// `hash(o)`: CPython 3.11's values for numbers and tuples; identity for
    /// instances; `TypeError` for list, dict and set.
    pub fn hash(&self) -> Result<i64> {
        compare::hash_obj(self)
    }

    /// `a is b`.
    pub fn is(&self, other: &Obj<'_>) -> bool {
        std::ptr::eq(self.runtime(), other.runtime()) && self.value() == other.value()
    }

    /// `id(o)`: the object's address (the tagged word for inline values).
    pub fn id(&self) -> usize {
        self.value().heap_addr().unwrap_or(self.value().to_bits())
    }
}
