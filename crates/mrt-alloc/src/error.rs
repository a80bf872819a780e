//! The allocation error: a typed value, never an abort or a panic.

use std::fmt;

/// Why an allocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AllocErrorKind {
    /// The memory source could not map a new arena.
    ArenaMapFailed,
    /// The memory source could not provide a large allocation.
    LargeAllocFailed,
    /// The request is too large to be represented (size overflow).
    TooLarge,
    /// The heap's own bookkeeping (the arena table) could not grow.
    Metadata,
}

/// An allocation request could not be satisfied. The heap is unchanged and usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AllocError {
    size: usize,
    kind: AllocErrorKind,
}

impl AllocError {
    pub(crate) const fn new(size: usize, kind: AllocErrorKind) -> Self {
        Self { size, kind }
    }

    /// The requested size in bytes.
    pub const fn size(&self) -> usize {
        self.size
    }

    /// Why the request failed.
    pub const fn kind(&self) -> AllocErrorKind {
        self.kind
    }
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.kind {
            AllocErrorKind::ArenaMapFailed => "could not map a new arena",
            AllocErrorKind::LargeAllocFailed => "the system allocator refused a large block",
            AllocErrorKind::TooLarge => "request too large",
            AllocErrorKind::Metadata => "could not grow the arena table",
        };
        write!(f, "memory allocation of {} bytes failed: {why}", self.size)
    }
}

impl std::error::Error for AllocError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_size_and_reason() {
        let e = AllocError::new(4096, AllocErrorKind::ArenaMapFailed);
        assert_eq!(e.size(), 4096);
        assert_eq!(e.kind(), AllocErrorKind::ArenaMapFailed);
        let text = e.to_string();
        assert!(text.contains("4096") && text.contains("arena"), "{text}");
        let _: &dyn std::error::Error = &e;
    }
}
