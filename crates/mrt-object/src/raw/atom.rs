//! Atomic objects: boxed ints, floats, str and bytes, and the intern table.
//! None, bools and 63-bit ints are inline words and never reach this file.
#![allow(unsafe_code)]

use crate::error::{Error, Result};
use crate::hash;
use crate::kind::Kind;
use crate::raw::compare::str_bytes;
use crate::raw::handle::Obj;
use crate::raw::object::{self, FLAG_INTERNED, FloatObj, IntObj, StrObj};
use crate::runtime::Runtime;
use crate::value::Value;

/// An int outside the inline range (`Runtime::int` handles the inline ones): a
/// 16-byte heap int.
pub(crate) fn new_big_int(rt: &Runtime, n: i64) -> Result<Obj<'_>> {
    debug_assert!(Value::small_int(n).is_none());
    let v = object::alloc_object(rt, Kind::Int, size_of::<IntObj>(), 0)?;
    // SAFETY: fresh IntObj.
    unsafe {
        (*object::payload::<IntObj>(v)).value = n;
        Ok(Obj::from_owned(rt, v))
    }
}

/// A float (16 bytes).
pub(crate) fn new_float(rt: &Runtime, f: f64) -> Result<Obj<'_>> {
    let v = object::alloc_object(rt, Kind::Float, size_of::<FloatObj>(), 0)?;
    // SAFETY: fresh FloatObj.
    unsafe {
        (*object::payload::<FloatObj>(v)).value = f;
        Ok(Obj::from_owned(rt, v))
    }
}

/// A str (`kind = Str`, `data` valid UTF-8) or bytes object.
pub(crate) fn new_bytes_like<'rt>(rt: &'rt Runtime, kind: Kind, data: &[u8]) -> Result<Obj<'rt>> {
    debug_assert!(matches!(kind, Kind::Str | Kind::Bytes));
    let size = size_of::<StrObj>()
        .checked_add(data.len())
        .ok_or_else(|| Error::MemoryError("string too long".into()))?;
    let v = object::alloc_object(rt, kind, size, 0)?;
    let p = object::payload::<StrObj>(v);
    // SAFETY: fresh block of `24 + len` bytes.
    unsafe {
        (*p).len = data.len();
        (*p).hash = -1;
        std::ptr::copy_nonoverlapping(data.as_ptr(), p.add(1).cast::<u8>(), data.len());
        Ok(Obj::from_owned(rt, v))
    }
}

/// The value of an int (inline, boxed, or a bool).
pub(crate) fn int_value(o: &Obj<'_>) -> Option<i64> {
    match o.value().decode() {
        crate::Decoded::SmallInt(n) => Some(n),
        crate::Decoded::Bool(b) => Some(b as i64),
        crate::Decoded::Heap { .. } if o.kind() == Some(Kind::Int) => {
            // SAFETY: live int (handle invariant, kind checked).
            Some(unsafe { (*object::payload::<IntObj>(o.value())).value })
        }
        _ => None,
    }
}

/// The value of a float.
pub(crate) fn float_value(o: &Obj<'_>) -> Option<f64> {
    // SAFETY: live float (handle invariant, kind checked).
    (o.kind() == Some(Kind::Float))
        .then(|| unsafe { (*object::payload::<FloatObj>(o.value())).value })
}

/// The bytes of a str or bytes object, borrowed from the handle (the object is
/// immutable and lives at least as long as the borrow of the handle).
pub(crate) fn bytes_of<'a>(o: &'a Obj<'_>, kind: Kind) -> Option<&'a [u8]> {
    // SAFETY: live str/bytes (kind checked); the slice is tied to the handle borrow.
    (o.kind() == Some(kind)).then(|| unsafe { str_bytes(o.value()) })
}

/// The text of a str, borrowed from the handle.
pub(crate) fn str_of<'a>(o: &'a Obj<'_>) -> Option<&'a str> {
    // str objects are only ever built from `&str`.
    bytes_of(o, Kind::Str).map(|b| std::str::from_utf8(b).unwrap_or_default())
}

/// `sys.intern(s)`: the runtime's unique str with this content. The table holds no
/// reference: a str leaves it when it dies.
pub(crate) fn intern<'rt>(rt: &'rt Runtime, s: &str) -> Result<Obj<'rt>> {
    let h = hash::hash_bytes(rt.inner.str_key, s.as_bytes());
    if let Some(found) = find_interned(rt, h, s) {
        return Ok(found);
    }
    let o = new_bytes_like(rt, Kind::Str, s.as_bytes())?;
    // Allocating may have run a collection (under a memory budget) whose host code
    // interned the same text.
    if let Some(found) = find_interned(rt, h, s) {
        return Ok(found);
    }
    let v = o.value();
    // SAFETY: live, fresh str.
    unsafe {
        (*object::payload::<StrObj>(v)).hash = h;
        object::set_flag(v, FLAG_INTERNED, true);
    }
    // SAFETY: entries are live strs with cached hashes.
    let hasher = |&x: &Value| unsafe { (*object::payload::<StrObj>(x)).hash } as u64;
    rt.inner
        .interned
        .borrow_mut()
        .insert_unique(h as u64, v, hasher);
    Ok(o)
}

/// The interned str with this text, if one is alive.
///
/// A str whose refcount reached zero stays in the table until it is freed (it may
/// wait on the deallocation worklist while host code runs); it must not be handed
/// out again, or it would be freed under a live handle.
fn find_interned<'rt>(rt: &'rt Runtime, h: i64, s: &str) -> Option<Obj<'rt>> {
    let found = rt
        .inner
        .interned
        .borrow()
        // SAFETY: table entries are strs not yet freed (removed before they are).
        .find(h as u64, |&v| unsafe {
            object::refcnt(v) > 0 && str_bytes(v) == s.as_bytes()
        })
        .copied();
    // SAFETY: a str of `rt` with a positive refcount is live.
    found.map(|v| unsafe { Obj::from_borrowed(rt, v) })
}

/// Remove a dying interned str from the table.
///
/// # Safety
/// `v` is a live interned str of `rt`.
pub(crate) unsafe fn forget_interned(rt: &Runtime, v: Value) {
    // SAFETY: interned strs have their hash cached at interning.
    let h = unsafe { (*object::payload::<StrObj>(v)).hash };
    if let Ok(e) = rt
        .inner
        .interned
        .borrow_mut()
        .find_entry(h as u64, |&x| x == v)
    {
        e.remove();
    }
}

/// Whether a str is interned.
pub(crate) fn is_interned(o: &Obj<'_>) -> bool {
    // SAFETY: live object (kind checked).
    o.kind() == Some(Kind::Str) && unsafe { object::flags(o.value()) } & FLAG_INTERNED != 0
}
