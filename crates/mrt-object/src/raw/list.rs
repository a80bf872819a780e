//! List storage: a separately allocated buffer grown like CPython 3.11's
//! `list_resize` (docs/object_model.md §3).
//!
//! Every function takes a live handle, so the list is live; a function finishes its
//! structural change before it drops a reference (a drop may run a finalizer that
//! mutates the same list).
#![allow(unsafe_code)]

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::raw::handle::Obj;
use crate::raw::object::{self, ListObj};
use crate::raw::gc_link;
use crate::runtime::Runtime;
use crate::value::Value;
use std::ptr::{self, NonNull};

/// Largest list length (lengths are stored as `u32`).
pub(crate) const MAX_LEN: usize = u32::MAX as usize;

/// The list struct of a handle (a list, or the reference vector of host data), or a
/// `TypeError` naming the method.
#[inline]
fn list_ptr(l: &Obj<'_>, method: &str) -> Result<*mut ListObj> {
    if matches!(l.kind(), Some(Kind::List | Kind::Host)) {
        Ok(object::payload::<ListObj>(l.value()))
    } else {
        Err(Error::TypeError(format!(
            "'{}' object has no attribute '{method}'",
            crate::repr::type_name(l)
        )))
    }
}

/// A new empty, tracked list.
pub(crate) fn new_list(rt: &Runtime) -> Result<Obj<'_>> {
    gc_link::on_alloc(rt, object::GC_HEAD + size_of::<ListObj>());
    let v = object::alloc_object(rt, Kind::List, size_of::<ListObj>(), 0)?;
    let p = object::payload::<ListObj>(v);
    // SAFETY: fresh allocation of a ListObj; header initialised by alloc_object.
    unsafe {
        (*p).items = ptr::null_mut();
        (*p).len = 0;
        (*p).cap = 0;
        gc_link::track(rt, v);
        Ok(Obj::from_owned(rt, v))
    }
}

/// CPython 3.11 `list_resize`: make room for `newsize` items (the length is not
/// changed here). Over-allocates proportionally on growth and gives memory back when
/// the list shrinks below half its allocation.
///
/// # Safety
/// `p` is a live list of `rt`; `newsize >= (*p).len` when growing.
unsafe fn resize(rt: &Runtime, p: *mut ListObj, newsize: usize) -> Result<()> {
    // SAFETY: live list (caller).
    let (items, len, allocated) = unsafe { ((*p).items, (*p).len as usize, (*p).cap as usize) };
    if allocated >= newsize && newsize >= (allocated >> 1) {
        return Ok(());
    }
    if newsize > MAX_LEN {
        return Err(Error::MemoryError("list too long".into()));
    }
    let mut new_allocated = (newsize + (newsize >> 3) + 6) & !3;
    if newsize.saturating_sub(len) > new_allocated - newsize {
        new_allocated = (newsize + 3) & !3;
    }
    if newsize == 0 {
        new_allocated = 0;
    }
    let new_allocated = new_allocated.min(MAX_LEN);
    let new_items = match NonNull::new(items) {
        None if new_allocated == 0 => ptr::null_mut(),
        None => rt.inner.mem.try_alloc(new_allocated * 8)?.as_ptr().cast(),
        Some(old) if new_allocated == 0 => {
            // SAFETY: the buffer was allocated with `allocated * 8` bytes.
            unsafe { rt.inner.mem.free(old.cast(), allocated * 8) };
            ptr::null_mut()
        }
        Some(old) => {
            // SAFETY: as above; on error the old buffer is intact.
            unsafe {
                rt.inner
                    .mem
                    .try_realloc(old.cast(), allocated * 8, new_allocated * 8)?
            }
            .as_ptr()
            .cast()
        }
    };
    // SAFETY: live list; the new buffer holds `new_allocated` values, the first `len`
    // (or `newsize`, when shrinking the caller already moved them out) copied.
    unsafe {
        (*p).items = new_items;
        (*p).cap = new_allocated as u32;
    }
    Ok(())
}

/// `len(l)`.
pub(crate) fn len(l: &Obj<'_>) -> Result<usize> {
    let p = list_ptr(l, "__len__")?;
    // SAFETY: live list.
    Ok(unsafe { (*p).len as usize })
}

/// Allocated capacity (for tests of the growth pattern).
pub(crate) fn capacity(l: &Obj<'_>) -> Result<usize> {
    let p = list_ptr(l, "__len__")?;
    // SAFETY: live list.
    Ok(unsafe { (*p).cap as usize })
}

/// `l.append(x)`.
pub(crate) fn append(l: &Obj<'_>, x: &Obj<'_>) -> Result<()> {
    l.check_same_runtime(x)?;
    let p = list_ptr(l, "append")?;
    // SAFETY: live list; after `resize` the buffer has room for `len + 1` items.
    unsafe {
        let n = (*p).len as usize;
        resize(l.runtime(), p, n + 1)?;
        object::incref(x.value());
        (*p).items.add(n).write(x.value());
        (*p).len = (n + 1) as u32;
    }
    Ok(())
}

/// `l.insert(i, x)` with Python's clamping of `i`.
pub(crate) fn insert(l: &Obj<'_>, i: isize, x: &Obj<'_>) -> Result<()> {
    l.check_same_runtime(x)?;
    let p = list_ptr(l, "insert")?;
    // SAFETY: live list; after `resize` the buffer has room for `n + 1` items and the
    // move stays inside it.
    unsafe {
        let n = (*p).len as usize;
        let at = if i < 0 {
            (n as isize + i).max(0) as usize
        } else {
            (i as usize).min(n)
        };
        resize(l.runtime(), p, n + 1)?;
        let items = (*p).items;
        ptr::copy(items.add(at), items.add(at + 1), n - at);
        object::incref(x.value());
        items.add(at).write(x.value());
        (*p).len = (n + 1) as u32;
    }
    Ok(())
}

