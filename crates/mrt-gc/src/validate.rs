//! Debug-build list validation between phases (CPython's `validate_list`).

use crate::raw::GcRef;

/// The flag state every node of a list must be in (CPython's `enum flagstates`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(dead_code, clippy::enum_variant_names)]
pub(crate) enum FlagState {
    /// A generation list between collections, or survivors.
    CollectingClearUnreachableClear,
    /// `unreachable` after `move_legacy_finalizers`.
    CollectingSetUnreachableClear,
    /// `unreachable` right after `move_unreachable`.
    CollectingSetUnreachableSet,
    /// Generation 2's leaf list: LEAF set, the other flags clear.
    Leaves,
}

/// Check a list's links and the flags of each node. Compiled to nothing in
/// release builds; O(n) in debug builds, run on the lists a phase produced.
#[inline]
pub(crate) fn validate_list(head: GcRef, flags: FlagState) {
    #[cfg(debug_assertions)]
    {
        use crate::raw::{NEXT_MASK_UNREACHABLE, PREV_MASK_COLLECTING, PREV_MASK_LEAF};
        let (prev_value, next_value) = match flags {
            FlagState::CollectingClearUnreachableClear => (0, 0),
            FlagState::CollectingSetUnreachableClear => (PREV_MASK_COLLECTING, 0),
            FlagState::CollectingSetUnreachableSet => (PREV_MASK_COLLECTING, NEXT_MASK_UNREACHABLE),
            FlagState::Leaves => (PREV_MASK_LEAF, 0),
        };
        assert_eq!(
            head.raw_prev() & PREV_MASK_COLLECTING,
            0,
            "list head has COLLECTING"
        );
        assert_eq!(
            head.raw_next() & NEXT_MASK_UNREACHABLE,
            0,
            "list head has UNREACHABLE"
        );
        let mut prev = head;
        let mut gc = GcRef::from_addr(head.raw_next());
        while gc != head {
            let truenext = gc.raw_next() & !NEXT_MASK_UNREACHABLE;
            assert_ne!(truenext, 0, "untracked object in a list");
            assert_eq!(gc.prev(), prev, "broken prev link");
            assert_eq!(
                gc.raw_prev() & (PREV_MASK_COLLECTING | PREV_MASK_LEAF),
                prev_value,
                "COLLECTING/LEAF flags ({flags:?})"
            );
            assert_eq!(
                gc.raw_next() & NEXT_MASK_UNREACHABLE,
                next_value,
                "UNREACHABLE flag ({flags:?})"
            );
            prev = gc;
            gc = GcRef::from_addr(truenext);
        }
        assert_eq!(head.prev(), prev, "list head's prev is not the tail");
    }
    #[cfg(not(debug_assertions))]
    {
        let _ = (head, flags);
    }
}
