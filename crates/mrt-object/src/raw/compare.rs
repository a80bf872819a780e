//! Python's hashing and equality over object memory, without recursion
//! (explicit stacks) and without calling host code.
#![allow(unsafe_code)]

use crate::error::{Error, Result};
use crate::hash::{self, TupleHasher};
use crate::kind::Kind;
use crate::raw::handle::Obj;
use crate::raw::object::{self, FloatObj, IntObj, StrObj, TupleObj, WeakRefObj};
use crate::raw::{list, table};
use crate::runtime::Runtime;
use crate::value::{Decoded, Value};
use smallvec::SmallVec;
use std::collections::HashSet;

/// `hash(None)` (CPython 3.12's constant; 3.11 hashes None's address).
pub(crate) const NONE_HASH: i64 = 0xFCA8_6420;

/// A number, as the equality rules see it.
#[derive(Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

/// The number a value is, if any (bools are ints).
///
/// # Safety
/// `v` is inline or live.
unsafe fn as_num(v: Value) -> Option<Num> {
    match v.decode() {
        Decoded::Bool(b) => Some(Num::Int(b as i64)),
        Decoded::SmallInt(n) => Some(Num::Int(n)),
        Decoded::None => None,
        Decoded::Heap { .. } => {
            // SAFETY: live (caller).
            match unsafe { object::kind_of(v) } {
                // SAFETY: live int/float.
                Kind::Int => Some(Num::Int(unsafe { (*object::payload::<IntObj>(v)).value })),
                // SAFETY: as above.
                Kind::Float => Some(Num::Float(unsafe {
                    (*object::payload::<FloatObj>(v)).value
                })),
                _ => None,
            }
        }
    }
}

/// Exact `int == float` (CPython's `float_richcompare`: no rounding of the int).
fn int_eq_float(i: i64, f: f64) -> bool {
    if !f.is_finite() || f.fract() != 0.0 {
        return false;
    }
    // Integral floats in [-2**63, 2**63) convert exactly.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&f) {
        f as i64 == i
    } else {
        false
    }
}

fn num_eq(a: Num, b: Num) -> bool {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x == y,
        (Num::Float(x), Num::Float(y)) => x == y,
        (Num::Int(i), Num::Float(f)) | (Num::Float(f), Num::Int(i)) => int_eq_float(i, f),
    }
}

/// The bytes of a live str or bytes object.
///
/// # Safety
/// `v` is a live str/bytes; the slice must not outlive it.
pub(crate) unsafe fn str_bytes<'a>(v: Value) -> &'a [u8] {
    let p = object::payload::<StrObj>(v);
    // SAFETY: `len` bytes follow the struct inline and are immutable.
    unsafe { std::slice::from_raw_parts(p.add(1).cast::<u8>(), (*p).len) }
}

/// The items of a live tuple.
///
/// # Safety
/// `v` is a live tuple; the slice must not outlive it.
pub(crate) unsafe fn tuple_items<'a>(v: Value) -> &'a [Value] {
    let p = object::payload::<TupleObj>(v);
    // SAFETY: `len` values follow the struct inline; tuples are immutable (only
    // `tp_clear`/dealloc change them, never while a caller holds this slice).
    unsafe { std::slice::from_raw_parts(p.add(1).cast::<Value>(), (*p).len) }
}

