//! Object headers, per-kind layouts, and raw allocation of objects
//! (docs/object_model.md §2–§3).
//!
//! ```text
//!            GC-capable kinds only
//!          +------------------------+
//!  GcRef ->| mrt-gc GcHeader (16 B) |
//!          +------------------------+
//!  Value ->| refcnt: u32            |  ObjHeader, 8 bytes
//!          | kind: u8 | flags: u8   |
//!          | aux: u16               |  class index of an instance,
//!          |                        |  inline capacity of a list
//!          +------------------------+
//!          | payload (kind layout)  |
//! ```
//! Everything here is `#[repr(C)]` so layouts are what the comments say; sizes are
//! pinned with `const` assertions.
#![allow(unsafe_code)]

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::runtime::Runtime;
use crate::value::Value;
use std::ptr::NonNull;

/// Bytes in front of the `ObjHeader` of a GC-capable object (mrt-gc's `GcHeader`).
pub(crate) const GC_HEAD: usize = 16;

/// The header every heap object starts with.
#[repr(C)]
pub(crate) struct ObjHeader {
    /// Strong references. `IMMORTAL` objects ignore it.
    pub(crate) refcnt: u32,
    /// A [`Kind`] discriminant.
    pub(crate) kind: u8,
    /// `FLAG_*` bits.
    pub(crate) flags: u8,
    /// Kind-specific: the class index of an instance; the capacity of a list's
    /// inline area (0: none; `raw/list.rs`).
    pub(crate) aux: u16,
}
const _: () = assert!(size_of::<ObjHeader>() == 8);

/// Some weak reference points at this object (it has an entry in the weakref table).
pub(crate) const FLAG_HAS_WEAKREFS: u8 = 1;
/// The str is in the runtime's intern table (which holds no reference to it).
pub(crate) const FLAG_INTERNED: u8 = 2;
/// The refcount saturated: the object is never freed by refcounting.
pub(crate) const FLAG_IMMORTAL: u8 = 4;
/// A list (or host data) that may hold a GC-capable object: set when one is stored,
/// cleared when the list is emptied by `clear`. Without it `traverse` skips the
/// buffer, so the collector never reads the items of a list of atoms.
pub(crate) const FLAG_GC_ITEMS: u8 = 8;
/// A list without an inline area holding exactly one item in its `buf` word itself
/// (no buffer block): the state CPython reaches with its first `append`, capacity 4
/// (`raw/list.rs`, "single-item lists").
pub(crate) const FLAG_ONE: u8 = 16;

/// A boxed int (outside the 63-bit inline range).
#[repr(C)]
pub(crate) struct IntObj {
    pub(crate) hdr: ObjHeader,
    pub(crate) value: i64,
}
const _: () = assert!(size_of::<IntObj>() == 16);

/// A float.
#[repr(C)]
pub(crate) struct FloatObj {
    pub(crate) hdr: ObjHeader,
    pub(crate) value: f64,
}
const _: () = assert!(size_of::<FloatObj>() == 16);

/// A str or bytes object: `len` bytes follow inline.
#[repr(C)]
pub(crate) struct StrObj {
    pub(crate) hdr: ObjHeader,
    pub(crate) len: usize,
    /// Cached hash; `-1` = not computed yet (a Python hash is never -1).
    pub(crate) hash: i64,
}
const _: () = assert!(size_of::<StrObj>() == 24);

/// A tuple: `len` values follow inline.
#[repr(C)]
pub(crate) struct TupleObj {
    pub(crate) hdr: ObjHeader,
    pub(crate) len: usize,
}
const _: () = assert!(size_of::<TupleObj>() == 16);

/// A list: one pointer to a buffer that starts with its own length and capacity (a
/// "thin vec"), null while the list is empty. Keeping `len`/`cap` in the buffer makes
/// an empty list 32 bytes, one size class below the 48 that a 40-byte object would
/// cost. A list made by `list_from` with few items carries its buffer inline, right
/// after this struct (`aux` = its capacity); otherwise the buffer is a separate block
/// (`raw/list.rs`).
#[repr(C)]
pub(crate) struct ListObj {
    pub(crate) hdr: ObjHeader,
    pub(crate) buf: *mut ListBuf,
}
const _: () = assert!(size_of::<ListObj>() + GC_HEAD == 32);

/// The head of a list buffer; `cap` values follow it, the first `len` initialised.
#[repr(C)]
pub(crate) struct ListBuf {
    pub(crate) len: u32,
    pub(crate) cap: u32,
}
const _: () = assert!(size_of::<ListBuf>() == 8);

