//! The insertion-ordered hash table behind dict and set (docs/object_model.md §3).
//!
//! ```text
//! DictObj ── entries: [Entry; cap]   (hash, key, value) in insertion order;
//!        │                            deleted entries keep their slot (key = NULL)
//!        └── index: null while `used <= SMALL` (lookups scan cached hashes), else a
//!                   hashbrown HashTable<u32> of positions, allocated from the heap
//! ```
//! A set is the same table with `value = None` everywhere.
//!
//! Hashing and key equality are pure (`raw::compare`), so no host code runs while a
//! table is being changed; references are dropped only after a change is complete.
#![allow(unsafe_code)]

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::raw::compare::{hash_value, keys_equal};
use crate::raw::gc_link;
use crate::raw::handle::Obj;
use crate::raw::mem::HeapAlloc;
use crate::raw::object::{self, DictObj, Entry, IndexTable};
use crate::runtime::Runtime;
use crate::value::Value;
use std::ptr::{self, NonNull};

/// Tables with at most this many used entries have no index: a linear scan over
/// cached hashes is faster and costs no memory.
pub(crate) const SMALL: usize = 8;
/// Largest number of entries (positions are `u32`).
const MAX_ENTRIES: usize = u32::MAX as usize;

/// The hash hashbrown sees. hashbrown takes the bucket from the low bits and a 7-bit
/// tag from the top bits. Python hashes of small ints are the ints themselves: their
/// low bits make consecutive keys land in consecutive buckets (CPython's cache-friendly
/// behaviour, kept), but their top bits are all equal, so the tag comes from a
/// multiplicative mix instead.
#[inline]
fn mix(hash: i64) -> u64 {
    const LOW: u64 = (1 << 57) - 1;
    let h = hash as u64;
    (h & LOW) | (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) & !LOW)
}

/// The table struct of a handle of kind `kind`, or a `TypeError` naming `method`.
#[inline]
pub(crate) fn table_ptr(d: &Obj<'_>, kind: Kind, method: &str) -> Result<*mut DictObj> {
    if d.kind() == Some(kind) {
        Ok(object::payload::<DictObj>(d.value()))
    } else {
        Err(Error::TypeError(format!(
            "'{}' object has no attribute '{method}'",
            crate::repr::type_name(d)
        )))
    }
}

/// A new empty dict (untracked, like CPython's) or set (tracked).
pub(crate) fn new_table(rt: &Runtime, kind: Kind) -> Result<Obj<'_>> {
    debug_assert!(matches!(kind, Kind::Dict | Kind::Set));
    gc_link::on_alloc(rt, object::GC_HEAD + size_of::<DictObj>())?;
    let v = object::alloc_object(rt, kind, size_of::<DictObj>(), 0)?;
    let p = object::payload::<DictObj>(v);
    // SAFETY: fresh DictObj allocation with its header initialised.
    unsafe {
        (*p).entries = ptr::null_mut();
        (*p).cap = 0;
        (*p).used = 0;
        (*p).len = 0;
        (*p).version = 0;
        (*p).index = ptr::null_mut();
        if kind == Kind::Set {
            gc_link::track(rt, v);
        }
        Ok(Obj::from_owned(rt, v))
    }
}

/// The entry at `i`.
///
/// # Safety
/// `p` is a live table and `i < used`.
#[inline]
unsafe fn entry<'a>(p: *mut DictObj, i: usize) -> &'a mut Entry {
    // SAFETY: caller.
    unsafe { &mut *(*p).entries.add(i) }
}

/// Position of `key` (with hash `hash`) in the entries.
///
/// # Safety
/// `p` is a live table; `key` inline or live.
unsafe fn find(p: *mut DictObj, key: Value, hash: i64) -> Option<usize> {
    // SAFETY: live table; positions < used; keys in the table are live.
    unsafe {
        let entries = (*p).entries;
        if let Some(index) = (*p).index.as_ref() {
            return index
                .find(mix(hash), |&i| {
                    let e = &*entries.add(i as usize);
                    e.hash == hash && keys_equal(e.key, key)
                })
                .map(|&i| i as usize);
        }
        (0..(*p).used as usize).find(|&i| {
            let e = &*entries.add(i);
            !e.key.is_null() && e.hash == hash && keys_equal(e.key, key)
        })
    }
}

