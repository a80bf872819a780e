//! Intrusive circular doubly linked lists of headers (CPython's `gc_list_*`).
//!
//! A list is a head `GcHeader` whose `next`/`prev` point at itself when empty.
//! None of these functions allocate. They never look at or change the flag
//! bits of `_gc_prev` (except `gc_list_clear_collecting`), and they require
//! the `NEXT_MASK_UNREACHABLE` bits to be clear on the nodes they touch.
#![allow(unsafe_code)]

use super::header::{GcRef, NEXT_MASK_UNREACHABLE, PREV_MASK};

/// `gc_list_init`: an empty list (the head links to itself).
#[inline]
pub(crate) fn gc_list_init(head: GcRef) {
    head.set_raw_next(head.addr());
    head.set_raw_prev(head.addr());
}

/// `gc_list_is_empty`.
#[inline]
pub(crate) fn gc_list_is_empty(head: GcRef) -> bool {
    head.raw_next() == head.addr()
}

/// `gc_list_append`: link `node` (not in any list) at the tail of `list`.
#[inline]
pub(crate) fn gc_list_append(node: GcRef, list: GcRef) {
    let last = list.prev();
    // last <-> node
    last.set_next(node);
    node.set_prev(last);
    // node <-> list
    node.set_next(list);
    list.set_raw_prev(node.addr());
}

/// `gc_list_remove`: unlink `node`; it is left untracked (`_gc_next == 0`).
/// Keeps the flag bits of `_gc_prev` (callers clear them as needed).
#[inline]
pub(crate) fn gc_list_remove(node: GcRef) {
    let prev = node.prev();
    let next = node.next();
    prev.set_next(next);
    next.set_prev(prev);
    node.set_raw_next(0);
}

/// `gc_list_move`: unlink `node` from its list and append it to `list`.
#[inline]
pub(crate) fn gc_list_move(node: GcRef, list: GcRef) {
    // Unlink from the current list.
    let from_prev = node.prev();
    let from_next = node.next();
    from_prev.set_next(from_next);
    from_next.set_prev(from_prev);
    // Relink at the end of the new list.
    let to_prev = list.prev();
    to_prev.set_next(node);
    node.set_prev(to_prev);
    node.set_next(list);
    list.set_prev(node);
}

/// `gc_list_merge`: append every node of `from` to `to`; `from` becomes empty.
#[inline]
pub(crate) fn gc_list_merge(from: GcRef, to: GcRef) {
    debug_assert!(from != to);
    if !gc_list_is_empty(from) {
        let to_tail = to.prev();
        let from_head = from.next();
        let from_tail = from.prev();
        to_tail.set_next(from_head);
        from_head.set_prev(to_tail);
        from_tail.set_next(to);
        to.set_prev(from_tail);
    }
    gc_list_init(from);
}

/// `gc_list_size`: O(n) walk.
pub(crate) fn gc_list_size(list: GcRef) -> usize {
    let mut n = 0;
    let mut gc = list.next();
    while gc != list {
        n += 1;
        gc = gc.next();
    }
    n
}

/// `gc_list_clear_collecting`.
pub(crate) fn gc_list_clear_collecting(list: GcRef) {
    let mut gc = list.next();
    while gc != list {
        gc.clear_collecting();
        gc = gc.next();
    }
}

/// `clear_unreachable_mask`: clear NEXT_MASK_UNREACHABLE on every node of a
/// list whose nodes all carry it (the head does not).
pub(crate) fn clear_unreachable_mask(list: GcRef) {
    debug_assert!(list.raw_next() & NEXT_MASK_UNREACHABLE == 0);
    let mut gc = list.next();
    while gc != list {
        debug_assert!(gc.unreachable_bit());
        let next = gc.raw_next() & !NEXT_MASK_UNREACHABLE;
        gc.set_raw_next(next);
        gc = GcRef::from_addr(next);
    }
}

/// Unlink a node that may sit in move_unreachable's unreachable list (whose
/// `next` words carry NEXT_MASK_UNREACHABLE): CPython's visit_reachable does
/// this by hand. The neighbours' UNREACHABLE bits are preserved.
#[inline]
pub(crate) fn unlink_from_unreachable(gc: GcRef) {
    let prev = gc.prev();
    let next = GcRef::from_addr(gc.raw_next() & !NEXT_MASK_UNREACHABLE);
    // copy NEXT_MASK_UNREACHABLE from gc into prev
    prev.set_raw_next(gc.raw_next());
    next.set_raw_prev((next.raw_prev() & !PREV_MASK) | prev.addr());
}
