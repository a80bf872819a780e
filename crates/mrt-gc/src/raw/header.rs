//! `GcHeader`: the two words in front of every tracked container, and `GcRef`.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::fmt;
use std::mem::size_of;
use std::ptr::NonNull;

// Bit layout (CPython 3.11's `PyGC_Head`, Include/internal/pycore_gc.h):
//
//   word 0: _gc_next
//   63                                                        1   0
//   +----------------------------------------------------------+---+
//   |            address of the next header in the list        | U |
//   +----------------------------------------------------------+---+
//     U = NEXT_MASK_UNREACHABLE: set only while the object sits in
//         move_unreachable's `unreachable` list. `_gc_next == 0` means
//         "not tracked".
//
//   word 1: _gc_prev
//   63                                                3   2   1   0
//   +--------------------------------------------------+---+---+---+
//   |  address of the previous header (outside a phase)| L | C | F |
//   |  gc_refs                         (update_refs ..  |   |   |   |
//   |                                   move_unreachable)   |   |   |
//   +--------------------------------------------------+---+---+---+
//     F = PREV_MASK_FINALIZED: the finalizer has run (PEP 442: at most once).
//         Survives untracking.
//     C = PREV_MASK_COLLECTING: the object belongs to the generation being
//         collected (set by update_refs, cleared once proven reachable).
//     L = PREV_MASK_LEAF (beyond CPython): with C clear, the object sits in
//         the oldest generation's leaf list (see `Collector::unleaf` and
//         docs/cycle_collector.md). With C set, during a full collection's
//         reachability analysis only: PREV_MASK_EDGES_OUT, none of the
//         object's edges leads into the collection.
//
// Headers are 8-aligned, so the three low bits of an address are always free;
// gc_refs is stored shifted past all three flags.

/// `_gc_next` bit 0: the object is in `move_unreachable`'s unreachable list.
pub(crate) const NEXT_MASK_UNREACHABLE: usize = 1;
/// `_gc_prev` bit 0: the object's finalizer has been called.
pub(crate) const PREV_MASK_FINALIZED: usize = 1;
/// `_gc_prev` bit 1: the object is in the generation being collected.
pub(crate) const PREV_MASK_COLLECTING: usize = 2;
/// `_gc_prev` bit 2: the object is in the oldest generation's leaf list.
pub(crate) const PREV_MASK_LEAF: usize = 4;
/// `_gc_prev` bit 2 on a COLLECTING object, from a full collection's fused
/// `update_and_subtract_refs` to its `move_unreachable`: no edge of the
/// object leads to a COLLECTING object, so `move_unreachable` need not
/// traverse it again.
pub(crate) const PREV_MASK_EDGES_OUT: usize = PREV_MASK_LEAF;
/// `gc_refs` lives above the three flag bits.
pub(crate) const PREV_SHIFT: u32 = 3;
/// The pointer / `gc_refs` part of `_gc_prev`.
pub(crate) const PREV_MASK: usize = !(PREV_MASK_FINALIZED | PREV_MASK_COLLECTING | PREV_MASK_LEAF);

/// The collector's header, placed immediately before the host's object.
///
/// A tracked container is laid out as `#[repr(C)] struct { header: GcHeader,
/// object: T }` with `align_of::<T>() <= 16`, so the object starts exactly
/// [`GcHeader::SIZE`] bytes after the header. The host never reads or writes
/// the header itself; it only creates it with [`GcHeader::new`].
///
/// Both words are `Cell`s: the collector writes them while the host may hold
/// shared references to the surrounding allocation.
#[repr(C)]
pub struct GcHeader {
    next: Cell<usize>,
    prev: Cell<usize>,
}

const _: () = assert!(size_of::<GcHeader>() == 16);
const _: () = assert!(std::mem::align_of::<GcHeader>() >= 8);

impl GcHeader {
    /// Size of the header in bytes: the object starts this far after it.
    pub const SIZE: usize = size_of::<GcHeader>();

    /// A header for a new, untracked, not yet finalized object.
    pub const fn new() -> Self {
        GcHeader {
            next: Cell::new(0),
            prev: Cell::new(0),
        }
    }
}

impl Default for GcHeader {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for GcHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcHeader")
            .field("next", &format_args!("{:#x}", self.next.get()))
            .field("prev", &format_args!("{:#x}", self.prev.get()))
            .finish()
    }
}

/// A pointer to the [`GcHeader`] of a GC-capable object (CPython's `AS_GC(op)`).
///
/// Just an address: creating, copying and comparing one is safe. Everything
/// that dereferences it is either `unsafe` with a stated precondition, or
/// crate-internal (see the [module docs](crate::raw)).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct GcRef(NonNull<GcHeader>);