/// Allocate and fill an index for the current entries.
///
/// # Safety
/// `p` is a live table of `rt` without an index.
unsafe fn build_index(rt: &Runtime, p: *mut DictObj, capacity: usize) -> Result<()> {
    let mut table = IndexTable::new_in(HeapAlloc::new(&rt.inner.mem));
    // SAFETY: live table; the hasher reads hashes of entries at positions < used.
    unsafe {
        let entries = (*p).entries;
        let hasher = |&i: &u32| mix((*entries.add(i as usize)).hash);
        table
            .try_reserve(capacity, hasher)
            .map_err(|_| Error::MemoryError("dict index".into()))?;
        for i in 0..(*p).used as usize {
            let e = &*entries.add(i);
            if !e.key.is_null() {
                table.insert_unique(mix(e.hash), i as u32, hasher);
            }
        }
        let block = match rt.inner.mem.try_alloc(size_of::<IndexTable>()) {
            Ok(b) => b.cast::<IndexTable>(),
            Err(e) => return Err(e),
        };
        block.as_ptr().write(table);
        (*p).index = block.as_ptr();
    }
    Ok(())
}

/// Drop a table's index (if any).
///
/// # Safety
/// `p` is a live table of `rt`.
unsafe fn drop_index(rt: &Runtime, p: *mut DictObj) {
    // SAFETY: the index was written by `build_index` into a block of its size.
    unsafe {
        if let Some(ix) = NonNull::new((*p).index) {
            (*p).index = ptr::null_mut();
            ptr::drop_in_place(ix.as_ptr());
            rt.inner.mem.free(ix.cast(), size_of::<IndexTable>());
        }
    }
}

/// Move live entries to the front (removing tombstones); rebuilds the index.
///
/// # Safety
/// `p` is a live table of `rt`.
unsafe fn compact_in_place(rt: &Runtime, p: *mut DictObj) -> Result<()> {
    // SAFETY: live table; moves stay below `used`.
    unsafe {
        if (*p).used == (*p).len {
            return Ok(());
        }
        let entries = (*p).entries;
        let mut w = 0;
        for r in 0..(*p).used as usize {
            let e = *entries.add(r);
            if !e.key.is_null() {
                entries.add(w).write(e);
                w += 1;
            }
        }
        (*p).used = w as u32;
        let had_index = !(*p).index.is_null();
        drop_index(rt, p);
        if had_index && w > SMALL {
            build_index(rt, p, w)?;
        }
    }
    Ok(())
}

/// Make room for one more entry: compact when at least half the entries are
/// tombstones, else grow the entry vector (doubling).
///
/// # Safety
/// `p` is a live table of `rt` with `used == cap`.
unsafe fn make_room(rt: &Runtime, p: *mut DictObj) -> Result<()> {
    // SAFETY: live table; the entry buffer has `cap * 24` bytes.
    unsafe {
        let (cap, len) = ((*p).cap as usize, (*p).len as usize);
        if cap > 0 && len * 2 <= cap {
            return compact_in_place(rt, p);
        }
        if cap >= MAX_ENTRIES {
            return Err(Error::MemoryError("dict too large".into()));
        }
        let new_cap = if cap == 0 {
            1
        } else {
            (cap * 2).min(MAX_ENTRIES)
        };
        let bytes = new_cap * size_of::<Entry>();
        let new = match NonNull::new((*p).entries) {
            None => rt.inner.mem.try_alloc(bytes)?,
            Some(old) => rt
                .inner
                .mem
                .try_realloc(old.cast(), cap * size_of::<Entry>(), bytes)?,
        };
        (*p).entries = new.as_ptr().cast();
        (*p).cap = new_cap as u32;
        // Positions are unchanged; the index stays valid. Drop tombstones too.
        compact_in_place(rt, p)
    }
}

