//! Large allocations: requests above `SMALL_REQUEST_THRESHOLD` (raw layer).
//!
//! Each one is `LARGE_HEADER_SIZE + size` bytes from the
//! [`MemorySource`](super::source::MemorySource); the header links it into the heap's list
//! of large allocations so the heap can count them, walk them in `check_invariants`, and
//! free the ones still outstanding when it is dropped.
#![allow(unsafe_code)]

use crate::size_class::LARGE_HEADER_SIZE;
use std::ptr;

/// The header in front of a large allocation.
#[repr(C)]
pub(crate) struct LargeHeader {
    pub(crate) prev: *mut LargeHeader,
    pub(crate) next: *mut LargeHeader,
    /// The requested size (the payload after the header).
    pub(crate) size: usize,
}

const _: () = assert!(size_of::<LargeHeader>() <= LARGE_HEADER_SIZE);

/// The intrusive list of large allocations, with its exact totals.
#[derive(Debug)]
pub(crate) struct LargeList {
    pub(crate) head: *mut LargeHeader,
    pub(crate) count: usize,
    /// Sum of the requested sizes.
    pub(crate) bytes: usize,
}

impl LargeList {
    pub(crate) const fn new() -> Self {
        Self {
            head: ptr::null_mut(),
            count: 0,
            bytes: 0,
        }
    }

    /// Write a header at `hdr` for a payload of `size` bytes and link it in.
    ///
    /// # Safety
    /// `hdr` is valid for writes of `LARGE_HEADER_SIZE + size` bytes, 16-aligned, and not
    /// on the list.
    pub(crate) unsafe fn push(&mut self, hdr: *mut LargeHeader, size: usize) {
        // SAFETY: `hdr` is writable (caller); the old head is a valid header.
        unsafe {
            hdr.write(LargeHeader {
                prev: ptr::null_mut(),
                next: self.head,
                size,
            });
            if !self.head.is_null() {
                (*self.head).prev = hdr;
            }
        }
        self.head = hdr;
        self.count += 1;
        self.bytes += size;
    }

    /// Unlink `hdr` and return its payload size.
    ///
    /// # Safety
    /// `hdr` is a header on this list.
    pub(crate) unsafe fn remove(&mut self, hdr: *mut LargeHeader) -> usize {
        // SAFETY: `hdr` and its neighbours are valid headers on this list (caller).
        let size = unsafe {
            let (prev, next) = ((*hdr).prev, (*hdr).next);
            if prev.is_null() {
                self.head = next;
            } else {
                (*prev).next = next;
            }
            if !next.is_null() {
                (*next).prev = prev;
            }
            (*hdr).size
        };
        self.count -= 1;
        self.bytes -= size;
        size
    }
}
