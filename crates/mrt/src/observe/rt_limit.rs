//! A runtime memory budget from the container's cgroup limit:
//! [`RuntimeBuilderExt::memory_limit_from_cgroup`].
//!
//! ```
//! use mrt::RuntimeBuilderExt;
//! use mrt::object::Runtime;
//! match Runtime::builder().memory_limit_from_cgroup(0.5) {
//!     Ok(b) => assert!(b.get_memory_limit().is_some()),
//!     // No limit set (as on a development machine): a typed error naming the files.
//!     Err(e) => println!("running without a budget: {e}"),
//! }
//! ```

use std::fmt;
use std::path::Path;

use mrt_object::RuntimeBuilder;

use super::cgroup::{self, CgroupError};

/// Why no budget could be derived.
#[derive(Clone, Debug, PartialEq)]
pub enum LimitError {
    /// `fraction` is not in `(0, 1]`.
    InvalidFraction(f64),
    /// The cgroup gives no limit (none set, not found, unreadable).
    Cgroup(CgroupError),
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::InvalidFraction(x) => {
                write!(
                    f,
                    "the fraction of the cgroup limit must be in (0, 1], not {x}"
                )
            }
            LimitError::Cgroup(e) => write!(f, "no cgroup memory limit: {e}"),
        }
    }
}

impl std::error::Error for LimitError {}

/// Extends [`RuntimeBuilder`] with limits found in the environment.
pub trait RuntimeBuilderExt: Sized {
    /// Budget the heap at `fraction` (in `(0, 1]`) of this process's cgroup memory
    /// limit (the rest is headroom for the non-heap part of the process).
    fn memory_limit_from_cgroup(self, fraction: f64) -> Result<Self, LimitError>;

    /// As [`memory_limit_from_cgroup`](Self::memory_limit_from_cgroup), reading the
    /// `/proc` and `/sys/fs/cgroup` files under `root` (tests, chroots).
    fn memory_limit_from_cgroup_at(self, root: &Path, fraction: f64) -> Result<Self, LimitError>;
}

impl RuntimeBuilderExt for RuntimeBuilder {
    fn memory_limit_from_cgroup(self, fraction: f64) -> Result<Self, LimitError> {
        self.memory_limit_from_cgroup_at(Path::new("/"), fraction)
    }

    fn memory_limit_from_cgroup_at(self, root: &Path, fraction: f64) -> Result<Self, LimitError> {
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(LimitError::InvalidFraction(fraction));
        }
        let limit = cgroup::memory_limit_from_cgroup(root).map_err(LimitError::Cgroup)?;
        let bytes = (limit.bytes as f64 * fraction).floor();
        Ok(self.memory_limit(bytes.min(usize::MAX as f64) as usize))
    }
}
