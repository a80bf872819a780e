//! List storage: a separately allocated buffer grown like CPython 3.11's
//! `list_resize` (docs/object_model.md §3).
//!
//! Every function takes a live handle, so the list is live; a function finishes its
//! structural change before it drops a reference (a drop may run a finalizer that
//! mutates the same list).
#![allow(unsafe_code)]

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::raw::gc_link;
use crate::raw::handle::Obj;
use crate::raw::object::{self, FLAG_GC_ITEMS, ListBuf, ListObj};
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

/// A new empty, tracked list (no buffer).
#[inline(always)]
pub(crate) fn new_list(rt: &Runtime) -> Result<Obj<'_>> {
    gc_link::on_alloc(rt, object::GC_HEAD + size_of::<ListObj>())?;
    let v = object::alloc_object(rt, Kind::List, size_of::<ListObj>(), 0)?;
    let p = object::payload::<ListObj>(v);
    // SAFETY: fresh allocation of a ListObj; header initialised by alloc_object.
    unsafe {
        (*p).buf = ptr::null_mut();
        gc_link::track(rt, v);
        Ok(Obj::from_owned(rt, v))
    }
}

/// A new tracked list holding `items` (each gets a reference), its buffer sized
/// exactly (CPython's `BUILD_LIST` / `PyList_New(n)`: no over-allocation).
pub(crate) fn new_list_from<'rt>(rt: &'rt Runtime, items: &[&Obj<'rt>]) -> Result<Obj<'rt>> {
    for x in items {
        rt.check_owned(x)?;
    }
    if items.len() > MAX_LEN {
        return Err(Error::MemoryError("list too long".into()));
    }
    let l = new_list(rt)?;
    if items.is_empty() {
        return Ok(l);
    }
    let n = items.len();
    let b = rt.inner.mem.try_alloc(buf_bytes(n))?.cast::<ListBuf>();
    // SAFETY: `b` is a fresh block with room for the header and `n` values; the list
    // is live and has no buffer yet.
    unsafe {
        b.as_ptr().write(ListBuf {
            len: n as u32,
            cap: n as u32,
        });
        let dst = b.as_ptr().add(1).cast::<Value>();
        for (i, x) in items.iter().enumerate() {
            note_item(rt, l.value(), x.value());
            object::incref(x.value());
            dst.add(i).write(x.value());
        }
        (*object::payload::<ListObj>(l.value())).buf = b.as_ptr();
    }
    Ok(l)
}

/// Record that `x` is about to be stored in the list `l`: a GC-capable item sets the
/// list's `FLAG_GC_ITEMS` (reads the value word only, never the item). When the
/// flag was clear, the list was a leaf for the collector (`GcHost::is_leaf`), so
/// the collector is told before the list can report an edge (contract 9).
///
/// # Safety
/// `l` is a live list or host object of `rt`.
#[inline(always)]
unsafe fn note_item(rt: &Runtime, l: Value, x: Value) {
    if x.gc_addr().is_some() {
        // SAFETY: live object of `rt` (caller).
        unsafe {
            let h = object::header(l);
            if (*h).flags & FLAG_GC_ITEMS == 0 {
                (*h).flags |= FLAG_GC_ITEMS;
                gc_link::unleaf(rt, l);
            }
        }
    }
}

/// Bytes of a buffer of `cap` values.
#[inline]
fn buf_bytes(cap: usize) -> usize {
    size_of::<ListBuf>() + cap * 8
}

/// `(items, len, cap)` of a live list (null items when it has no buffer).
///
/// # Safety
/// `p` is a live list.
#[inline]
unsafe fn parts(p: *mut ListObj) -> (*mut Value, usize, usize) {
    // SAFETY: live list; a non-null buffer starts with its header.
    unsafe {
        let b = (*p).buf;
        if b.is_null() {
            (ptr::null_mut(), 0, 0)
        } else {
            (
                b.add(1).cast::<Value>(),
                (*b).len as usize,
                (*b).cap as usize,
            )
        }
    }
}

/// Set the length of a list that has a buffer with room for `n` items.
///
/// # Safety
/// `p` is a live list whose buffer has `cap >= n` and `n` initialised items.
#[inline]
unsafe fn set_len(p: *mut ListObj, n: usize) {
    // SAFETY: caller.
    unsafe {
        debug_assert!(!(*p).buf.is_null() || n == 0);
        if let Some(b) = (*p).buf.as_mut() {
            b.len = n as u32;
        }
    }
}

/// CPython 3.11 `list_resize`: make room for `newsize` items (the length is not
/// changed here). Over-allocates proportionally on growth and gives memory back when
/// the list shrinks below half its allocation.
///
/// # Safety
/// `p` is a live list of `rt`; when shrinking, `newsize >= len` (items past
/// `newsize` were already moved out).
unsafe fn resize(rt: &Runtime, p: *mut ListObj, newsize: usize) -> Result<()> {
    // SAFETY: live list (caller).
    let (_, len, allocated) = unsafe { parts(p) };
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
    // SAFETY: the buffer (if any) was allocated with `buf_bytes(allocated)` bytes;
    // realloc keeps the header and the first `len` items; on error the old buffer is
    // intact.
    unsafe {
        let new_buf: *mut ListBuf = match NonNull::new((*p).buf) {
            None if new_allocated == 0 => ptr::null_mut(),
            None => {
                let b = rt
                    .inner
                    .mem
                    .try_alloc(buf_bytes(new_allocated))?
                    .cast::<ListBuf>();
                b.as_ptr().write(ListBuf { len: 0, cap: 0 });
                b.as_ptr()
            }
            Some(old) if new_allocated == 0 => {
                debug_assert_eq!(len, 0);
                rt.inner.mem.free(old.cast(), buf_bytes(allocated));
                ptr::null_mut()
            }
            Some(old) => rt
                .inner
                .mem
                .try_realloc(old.cast(), buf_bytes(allocated), buf_bytes(new_allocated))?
                .cast::<ListBuf>()
                .as_ptr(),
        };
        if let Some(b) = new_buf.as_mut() {
            b.cap = new_allocated as u32;
        }
        (*p).buf = new_buf;
    }
    Ok(())
}

/// `len(l)`.
pub(crate) fn len(l: &Obj<'_>) -> Result<usize> {
    let p = list_ptr(l, "__len__")?;
    // SAFETY: live list.
    Ok(unsafe { parts(p).1 })
}

/// Allocated capacity (for tests of the growth pattern).
pub(crate) fn capacity(l: &Obj<'_>) -> Result<usize> {
    let p = list_ptr(l, "__len__")?;
    // SAFETY: live list.
    Ok(unsafe { parts(p).2 })
}

/// `l.append(x)`.
pub(crate) fn append(l: &Obj<'_>, x: &Obj<'_>) -> Result<()> {
    l.check_same_runtime(x)?;
    let p = list_ptr(l, "append")?;
    // SAFETY: live list; after `resize` the buffer has room for `n + 1` items.
    unsafe {
        let n = parts(p).1;
        resize(l.runtime(), p, n + 1)?;
        note_item(l.runtime(), l.value(), x.value());
        object::incref(x.value());
        parts(p).0.add(n).write(x.value());
        set_len(p, n + 1);
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
        let n = parts(p).1;
        let at = if i < 0 {
            (n as isize + i).max(0) as usize
        } else {
            (i as usize).min(n)
        };
        resize(l.runtime(), p, n + 1)?;
        let items = parts(p).0;
        ptr::copy(items.add(at), items.add(at + 1), n - at);
        note_item(l.runtime(), l.value(), x.value());
        object::incref(x.value());
        items.add(at).write(x.value());
        set_len(p, n + 1);
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
        let (items, n, _) = parts(p);
        let j = index(i, n, "list")?;
        Ok(Obj::from_borrowed(l.runtime(), *items.add(j)))
    }
}

/// Item `i` (0-based, no negative indexing) if it exists: the iterator's step.
pub(crate) fn get_opt<'rt>(l: &Obj<'rt>, i: usize) -> Option<Obj<'rt>> {
    let p = list_ptr(l, "__iter__").ok()?;
    // SAFETY: live list; bounds checked against the current length.
    unsafe {
        let (items, n, _) = parts(p);
        (i < n).then(|| Obj::from_borrowed(l.runtime(), *items.add(i)))
    }
}

