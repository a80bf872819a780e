//! The kinds of heap objects (docs/object_model.md §3) and the Python type names of
//! every value.

/// What a heap object is. Inline values (None, bools, small ints) have no kind.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An int outside the inline 63-bit range.
    Int = 1,
    /// A float.
    Float = 2,
    /// An immutable UTF-8 string.
    Str = 3,
    /// An immutable byte string.
    Bytes = 4,
    /// An immutable fixed-size sequence.
    Tuple = 5,
    /// A growable sequence.
    List = 6,
    /// An insertion-ordered mapping.
    Dict = 7,
    /// An insertion-ordered set.
    Set = 8,
    /// An instance of a host-defined class.
    Instance = 9,
    /// A weak reference.
    WeakRef = 10,
    /// Host data: an opaque Rust value with runtime-managed references.
    Host = 11,
}

impl Kind {
    /// Decode a header byte. Header bytes are only ever written from `Kind`s.
    #[inline]
    pub(crate) fn from_u8(k: u8) -> Kind {
        match k {
            1 => Kind::Int,
            2 => Kind::Float,
            3 => Kind::Str,
            4 => Kind::Bytes,
            5 => Kind::Tuple,
            6 => Kind::List,
            7 => Kind::Dict,
            8 => Kind::Set,
            9 => Kind::Instance,
            10 => Kind::WeakRef,
            11 => Kind::Host,
            _ => unreachable!("corrupt object header: kind byte {k}"),
        }
    }

    /// Whether objects of this kind have a GC header (may be tracked by the collector).
    #[inline]
    pub const fn is_gc(self) -> bool {
        matches!(
            self,
            Kind::Tuple
                | Kind::List
                | Kind::Dict
                | Kind::Set
                | Kind::Instance
                | Kind::WeakRef
                | Kind::Host
        )
    }

    /// The Python type name (`"list"`, `"weakref"` …); instances report their class
    /// name through [`Obj::type_name`](crate::Obj::type_name) instead.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::Str => "str",
            Kind::Bytes => "bytes",
            Kind::Tuple => "tuple",
            Kind::List => "list",
            Kind::Dict => "dict",
            Kind::Set => "set",
            Kind::Instance => "object",
            Kind::WeakRef => "weakref",
            Kind::Host => "host",
        }
    }
}
