//! `WeakValueDict` and `WeakKeyDict`: Python's `weakref.WeakValueDictionary` and
//! `weakref.WeakKeyDictionary` over a runtime dict.
//!
//! Like CPython's, each entry holds a weak reference with a callback; the callback
//! (which cannot reach the map: callbacks are `'static`) only counts deaths, and the
//! next operation on the map removes the dead entries (CPython's
//! `_pending_removals`/`_remove_dead_weakref`, done eagerly per operation).

use crate::error::{Error, Result};
use crate::raw::handle::Obj;
use crate::runtime::Runtime;
use std::cell::Cell;
use std::rc::Rc;

/// The shared state of a map's callbacks: how many referents died since the last
/// purge.
#[derive(Default)]
struct Deaths(Cell<usize>);

impl Deaths {
    fn callback(self: &Rc<Self>) -> impl Fn(&Obj<'_>) + 'static {
        let me = Rc::clone(self);
        move |_| me.0.set(me.0.get() + 1)
    }
}

/// What both maps share: the runtime dict, the death count of its callbacks, and
/// which side of an entry is the weak reference.
struct WeakMap<'rt> {
    map: Obj<'rt>,
    deaths: Rc<Deaths>,
    weak_keys: bool,
}

impl<'rt> WeakMap<'rt> {
    fn new(rt: &'rt Runtime, weak_keys: bool) -> Result<Self> {
        Ok(WeakMap {
            map: rt.dict()?,
            deaths: Rc::default(),
            weak_keys,
        })
    }

    /// Remove the entries whose weak side is dead (only after a callback ran).
    fn purge(&self) -> Result<()> {
        if self.deaths.0.get() == 0 {
            return Ok(());
        }
        self.deaths.0.set(0);
        let dead: Vec<Obj<'_>> = self
            .map
            .items()?
            .into_iter()
            .filter(|(k, v)| !if self.weak_keys { k } else { v }.is_alive())
            .map(|(k, _)| k)
            .collect();
        for k in dead {
            self.map.pop_item(&k)?;
        }
        Ok(())
    }

    /// A weak reference to `referent` whose death the map will notice
    /// (`TypeError` if it does not support weak references).
    fn watch(&self, referent: &Obj<'rt>) -> Result<Obj<'rt>> {
        self.purge()?;
        let rt = self.map.runtime();
        rt.check_owned(referent)?;
        rt.weakref_with_callback(referent, self.deaths.callback())
    }

    /// `del map[entry]`, or `KeyError(shown)` when absent.
    fn remove(&self, entry: &Obj<'_>, shown: &Obj<'_>) -> Result<()> {
        self.purge()?;
        match self.map.pop_item(entry)? {
            Some(_) => Ok(()),
            None => Err(Error::KeyError(shown.repr())),
        }
    }

    fn len(&self) -> Result<usize> {
        self.purge()?;
        self.map.len()
    }

    /// The live `(key, value)` pairs, the weak side upgraded, in insertion order.
    fn items(&self) -> Result<Vec<(Obj<'rt>, Obj<'rt>)>> {
        self.purge()?;
        Ok(self
            .map
            .items()?
            .into_iter()
            .filter_map(|(k, v)| {
                if self.weak_keys {
                    Some((k.upgrade()?, v))
                } else {
                    Some((k, v.upgrade()?))
                }
            })
            .collect())
    }
}

/// A mapping whose values are held weakly: an entry disappears when its value dies
/// (`weakref.WeakValueDictionary`).
///
/// ```
/// use mrt_object::{ClassSpec, Runtime, WeakValueDict};
/// let rt = Runtime::new();
/// let c = rt.define_class(ClassSpec::new("C").weakrefs()).unwrap();
/// let cache = WeakValueDict::new(&rt).unwrap();
/// let v = rt.instance(&c).unwrap();
/// cache.set(&rt.str("k").unwrap(), &v).unwrap();
/// assert_eq!(cache.len().unwrap(), 1);
/// drop(v);
/// assert_eq!(cache.len().unwrap(), 0);
/// ```
pub struct WeakValueDict<'rt>(WeakMap<'rt>);

impl<'rt> WeakValueDict<'rt> {
    /// An empty map.
    pub fn new(rt: &'rt Runtime) -> Result<Self> {
        Ok(WeakValueDict(WeakMap::new(rt, false)?))
    }

    /// `d[key] = value` (`TypeError` if `value` does not support weak references or
    /// `key` is unhashable).
    pub fn set(&self, key: &Obj<'_>, value: &Obj<'rt>) -> Result<()> {
        let wr = self.0.watch(value)?;
        self.0.map.set_item(key, &wr)
    }

    /// `d.get(key)`: the value if present and alive.
    pub fn get(&self, key: &Obj<'_>) -> Result<Option<Obj<'rt>>> {
        Ok(self.0.map.get_opt(key)?.and_then(|w| w.upgrade()))
    }

    /// `del d[key]` (`KeyError` when absent or dead).
    pub fn remove(&self, key: &Obj<'_>) -> Result<()> {
        self.0.remove(key, key)
    }

    /// `key in d` (live entries only).
    pub fn contains(&self, key: &Obj<'_>) -> Result<bool> {
        Ok(self.get(key)?.is_some())
    }

    /// Number of live entries.
    pub fn len(&self) -> Result<usize> {
        self.0.len()
    }

    /// Whether there is no live entry.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The live `(key, value)` pairs, in insertion order.
    pub fn items(&self) -> Result<Vec<(Obj<'rt>, Obj<'rt>)>> {
        self.0.items()
    }
}

/// A mapping whose keys are held weakly: an entry disappears when its key dies
/// (`weakref.WeakKeyDictionary`). Keys are compared like their weak references:
/// by identity for instances and host data.
pub struct WeakKeyDict<'rt>(WeakMap<'rt>);

impl<'rt> WeakKeyDict<'rt> {
    /// An empty map.
    pub fn new(rt: &'rt Runtime) -> Result<Self> {
        Ok(WeakKeyDict(WeakMap::new(rt, true)?))
    }

    /// The probe weakref for a lookup (the shared callback-less one).
    fn probe(&self, key: &Obj<'rt>) -> Result<Obj<'rt>> {
        let rt = self.0.map.runtime();
        rt.check_owned(key)?;
        rt.weakref(key)
    }

    /// `d[key] = value` (`TypeError` if `key` does not support weak references).
    pub fn set(&self, key: &Obj<'rt>, value: &Obj<'_>) -> Result<()> {
        let wr = self.0.watch(key)?;
        self.0.map.set_item(&wr, value)
    }

    /// `d.get(key)`.
    pub fn get(&self, key: &Obj<'rt>) -> Result<Option<Obj<'rt>>> {
        self.0.map.get_opt(&self.probe(key)?)
    }

    /// `del d[key]` (`KeyError` when absent).
    pub fn remove(&self, key: &Obj<'rt>) -> Result<()> {
        // Purge first, as before any operation: the probe may need what it frees.
        self.0.purge()?;
        self.0.remove(&self.probe(key)?, key)
    }

    /// `key in d`.
    pub fn contains(&self, key: &Obj<'rt>) -> Result<bool> {
        Ok(self.get(key)?.is_some())
    }

    /// Number of entries with a live key.
    pub fn len(&self) -> Result<usize> {
        self.0.len()
    }

    /// Whether there is no entry with a live key.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The `(key, value)` pairs with live keys, in insertion order.
    pub fn items(&self) -> Result<Vec<(Obj<'rt>, Obj<'rt>)>> {
        self.0.items()
    }
}
