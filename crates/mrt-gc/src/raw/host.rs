//! The seam between the collector and an object model: the [`GcHost`] trait.
#![allow(unsafe_code)]

use crate::GcRef;

/// Which of CPython's two lazy-untracking passes is asking (see
/// [`GcHost::maybe_untrack`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UntrackPass {
    /// After every collection, over the survivors of the collected
    /// generations (CPython's `untrack_tuples`).
    EveryCollection,
    /// After a full collection only, over all survivors (CPython's
    /// `untrack_dicts`; only in full collections "to avoid quadratic dict
    /// build-up", bpo-14775). Runs after the `EveryCollection` pass.
    FullCollection,
}

/// An object model the collector can collect: the host's "type slots"
/// (`tp_traverse`, `tp_clear`, `tp_finalize`, `tp_del`, refcount access).
///
/// The collector is generic over the host (`Collector::collect::<H>`), so
/// these calls are monomorphized and inline into the phases.
///
/// # Safety
///
/// Implementing this trait promises, for every object tracked by a collector
/// this host is passed to:
///
/// 1. **Layout.** Every `GcRef` the host passes to the collector (as an
///    argument or through a visitor) points to the live [`GcHeader`](crate::GcHeader)
///    of a GC-capable object of this host, which the host created with
///    `GcHeader::new()` and has not freed. Headers are never moved.
/// 2. **Refcounts.** `refcount(o)` is the number of strong references to `o`,
///    at least 1 for every live object, and at least the number of edges
///    `traverse(o)` of other objects report to `o`.
/// 3. **Traverse is complete and pure.** `traverse(o, visit)` calls `visit`
///    once per strong reference `o` holds to a GC-capable object (tracked or
///    not; the collector filters), and nothing else. It does not change the
///    object graph or any refcount, does not call into the collector, and
///    returns the same edges when called twice without intervening mutation.
///    A strong reference the host does not report makes the referent look
///    externally reachable (a leak, never unsoundness); reporting a reference
///    it does not own can free a live object (unsound).
/// 4. **Freeing goes through the collector.** Before a GC-capable object's
///    memory is released, the host calls
///    [`Collector::on_dealloc`](crate::Collector::on_dealloc) for it (which
///    unlinks it from whatever list it is in, including the collector's
///    private lists during a collection). `decref` and `clear` may free any
///    number of objects this way, re-entrantly.
/// 5. **No panics where noted.** `refcount`, `incref`, `has_finalizer`,
///    `has_legacy_finalizer`, `maybe_untrack`, `full_untrack_candidate`,
///    `is_leaf` and `type_name` must not panic.
///    A panic from them during a collection aborts the process (the
///    collection cannot be completed safely). `traverse`, `clear`,
///    `finalize`, `decref`, `clear_weakrefs` and `call_weakref_callback` may
///    panic: the collector catches the panic, finishes the collection and
///    resumes the first panic afterwards.
/// 6. **Weak references.** `clear_weakrefs(o, defer)` leaves every weak
///    reference to `o` dead and reports through `defer` only weakref objects
///    that are tracked GC objects of this host and have a callback. It runs
///    no callback and frees no object (it only clears weak references).
/// 7. **One collector.** Every tracked object `traverse` reports is tracked
///    by the collector being run, not by another one (the full collection
///    initialises a reached object's `gc_refs` the first time it sees it, on
///    the grounds that every tracked object is in the collection; an object
///    of another collector would have its list links overwritten). A host
///    with several collectors keeps their graphs apart (mrt-object refuses
///    to store one runtime's object in another's containers).
/// 8. **Shortcuts are truthful.** `weakrefs_possible`, `finalizers_possible`
///    and `full_untrack_candidate` return `false` only when the skipped
///    calls (`clear_weakrefs`, `has_finalizer`, `maybe_untrack` with
///    [`UntrackPass::FullCollection`]) would have done nothing / answered
///    `false`.
/// 9. **Leaves stay leaves until `unleaf`.** When `is_leaf(o)` answers
///    `true`, `traverse(o)` reports nothing; the collector may then keep `o`
///    in generation 2's leaf list, which full collections do not walk. From
///    then on, before `traverse(o)` can report an edge, the host calls
///    [`Collector::unleaf(o)`](crate::Collector::unleaf) (a no-op for an
///    object that is not in the leaf list). A host that breaks this makes
///    `o`'s referents look externally reachable (a leak), and can make a
///    reachable `o` look like garbage (unsound).
pub unsafe trait GcHost {
    /// When `false`, the collector skips the untracking passes entirely
    /// (`maybe_untrack` would always return `false`).
    const UNTRACKS: bool = false;