/// Hash of a non-tuple value.
///
/// # Safety
/// `v` is inline or a live object of `rt`.
unsafe fn hash_atom(rt: &Runtime, v: Value) -> Result<i64> {
    match v.decode() {
        Decoded::None => Ok(NONE_HASH),
        Decoded::Bool(b) => Ok(hash::hash_bool(b)),
        Decoded::SmallInt(n) => Ok(hash::hash_int(n)),
        Decoded::Heap { addr, .. } => {
            // SAFETY: live (caller).
            let kind = unsafe { object::kind_of(v) };
            match kind {
                // SAFETY: live int.
                Kind::Int => Ok(hash::hash_int(unsafe {
                    (*object::payload::<IntObj>(v)).value
                })),
                Kind::Float => {
                    // SAFETY: live float.
                    let f = unsafe { (*object::payload::<FloatObj>(v)).value };
                    Ok(hash::hash_float(f, hash::hash_pointer(addr)))
                }
                Kind::Str | Kind::Bytes => {
                    let p = object::payload::<StrObj>(v);
                    // SAFETY: live str; the cached hash is a plain field.
                    unsafe {
                        if (*p).hash == -1 {
                            (*p).hash = hash::hash_bytes(rt.inner.str_key, str_bytes(v));
                        }
                        Ok((*p).hash)
                    }
                }
                Kind::Instance | Kind::Host => Ok(hash::hash_pointer(addr)),
                Kind::WeakRef => {
                    let p = object::payload::<WeakRefObj>(v);
                    // SAFETY: live weakref; a non-None referent is live (weakrefs are
                    // cleared before their referent is freed).
                    unsafe {
                        if (*p).hash != -1 {
                            return Ok((*p).hash);
                        }
                        let r = (*p).referent;
                        if r == Value::NONE || object::refcnt(r) == 0 {
                            return Err(Error::TypeError("weak object has gone away".into()));
                        }
                        let h = hash_value(rt, r)?;
                        (*p).hash = h;
                        Ok(h)
                    }
                }
                Kind::Tuple | Kind::List | Kind::Dict | Kind::Set => {
                    Err(Error::unhashable(kind.name()))
                }
            }
        }
    }
}

/// `hash(v)` following CPython 3.11 for built-ins; identity for instances and host
/// data; `TypeError` for list/dict/set (also inside tuples). Iterative over nested
/// tuples.
///
/// # Safety
/// `v` is inline or a live object of `rt`.
pub(crate) unsafe fn hash_value(rt: &Runtime, v: Value) -> Result<i64> {
    if !is_tuple(v) {
        // SAFETY: caller.
        return unsafe { hash_atom(rt, v) };
    }
    let mut stack: SmallVec<[(Value, usize, TupleHasher); 8]> = SmallVec::new();
    stack.push((v, 0, TupleHasher::new()));
    loop {
        let top = stack.len() - 1;
        let (t, i, _) = stack[top];
        // SAFETY: `t` is `v` or an item of a live tuple, so live.
        let items = unsafe { tuple_items(t) };
        if i < items.len() {
            stack[top].1 += 1;
            let item = items[i];
            if is_tuple(item) {
                stack.push((item, 0, TupleHasher::new()));
            } else {
                // SAFETY: item of a live tuple.
                let h = unsafe { hash_atom(rt, item) }?;
                stack[top].2.add(h);
            }
        } else {
            let h = stack[top].2.finish();
            stack.pop();
            match stack.last_mut() {
                Some(parent) => parent.2.add(h),
                None => return Ok(h),
            }
        }
    }
}

fn is_tuple(v: Value) -> bool {
    // SAFETY: only called on live values (the callers' contracts).
    v.is_heap() && unsafe { object::kind_of(v) } == Kind::Tuple
}

/// The kind of a heap value, `None` for inline values.
///
/// # Safety
/// `v` is inline or live.
unsafe fn kind(v: Value) -> Option<Kind> {
    // SAFETY: caller.
    v.is_heap().then(|| unsafe { object::kind_of(v) })
}

/// Compare two values that are not identical and not containers.
///
/// # Safety
/// Both inline or live.
unsafe fn atom_eq(a: Value, b: Value) -> bool {
    // SAFETY: caller.
    unsafe {
        if let (Some(x), Some(y)) = (as_num(a), as_num(b)) {
            return num_eq(x, y);
        }
        match (kind(a), kind(b)) {
            (Some(Kind::Str), Some(Kind::Str)) | (Some(Kind::Bytes), Some(Kind::Bytes)) => {
                str_bytes(a) == str_bytes(b)
            }
            (Some(Kind::WeakRef), Some(Kind::WeakRef)) => {
                let ra = (*object::payload::<WeakRefObj>(a)).referent;
                let rb = (*object::payload::<WeakRefObj>(b)).referent;
                ra != Value::NONE && rb != Value::NONE && keys_equal(ra, rb)
            }
            _ => false,
        }
    }
}

