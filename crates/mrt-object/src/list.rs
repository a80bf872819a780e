//! `list`: a growable sequence that over-allocates like CPython 3.11
//! (`raw::list` holds the storage code).

use crate::error::{Error, Result, Thin, thin, unthin};
use crate::kind::Kind;
use crate::raw::handle::Obj;
use crate::raw::list;
use crate::runtime::Runtime;

impl Runtime {
    /// A new empty list (tracked; 32 bytes, no buffer until the first append).
    #[inline]
    pub fn list(&self) -> Result<Obj<'_>> {
        unthin(list_thin(self))
    }

    /// A new list holding `items`, its buffer sized exactly (like `[a, b]` in CPython).
    #[inline]
    pub fn list_from<'rt>(&'rt self, items: &[&Obj<'rt>]) -> Result<Obj<'rt>> {
        unthin(list_from_thin(self, items))
    }
}

// Out of line, returning in registers: see `Thin`.
#[inline(never)]
fn list_thin(rt: &Runtime) -> Thin<Obj<'_>> {
    thin(list::new_list(rt))
}

#[inline(never)]
fn list_from_thin<'rt>(rt: &'rt Runtime, items: &[&Obj<'rt>]) -> Thin<Obj<'rt>> {
    thin(list::new_list_from(rt, items))
}

impl<'rt> Obj<'rt> {
    fn expect_list(&self, method: &str) -> Result<()> {
        if self.kind() == Some(Kind::List) {
            Ok(())
        } else {
            Err(Error::TypeError(format!(
                "'{}' object has no attribute '{method}'",
                self.type_name()
            )))
        }
    }

    /// `l.append(x)`.
    pub fn append(&self, x: &Obj<'_>) -> Result<()> {
        self.expect_list("append")?;
        list::append(self, x)
    }

    /// `l.insert(i, x)` (`i` clamped like Python's).
    pub fn insert(&self, i: isize, x: &Obj<'_>) -> Result<()> {
        self.expect_list("insert")?;
        list::insert(self, i, x)
    }

    /// `l.pop()`.
    #[inline]
    pub fn pop(&self) -> Result<Obj<'rt>> {
        self.pop_at(-1)
    }

    /// `l.pop(i)`.
    #[inline]
    pub fn pop_at(&self, i: isize) -> Result<Obj<'rt>> {
        unthin(self.pop_at_thin(i))
    }

    // Out of line, returning in registers: see `Thin`.
    #[inline(never)]
    fn pop_at_thin(&self, i: isize) -> Thin<Obj<'rt>> {
        thin(self.pop_at_impl(i))
    }

    #[inline]
    fn pop_at_impl(&self, i: isize) -> Result<Obj<'rt>> {
        self.expect_list("pop")?;
        list::pop(self, i)
    }

    /// `l[i] = x` (negative indices count from the end).
    pub fn set(&self, i: isize, x: &Obj<'_>) -> Result<()> {
        self.expect_list("__setitem__")?;
        list::set(self, i, x)
    }

    /// `l[start:stop]` as a new list (Python's clamping; step 1).
    #[inline]
    pub fn slice(&self, start: isize, stop: isize) -> Result<Obj<'rt>> {
        unthin(self.slice_thin(start, stop))
    }

    // Out of line, returning in registers: see `Thin`.
    #[inline(never)]
    fn slice_thin(&self, start: isize, stop: isize) -> Thin<Obj<'rt>> {
        thin(self.slice_impl(start, stop))
    }

    #[inline]
    fn slice_impl(&self, start: isize, stop: isize) -> Result<Obj<'rt>> {
        self.expect_list("__getitem__")?;
        let n = list::len(self)? as isize;
        let clamp = |i: isize| -> usize {
            let i = if i < 0 { i + n } else { i };
            i.clamp(0, n) as usize
        };
        let (a, b) = (clamp(start), clamp(stop));
        list::slice(self, a, b.max(a))
    }

    /// Allocated capacity of a list's buffer (for observing the growth pattern).
    pub fn list_capacity(&self) -> Result<usize> {
        self.expect_list("__len__")?;
        list::capacity(self)
    }
}
