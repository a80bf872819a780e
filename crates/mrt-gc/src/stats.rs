//! Numbers the collector reports: per-generation statistics, callback info,
//! debug flags.

/// Print statistics during collection (`gc.DEBUG_STATS`).
pub const DEBUG_STATS: u32 = 1;
/// Print collectable objects found (`gc.DEBUG_COLLECTABLE`).
pub const DEBUG_COLLECTABLE: u32 = 2;
/// Print uncollectable objects found (`gc.DEBUG_UNCOLLECTABLE`).
pub const DEBUG_UNCOLLECTABLE: u32 = 4;
/// Save all unreachable objects in `garbage` instead of freeing them (`gc.DEBUG_SAVEALL`).
pub const DEBUG_SAVEALL: u32 = 32;
/// `DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL` (`gc.DEBUG_LEAK`).
pub const DEBUG_LEAK: u32 = DEBUG_COLLECTABLE | DEBUG_UNCOLLECTABLE | DEBUG_SAVEALL;

/// Per-generation totals since the collector was created (one entry of
/// `gc.get_stats()`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenStats {
    /// Number of collections of this generation (as the oldest collected).
    pub collections: usize,
    /// Objects collected by those collections.
    pub collected: usize,
    /// Objects found uncollectable by those collections.
    pub uncollectable: usize,
}

/// When a collection callback runs (the `phase` argument of CPython's
/// `gc.callbacks` entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Before the collection starts (`"start"`): `collected`/`uncollectable` are 0.
    Start,
    /// After the collection finished (`"stop"`).
    Stop,
}

/// The `info` argument of a collection callback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallbackInfo {
    /// The oldest generation being collected.
    pub generation: usize,
    /// Objects collected (0 at `Start`).
    pub collected: usize,
    /// Objects found uncollectable (0 at `Start`).
    pub uncollectable: usize,
}

/// Identifies a registered collection callback, for removal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallbackId(pub(crate) u64);

/// A collection callback (CPython's `gc.callbacks` entry).
pub type GcCallback = dyn FnMut(Phase, &CallbackInfo);