/// `l[i] = x`.
pub(crate) fn set(l: &Obj<'_>, i: isize, x: &Obj<'_>) -> Result<()> {
    l.check_same_runtime(x)?;
    let p = list_ptr(l, "__setitem__")?;
    // SAFETY: live list; `j < len`; the old value is released after the store.
    unsafe {
        let (items, n, _) = parts(p);
        let j = index(i, n, "list assignment")?;
        note_item(l.runtime(), l.value(), x.value());
        object::incref(x.value());
        let old = std::mem::replace(&mut *items.add(j), x.value());
        object::decref(l.runtime(), old);
    }
    Ok(())
}

/// `l.pop(i)`.
pub(crate) fn pop<'rt>(l: &Obj<'rt>, i: isize) -> Result<Obj<'rt>> {
    let p = list_ptr(l, "pop")?;
    // SAFETY: live list; `j < n`; the taken reference moves into the handle.
    unsafe {
        let (items, n, _) = parts(p);
        if n == 0 {
            return Err(Error::IndexError("pop from empty list".into()));
        }
        let j = index(i, n, "pop")?;
        let v = items.add(j).read();
        ptr::copy(items.add(j + 1), items.add(j), n - j - 1);
        set_len(p, n - 1);
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
/// `v` is a live list (or host data) of `rt` (its refcount may be zero during
/// deallocation).
pub(crate) unsafe fn clear_raw(rt: &Runtime, v: Value) {
    let p = object::payload::<ListObj>(v);
    // SAFETY: live list; the buffer is detached before any reference is dropped, so
    // code run by a drop sees an empty list.
    unsafe {
        let (items, len, cap) = parts(p);
        let buf = std::mem::replace(&mut (*p).buf, ptr::null_mut());
        (*object::header(v)).flags &= !FLAG_GC_ITEMS;
        if let Some(buf) = NonNull::new(buf) {
            for i in 0..len {
                object::decref(rt, items.add(i).read());
            }
            rt.inner.mem.free(buf.cast(), buf_bytes(cap));
        }
    }
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
        let (items, len, _) = parts(p);
        for i in 0..len {
            f(*items.add(i));
        }
    }
}