impl fmt::Debug for GcRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GcRef({:p})", self.0)
    }
}

impl GcRef {
    /// Wraps a pointer to a header.
    #[inline]
    pub const fn from_header(header: NonNull<GcHeader>) -> Self {
        GcRef(header)
    }

    /// The header's address.
    #[inline]
    pub const fn as_header(self) -> NonNull<GcHeader> {
        self.0
    }

    /// The address of the host object that follows the header (`FROM_GC`).
    #[inline]
    pub fn object<T>(self) -> NonNull<T> {
        let p = self.0.as_ptr().wrapping_add(1).cast::<T>();
        NonNull::new(p).expect("header address overflow")
    }

    /// The header in front of a host object (`AS_GC`): the inverse of [`GcRef::object`].
    #[inline]
    pub fn from_object<T>(object: NonNull<T>) -> Self {
        let p = object.as_ptr().cast::<GcHeader>().wrapping_sub(1);
        GcRef(NonNull::new(p).expect("object address underflow"))
    }

    /// A `GcRef` to a header the collector owns (a list head).
    #[inline]
    pub(crate) fn head(h: &GcHeader) -> Self {
        GcRef(NonNull::from(h))
    }

    #[inline(always)]
    fn hdr<'a>(self) -> &'a GcHeader {
        // SAFETY: crate invariant (module docs of `raw`): every GcRef reaching a
        // crate-internal accessor points to a live header. The reference is
        // used for a single Cell access and not kept.
        unsafe { self.0.as_ref() }
    }

    // ---- raw words ----------------------------------------------------------

    #[inline(always)]
    pub(crate) fn raw_next(self) -> usize {
        self.hdr().next.get()
    }
    #[inline(always)]
    pub(crate) fn set_raw_next(self, v: usize) {
        self.hdr().next.set(v)
    }
    #[inline(always)]
    pub(crate) fn raw_prev(self) -> usize {
        self.hdr().prev.get()
    }
    #[inline(always)]
    pub(crate) fn set_raw_prev(self, v: usize) {
        self.hdr().prev.set(v)
    }
    #[inline(always)]
    pub(crate) fn addr(self) -> usize {
        self.0.as_ptr() as usize
    }
    #[inline(always)]
    pub(crate) fn from_addr(a: usize) -> Self {
        debug_assert!(a != 0 && a & 7 == 0, "bad header address {a:#x}");
        // SAFETY: callers pass addresses read from link words, which always hold
        // a non-null header address (the low bits are masked off by callers).
        GcRef(unsafe { NonNull::new_unchecked(a as *mut GcHeader) })
    }

    // ---- links (CPython's GC_NEXT / GC_PREV / _PyGCHead_SET_*) --------------

    /// `GC_NEXT`: the next header (the caller knows the UNREACHABLE bit is clear).
    #[inline(always)]
    pub(crate) fn next(self) -> GcRef {
        GcRef::from_addr(self.raw_next())
    }
    #[inline(always)]
    pub(crate) fn set_next(self, n: GcRef) {
        self.set_raw_next(n.addr())
    }
    /// `GC_PREV`: the previous header, ignoring the flag bits.
    #[inline(always)]
    pub(crate) fn prev(self) -> GcRef {
        GcRef::from_addr(self.raw_prev() & PREV_MASK)
    }
    /// `_PyGCHead_SET_PREV`: keeps the flag bits.
    #[inline(always)]
    pub(crate) fn set_prev(self, p: GcRef) {
        self.set_raw_prev((self.raw_prev() & !PREV_MASK) | p.addr())
    }

    // ---- flags --------------------------------------------------------------