/// Key equality for dicts and sets: identity, then Python `==` for hashable
/// built-ins (numbers across types, str, bytes, tuples elementwise, live weakrefs by
/// referent). Pure: reads memory only.
///
/// # Safety
/// Both inline or live.
pub(crate) unsafe fn keys_equal(a: Value, b: Value) -> bool {
    if a == b {
        return true;
    }
    // SAFETY: caller.
    if !(unsafe { kind(a) } == Some(Kind::Tuple) && unsafe { kind(b) } == Some(Kind::Tuple)) {
        // SAFETY: caller.
        return unsafe { atom_eq(a, b) };
    }
    let mut stack: SmallVec<[(Value, Value); 8]> = SmallVec::new();
    stack.push((a, b));
    while let Some((x, y)) = stack.pop() {
        if x == y {
            continue;
        }
        // SAFETY: `a`, `b` or items of live tuples.
        unsafe {
            if kind(x) == Some(Kind::Tuple) && kind(y) == Some(Kind::Tuple) {
                let (ix, iy) = (tuple_items(x), tuple_items(y));
                if ix.len() != iy.len() {
                    return false;
                }
                stack.extend(ix.iter().copied().zip(iy.iter().copied()));
            } else if !atom_eq(x, y) {
                return false;
            }
        }
    }
    true
}

/// Python `==` for any two values: containers compared structurally (lists and
/// tuples elementwise, dicts by keys and values, sets by membership), everything
/// else as [`keys_equal`]. Iterative; a pair of containers already being compared is
/// assumed equal (so self-referencing structures terminate instead of raising
/// CPython's `RecursionError`). Pure: reads memory only.
///
/// # Safety
/// Both inline or live objects of `rt`.
pub(crate) unsafe fn py_eq(rt: &Runtime, a: Value, b: Value) -> Result<bool> {
    let mut stack: Vec<(Value, Value)> = vec![(a, b)];
    let mut seen: HashSet<(Value, Value)> = HashSet::new();
    while let Some((x, y)) = stack.pop() {
        if x == y {
            continue;
        }
        // SAFETY: `a`, `b`, or values held by live containers (no code runs that
        // could release them: this loop only reads).
        unsafe {
            match (kind(x), kind(y)) {
                (Some(Kind::List | Kind::Tuple), Some(Kind::List | Kind::Tuple))
                    if kind(x) == kind(y) =>
                {
                    if !seen.insert((x, y)) {
                        continue;
                    }
                    let (ix, iy) = (seq_items(x), seq_items(y));
                    if ix.len() != iy.len() {
                        return Ok(false);
                    }
                    stack.extend(ix.into_iter().zip(iy));
                }
                (Some(Kind::Dict), Some(Kind::Dict)) | (Some(Kind::Set), Some(Kind::Set)) => {
                    if !seen.insert((x, y)) {
                        continue;
                    }
                    if table::len_raw(x) != table::len_raw(y) {
                        return Ok(false);
                    }
                    for (k, vx) in table::entries_raw(x) {
                        let h = hash_value(rt, k)?;
                        match table::lookup_raw(y, k, h) {
                            Some(vy) => stack.push((vx, vy)),
                            None => return Ok(false),
                        }
                    }
                }
                _ => {
                    if !atom_eq(x, y) {
                        return Ok(false);
                    }
                }
            }
        }
    }
    Ok(true)
}

/// A snapshot of the items of a live list or tuple.
///
/// # Safety
/// `v` is a live list or tuple.
unsafe fn seq_items(v: Value) -> Vec<Value> {
    // SAFETY: caller.
    unsafe {
        if object::kind_of(v) == Kind::Tuple {
            tuple_items(v).to_vec()
        } else {
            let mut out = Vec::new();
            list::for_each(v, |x| out.push(x));
            out
        }
    }
}

/// `hash(o)`.
pub(crate) fn hash_obj(o: &Obj<'_>) -> Result<i64> {
    // SAFETY: a handle's value is live.
    unsafe { hash_value(o.runtime(), o.value()) }
}

/// `a == b`.
pub(crate) fn eq_obj(a: &Obj<'_>, b: &Obj<'_>) -> Result<bool> {
    a.check_same_runtime(b)?;
    // SAFETY: both handles are live objects of the same runtime.
    unsafe { py_eq(a.runtime(), a.value(), b.value()) }
}
