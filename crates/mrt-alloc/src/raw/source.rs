//! Where the heap's memory comes from: the [`MemorySource`] trait (raw layer).
//!
//! [`SystemSource`] (the default) maps arenas with `mmap` and returns them with `munmap`,
//! so an empty arena really goes back to the OS (glibc `malloc` would keep it), and takes
//! large allocations from `std::alloc::System`. [`FailingSource`] wraps it and can be told
//! to fail — past a byte limit or on command — to test out-of-memory handling.
#![allow(unsafe_code)]

use crate::size_class::{ARENA_SIZE, MAX_ALIGN};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr::NonNull;
use std::rc::Rc;

/// The OS-facing memory provider of a [`Heap`](crate::Heap).
///
/// # Safety
/// An implementation must uphold, for as long as the heap owning it lives:
/// 1. `map_arena` returns `None` or the start of `ARENA_SIZE` bytes, aligned to
///    `ARENA_SIZE`, readable and writable, not used by anything else until passed to
///    `unmap_arena`.
/// 2. `alloc_large(size)` returns `None` or the start of `size` bytes, aligned to
///    `MAX_ALIGN` (16), readable and writable, not used by anything else until passed to
///    `free_large` with the same size.
/// 3. No method calls back into the [`Heap`](crate::Heap) that owns the source (the heap
///    is in the middle of an operation when it calls the source).
/// 4. Failure is reported by `None`, never by unwinding.
pub unsafe trait MemorySource {
    /// Map one arena: `ARENA_SIZE` bytes aligned to `ARENA_SIZE`.
    fn map_arena(&self) -> Option<NonNull<u8>>;

    /// Return an arena to the OS.
    ///
    /// # Safety
    /// `base` came from `map_arena` of this source and was not unmapped yet; nothing
    /// uses the arena any more.
    unsafe fn unmap_arena(&self, base: NonNull<u8>);

    /// Allocate `size` bytes aligned to 16 for a large request (`size > 0`).
    fn alloc_large(&self, size: usize) -> Option<NonNull<u8>>;

    /// Free a large allocation.
    ///
    /// # Safety
    /// `ptr` came from `alloc_large(size)` of this source and was not freed yet.
    unsafe fn free_large(&self, ptr: NonNull<u8>, size: usize);
}

/// Large requests of at least this many bytes are mapped with `mmap` and unmapped on
/// free, so their memory always goes back to the OS. Smaller large requests go to the
/// system allocator: glibc's `malloc` raises its own mmap threshold after freeing a
/// mapped block (up to 32 MiB), after which big blocks come from its heap and stay
/// resident when freed — a 5,000,000-item list's buffer kept 57 MiB of RSS that way
/// after the list was dropped (examples/spike_plateau).
pub const LARGE_MMAP_THRESHOLD: usize = 256 * 1024;

/// The default source: `mmap`/`munmap` for arenas and for large blocks of at least
/// [`LARGE_MMAP_THRESHOLD`] bytes, `std::alloc::System` for the large blocks below that.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemSource;

fn mmap_anon(len: usize) -> Option<*mut u8> {
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing has no
    // preconditions; failure is reported as MAP_FAILED.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        None
    } else {
        Some(p.cast())
    }
}

/// # Safety
/// `[p, p + len)` is a part of a mapping this module made and nothing uses it.
unsafe fn munmap(p: *mut u8, len: usize) {
    if len == 0 {
        return;
    }
    // SAFETY: the range is ours and unused (caller). munmap of a valid range cannot fail
    // except for ENOMEM when splitting a mapping exceeds the map count; the range then
    // stays mapped (a leak of address space, not unsoundness).
    let rc = unsafe { libc::munmap(p.cast(), len) };
    debug_assert_eq!(rc, 0, "munmap failed");
}

// SAFETY: (1) arenas are fresh anonymous mappings trimmed to exactly ARENA_SIZE at an
// ARENA_SIZE boundary; (2) large blocks come from System with a 16-byte-aligned layout;
// (3) no method touches a heap; (4) failures are `None`.
unsafe impl MemorySource for SystemSource {
    fn map_arena(&self) -> Option<NonNull<u8>> {
        // The kernel usually places a new mapping right below the previous one, so after
        // the first aligned arena an exact-size mapping is often aligned already.
        let p = mmap_anon(ARENA_SIZE)?;
        if p.addr().is_multiple_of(ARENA_SIZE) {
            return NonNull::new(p);
        }
        // SAFETY: we just mapped it and nothing uses it.
        unsafe { munmap(p, ARENA_SIZE) };
        // Over-map by one arena and trim both ends to an aligned ARENA_SIZE window.
        let p = mmap_anon(2 * ARENA_SIZE)?;
        let head = p.addr().next_multiple_of(ARENA_SIZE) - p.addr();
        // SAFETY: head ≤ ARENA_SIZE, so `p + head` and the tail stay inside the mapping,
        // and both trimmed parts are ours and unused.
        unsafe {
            let base = p.add(head);
            munmap(p, head);
            munmap(base.add(ARENA_SIZE), ARENA_SIZE - head);
            NonNull::new(base)
        }
    }

    unsafe fn unmap_arena(&self, base: NonNull<u8>) {
        // SAFETY: `base` is an arena we mapped and nobody uses it any more (caller).
        unsafe { munmap(base.as_ptr(), ARENA_SIZE) };
    }