/// One dict/set entry; a deleted entry has `key == Value::NULL`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) hash: i64,
    pub(crate) key: Value,
    pub(crate) value: Value,
}
const _: () = assert!(size_of::<Entry>() == 24);

/// The hashbrown index of a large dict: entry positions, keyed by the entry's hash.
pub(crate) type IndexTable = hashbrown::HashTable<u32, crate::raw::mem::HeapAlloc>;

/// A dict or set: an insertion-ordered entry vector plus, past
/// [`crate::raw::table::SMALL`] entries, an index table.
#[repr(C)]
pub(crate) struct DictObj {
    pub(crate) hdr: ObjHeader,
    pub(crate) entries: *mut Entry,
    /// Entries allocated.
    pub(crate) cap: u32,
    /// Entries used, tombstones included (the next insertion goes to `used`).
    pub(crate) used: u32,
    /// Live entries.
    pub(crate) len: u32,
    /// Bumped by every change of the key set, so iterators notice mutation.
    pub(crate) version: u32,
    /// Null for small tables.
    pub(crate) index: *mut IndexTable,
}
const _: () = assert!(size_of::<DictObj>() + GC_HEAD == 56);

/// An instance of a host class: the class's slots follow inline (plus one for the
/// per-instance dict when the class has one).
#[repr(C)]
pub(crate) struct InstanceObj {
    pub(crate) hdr: ObjHeader,
}
const _: () = assert!(size_of::<InstanceObj>() + GC_HEAD + 2 * 8 == 40);

/// A weak reference. The referent is not counted; `Value::NONE` once it died.
/// Its callback lives in the runtime's weakref table.
#[repr(C)]
pub(crate) struct WeakRefObj {
    pub(crate) hdr: ObjHeader,
    pub(crate) referent: Value,
    /// Cached hash of the referent; `-1` = not computed.
    pub(crate) hash: i64,
}
const _: () = assert!(size_of::<WeakRefObj>() + GC_HEAD == 40);

/// Host data: a runtime-managed vector of references laid out exactly like a list
/// (so the list code serves both), then an opaque Rust value.
#[repr(C)]
pub(crate) struct HostObj {
    pub(crate) list: ListObj,
    pub(crate) payload: Option<Box<dyn std::any::Any>>,
}
const _: () = assert!(size_of::<HostObj>() + GC_HEAD == 48);

/// The header of a heap value.
///
/// Only computes an address; dereferencing it needs the object to be live.
#[inline]
pub(crate) fn header(v: Value) -> *mut ObjHeader {
    debug_assert!(v.is_heap(), "{v:?} is not a heap object");
    v.addr_bits() as *mut ObjHeader
}

/// The kind of a live heap object.
///
/// # Safety
/// `v` is a live heap object.
#[inline]
pub(crate) unsafe fn kind_of(v: Value) -> Kind {
    // SAFETY: live object (caller), so its header is readable and initialised.
    let k = unsafe { (*header(v)).kind };
    Kind::from_u8(k)
}

/// The address of the object's payload struct, typed.
#[inline]
pub(crate) fn payload<T>(v: Value) -> *mut T {
    header(v).cast::<T>()
}

/// Allocate an object of `kind` whose struct (header included, GC header excluded)
/// is `size` bytes; the header is initialised with refcount 1, the GC header (if
/// any) zeroed (mrt-gc's `GcHeader::new()`: untracked), the payload left
/// uninitialised. Does *not* notify the collector (see `gc_link::on_alloc`, which
/// admits a GC-capable object under the memory budget before counting it); atoms are
/// admitted here. Counted in the census.
#[inline(always)]
pub(crate) fn alloc_object(rt: &Runtime, kind: Kind, size: usize, aux: u16) -> Result<Value> {
    let gc = kind.is_gc();
    let total = size
        .checked_add(if gc { GC_HEAD } else { 0 })
        .ok_or_else(|| Error::MemoryError(format!("{} too large", kind.name())))?;
    if !gc {
        crate::observe::admit(rt, total)?;
    }
    let block = rt.inner.mem.try_alloc_admitted(total)?;
    rt.inner.mem.hooks.census_add(kind, aux, total);
    let obj = if gc {
        // SAFETY: the block has `total >= GC_HEAD + 8` bytes, 8-aligned.
        unsafe {
            block.as_ptr().cast::<[usize; 2]>().write([0, 0]);
            block.as_ptr().add(GC_HEAD)
        }
    } else {
        block.as_ptr()
    };
    // SAFETY: `obj` is 8-aligned (16 + 0/16) with at least 8 bytes for the header.
    unsafe {
        obj.cast::<ObjHeader>().write(ObjHeader {
            refcnt: 1,
            kind: kind as u8,
            flags: 0,
            aux,
        })
    };
    Ok(Value::from_heap(obj as usize, gc))
}

