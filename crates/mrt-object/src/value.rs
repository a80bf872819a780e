//! The tagged value word containers store (docs/object_model.md §1).
//!
//! ```text
//!  ...................................1   small int: (n << 1) | 1 (63-bit)
//!  <address of ObjHeader>           000   heap object, not GC-capable
//!  <address of ObjHeader>           100   heap object, GC-capable (GcHeader at -16)
//!  0x2 / 0x4 / 0x6                        None / False / True
//! ```
//!
//! Objects are 8-byte aligned (mrt-alloc's 8-byte size classes), so an address has 3
//! free bits. `False` is the GC tag with a null address, told apart from a heap word by
//! the address being zero; `None` and `True` have bit 1 set, which no heap word has.
//!
//! This module only encodes and decodes words; it never dereferences an address.

/// Tag bits of a heap address (objects are 8-byte aligned, so the low 3 bits are free).
const TAG_MASK: usize = 0b111;
/// Tag of a GC-capable heap object.
const TAG_GC: usize = 0b100;
const WORD_NONE: usize = 0b010;
const WORD_FALSE: usize = 0b100;
const WORD_TRUE: usize = 0b110;

/// Smallest int stored inline (−2**62).
pub const SMALL_INT_MIN: i64 = -(1 << 62);
/// Largest int stored inline (2**62 − 1).
pub const SMALL_INT_MAX: i64 = (1 << 62) - 1;

/// One tagged word: an inline value or the address of a heap object.
///
/// A `Value` is plain data: copying it does not touch refcounts. Whoever stores a
/// heap `Value` owns one reference (see the handle types for the RAII side).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Value(usize);

// The word must be a pointer-sized integer: the tags rely on 8-byte alignment and
// on 64-bit words for the 63-bit inline ints.
const _: () = assert!(size_of::<Value>() == 8);

/// What a [`Value`] decodes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// `None`.
    None,
    /// `True`/`False`.
    Bool(bool),
    /// An int in the inline range.
    SmallInt(i64),
    /// A heap object; `gc` says whether it is GC-capable (has a `GcHeader` in front).
    Heap {
        /// Address of the object's `ObjHeader`.
        addr: usize,
        /// Whether the object's kind is GC-capable.
        gc: bool,
    },
}

impl Value {
    /// `None`.
    pub const NONE: Value = Value(WORD_NONE);
    /// `True`.
    pub const TRUE: Value = Value(WORD_TRUE);
    /// `False`.
    pub const FALSE: Value = Value(WORD_FALSE);

    /// The empty word: an unset slot or a deleted dict entry. Never escapes the crate
    /// and carries no reference.
    pub(crate) const NULL: Value = Value(0);

    /// Whether this is [`Value::NULL`].
    #[inline]
    pub(crate) const fn is_null(self) -> bool {
        self.0 == 0
    }

    /// A bool.
    #[inline]
    pub const fn from_bool(b: bool) -> Value {
        if b { Value::TRUE } else { Value::FALSE }
    }

    /// An inline int, or `None` when `n` is outside [`SMALL_INT_MIN`]..=[`SMALL_INT_MAX`].
    #[inline]
    pub const fn small_int(n: i64) -> Option<Value> {
        if n >= SMALL_INT_MIN && n <= SMALL_INT_MAX {
            Some(Value(((n << 1) | 1) as usize))
        } else {
            None
        }
    }

    /// A heap address, tagged by whether the object is GC-capable.
    ///
    /// Panics in debug builds if `addr` is null or not 8-byte aligned (a bug in the
    /// caller, never reachable from bad input).
    #[inline]
    pub fn from_heap(addr: usize, gc: bool) -> Value {
        debug_assert!(
            addr != 0 && addr & TAG_MASK == 0,
            "heap address {addr:#x} must be non-null and 8-byte aligned"
        );
        Value(addr | if gc { TAG_GC } else { 0 })
    }

    /// The raw word (for hashing identities and debugging).
    #[inline]
    pub const fn to_bits(self) -> usize {
        self.0
    }

    /// Decode the word.
    #[inline]
    pub fn decode(self) -> Decoded {
        let w = self.0;
        if w & 1 == 1 {
            return Decoded::SmallInt((w as i64) >> 1);
        }
        match w {
            WORD_NONE => Decoded::None,
            WORD_FALSE => Decoded::Bool(false),
            WORD_TRUE => Decoded::Bool(true),
            _ => Decoded::Heap {
                addr: w & !TAG_MASK,
                gc: w & TAG_GC != 0,
            },
        }
    }