    fn alloc_large(&self, size: usize) -> Option<NonNull<u8>> {
        if size == 0 {
            return None;
        }
        if size >= LARGE_MMAP_THRESHOLD {
            // Page-aligned, so 16-aligned; freed with munmap (see the constant's docs).
            return NonNull::new(mmap_anon(size)?);
        }
        let layout = Layout::from_size_align(size, MAX_ALIGN).ok()?;
        // SAFETY: the layout has a non-zero size.
        NonNull::new(unsafe { System.alloc(layout) })
    }

    unsafe fn free_large(&self, ptr: NonNull<u8>, size: usize) {
        if size >= LARGE_MMAP_THRESHOLD {
            // SAFETY: `ptr` came from `alloc_large(size)`, which mapped exactly `size`
            // bytes for a request this large, and is freed once (caller).
            unsafe { munmap(ptr.as_ptr(), size) };
            return;
        }
        // SAFETY: `ptr` came from `alloc_large(size)`, which used exactly this layout,
        // and is freed once (caller).
        unsafe {
            System.dealloc(
                ptr.as_ptr(),
                Layout::from_size_align_unchecked(size, MAX_ALIGN),
            )
        };
    }
}

#[derive(Debug, Default)]
struct FailState {
    limit: Cell<Option<usize>>,
    fail_all: Cell<bool>,
    held: Cell<usize>,
    failures: Cell<u64>,
}

/// A [`SystemSource`] that can be told to fail, for out-of-memory tests.
///
/// Clones share their state: keep a clone to steer the source after giving it to a heap.
///
/// ```
/// use mrt_alloc::{FailingSource, Heap, HeapConfig};
/// let source = FailingSource::new();
/// let heap = Heap::with_config(HeapConfig::new().source(source.clone()));
/// source.set_fail(true);
/// assert!(heap.try_alloc(64).is_err());
/// source.set_fail(false);
/// assert!(heap.try_alloc(64).is_ok());
/// ```
#[derive(Clone, Debug, Default)]
pub struct FailingSource {
    state: Rc<FailState>,
}

impl FailingSource {
    /// A source that does not fail until told to.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fail any request that would take the bytes held from this source past `limit`
    /// (`None`: no limit). Arenas count `ARENA_SIZE`, large blocks their size.
    pub fn set_limit(&self, limit: Option<usize>) {
        self.state.limit.set(limit);
    }

    /// Fail every request while `fail` is true.
    pub fn set_fail(&self, fail: bool) {
        self.state.fail_all.set(fail);
    }

    /// Bytes currently held from this source.
    pub fn held(&self) -> usize {
        self.state.held.get()
    }

    /// How many requests were refused so far.
    pub fn failures(&self) -> u64 {
        self.state.failures.get()
    }

    fn admit(&self, size: usize) -> bool {
        let s = &self.state;
        let over = s
            .limit
            .get()
            .is_some_and(|limit| s.held.get().saturating_add(size) > limit);
        if s.fail_all.get() || over {
            s.failures.set(s.failures.get() + 1);
            false
        } else {
            true
        }
    }

    fn took(&self, size: usize) {
        self.state.held.set(self.state.held.get() + size);
    }

    fn gave_back(&self, size: usize) {
        self.state.held.set(self.state.held.get() - size);
    }
}

// SAFETY: every successful request is delegated to `SystemSource`, which upholds 1–4;
// the bookkeeping here neither touches a heap nor unwinds.
unsafe impl MemorySource for FailingSource {
    fn map_arena(&self) -> Option<NonNull<u8>> {
        if !self.admit(ARENA_SIZE) {
            return None;
        }
        let p = SystemSource.map_arena()?;
        self.took(ARENA_SIZE);
        Some(p)
    }

    unsafe fn unmap_arena(&self, base: NonNull<u8>) {
        // SAFETY: forwarded contract; `base` came from SystemSource::map_arena.
        unsafe { SystemSource.unmap_arena(base) };
        self.gave_back(ARENA_SIZE);
    }

    fn alloc_large(&self, size: usize) -> Option<NonNull<u8>> {
        if !self.admit(size) {
            return None;
        }
        let p = SystemSource.alloc_large(size)?;
        self.took(size);
        Some(p)
    }

    unsafe fn free_large(&self, ptr: NonNull<u8>, size: usize) {
        // SAFETY: forwarded contract; `ptr` came from SystemSource::alloc_large(size).
        unsafe { SystemSource.free_large(ptr, size) };
        self.gave_back(size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arenas_are_aligned_and_writable() {
        let maps: Vec<NonNull<u8>> = (0..4).map(|_| SystemSource.map_arena().unwrap()).collect();
        for &p in &maps {
            assert_eq!(p.as_ptr().addr() % ARENA_SIZE, 0);
            // SAFETY: the arena is ours, ARENA_SIZE bytes long.
            unsafe {
                p.as_ptr().write(1);
                p.as_ptr().add(ARENA_SIZE - 1).write(2);
            }
        }
        for p in maps {
            // SAFETY: mapped above, unmapped once.
            unsafe { SystemSource.unmap_arena(p) };
        }
    }

    #[test]
    fn failing_source_limits_and_counts() {
        let s = FailingSource::new();
        s.set_limit(Some(ARENA_SIZE + 100));
        let a = s.map_arena().unwrap();
        assert!(s.map_arena().is_none());
        let l = s.alloc_large(100).unwrap();
        assert!(s.alloc_large(16).is_none());
        assert_eq!(s.failures(), 2);
        assert_eq!(s.held(), ARENA_SIZE + 100);
        // SAFETY: both came from `s` and are released once.
        unsafe {
            s.free_large(l, 100);
            s.unmap_arena(a);
        }
        assert_eq!(s.held(), 0);
        assert_eq!(SystemSource.alloc_large(0), None);
    }
}