/// Give an object's memory back to the heap.
///
/// # Safety
/// `v` was allocated by [`alloc_object`] of this runtime with struct size `size`;
/// nothing uses it afterwards; payload destructors have run.
#[inline(always)]
pub(crate) unsafe fn free_object(rt: &Runtime, v: Value, size: usize) {
    let addr = header(v) as usize;
    let (start, total) = if v.gc_addr().is_some() {
        (addr - GC_HEAD, size + GC_HEAD)
    } else {
        (addr, size)
    };
    // SAFETY: the header is intact until the block is freed (payload destructors do
    // not touch it).
    let (kind, aux) = unsafe { (Kind::from_u8((*header(v)).kind), (*header(v)).aux) };
    rt.inner.mem.hooks.census_remove(kind, aux, total);
    // SAFETY: the block starts at `start` with `total` bytes (alloc_object).
    unsafe {
        rt.inner
            .mem
            .free(NonNull::new_unchecked(start as *mut u8), total)
    }
}

/// Flags of a live heap object.
///
/// # Safety
/// `v` is a live heap object.
#[inline]
pub(crate) unsafe fn flags(v: Value) -> u8 {
    // SAFETY: caller.
    unsafe { (*header(v)).flags }
}

/// Set or clear flag bits of a live heap object.
///
/// # Safety
/// `v` is a live heap object.
#[inline]
pub(crate) unsafe fn set_flag(v: Value, flag: u8, on: bool) {
    // SAFETY: caller.
    unsafe {
        let h = header(v);
        if on {
            (*h).flags |= flag;
        } else {
            (*h).flags &= !flag;
        }
    }
}

/// Refcount of a live heap object (`u32::MAX` reads as immortal).
///
/// # Safety
/// `v` is a live heap object.
#[inline]
pub(crate) unsafe fn refcnt(v: Value) -> u32 {
    // SAFETY: caller.
    unsafe { (*header(v)).refcnt }
}

/// Overwrite the refcount (used by the dealloc path's temporary resurrection).
///
/// # Safety
/// `v` is a live heap object and the new count matches the references that exist.
#[inline]
pub(crate) unsafe fn set_refcnt(v: Value, n: u32) {
    // SAFETY: caller.
    unsafe { (*header(v)).refcnt = n }
}

/// Take a new reference to `v` (nothing for inline values).
///
/// # Safety
/// `v` is inline or a live heap object.
#[inline]
pub(crate) unsafe fn incref(v: Value) {
    if let Some(addr) = v.heap_addr() {
        let h = addr as *mut ObjHeader;
        // SAFETY: live object (caller).
        unsafe {
            if (*h).refcnt == u32::MAX - 1 {
                // Saturate: 4 billion references; the object becomes immortal.
                (*h).flags |= FLAG_IMMORTAL;
            }
            if (*h).flags & FLAG_IMMORTAL == 0 {
                (*h).refcnt += 1;
            }
        }
    }
}

/// Drop a reference unless it is the last one: returns `true` after releasing it (an
/// inline value, an immortal object, or a count above one), `false` — changing
/// nothing — when the object would reach zero.
///
/// # Safety
/// `v` is inline or a live object; the caller owns the reference.
#[inline]
pub(crate) unsafe fn decref_survives(v: Value) -> bool {
    if let Some(addr) = v.heap_addr() {
        let h = addr as *mut ObjHeader;
        // SAFETY: live object, reference owned by the caller.
        unsafe {
            if (*h).flags & FLAG_IMMORTAL != 0 {
                return true;
            }
            if (*h).refcnt <= 1 {
                return false;
            }
            (*h).refcnt -= 1;
        }
    }
    true
}

/// Drop a reference to `v`; at zero the object is released through the runtime's
/// deallocation worklist (never recursively).
///
/// # Safety
/// `v` is inline, or a live heap object of `rt` for which the caller owns the
/// reference being dropped.
#[inline]
pub(crate) unsafe fn decref(rt: &Runtime, v: Value) {
    if let Some(addr) = v.heap_addr() {
        let h = addr as *mut ObjHeader;
        // SAFETY: live object, reference owned by the caller.
        unsafe {
            if (*h).flags & FLAG_IMMORTAL != 0 {
                return;
            }
            debug_assert!((*h).refcnt > 0, "decref of a dead object {v:?}");
            (*h).refcnt -= 1;
            if (*h).refcnt == 0 {
                crate::raw::dealloc::release(rt, v);
            }
        }
    }
}