/// Append a new entry (the key is known to be absent). Takes ownership of the
/// references in `key`/`value` only on success.
///
/// # Safety
/// `p` is a live table of `rt`; `key`, `value` inline or live.
unsafe fn insert_new(
    rt: &Runtime,
    p: *mut DictObj,
    hash: i64,
    key: Value,
    value: Value,
) -> Result<()> {
    // SAFETY: live table; `make_room` guarantees `used < cap`; the index (if any) has
    // reserved room before the entry is written, so nothing fails half-way.
    unsafe {
        if (*p).used == (*p).cap {
            make_room(rt, p)?;
        }
        let pos = (*p).used as usize;
        let entries = (*p).entries;
        if let Some(index) = (*p).index.as_mut() {
            let hasher = |&i: &u32| mix((*entries.add(i as usize)).hash);
            index
                .try_reserve(1, hasher)
                .map_err(|_| Error::MemoryError("dict index".into()))?;
        }
        entries.add(pos).write(Entry { hash, key, value });
        (*p).used += 1;
        (*p).len += 1;
        (*p).version = (*p).version.wrapping_add(1);
        match (*p).index.as_mut() {
            Some(index) => {
                let hasher = |&i: &u32| mix((*entries.add(i as usize)).hash);
                index.insert_unique(mix(hash), pos as u32, hasher);
            }
            None if pos + 1 > SMALL => {
                if let Err(e) = build_index(rt, p, pos + 1) {
                    // Undo: the table is unchanged and the caller keeps the references.
                    (*p).used -= 1;
                    (*p).len -= 1;
                    return Err(e);
                }
            }
            None => {}
        }
    }
    Ok(())
}

/// CPython's `_PyObject_GC_MAY_BE_TRACKED`: GC-capable, and not an untracked tuple.
///
/// # Safety
/// `v` inline or a live object of `rt`.
pub(crate) unsafe fn may_be_tracked(rt: &Runtime, v: Value) -> bool {
    if v.gc_addr().is_none() {
        return false;
    }
    // SAFETY: live GC-capable object (caller).
    unsafe { object::kind_of(v) != Kind::Tuple || gc_link::is_tracked(rt, v) }
}

/// `d[key] = value` (dict) or `s.add(key)` (set, `value = None`).
pub(crate) fn set(d: &Obj<'_>, kind: Kind, key: &Obj<'_>, value: &Obj<'_>) -> Result<()> {
    d.check_same_runtime(key)?;
    d.check_same_runtime(value)?;
    let p = table_ptr(
        d,
        kind,
        if kind == Kind::Dict {
            "__setitem__"
        } else {
            "add"
        },
    )?;
    let rt = d.runtime();
    let (k, v) = (key.value(), value.value());
    // SAFETY: live table and live arguments (handles).
    unsafe {
        let hash = hash_value(rt, k)?;
        match find(p, k, hash) {
            Some(i) => {
                if kind == Kind::Set {
                    return Ok(());
                }
                object::incref(v);
                let old = std::mem::replace(&mut entry(p, i).value, v);
                maintain_tracking(rt, d.value(), k, v);
                object::decref(rt, old);
            }
            None => {
                insert_new(rt, p, hash, k, v)?;
                object::incref(k);
                object::incref(v);
                maintain_tracking(rt, d.value(), k, v);
            }
        }
    }
    Ok(())
}

/// CPython's `MAINTAIN_TRACKING`: an untracked dict starts being tracked when it
/// stores something that may be tracked.
///
/// # Safety
/// `d` is a live table of `rt`; `k`, `v` inline or live.
unsafe fn maintain_tracking(rt: &Runtime, d: Value, k: Value, v: Value) {
    // SAFETY: caller.
    unsafe {
        if !gc_link::is_tracked(rt, d) && (may_be_tracked(rt, k) || may_be_tracked(rt, v)) {
            gc_link::track(rt, d);
        }
    }
}

