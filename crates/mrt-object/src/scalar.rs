//! None, bool, int, float, str and bytes: constructors on [`Runtime`] and accessors
//! on [`Obj`].

use crate::error::{Result, Thin, thin, unthin};
use crate::kind::Kind;
use crate::raw::atom;
use crate::raw::handle::Obj;
use crate::runtime::Runtime;
use crate::value::{Decoded, Value};

impl Runtime {
    /// `None` (no allocation).
    pub fn none(&self) -> Obj<'_> {
        Obj::inline(self, Value::NONE)
    }

    /// `True`/`False` (no allocation).
    pub fn bool(&self, b: bool) -> Obj<'_> {
        Obj::inline(self, Value::from_bool(b))
    }

    /// An int: inline (no allocation) in the 63-bit range, a 16-byte object beyond.
    ///
    /// Inlined: the common case is a tag and a shift in the caller.
    #[inline]
    pub fn int(&self, n: i64) -> Result<Obj<'_>> {
        match Value::small_int(n) {
            Some(v) => Ok(Obj::inline(self, v)),
            None => unthin(big_int_thin(self, n)),
        }
    }

    /// A float (16 bytes).
    #[inline]
    pub fn float(&self, f: f64) -> Result<Obj<'_>> {
        unthin(float_thin(self, f))
    }

    /// A str (immutable UTF-8, hash cached on first use).
    #[inline]
    pub fn str(&self, s: &str) -> Result<Obj<'_>> {
        unthin(bytes_like_thin(self, Kind::Str, s.as_bytes()))
    }

    /// The runtime's unique str with this content (`sys.intern`).
    pub fn intern(&self, s: &str) -> Result<Obj<'_>> {
        atom::intern(self, s)
    }

    /// A bytes object.
    #[inline]
    pub fn bytes(&self, b: &[u8]) -> Result<Obj<'_>> {
        unthin(bytes_like_thin(self, Kind::Bytes, b))
    }
}

// Out of line, returning in registers: see `Thin`.
#[inline(never)]
fn big_int_thin(rt: &Runtime, n: i64) -> Thin<Obj<'_>> {
    thin(atom::new_big_int(rt, n))
}

#[inline(never)]
fn float_thin(rt: &Runtime, f: f64) -> Thin<Obj<'_>> {
    thin(atom::new_float(rt, f))
}

#[inline(never)]
fn bytes_like_thin<'rt>(rt: &'rt Runtime, kind: Kind, data: &[u8]) -> Thin<Obj<'rt>> {
    thin(atom::new_bytes_like(rt, kind, data))
}

impl<'rt> Obj<'rt> {
    /// Is this `None`?
    pub fn is_none(&self) -> bool {
        self.value() == Value::NONE
    }

    /// The value of a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value().decode() {
            Decoded::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The value of an int (bools count as ints, as in Python).
    pub fn as_int(&self) -> Option<i64> {
        atom::int_value(self)
    }

    /// The value of a float.
    pub fn as_float(&self) -> Option<f64> {
        atom::float_value(self)
    }

    /// The text of a str.
    pub fn as_str(&self) -> Option<&str> {
        atom::str_of(self)
    }

    /// The content of a bytes object.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        atom::bytes_of(self, Kind::Bytes)
    }

    /// Whether this str is interned.
    pub fn is_interned(&self) -> bool {
        atom::is_interned(self)
    }
}

/// `repr(f)` close to Python's (`1.0`, `inf`, `nan`, shortest round-trip digits).
pub(crate) fn float_repr(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        (if f > 0.0 { "inf" } else { "-inf" }).into()
    } else if f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}