    /// When `false`, the collector never asks [`is_leaf`](Self::is_leaf) and
    /// keeps no leaf list.
    const LEAVES: bool = false;

    /// The object's reference count (`Py_REFCNT`).
    fn refcount(&self, o: GcRef) -> usize;

    /// Take a strong reference (`Py_INCREF`).
    fn incref(&self, o: GcRef);

    /// Drop a strong reference (`Py_DECREF`). Reaching zero frees the object
    /// at once (contract item 4), possibly running host code and freeing
    /// others.
    fn decref(&self, o: GcRef);

    /// Call `visit` on every strong reference `o` holds to a GC-capable
    /// object (`tp_traverse`; contract item 3).
    fn traverse(&self, o: GcRef, visit: &mut impl FnMut(GcRef));

    /// Drop the strong references `o` holds, to break cycles (`tp_clear`).
    fn clear(&self, o: GcRef);

    /// Does `o` have a PEP 442 finalizer (`tp_finalize`)?
    fn has_finalizer(&self, _o: GcRef) -> bool {
        false
    }

    /// Run `o`'s finalizer (`tp_finalize`). It may resurrect `o` or other
    /// objects by storing strong references to them. The collector calls it
    /// at most once per object (it sets the header's FINALIZED flag first).
    fn finalize(&self, _o: GcRef) {}

    /// Does `o` have a legacy finalizer (`tp_del`)? Unreachable objects with
    /// one, and everything reachable from them, are uncollectable: they go to
    /// [`Collector::garbage`](crate::Collector::take_garbage).
    fn has_legacy_finalizer(&self, _o: GcRef) -> bool {
        false
    }

    /// Clear weak references for an object found unreachable
    /// (`handle_weakrefs`' first pass): if `o` is itself a weak reference,
    /// clear it (it reports dead; its callback must never run); then clear
    /// every weak reference to `o` and call `defer(wr)` for each cleared
    /// weakref `wr` that has a callback. Do not run any callback here.
    fn clear_weakrefs(&self, _o: GcRef, _defer: &mut impl FnMut(GcRef)) {}

    /// Could [`GcHost::clear_weakrefs`] do anything in this collection (does
    /// any weak reference exist)? `false` lets the collector skip
    /// `handle_weakrefs`' walk over the garbage, which would call it on every
    /// object for nothing. Asked once per collection. Default `true`.
    fn weakrefs_possible(&self) -> bool {
        true
    }

    /// Could any object have a PEP 442 finalizer ([`GcHost::has_finalizer`])?
    /// `false` lets the collector skip `finalize_garbage`'s walk over the
    /// garbage. Asked once per collection. Default `true`.
    fn finalizers_possible(&self) -> bool {
        true
    }

    /// Run the callback of the (already cleared) weakref object `wr`. The
    /// collector holds a strong reference to `wr` during the call.
    fn call_weakref_callback(&self, _wr: GcRef) {}

    /// Should the collector untrack survivor `o` now? CPython 3.11 untracks
    /// tuples holding no "maybe tracked" object after every collection
    /// (`_PyTuple_MaybeUntrack`) and dicts likewise after full collections
    /// only (`_PyDict_MaybeUntrack`). Only called when [`GcHost::UNTRACKS`].
    fn maybe_untrack(&self, _o: GcRef, _pass: UntrackPass) -> bool {
        false
    }

    /// Whether `o` could ever be untracked by the
    /// [`UntrackPass::FullCollection`] pass: a cheap test of its type, asked
    /// while a full collection scans `o` (its header is in cache then). Only
    /// survivors answering `true` are offered to that pass, in list order, so
    /// the pass does not walk the whole oldest generation again. Default
    /// `true` (every survivor is offered). Only called when
    /// [`GcHost::UNTRACKS`].
    fn full_untrack_candidate(&self, _o: GcRef) -> bool {
        true
    }

    /// Is `o` a leaf: a container that holds no reference to a GC-capable
    /// object right now (say, a list of ints and strings)? Asked while a
    /// full collection scans a survivor (its header is in cache then). A
    /// leaf cannot be part of a cycle, so a survivor that answers `true`
    /// moves to generation 2's leaf list, and later full collections look at
    /// it only when an unreachable object refers to it (beyond CPython; the
    /// counts `collect` returns are unchanged). See contract 9. Only called
    /// when [`GcHost::LEAVES`].
    fn is_leaf(&self, _o: GcRef) -> bool {
        false
    }

    /// A short type name for debug output and introspection (`tp_name`).
    fn type_name(&self, _o: GcRef) -> &str {
        "object"
    }
}
