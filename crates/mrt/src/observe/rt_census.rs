//! The census of a [`Runtime`]: live objects and bytes by type (objgraph's
//! `most_common_types`, `growth`). Re-exported as `mrt::census` / `mrt::growth`.
//!
//! The runtime counts objects as they are created and freed (per kind, per host class
//! for instances: `Runtime::live_objects`), so a census costs O(types), with no heap
//! walk, and includes objects the collector never tracks (ints, strs, floats).
//! Bytes are each object's own block as the allocator charges it (with the items a short
//! `list_from` list keeps inline); separate list buffers and dict tables are the memory
//! report's "container storage".
//!
//! ```
//! use mrt::object::Runtime;
//! let rt = Runtime::new();
//! let _first = mrt::growth(&rt, 10); // the baseline
//! let keep: Vec<_> = (0..5).map(|_| rt.dict().unwrap()).collect();
//! let g = mrt::growth(&rt, 10);
//! assert_eq!((g[0].type_name.as_str(), g[0].increase), ("dict", 5));
//! assert_eq!(mrt::census(&rt).get("dict").count, 5);
//! # drop(keep);
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use mrt_object::Runtime;

use super::census::{Census, Growth, GrowthTracker};

/// Live objects and bytes by type name right now (host instances by class name).
pub fn census(rt: &Runtime) -> Census {
    let mut c = Census::new();
    for t in rt.live_objects() {
        c.add(&t.name, t.live.objects, t.live.bytes);
    }
    c
}

/// The runtime's growth tracker (an extension of the runtime).
struct GrowthState(RefCell<GrowthTracker>);

/// objgraph's `growth(limit)`: the types whose live count went past its previous peak
/// since the last call on this runtime, largest increase first (the first call reports
/// every type against zero).
pub fn growth(rt: &Runtime, limit: usize) -> Vec<Growth> {
    let state = match rt.extension::<GrowthState>() {
        Some(s) => s,
        None => {
            let s = Rc::new(GrowthState(RefCell::new(GrowthTracker::new())));
            rt.set_extension(s.clone());
            s
        }
    };
    let c = census(rt);
    state.0.borrow_mut().growth(&c, limit)
}
