//! Instances of host classes: the class's words (slots, then the dict) inline after
//! the 8-byte header; `aux` is the class index. An unset slot holds `Value::NULL`.
#![allow(unsafe_code)]

use crate::class::ClassInfo;
use crate::error::Result;
use crate::kind::Kind;
use crate::raw::gc_link;
use crate::raw::handle::Obj;
use crate::raw::object::{self, InstanceObj};
use crate::runtime::Runtime;
use crate::value::Value;
use std::rc::Rc;

/// A new instance with every slot unset; always tracked.
pub(crate) fn new_instance<'rt>(
    rt: &'rt Runtime,
    index: u16,
    class: &ClassInfo,
) -> Result<Obj<'rt>> {
    let words = class.words();
    let size = size_of::<InstanceObj>() + 8 * words;
    gc_link::on_alloc(rt, object::GC_HEAD + size)?;
    let v = object::alloc_object(rt, Kind::Instance, size, index)?;
    let p = object::payload::<InstanceObj>(v);
    // SAFETY: fresh block with room for `words` values after the header.
    unsafe {
        let slots = p.add(1).cast::<Value>();
        for i in 0..words {
            slots.add(i).write(Value::NULL);
        }
        gc_link::track(rt, v);
        Ok(Obj::from_owned(rt, v))
    }
}

/// The class of an instance handle.
pub(crate) fn class_of(o: &Obj<'_>) -> Option<(u16, Rc<ClassInfo>)> {
    if o.kind() != Some(Kind::Instance) {
        return None;
    }
    // SAFETY: live instance.
    let index = unsafe { (*object::header(o.value())).aux };
    Some((index, o.runtime().class_at(index)))
}

/// Pointer to word `i` of a live instance.
fn word(v: Value, i: usize) -> *mut Value {
    object::payload::<InstanceObj>(v)
        .wrapping_add(1)
        .cast::<Value>()
        .wrapping_add(i)
}

/// Read word `i` (`None` when unset).
pub(crate) fn get_word<'rt>(o: &Obj<'rt>, class: &ClassInfo, i: usize) -> Option<Obj<'rt>> {
    debug_assert!(i < class.words());
    // SAFETY: live instance of `class` (the caller got `class` from `class_of(o)`),
    // `i < words`.
    unsafe {
        let v = *word(o.value(), i);
        (!v.is_null()).then(|| Obj::from_borrowed(o.runtime(), v))
    }
}

/// Write word `i` (`None` unsets); the old value is released after the store.
pub(crate) fn set_word(o: &Obj<'_>, class: &ClassInfo, i: usize, x: Option<&Obj<'_>>) {
    debug_assert!(i < class.words());
    let new = x.map_or(Value::NULL, |x| x.value());
    // SAFETY: as in `get_word`; `x` is a live handle of the same runtime (checked by
    // the caller).
    unsafe {
        object::incref(new);
        let old = std::mem::replace(&mut *word(o.value(), i), new);
        if !old.is_null() {
            object::decref(o.runtime(), old);
        }
    }
}

/// Call `f` on every set word (for `traverse`).
///
/// # Safety
/// `v` is a live instance with `words` words.
pub(crate) unsafe fn for_each(v: Value, words: usize, mut f: impl FnMut(Value)) {
    for i in 0..words {
        // SAFETY: caller.
        let x = unsafe { *word(v, i) };
        if !x.is_null() {
            f(x);
        }
    }
}

/// Unset every word, releasing the values (`tp_clear`, dealloc).
///
/// # Safety
/// `v` is a live instance of `rt` with `words` words.
pub(crate) unsafe fn clear_raw(rt: &Runtime, v: Value, words: usize) {
    for i in 0..words {
        // SAFETY: caller; the word is unset before its reference is dropped.
        unsafe {
            let old = std::mem::replace(&mut *word(v, i), Value::NULL);
            if !old.is_null() {
                object::decref(rt, old);
            }
        }
    }
}
