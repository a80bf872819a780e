//! List storage: a "thin vec" buffer (`ListBuf` head, then the items) grown like
//! CPython 3.11's `list_resize` (docs/object_model.md §3).
//!
//! A list made by [`new_list_from`] with 1..=[`INLINE_MAX`] items is one block: the
//! buffer sits right after the `ListObj` (its *inline area*) and `aux` records the
//! area's capacity. Otherwise (`list()`, longer `list_from`, host data: `aux == 0`)
//! the buffer is a separate block, null while empty.
//!
//! ```text
//!  inline:   GcHeader | ObjHeader (aux = I) | buf ─┐ | len | cap | items[0..I]
//!                                                  └──▶ (the area right here)
//!  heap:     GcHeader | ObjHeader (aux = I) | buf ──▶ [len | cap | items[0..cap]]
//!                                                     (a separate block; the inline
//!                                                      area, if I > 0, lies unused)
//! ```
//! `buf` points at the inline area exactly when `list_resize`'s capacity fits in it
//! (`cap <= I`, the empty list included: the area then reads `len = cap = 0`):
//! [`resize_with_area`] moves the items out when the capacity grows past `I` and back
//! in when it shrinks to `I` or less, so a list never keeps a heap buffer it could do
//! without, and a list with an area is never without storage. The capacity is always
//! `list_resize`'s figure, so `list_capacity()` stays CPython's.
//!
//! **Single-item lists.** A list without an area that gets its first item (`append`,
//! `insert`, …: CPython allocates a capacity of 4 here) stores that item in the `buf`
//! word itself and sets `FLAG_ONE`; no buffer block exists. `parts` then reports the
//! word as a one-item array with capacity 4, so every reader works unchanged. The
//! second item allocates the capacity-4 buffer CPython has (and copies the item);
//! losing the item leaves the list empty with capacity 0, as CPython's `list_resize`
//! does. Rings and pairs of lists (`a.append(b)`) thus cost one block each.
//!
//! Every function takes a live handle, so the list is live; a function finishes its
//! structural change before it drops a reference (a drop may run a finalizer that
//! mutates the same list).
#![allow(unsafe_code)]

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::raw::gc_link;
use crate::raw::handle::Obj;
use crate::raw::object::{self, FLAG_GC_ITEMS, FLAG_ONE, ListBuf, ListObj};
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

/// Most items a list keeps in its own block ([`new_list_from`]): up to 16 items the
/// object is `40 + 8·n` ≤ 168 bytes, a small block, and the area left unused if the
/// list later grows out of it is at most 136 bytes. The saving (one allocation and one
/// free, about 100 instructions of the 548 a two-item list cost) is per list, the work
/// of filling and releasing the items per item, so longer literals gain less and risk
/// more dead space (docs/object_model.md §3).
pub(crate) const INLINE_MAX: usize = 16;
const _: () = assert!(INLINE_MAX <= u16::MAX as usize);
const _: () = assert!(
    object::GC_HEAD + size_of::<ListObj>() + size_of::<ListBuf>() + 8 * INLINE_MAX
        <= mrt_alloc::SMALL_REQUEST_THRESHOLD
);