    /// `_PyObject_GC_IS_TRACKED`.
    #[inline(always)]
    pub(crate) fn tracked(self) -> bool {
        self.raw_next() != 0
    }
    #[inline(always)]
    pub(crate) fn finalized(self) -> bool {
        self.raw_prev() & PREV_MASK_FINALIZED != 0
    }
    #[inline(always)]
    pub(crate) fn set_finalized_flag(self) {
        self.set_raw_prev(self.raw_prev() | PREV_MASK_FINALIZED)
    }
    /// `gc_is_collecting`.
    #[inline(always)]
    pub(crate) fn collecting(self) -> bool {
        self.raw_prev() & PREV_MASK_COLLECTING != 0
    }
    /// `gc_clear_collecting`.
    #[inline(always)]
    pub(crate) fn clear_collecting(self) {
        self.set_raw_prev(self.raw_prev() & !PREV_MASK_COLLECTING)
    }
    /// In the oldest generation's leaf list? (Outside a reachability
    /// analysis, where the bit can only mean that; inside one, ask only of
    /// objects whose COLLECTING is clear.)
    #[inline(always)]
    pub(crate) fn leaf_listed(self) -> bool {
        self.raw_prev() & PREV_MASK_LEAF != 0
    }
    /// PREV_MASK_EDGES_OUT (meaningful with COLLECTING set only).
    #[inline(always)]
    pub(crate) fn edges_out(self) -> bool {
        self.raw_prev() & PREV_MASK_EDGES_OUT != 0
    }
    #[inline(always)]
    pub(crate) fn set_edges_out(self) {
        self.set_raw_prev(self.raw_prev() | PREV_MASK_EDGES_OUT)
    }
    #[inline(always)]
    pub(crate) fn clear_edges_out(self) {
        self.set_raw_prev(self.raw_prev() & !PREV_MASK_EDGES_OUT)
    }
    #[inline(always)]
    pub(crate) fn unreachable_bit(self) -> bool {
        self.raw_next() & NEXT_MASK_UNREACHABLE != 0
    }

    // ---- gc_refs (valid between update_refs and move_unreachable) -----------

    /// `gc_get_refs`.
    #[inline(always)]
    pub(crate) fn gc_refs(self) -> usize {
        self.raw_prev() >> PREV_SHIFT
    }
    /// `gc_set_refs`: keeps the flag bits.
    #[inline(always)]
    pub(crate) fn set_gc_refs(self, refs: usize) {
        self.set_raw_prev((self.raw_prev() & !PREV_MASK) | (refs << PREV_SHIFT))
    }
    /// `gc_reset_refs`: keeps FINALIZED, sets COLLECTING.
    #[inline(always)]
    pub(crate) fn reset_gc_refs(self, refs: usize) {
        self.set_raw_prev(
            (self.raw_prev() & PREV_MASK_FINALIZED) | PREV_MASK_COLLECTING | (refs << PREV_SHIFT),
        )
    }
    /// `gc_decref`.
    #[inline(always)]
    pub(crate) fn dec_gc_refs(self) {
        debug_assert!(self.gc_refs() > 0, "refcount is too small");
        self.set_raw_prev(self.raw_prev() - (1 << PREV_SHIFT))
    }
}

/// Ask the CPU to start loading `o`'s header (no-op where unsupported).
#[inline(always)]
pub(crate) fn prefetch(o: GcRef) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            o.0.as_ptr().cast::<i8>(),
        )
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = o;
}

/// What a [`VisitDelay`] holds: an edge target, possibly with its source.
pub(crate) trait Delayed: Copy {
    /// The header to prefetch.
    fn target(self) -> GcRef;
}

impl Delayed for GcRef {
    #[inline(always)]
    fn target(self) -> GcRef {
        self
    }
}

/// `(target, source)`.
impl Delayed for (GcRef, GcRef) {
    #[inline(always)]
    fn target(self) -> GcRef {
        self.0
    }
}

/// A delay line for edge visits: `push` prefetches a header and returns the
/// one pushed `DELAY` pushes earlier, so that up to `DELAY` cache misses on
/// edge targets are in flight at once instead of one at a time. Only for
/// visits whose order does not matter (see `subtract_refs`,
/// `move_unreachable`). Lives on the stack; allocates nothing.
pub(crate) struct VisitDelay<T: Delayed = GcRef> {
    buf: [Option<T>; DELAY],
    i: usize,
    /// Pending visits (`Some` entries of `buf`).
    pending: usize,
}

const DELAY: usize = 16;

impl<T: Delayed> VisitDelay<T> {
    #[inline(always)]
    pub(crate) fn new() -> Self {
        VisitDelay {
            buf: [None; DELAY],
            i: 0,
            pending: 0,
        }
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, o: T) -> Option<T> {
        prefetch(o.target());
        let old = self.buf[self.i].replace(o);
        self.i = (self.i + 1) % DELAY;
        if old.is_none() {
            self.pending += 1;
        }
        old
    }

    /// Take every pending visit, oldest first.
    #[inline]
    pub(crate) fn drain(&mut self, mut f: impl FnMut(T)) {
        if self.pending == 0 {
            return;
        }
        self.pending = 0;
        for k in 0..DELAY {
            if let Some(o) = self.buf[(self.i + k) % DELAY].take() {
                f(o);
            }
        }
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.pending == 0
    }
}