/// `d.get(key)` / `key in s`: the stored value (`None` for sets) if present.
pub(crate) fn get<'rt>(d: &Obj<'rt>, kind: Kind, key: &Obj<'_>) -> Result<Option<Obj<'rt>>> {
    d.check_same_runtime(key)?;
    let p = table_ptr(
        d,
        kind,
        if kind == Kind::Dict {
            "get"
        } else {
            "__contains__"
        },
    )?;
    // SAFETY: live table and key.
    unsafe {
        let hash = hash_value(d.runtime(), key.value())?;
        Ok(find(p, key.value(), hash).map(|i| Obj::from_borrowed(d.runtime(), entry(p, i).value)))
    }
}

/// Remove `key`; returns the removed key and value as handles (so their release
/// happens after the table is consistent), or `None` when absent.
pub(crate) fn remove<'rt>(
    d: &Obj<'rt>,
    kind: Kind,
    key: &Obj<'_>,
) -> Result<Option<(Obj<'rt>, Obj<'rt>)>> {
    d.check_same_runtime(key)?;
    let p = table_ptr(d, kind, if kind == Kind::Dict { "pop" } else { "discard" })?;
    let rt = d.runtime();
    // SAFETY: live table and key; the entry's references move into the handles.
    unsafe {
        let hash = hash_value(rt, key.value())?;
        let Some(i) = find(p, key.value(), hash) else {
            return Ok(None);
        };
        if let Some(index) = (*p).index.as_mut()
            && let Ok(e) = index.find_entry(mix(hash), |&j| j as usize == i)
        {
            e.remove();
        }
        let e = entry(p, i);
        let (k, v) = (e.key, e.value);
        e.key = Value::NULL;
        e.value = Value::NULL;
        (*p).len -= 1;
        (*p).version = (*p).version.wrapping_add(1);
        Ok(Some((Obj::from_owned(rt, k), Obj::from_owned(rt, v))))
    }
}

/// `len(d)`.
pub(crate) fn len(d: &Obj<'_>, kind: Kind) -> Result<usize> {
    let p = table_ptr(d, kind, "__len__")?;
    // SAFETY: live table.
    Ok(unsafe { (*p).len as usize })
}

/// `(len, used, cap, has_index, version)` for tests and iteration.
pub(crate) fn shape(d: &Obj<'_>, kind: Kind) -> Result<(usize, usize, usize, bool, u32)> {
    let p = table_ptr(d, kind, "__len__")?;
    // SAFETY: live table.
    unsafe {
        Ok((
            (*p).len as usize,
            (*p).used as usize,
            (*p).cap as usize,
            !(*p).index.is_null(),
            (*p).version,
        ))
    }
}

/// The first live entry at position `>= from`: `(position, key, value)`.
pub(crate) fn next_entry<'rt>(
    d: &Obj<'rt>,
    kind: Kind,
    from: usize,
) -> Option<(usize, Obj<'rt>, Obj<'rt>)> {
    let p = table_ptr(d, kind, "__iter__").ok()?;
    // SAFETY: live table; positions < used.
    unsafe {
        for i in from..(*p).used as usize {
            let e = *entry(p, i);
            if !e.key.is_null() {
                let rt = d.runtime();
                return Some((
                    i,
                    Obj::from_borrowed(rt, e.key),
                    Obj::from_borrowed(rt, e.value),
                ));
            }
        }
    }
    None
}

/// Remove tombstones and shrink the entry vector to fit (`dict` has no such method
/// in Python; CPython compacts on resize).
pub(crate) fn compact(d: &Obj<'_>, kind: Kind) -> Result<()> {
    let p = table_ptr(d, kind, "compact")?;
    let rt = d.runtime();
    // SAFETY: live table; the entry buffer has `cap * 24` bytes.
    unsafe {
        compact_in_place(rt, p)?;
        let (cap, len) = ((*p).cap as usize, (*p).len as usize);
        if len == 0 {
            clear_raw(rt, d.value());
        } else if len < cap {
            let old = NonNull::new_unchecked((*p).entries).cast();
            let new = rt.inner.mem.try_realloc(
                old,
                cap * size_of::<Entry>(),
                len * size_of::<Entry>(),
            )?;
            (*p).entries = new.as_ptr().cast();
            (*p).cap = len as u32;
        }
        (*p).version = (*p).version.wrapping_add(1);
    }
    Ok(())
}

