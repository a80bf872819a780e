//! Type names and a short, non-recursive `repr` for debugging.

use crate::kind::Kind;
use crate::raw::handle::Obj;
use crate::value::Decoded;

/// The Python type name of a value (`"NoneType"`, `"int"`, a class name …).
pub(crate) fn type_name(o: &Obj<'_>) -> String {
    match o.value().decode() {
        Decoded::None => "NoneType".into(),
        Decoded::Bool(_) => "bool".into(),
        Decoded::SmallInt(_) => "int".into(),
        Decoded::Heap { .. } => match o.kind() {
            Some(Kind::Instance) => crate::raw::instance::class_of(o)
                .map(|(_, c)| c.name.clone())
                .unwrap_or_default(),
            Some(k) => k.name().into(),
            None => "object".into(),
        },
    }
}

/// `repr(o)` for atoms; containers show their type, length and address (no
/// recursion into children).
pub(crate) fn repr(o: &Obj<'_>) -> String {
    match o.value().decode() {
        Decoded::None => "None".into(),
        Decoded::Bool(b) => (if b { "True" } else { "False" }).into(),
        Decoded::SmallInt(n) => n.to_string(),
        Decoded::Heap { addr, .. } => {
            if let Some(n) = o.as_int() {
                return n.to_string();
            }
            if let Some(f) = o.as_float() {
                return crate::scalar::float_repr(f);
            }
            if let Some(s) = o.as_str() {
                return format!("{s:?}");
            }
            if let Some(b) = o.as_bytes() {
                return format!("b{:?}", String::from_utf8_lossy(b));
            }
            match o.len() {
                Ok(n) => format!("<{} object at {addr:#x}, len {n}>", type_name(o)),
                Err(_) => format!("<{} object at {addr:#x}>", type_name(o)),
            }
        }
    }
}
