//! Host data: an opaque Rust value plus a runtime-managed vector of references
//! (laid out like a list, so `raw::list` manages the vector).
#![allow(unsafe_code)]

use crate::error::Result;
use crate::kind::Kind;
use crate::raw::gc_link;
use crate::raw::handle::Obj;
use crate::raw::object::{self, GC_HEAD, HostObj};
use crate::runtime::Runtime;
use std::any::Any;

/// New host data holding `payload` and no references; always tracked.
pub(crate) fn new_host(rt: &Runtime, payload: Box<dyn Any>) -> Result<Obj<'_>> {
    gc_link::on_alloc(rt, GC_HEAD + size_of::<HostObj>())?;
    let v = object::alloc_object(rt, Kind::Host, size_of::<HostObj>(), 0)?;
    let p = object::payload::<HostObj>(v);
    // SAFETY: fresh HostObj; fields written without reading the uninitialised ones.
    unsafe {
        std::ptr::addr_of_mut!((*p).list.buf).write(std::ptr::null_mut());
        std::ptr::addr_of_mut!((*p).payload).write(Some(payload));
        gc_link::track(rt, v);
        Ok(Obj::from_owned(rt, v))
    }
}

/// The payload, borrowed for as long as the handle is: the payload is only dropped
/// when the object is freed (which the handle prevents) and is never handed out
/// mutably.
pub(crate) fn payload<'a>(o: &'a Obj<'_>) -> Option<&'a dyn Any> {
    if o.kind() != Some(Kind::Host) {
        return None;
    }
    // SAFETY: live host object; see above for the lifetime.
    unsafe { (*object::payload::<HostObj>(o.value())).payload.as_deref() }
}