/// Empty a table and release its references (`d.clear()`, dealloc, `tp_clear`).
///
/// # Safety
/// `v` is a live dict/set of `rt` (its refcount may be zero during deallocation).
pub(crate) unsafe fn clear_raw(rt: &Runtime, v: Value) {
    let p = object::payload::<DictObj>(v);
    // SAFETY: live table. Everything is detached before any reference is dropped.
    unsafe {
        drop_index(rt, p);
        let (entries, used, cap) = ((*p).entries, (*p).used as usize, (*p).cap as usize);
        (*p).entries = ptr::null_mut();
        (*p).used = 0;
        (*p).cap = 0;
        (*p).len = 0;
        (*p).version = (*p).version.wrapping_add(1);
        if let Some(buf) = NonNull::new(entries) {
            for i in 0..used {
                let e = buf.as_ptr().add(i).read();
                if !e.key.is_null() {
                    object::decref(rt, e.key);
                    object::decref(rt, e.value);
                }
            }
            rt.inner.mem.free(buf.cast(), cap * size_of::<Entry>());
        }
    }
}

/// Call `f` on every live key and value (for `traverse`).
///
/// # Safety
/// `v` is a live table; `f` must not change it.
pub(crate) unsafe fn for_each(v: Value, mut f: impl FnMut(Value, Value)) {
    let p = object::payload::<DictObj>(v);
    // SAFETY: live table, positions < used.
    unsafe {
        for i in 0..(*p).used as usize {
            let e = *entry(p, i);
            if !e.key.is_null() {
                f(e.key, e.value);
            }
        }
    }
}

/// Live entries of a table, snapshot.
///
/// # Safety
/// `v` is a live table.
pub(crate) unsafe fn entries_raw(v: Value) -> Vec<(Value, Value)> {
    let mut out = Vec::new();
    // SAFETY: caller.
    unsafe { for_each(v, |k, x| out.push((k, x))) };
    out
}

/// `len` of a live table.
///
/// # Safety
/// `v` is a live table.
pub(crate) unsafe fn len_raw(v: Value) -> usize {
    // SAFETY: caller.
    unsafe { (*object::payload::<DictObj>(v)).len as usize }
}

/// The value stored under `key` in a live table.
///
/// # Safety
/// `v` is a live table; `key` inline or live.
pub(crate) unsafe fn lookup_raw(v: Value, key: Value, hash: i64) -> Option<Value> {
    let p = object::payload::<DictObj>(v);
    // SAFETY: caller.
    unsafe { find(p, key, hash).map(|i| entry(p, i).value) }
}

/// `d.clear()` / `s.clear()`.
pub(crate) fn clear(d: &Obj<'_>, kind: Kind) -> Result<()> {
    table_ptr(d, kind, "clear")?;
    // SAFETY: live table of the handle's runtime.
    unsafe { clear_raw(d.runtime(), d.value()) };
    Ok(())
}

/// Free a dying table's index and entry vector without releasing the entries
/// (the deallocation frames released them).
///
/// # Safety
/// `v` is a live dict/set of `rt` at refcount zero whose entries' references were
/// all released; nothing uses it afterwards.
pub(crate) unsafe fn free_storage(rt: &Runtime, v: Value) {
    let p = object::payload::<DictObj>(v);
    // SAFETY: caller; the entry buffer has `cap` entries.
    unsafe {
        drop_index(rt, p);
        let (entries, cap) = ((*p).entries, (*p).cap as usize);
        (*p).entries = ptr::null_mut();
        (*p).used = 0;
        (*p).len = 0;
        (*p).cap = 0;
        if let Some(buf) = NonNull::new(entries) {
            rt.inner.mem.free(buf.cast(), cap * size_of::<Entry>());
        }
    }
}