/// Normalise a Python index against `n`.
fn index(i: isize, n: usize, what: &str) -> Result<usize> {
    let j = if i < 0 { i + n as isize } else { i };
    if j < 0 || j as usize >= n {
        Err(Error::IndexError(format!("{what} index out of range")))
    } else {
        Ok(j as usize)
    }
}

/// `l[i]`.
pub(crate) fn get<'rt>(l: &Obj<'rt>, i: isize) -> Result<Obj<'rt>> {
    let p = list_ptr(l, "__getitem__")?;
    // SAFETY: live list; `j < len`.
    unsafe {
        let j = index(i, (*p).len as usize, "list")?;
        Ok(Obj::from_borrowed(l.runtime(), *(*p).items.add(j)))
    }
}

/// Item `i` (0-based, no negative indexing) if it exists: the iterator's step.
pub(crate) fn get_opt<'rt>(l: &Obj<'rt>, i: usize) -> Option<Obj<'rt>> {
    let p = list_ptr(l, "__iter__").ok()?;
    // SAFETY: live list; bounds checked against the current length.
    unsafe { (i < (*p).len as usize).then(|| Obj::from_borrowed(l.runtime(), *(*p).items.add(i))) }
}

/// `l[i] = x`.
pub(crate) fn set(l: &Obj<'_>, i: isize, x: &Obj<'_>) -> Result<()> {
    l.check_same_runtime(x)?;
    let p = list_ptr(l, "__setitem__")?;
    // SAFETY: live list; `j < len`; the old value is released after the store.
    unsafe {
        let j = index(i, (*p).len as usize, "list assignment")?;
        object::incref(x.value());
        let old = std::mem::replace(&mut *(*p).items.add(j), x.value());
        object::decref(l.runtime(), old);
    }
    Ok(())
}

/// `l.pop(i)`.
pub(crate) fn pop<'rt>(l: &Obj<'rt>, i: isize) -> Result<Obj<'rt>> {
    let p = list_ptr(l, "pop")?;
    // SAFETY: live list; `j < n`; the taken reference moves into the handle.
    unsafe {
        let n = (*p).len as usize;
        if n == 0 {
            return Err(Error::IndexError("pop from empty list".into()));
        }
        let j = index(i, n, "pop")?;
        let items = (*p).items;
        let v = items.add(j).read();
        ptr::copy(items.add(j + 1), items.add(j), n - j - 1);
        (*p).len = (n - 1) as u32;
        let out = Obj::from_owned(l.runtime(), v);
        // Shrinking can only fail to *reallocate*; keep the larger buffer then.
        let _ = resize(l.runtime(), p, n - 1);
        Ok(out)
    }
}

/// Detach the buffer (the list becomes empty) and release the items.
pub(crate) fn clear(l: &Obj<'_>) -> Result<()> {
    list_ptr(l, "clear")?;
    // SAFETY: live list.
    unsafe { clear_raw(l.runtime(), l.value()) };
    Ok(())
}

/// Empty a list and release its items (dealloc and `tp_clear`).
///
/// # Safety
/// `v` is a live list of `rt` (its refcount may be zero during deallocation).
pub(crate) unsafe fn clear_raw(rt: &Runtime, v: Value) {
    let p = object::payload::<ListObj>(v);
    // SAFETY: live list; the buffer is detached before any reference is dropped, so
    // code run by a drop sees an empty list.
    unsafe {
        let (items, len, cap) = ((*p).items, (*p).len as usize, (*p).cap as usize);
        (*p).items = ptr::null_mut();
        (*p).len = 0;
        (*p).cap = 0;
        if let Some(buf) = NonNull::new(items) {
            release_buffer(rt, buf, len, cap);
        }
    }
}

/// Drop `len` references from a detached buffer of `cap` values and free it.
///
/// # Safety
/// The buffer came from `rt`'s heap with `cap * 8` bytes, holds `len` owned values,
/// and is referenced from nowhere else.
pub(crate) unsafe fn release_buffer(rt: &Runtime, buf: NonNull<Value>, len: usize, cap: usize) {
    for i in 0..len {
        // SAFETY: `i < len` initialised, owned values.
        unsafe { object::decref(rt, buf.as_ptr().add(i).read()) };
    }
    // SAFETY: caller.
    unsafe { rt.inner.mem.free(buf.cast(), cap * 8) };
}

/// `l[start:stop]` (already clamped by the caller to `0 <= start <= stop`) as a new
/// list. Items past the current length are ignored.
pub(crate) fn slice<'rt>(l: &Obj<'rt>, start: usize, stop: usize) -> Result<Obj<'rt>> {
    list_ptr(l, "__getitem__")?;
    let out = new_list(l.runtime())?;
    let mut i = start;
    while i < stop {
        // Re-read the source on every step: `new_list` may have run a collection.
        match get_opt(l, i) {
            Some(x) => append(&out, &x)?,
            None => break,
        }
        i += 1;
    }
    Ok(out)
}

/// Call `f` on every item of a list (for `traverse`).
///
/// # Safety
/// `v` is a live list; `f` must not mutate the list.
pub(crate) unsafe fn for_each(v: Value, mut f: impl FnMut(Value)) {
    let p = object::payload::<ListObj>(v);
    // SAFETY: live list, `len` initialised items.
    unsafe {
        for i in 0..(*p).len as usize {
            f(*(*p).items.add(i));
        }
    }
}
