//! References the runtime itself owns (the globals dict, the empty tuple), and teardown: what
//! dropping a `Runtime` does (design §2: "frees everything it owns, cycles
//! included, running finalizers first").
#![allow(unsafe_code)]

use crate::error::Result;
use crate::raw::handle::Obj;
use crate::raw::object;
use crate::runtime::Runtime;
use crate::value::Value;

/// The runtime's globals dict (created on first use; the runtime owns a reference).
pub(crate) fn globals(rt: &Runtime) -> Result<Obj<'_>> {
    let g = rt.inner.globals.get();
    if !g.is_null() {
        // SAFETY: the runtime owns a reference to its globals dict, so it is live.
        return Ok(unsafe { Obj::from_borrowed(rt, g) });
    }
    let d = rt.dict()?;
    // Creating it may have run host code that created it already.
    let g = rt.inner.globals.get();
    if !g.is_null() {
        // SAFETY: as above.
        return Ok(unsafe { Obj::from_borrowed(rt, g) });
    }
    // SAFETY: live dict; the runtime takes a reference of its own.
    unsafe { object::incref(d.value()) };
    rt.inner.globals.set(d.value());
    Ok(d)
}

/// Free everything: drop the runtime's own references, let the collector find the
/// cycles (running finalizers, PEP 442), then clear whatever is still tracked
/// (leaked handles, frozen objects) so host values are dropped. Memory of anything
/// left (atoms behind leaked handles) goes back with the heap.
pub(crate) fn teardown(rt: &mut Runtime) {
    let rt: &Runtime = rt;
    let g = rt.inner.globals.replace(Value::NULL);
    // SAFETY: the runtime owned this reference.
    unsafe { object::decref(rt, g) };
    let t = rt.inner.empty_tuple.replace(Value::NULL);
    if !t.is_null() {
        // SAFETY: the runtime owned this reference.
        unsafe { object::decref(rt, t) };
    }
    crate::raw::gc_host::teardown(rt);
}