    /// The heap address if this is a heap object.
    #[inline]
    pub fn heap_addr(self) -> Option<usize> {
        // Heap words have bits 0 and 1 clear (tag 000 or 100) and a non-zero address;
        // of the inline words, ints have bit 0, None and True bit 1, and False has a
        // zero address. Same answer as `decode`, without its match.
        let addr = self.0 & !TAG_MASK;
        (self.0 & 0b011 == 0 && addr != 0).then_some(addr)
    }

    /// The heap address if this is a GC-capable heap object; no memory is read.
    #[inline]
    pub fn gc_addr(self) -> Option<usize> {
        if self.0 & TAG_MASK == TAG_GC && self.0 != TAG_GC {
            Some(self.0 & !TAG_MASK)
        } else {
            None
        }
    }

    /// The address bits of the word, without checking that it is a heap word (for
    /// code that knows it is: one mask, no branch). Meaningless for inline values.
    #[inline(always)]
    pub(crate) fn addr_bits(self) -> usize {
        self.0 & !TAG_MASK
    }

    /// Whether this word refers to a heap object (and so carries a reference).
    #[inline]
    pub fn is_heap(self) -> bool {
        self.heap_addr().is_some()
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.decode() {
            Decoded::None => f.write_str("None"),
            Decoded::Bool(b) => write!(f, "{}", if b { "True" } else { "False" }),
            Decoded::SmallInt(n) => write!(f, "{n}"),
            Decoded::Heap { addr, gc } => {
                write!(
                    f,
                    "<{} object at {addr:#x}>",
                    if gc { "gc" } else { "heap" }
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn constants_decode() {
        assert_eq!(Value::NONE.decode(), Decoded::None);
        assert_eq!(Value::TRUE.decode(), Decoded::Bool(true));
        assert_eq!(Value::FALSE.decode(), Decoded::Bool(false));
        assert_eq!(Value::from_bool(true), Value::TRUE);
        for v in [Value::NONE, Value::TRUE, Value::FALSE] {
            assert!(!v.is_heap());
            assert_eq!(v.gc_addr(), None);
        }
    }

    #[test]
    fn int_range_edges() {
        assert_eq!(
            Value::small_int(SMALL_INT_MAX).unwrap().decode(),
            Decoded::SmallInt(SMALL_INT_MAX)
        );
        assert_eq!(
            Value::small_int(SMALL_INT_MIN).unwrap().decode(),
            Decoded::SmallInt(SMALL_INT_MIN)
        );
        assert_eq!(Value::small_int(SMALL_INT_MAX + 1), None);
        assert_eq!(Value::small_int(SMALL_INT_MIN - 1), None);
        assert_eq!(Value::small_int(i64::MIN), None);
        assert_eq!(
            Value::small_int(-1).unwrap().decode(),
            Decoded::SmallInt(-1)
        );
    }

    #[test]
    fn heap_words_keep_their_tag() {
        let a = Value::from_heap(0x7f00_1230, true);
        assert_eq!(
            a.decode(),
            Decoded::Heap {
                addr: 0x7f00_1230,
                gc: true
            }
        );
        assert_eq!(a.gc_addr(), Some(0x7f00_1230));
        let b = Value::from_heap(0x7f00_1230, false);
        assert_eq!(
            b.decode(),
            Decoded::Heap {
                addr: 0x7f00_1230,
                gc: false
            }
        );
        assert_eq!(b.gc_addr(), None);
        assert!(b.is_heap());
    }

    proptest! {
        #[test]
        fn ints_round_trip(n in SMALL_INT_MIN..=SMALL_INT_MAX) {
            let v = Value::small_int(n).unwrap();
            prop_assert_eq!(v.decode(), Decoded::SmallInt(n));
            prop_assert!(!v.is_heap());
            prop_assert_eq!(v.gc_addr(), None);
        }

        #[test]
        fn addresses_round_trip(slot in 1usize..(1 << 40), gc: bool) {
            let addr = slot << 3;
            let v = Value::from_heap(addr, gc);
            prop_assert_eq!(v.decode(), Decoded::Heap { addr, gc });
            prop_assert_eq!(v.gc_addr(), if gc { Some(addr) } else { None });
            prop_assert_eq!(v.heap_addr(), Some(addr));
        }
    }

    #[test]
    fn heap_addr_is_none_for_every_inline_word() {
        for v in [Value::NONE, Value::TRUE, Value::FALSE] {
            assert_eq!(v.heap_addr(), None, "{v:?}");
        }
        for n in [SMALL_INT_MIN, -1, 0, 1, 7, 8, 16, SMALL_INT_MAX] {
            assert_eq!(Value::small_int(n).unwrap().heap_addr(), None, "{n}");
        }
    }
}