/// A new tracked list holding `items` (each gets a reference), its storage sized
/// exactly (CPython's `BUILD_LIST` / `PyList_New(n)`: no over-allocation). With
/// 1..=[`INLINE_MAX`] items the storage is the object's inline area: one block.
pub(crate) fn new_list_from<'rt>(rt: &'rt Runtime, items: &[&Obj<'rt>]) -> Result<Obj<'rt>> {
    for x in items {
        rt.check_owned(x)?;
    }
    let n = items.len();
    if n == 0 {
        return new_list(rt);
    }
    if n > INLINE_MAX {
        return new_list_from_heap(rt, items);
    }
    let size = size_of::<ListObj>() + buf_bytes(n);
    gc_link::on_alloc(rt, object::GC_HEAD + size)?;
    let v = object::alloc_object(rt, Kind::List, size, n as u16)?;
    let p = object::payload::<ListObj>(v);
    // SAFETY: fresh block with room for the struct, the buffer head and `n` values
    // (`size`); header initialised by alloc_object with `aux = n`. Nothing between the
    // allocation and `track` can run a collection.
    unsafe {
        let b = inline_area(p);
        b.write(ListBuf {
            len: n as u32,
            cap: n as u32,
        });
        (*p).buf = b;
        fill(rt, v, b, items);
        gc_link::track(rt, v);
        Ok(Obj::from_owned(rt, v))
    }
}

/// [`new_list_from`] for more than [`INLINE_MAX`] items: an empty list, then a
/// separate buffer of exactly `items.len()` values. Out of line, so that it does not
/// weigh on the inline path: inlined, it cost a two-item list 7 more instructions
/// (of ~440); out of line, it costs these lists ~20 (of 1,100 or more).
#[inline(never)]
fn new_list_from_heap<'rt>(rt: &'rt Runtime, items: &[&Obj<'rt>]) -> Result<Obj<'rt>> {
    if items.len() > MAX_LEN {
        return Err(Error::MemoryError("list too long".into()));
    }
    let l = new_list(rt)?;
    let n = items.len();
    let b = rt.inner.mem.try_alloc(buf_bytes(n))?.cast::<ListBuf>();
    // SAFETY: `b` is a fresh block with room for the header and `n` values; the list
    // is live and has no buffer yet.
    unsafe {
        b.as_ptr().write(ListBuf {
            len: n as u32,
            cap: n as u32,
        });
        fill(rt, l.value(), b.as_ptr(), items);
        (*object::payload::<ListObj>(l.value())).buf = b.as_ptr();
    }
    Ok(l)
}

/// Store `items` (each with a new reference) as the first values of buffer `b` of
/// list `l`.
///
/// # Safety
/// `l` is a live list of `rt`; `b` has room for `items.len()` values after its head.
#[inline(always)]
unsafe fn fill(rt: &Runtime, l: Value, b: *mut ListBuf, items: &[&Obj<'_>]) {
    // SAFETY: caller.
    unsafe {
        let dst = b.add(1).cast::<Value>();
        for (i, x) in items.iter().enumerate() {
            note_item(rt, l, x.value());
            object::incref(x.value());
            dst.add(i).write(x.value());
        }
    }
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

/// The inline area of a list: right after the struct. Only an address; it is part of
/// the object only when [`inline_cap`] is not zero.
#[inline(always)]
fn inline_area(p: *mut ListObj) -> *mut ListBuf {
    p.wrapping_add(1).cast::<ListBuf>()
}

/// Values the inline area holds (`aux`); 0 for a list without one and for host data.
///
/// # Safety
/// `p` is a live list or host object.
#[inline(always)]
unsafe fn inline_cap(p: *mut ListObj) -> usize {
    // SAFETY: caller.
    unsafe { (*p).hdr.aux as usize }
}

/// The list's own storage, which is never freed on its own: its inline area, or null
/// for a list without one. `buf` is either this or a heap buffer, so "`buf` is not
/// `own_storage`" is the one test for "has a heap buffer". (Comparing with the area
/// alone would not do: without an area, the address right after the 16-byte struct
/// may be the next block of the pool, which can be a heap buffer.)
///
/// # Safety
/// `p` is a live list or host object.
#[inline(always)]
unsafe fn own_storage(p: *mut ListObj) -> *mut ListBuf {
    // SAFETY: caller.
    if unsafe { inline_cap(p) } == 0 {
        ptr::null_mut()
    } else {
        inline_area(p)
    }
}

/// Free a dying list's (or host data's) heap buffer, if it has one, without
/// releasing the items (already released), and return the size of its `ListObj` with
/// the inline area (which goes with the object).
///
/// # Safety
/// `v` is a live list or host object of `rt` being finished.
#[inline(always)]
pub(crate) unsafe fn free_storage(rt: &Runtime, v: Value) -> usize {
    let p = object::payload::<ListObj>(v);
    // SAFETY: caller; a `buf` other than the list's own storage is a heap buffer
    // holding `cap` values after its header. Two paths rather than one through
    // `own_storage`: a list without an area (most lists) pays one test over the
    // plain "free the buffer if any", not a select and a size computation.
    unsafe {
        match inline_cap(p) {
            0 => {
                let b = std::mem::replace(&mut (*p).buf, ptr::null_mut());
                if (*p).hdr.flags & FLAG_ONE != 0 {
                    (*p).hdr.flags &= !FLAG_ONE;
                } else if let Some(b) = NonNull::new(b) {
                    free_heap_buffer(rt, b);
                }
                size_of::<ListObj>()
            }
            cap => {
                let area = inline_area(p);
                let b = std::mem::replace(&mut (*p).buf, area);
                if b != area {
                    free_heap_buffer(rt, NonNull::new_unchecked(b));
                }
                size_of::<ListObj>() + buf_bytes(cap)
            }
        }
    }
}

/// Free a heap buffer (its size read from its header).
///
/// # Safety
/// `b` is a heap buffer of `rt` holding `cap` values after its header, not used
/// afterwards.
#[inline(always)]
unsafe fn free_heap_buffer(rt: &Runtime, b: NonNull<ListBuf>) {
    // SAFETY: caller.
    unsafe {
        let cap = (*b.as_ptr()).cap as usize;
        rt.inner.mem.free(b.cast(), buf_bytes(cap));
    }
}

/// CPython's capacity of a single-item list (its first `list_resize` from empty).
const ONE_CAP: usize = 4;

/// `(items, len, cap)` of a live list (null items when it has no storage; the `buf`
/// word itself, length 1, for a single-item list).
///
/// # Safety
/// `p` is a live list.
#[inline]
unsafe fn parts(p: *mut ListObj) -> (*mut Value, usize, usize) {
    // SAFETY: live list; a non-null buffer starts with its header; a single-item
    // list's `buf` word is a Value.
    unsafe {
        if (*p).hdr.flags & FLAG_ONE != 0 {
            return (ptr::addr_of_mut!((*p).buf).cast::<Value>(), 1, ONE_CAP);
        }
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

/// The items of a list (or host data's references): `(items, len)`, for the free
/// and clear paths of `raw::dealloc`.
///
/// # Safety
/// `v` is a live list or host object.
#[inline(always)]
pub(crate) unsafe fn items(v: Value) -> (*mut Value, usize) {
    // SAFETY: caller.
    let (items, len, _) = unsafe { parts(object::payload::<ListObj>(v)) };
    (items, len)
}

/// Set the length of a list that has a buffer with room for `n` items.
///
/// # Safety
/// `p` is a live list whose buffer has `cap >= n` and `n` initialised items.
#[inline]
unsafe fn set_len(p: *mut ListObj, n: usize) {
    // SAFETY: caller.
    unsafe {
        if (*p).hdr.flags & FLAG_ONE != 0 {
            // The item was moved out (n == 0): the list is empty, capacity 0, as
            // list_resize leaves CPython's list (ONE_CAP >> 1 > 0).
            debug_assert!(n <= 1);
            if n == 0 {
                (*p).hdr.flags &= !FLAG_ONE;
                (*p).buf = ptr::null_mut();
            }
            return;
        }
        debug_assert!(!(*p).buf.is_null() || n == 0);
        if let Some(b) = (*p).buf.as_mut() {
            b.len = n as u32;
        }
    }
}

/// CPython 3.11 `list_resize`: make room for `newsize` items (the length is not
/// changed here). Over-allocates proportionally on growth and gives memory back when
/// the list shrinks below half its allocation. A list with an inline area goes
/// through [`resize_with_area`].
///
/// # Safety
/// `p` is a live list of `rt`; when shrinking, `newsize >= len` (items past
/// `newsize` were already moved out).
unsafe fn resize(rt: &Runtime, p: *mut ListObj, newsize: usize) -> Result<()> {
    // SAFETY: live list (caller).
    unsafe {
        let flags = (*p).hdr.flags;
        if flags & FLAG_ONE != 0 {
            if newsize <= 1 {
                return Ok(());
            }
            // A second item: the capacity-4 buffer CPython has had since the first.
            let b = rt
                .inner
                .mem
                .try_alloc(buf_bytes(ONE_CAP))?
                .cast::<ListBuf>()
                .as_ptr();
            b.write(ListBuf {
                len: 1,
                cap: ONE_CAP as u32,
            });
            let item = ptr::addr_of!((*p).buf).cast::<Value>().read();
            b.add(1).cast::<Value>().write(item);
            (*p).buf = b;
            // Re-read: the allocation may have run the host's allocation observer.
            (*p).hdr.flags &= !FLAG_ONE;
        } else if newsize == 1
            && (*p).buf.is_null()
            && inline_cap(p) == 0
            && (*p).hdr.kind == Kind::List as u8
        {
            // The first item of a list without storage: into the `buf` word (the
            // caller writes it through `parts`).
            (*p).hdr.flags |= FLAG_ONE;
            return Ok(());
        }
    }
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
    // SAFETY: live list (caller). Without an inline area, the buffer (if any) was
    // allocated with `buf_bytes(allocated)` bytes; realloc keeps the header and the
    // first `len` items; on error the old buffer is intact.
    unsafe {
        if inline_cap(p) != 0 {
            return resize_with_area(rt, p, newsize, len, allocated, new_allocated);
        }
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

/// [`resize`] of a list with an inline area, to `list_resize`'s `new_allocated`:
/// the area is the storage whenever that capacity fits in it (items moved in from a
/// heap buffer, which is freed), the empty list's capacity 0 included; otherwise a
/// heap buffer of that capacity, fresh (items copied out of the area) or
/// reallocated. The capacity is exactly CPython's either way. On error the list is
/// unchanged.
///
/// # Safety
/// `p` is a live list of `rt` with an inline area, `len` items and capacity
/// `allocated`; `len <= newsize <= new_allocated` (or both 0).
#[inline(never)]
unsafe fn resize_with_area(
    rt: &Runtime,
    p: *mut ListObj,
    newsize: usize,
    len: usize,
    allocated: usize,
    new_allocated: usize,
) -> Result<()> {
    let area = inline_area(p);
    // SAFETY: the area lies inside the object and has room for `inline_cap` values;
    // `buf` is the area or a heap buffer (a separate block, so copies between them do
    // not overlap) with `len` initialised items, allocated with `buf_bytes(allocated)`
    // bytes; a fresh block has room for the head and `len <= new_allocated` items;
    // realloc keeps the head and the first `len` items; on error the old buffer is
    // intact.
    unsafe {
        debug_assert!(len <= newsize && newsize <= new_allocated.max(len));
        let inline = inline_cap(p);
        let old = (*p).buf;
        debug_assert!(
            !old.is_null(),
            "a list with an inline area always has storage"
        );
        if new_allocated <= inline {
            if old != area {
                ptr::copy_nonoverlapping(old.cast::<u8>(), area.cast::<u8>(), buf_bytes(len));
                (*p).buf = area;
                rt.inner
                    .mem
                    .free(NonNull::new_unchecked(old).cast(), buf_bytes(allocated));
            }
            (*area).cap = new_allocated as u32;
            return Ok(());
        }
        let b = if old == area {
            let b = rt
                .inner
                .mem
                .try_alloc(buf_bytes(new_allocated))?
                .cast::<ListBuf>()
                .as_ptr();
            ptr::copy_nonoverlapping(area.cast::<u8>(), b.cast::<u8>(), buf_bytes(len));
            b
        } else {
            rt.inner
                .mem
                .try_realloc(
                    NonNull::new_unchecked(old).cast(),
                    buf_bytes(allocated),
                    buf_bytes(new_allocated),
                )?
                .cast::<ListBuf>()
                .as_ptr()
        };
        (*b).cap = new_allocated as u32;
        (*p).buf = b;
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

/// `l[i]` when `l` is a list and `i` is in range (negative counts from the end);
/// `None` otherwise, for the caller's general path to raise the right error.
/// Inline: the common read is a kind check, a bounds check and an incref in the
/// caller (`Obj::get`).
#[inline]
pub(crate) fn get_fast<'rt>(l: &Obj<'rt>, i: isize) -> Option<Obj<'rt>> {
    if l.kind() != Some(Kind::List) {
        return None;
    }
    // SAFETY: live list; `j < len` is checked before the read.
    unsafe {
        let (items, n, _) = parts(object::payload::<ListObj>(l.value()));
        let j = if i < 0 { i.wrapping_add(n as isize) } else { i } as usize;
        (j < n).then(|| Obj::from_borrowed(l.runtime(), *items.add(j)))
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
    // SAFETY: live list; the list is emptied (a single item taken out of the `buf`
    // word, a heap buffer detached, the inline area marked empty) before any
    // reference is dropped, so code run by a drop sees an
    // empty list. That code may refill the list in its inline area, so items kept
    // there are copied out first; there are at most `INLINE_MAX` of them.
    unsafe {
        let (items, len, cap) = parts(p);
        if (*p).hdr.flags & FLAG_ONE != 0 {
            let x = items.read();
            (*p).buf = ptr::null_mut();
            (*object::header(v)).flags &= !(FLAG_GC_ITEMS | FLAG_ONE);
            object::decref(rt, x);
            return;
        }
        let own = own_storage(p);
        let buf = std::mem::replace(&mut (*p).buf, own);
        (*object::header(v)).flags &= !FLAG_GC_ITEMS;
        if buf != own {
            if let Some(own) = own.as_mut() {
                *own = ListBuf { len: 0, cap: 0 };
            }
            for i in 0..len {
                object::decref(rt, items.add(i).read());
            }
            rt.inner
                .mem
                .free(NonNull::new_unchecked(buf).cast(), buf_bytes(cap));
        } else if !own.is_null() {
            debug_assert!(len <= INLINE_MAX);
            let mut taken = [Value::NULL; INLINE_MAX];
            ptr::copy_nonoverlapping(items, taken.as_mut_ptr(), len);
            *own = ListBuf { len: 0, cap: 0 };
            for &x in &taken[..len] {
                object::decref(rt, x);
            }
        }
    }
}

/// `l[start:stop]` (already clamped by the caller to `0 <= start <= stop`) as a new
/// list. Items past the current length are ignored.
///
/// The result is sized exactly, as CPython's `list_slice` (`list_new_prealloc(len)`)
/// does: capacity `stop - start`.
pub(crate) fn slice<'rt>(l: &Obj<'rt>, start: usize, stop: usize) -> Result<Obj<'rt>> {
    list_ptr(l, "__getitem__")?;
    // Handles first (they keep the items alive), then one exactly sized list.
    let items: Vec<Obj<'rt>> = (start..stop).map_while(|i| get_opt(l, i)).collect();
    let refs: Vec<&Obj<'rt>> = items.iter().collect();
    new_list_from(l.runtime(), &refs)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::mem::Heap;
    use crate::{ClassSpec, Runtime};
    use std::rc::Rc;

    /// Whether a live list's storage is its inline area.
    fn inline(l: &Obj<'_>) -> bool {
        let p = object::payload::<ListObj>(l.value());
        // SAFETY: a handle keeps its list live.
        unsafe { inline_cap(p) != 0 && (*p).buf == inline_area(p) }
    }

    /// The inline capacity (`aux`) of a live list.
    fn area(l: &Obj<'_>) -> usize {
        // SAFETY: a handle keeps its list live.
        unsafe { inline_cap(object::payload::<ListObj>(l.value())) }
    }

    fn ints(l: &Obj<'_>) -> Vec<i64> {
        l.iter().unwrap().map(|x| x.as_int().unwrap()).collect()
    }

    /// `n` distinct boxed ints (heap objects, so references are counted).
    fn big_ints(rt: &Runtime, n: usize) -> Vec<Obj<'_>> {
        (0..n)
            .map(|i| rt.int(i64::MAX - i as i64).unwrap())
            .collect()
    }

    fn make<'rt>(rt: &'rt Runtime, items: &[Obj<'rt>]) -> Obj<'rt> {
        let refs: Vec<&Obj<'rt>> = items.iter().collect();
        rt.list_from(&refs).unwrap()
    }

    /// Whether a live list holds its single item in its `buf` word.
    fn single(l: &Obj<'_>) -> bool {
        // SAFETY: a handle keeps its list live.
        unsafe { (*object::header(l.value())).flags & FLAG_ONE != 0 }
    }

    #[test]
    fn a_first_append_stores_the_item_in_the_list_itself() {
        let rt = Runtime::builder().gc_disabled().build();
        let x = big_ints(&rt, 3);
        let l = rt.list().unwrap();
        let empty = rt.heap_bytes_in_use();
        l.append(&x[0]).unwrap();
        assert!(single(&l));
        assert_eq!(rt.heap_bytes_in_use(), empty, "no buffer block");
        assert_eq!((len(&l).unwrap(), capacity(&l).unwrap()), (1, 4));
        assert_eq!(ints(&l), vec![i64::MAX]);
        assert_eq!(x[0].refcount(), Some(2));
        // Replace, then take it back out: empty, capacity 0 (CPython's list_resize).
        set(&l, 0, &x[1]).unwrap();
        assert_eq!((x[0].refcount(), x[1].refcount()), (Some(1), Some(2)));
        let got = pop(&l, -1).unwrap();
        assert_eq!(got.as_int(), Some(i64::MAX - 1));
        drop(got);
        assert!(!single(&l));
        assert_eq!((len(&l).unwrap(), capacity(&l).unwrap()), (0, 0));
        assert_eq!(x[1].refcount(), Some(1));
        // insert on empty, then a second item: CPython's capacity-4 buffer.
        insert(&l, 0, &x[1]).unwrap();
        assert!(single(&l));
        insert(&l, 0, &x[0]).unwrap();
        assert!(!single(&l));
        assert_eq!((len(&l).unwrap(), capacity(&l).unwrap()), (2, 4));
        assert_eq!(rt.heap_bytes_in_use(), empty + buf_bytes(4));
        assert_eq!(ints(&l), vec![i64::MAX, i64::MAX - 1]);
        clear(&l).unwrap();
        assert_eq!(rt.heap_bytes_in_use(), empty);
        // clear of a single-item list releases the item.
        l.append(&x[2]).unwrap();
        clear(&l).unwrap();
        assert!(!single(&l));
        assert_eq!(x[2].refcount(), Some(1));
        assert_eq!(rt.heap_bytes_in_use(), empty);
        drop(l);
        drop(x);
        assert_eq!(rt.heap_bytes_in_use(), 0);
    }

    #[test]
    fn single_item_lists_in_rings_are_collected_and_freed() {
        let rt = Runtime::builder().gc_disabled().build();
        for _ in 0..3 {
            let first = rt.list().unwrap();
            let mut prev = first.clone();
            for _ in 1..20 {
                let node = rt.list().unwrap();
                prev.append(&node).unwrap();
                assert!(single(&prev));
                prev = node;
            }
            prev.append(&first).unwrap();
        }
        assert_eq!(
            rt.heap_bytes_in_use(),
            60 * 32,
            "one 32-byte block per list"
        );
        assert_eq!(rt.collect(), 60);
        assert_eq!(rt.heap_bytes_in_use(), 0);
        // A chain dropped by refcounting (the free path's single-item case).
        let head = rt.list().unwrap();
        let mut tail = head.clone();
        for _ in 0..1000 {
            let n = rt.list().unwrap();
            tail.append(&n).unwrap();
            tail = n;
        }
        drop((head, tail));
        assert_eq!(rt.heap_bytes_in_use(), 0);
    }

    #[test]
    fn a_list_of_up_to_inline_max_items_is_one_block() {
        let rt = Runtime::builder().gc_disabled().build();
        let items = big_ints(&rt, INLINE_MAX + 1);
        let base = rt.heap_bytes_in_use();
        for n in 1..=INLINE_MAX {
            let (allocs, live) = (rt.alloc_counters().allocs, rt.live_count(Kind::List));
            let l = make(&rt, &items[..n]);
            assert!(inline(&l), "{n} items");
            assert_eq!(area(&l), n);
            assert_eq!((len(&l).unwrap(), capacity(&l).unwrap()), (n, n));
            assert_eq!(
                rt.alloc_counters().allocs,
                allocs + 1,
                "{n} items: one block"
            );
            // 16 GC header + 8 header + 8 buf + 8 len/cap + 8·n, 8-byte size classes.
            let bytes = 40 + 8 * n;
            assert_eq!(Heap::block_size(bytes), bytes);
            assert_eq!(rt.heap_bytes_in_use(), base + bytes, "{n} items");
            let now = rt.live_count(Kind::List);
            assert_eq!(now.objects, live.objects + 1);
            assert_eq!(now.bytes, live.bytes + bytes as u64);
            for (i, x) in items[..n].iter().enumerate() {
                assert!(get(&l, i as isize).unwrap().is(x));
            }
            drop(l);
            assert_eq!(rt.heap_bytes_in_use(), base, "{n} items freed");
            assert_eq!(rt.live_count(Kind::List), live);
        }
        // One more: the struct and a separate, exactly sized buffer, as before.
        let allocs = rt.alloc_counters().allocs;
        let l = make(&rt, &items);
        assert!(!inline(&l));
        assert_eq!(area(&l), 0);
        assert_eq!(rt.alloc_counters().allocs, allocs + 2);
        assert_eq!(capacity(&l).unwrap(), INLINE_MAX + 1);
        assert_eq!(rt.heap_bytes_in_use(), base + 32 + 8 + 8 * (INLINE_MAX + 1));
        drop(l);
        // No items: the plain 32-byte empty list.
        let l = rt.list_from(&[]).unwrap();
        assert_eq!((area(&l), capacity(&l).unwrap()), (0, 0));
        assert_eq!(rt.heap_bytes_in_use(), base + 32);
        drop(l);
        drop(items);
        assert_eq!(rt.heap_bytes_in_use(), 0);
    }

    #[test]
    fn growth_moves_the_items_to_a_heap_buffer_grown_like_list_resize() {
        let rt = Runtime::builder().gc_disabled().build();
        let x = rt.int(i64::MIN).unwrap();
        for n in 1..=INLINE_MAX {
            let items = big_ints(&rt, n);
            let mut model: Vec<i64> = items.iter().map(|o| o.as_int().unwrap()).collect();
            // append, insert at the front, insert in the middle: each leaves the area
            // on the first step past it, with `list_resize`'s capacity.
            for how in 0..3 {
                let l = make(&rt, &items);
                let mut m = model.clone();
                let base = rt.heap_bytes_in_use();
                match how {
                    0 => append(&l, &x).unwrap(),
                    1 => insert(&l, 0, &x).unwrap(),
                    _ => insert(&l, (n / 2) as isize, &x).unwrap(),
                }
                m.insert([n, 0, n / 2][how], i64::MIN);
                assert!(!inline(&l), "{n} items, case {how}");
                let cap = (n + 1 + ((n + 1) >> 3) + 6) & !3;
                assert_eq!(capacity(&l).unwrap(), cap);
                assert_eq!(ints(&l), m);
                // The object keeps its (now unused) area; the buffer is extra.
                assert_eq!(rt.heap_bytes_in_use(), base + Heap::block_size(8 + 8 * cap));
                // Further growth reallocates the heap buffer as for any list.
                for _ in 0..40 {
                    append(&l, &x).unwrap();
                    m.push(i64::MIN);
                }
                assert_eq!(ints(&l), m);
                drop(l);
                assert_eq!(rt.heap_bytes_in_use(), base - (40 + 8 * n));
            }
            model.clear();
            drop(items);
        }
        drop(x);
        assert_eq!(rt.heap_bytes_in_use(), 0);
    }

    #[test]
    fn shrinking_moves_the_items_back_and_frees_the_heap_buffer() {
        let rt = Runtime::builder().gc_disabled().build();
        let items = big_ints(&rt, 8);
        let x = rt.int(i64::MIN).unwrap();
        let l = make(&rt, &items);
        let one_block = rt.heap_bytes_in_use();
        append(&l, &x).unwrap();
        assert!(!inline(&l));
        assert_eq!(capacity(&l).unwrap(), 16);
        // 9 -> 8 items: still at least half of 16, the buffer stays (list_resize).
        let _ = pop(&l, -1).unwrap();
        assert!(!inline(&l));
        // 8 -> 7: below half; `list_resize` reallocates to 12, more than the area.
        let _ = pop(&l, 0).unwrap();
        assert!(!inline(&l));
        assert_eq!((len(&l).unwrap(), capacity(&l).unwrap()), (7, 12));
        // 7 -> 6 keeps 12; 6 -> 5 reallocates to 8, which the area holds.
        let _ = pop(&l, -1).unwrap();
        assert_eq!(capacity(&l).unwrap(), 12);
        let _ = pop(&l, -1).unwrap();
        assert!(inline(&l));
        assert_eq!((len(&l).unwrap(), capacity(&l).unwrap()), (5, 8));
        assert_eq!(rt.heap_bytes_in_use(), one_block);
        let want: Vec<i64> = items[1..6].iter().map(|o| o.as_int().unwrap()).collect();
        assert_eq!(ints(&l), want);
        // Shrinking inside the area allocates nothing; emptying it leaves length and
        // capacity 0, like any list that lost its last item (the storage stays the
        // area, marked empty).
        let allocs = rt.alloc_counters().allocs;
        while len(&l).unwrap() > 1 {
            let _ = pop(&l, -1).unwrap();
            assert!(inline(&l));
        }
        let _ = pop(&l, -1).unwrap();
        assert_eq!((len(&l).unwrap(), capacity(&l).unwrap()), (0, 0));
        assert!(inline(&l));
        assert_eq!(rt.alloc_counters().allocs, allocs);
        // Refilling uses the area again: `list_resize`'s 4, then 8 (both fit).
        append(&l, &x).unwrap();
        assert!(inline(&l));
        assert_eq!(capacity(&l).unwrap(), 4);
        for _ in 0..7 {
            append(&l, &x).unwrap();
        }
        assert!(inline(&l));
        assert_eq!(capacity(&l).unwrap(), 8);
        assert_eq!(rt.alloc_counters().allocs, allocs);
        assert_eq!(rt.heap_bytes_in_use(), one_block);
        append(&l, &x).unwrap();
        assert!(!inline(&l));
        drop(l);
        drop((items, x));
        assert_eq!(rt.heap_bytes_in_use(), 0);
    }

    #[test]
    fn clearing_an_inline_list_and_reusing_it() {
        let rt = Runtime::builder().gc_disabled().build();
        let inner = rt.list().unwrap();
        let items = big_ints(&rt, 3);
        let l = rt
            .list_from(&[&items[0], &inner, &items[1], &items[2]])
            .unwrap();
        // SAFETY: live list.
        assert_ne!(unsafe { object::flags(l.value()) } & FLAG_GC_ITEMS, 0);
        let one_block = rt.heap_bytes_in_use();
        assert_eq!(inner.refcount(), Some(2));
        clear(&l).unwrap();
        // As any cleared list: empty, no storage, no GC items; the items released.
        assert_eq!((len(&l).unwrap(), capacity(&l).unwrap()), (0, 0));
        // SAFETY: live list.
        assert_eq!(unsafe { object::flags(l.value()) } & FLAG_GC_ITEMS, 0);
        assert_eq!(inner.refcount(), Some(1));
        assert!(items.iter().all(|o| o.refcount() == Some(1)));
        assert_eq!(rt.heap_bytes_in_use(), one_block);
        assert_eq!(area(&l), 4);
        // Reuse: back into the area (capacity `list_resize`'s 4), no allocation.
        let allocs = rt.alloc_counters().allocs;
        for x in &items {
            append(&l, x).unwrap();
        }
        insert(&l, 0, &inner).unwrap();
        assert!(inline(&l));
        assert_eq!(rt.alloc_counters().allocs, allocs);
        assert!(get(&l, 0).unwrap().is(&inner));
        assert_eq!(inner.refcount(), Some(2));
        append(&l, &inner).unwrap();
        assert!(!inline(&l));
        assert_eq!(len(&l).unwrap(), 5);
        // Clearing a grown list frees its heap buffer and empties the area, which
        // still held the head it had when the items moved out.
        clear(&l).unwrap();
        assert_eq!((len(&l).unwrap(), capacity(&l).unwrap()), (0, 0));
        assert!(inline(&l));
        assert_eq!(rt.heap_bytes_in_use(), one_block);
        assert_eq!(inner.refcount(), Some(1));
        append(&l, &items[2]).unwrap();
        assert_eq!(ints(&l), vec![items[2].as_int().unwrap()]);
        assert_eq!(capacity(&l).unwrap(), 4);
        clear(&l).unwrap();
        drop(l);
        drop((items, inner));
        assert_eq!(rt.heap_bytes_in_use(), 0);
    }

    #[test]
    fn a_finalizer_refilling_the_list_while_it_is_cleared() {
        // Each item's finalizer appends two items to the list being cleared: the
        // first refill goes into the inline area while `clear_raw` is still releasing
        // the old items, overwriting the second one there.
        let rt = Runtime::builder().gc_disabled().build();
        let c = rt
            .define_class(ClassSpec::new("F").slots(&["l"]).finalizer(|o| {
                let l = o.getattr("l").unwrap();
                let rt = o.runtime();
                l.append(&rt.int(99).unwrap()).unwrap();
                l.append(&rt.int(98).unwrap()).unwrap();
            }))
            .unwrap();
        let (a, b) = (rt.instance(&c).unwrap(), rt.instance(&c).unwrap());
        let l = rt.list_from(&[&a, &b]).unwrap();
        a.setattr("l", &l).unwrap();
        b.setattr("l", &l).unwrap();
        drop((a, b));
        clear(&l).unwrap();
        assert_eq!(rt.live_count(Kind::Instance).objects, 0, "an item leaked");
        assert_eq!(ints(&l), vec![99, 98, 99, 98]);
        assert!(!inline(&l));
        drop(l);
        rt.collect();
        assert_eq!(rt.live_count(Kind::List).objects, 0);
        assert_eq!(rt.heap_bytes_in_use(), 0);
        let _ = c;
    }

    #[test]
    fn dropping_inline_and_grown_lists_of_containers() {
        let rt = Runtime::builder().gc_disabled().build();
        let base = rt.heap_bytes_in_use();
        {
            // A chain of inline lists (each holds the next) freed by refcount, and a
            // grown one freed through the worklist (its first child dies with it).
            let mut l = rt.list_from(&[&rt.int(1).unwrap()]).unwrap();
            for i in 0..1000 {
                let x = rt.int(i).unwrap();
                l = rt.list_from(&[&l, &x]).unwrap();
            }
            let grown = rt.list_from(&[&l, &rt.list().unwrap()]).unwrap();
            drop(l);
            append(&grown, &rt.float(1.5).unwrap()).unwrap();
            assert!(!inline(&grown));
        }
        assert_eq!(rt.heap_bytes_in_use(), base);
        // A cycle through an inline list is found and freed by the collector.
        let l = rt.list_from(&[&rt.int(1).unwrap()]).unwrap();
        let m = rt.list_from(&[&l, &l]).unwrap();
        append(&l, &m).unwrap();
        set(&m, 1, &m).unwrap();
        drop((l, m));
        assert_eq!(rt.collect(), 2);
        assert_eq!(rt.heap_bytes_in_use(), base);
    }

    use crate::observe::tests::Log;

    #[test]
    fn an_inline_list_is_accounted_as_one_block_of_its_real_size() {
        let rt = Runtime::builder().gc_disabled().build();
        let (one, two) = (rt.int(1).unwrap(), rt.int(2).unwrap());
        let log = Rc::new(Log::default());
        rt.set_alloc_observer(Some(log.clone()));
        let (traffic, census) = (rt.alloc_counters(), rt.live_count(Kind::List));
        let l = rt.list_from(&[&one, &two]).unwrap();
        let addr = rt.object_address(&l).unwrap();
        // [1, 2]: 16 + 8 + 8 + 8 + 2·8 = 56 bytes, the same as 32 + 24 before, in one
        // block, traced under the object's address.
        assert_eq!(*log.0.borrow(), vec![('a', addr, 56)]);
        assert_eq!(rt.heap_bytes_in_use(), 56);
        assert_eq!(rt.live_count(Kind::List).bytes, census.bytes + 56);
        let t = rt.alloc_counters();
        assert_eq!(
            (t.allocs, t.alloc_bytes),
            (traffic.allocs + 1, traffic.alloc_bytes + 56)
        );
        // Growing adds the heap buffer (8 + 8·8) as a block of its own.
        append(&l, &one).unwrap();
        let buf = match log.0.borrow()[1] {
            ('a', b, 72) => b,
            e => panic!("{e:?}"),
        };
        assert_eq!(rt.heap_bytes_in_use(), 56 + 72);
        drop(l);
        let log = log.0.borrow();
        assert_eq!(&log[2..], &[('f', buf, 72), ('f', addr, 56)]);
        let t = rt.alloc_counters();
        assert_eq!(t.frees, traffic.frees + 2);
        assert_eq!(t.free_bytes, traffic.free_bytes + 56 + 72);
        assert_eq!(rt.heap_bytes_in_use(), 0);
        assert_eq!(rt.live_count(Kind::List), census);
        rt.set_alloc_observer(None);
    }
}
