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

/// Remove the entries of `map` whose weakref (`key` side or `value` side) is dead.
fn purge(map: &Obj<'_>, deaths: &Deaths, weak_keys: bool) -> Result<()> {
    if deaths.0.get() == 0 {
        return Ok(());
    }
    deaths.0.set(0);
    let dead: Vec<Obj<'_>> = map
        .items()?
        .into_iter()
        .filter(|(k, v)| !if weak_keys { k } else { v }.is_alive())
        .map(|(k, _)| k)
        .collect();
    for k in dead {
        map.pop_item(&k)?;
    }
    Ok(())
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
pub struct WeakValueDict<'rt> {
    map: Obj<'rt>,
    deaths: Rc<Deaths>,
}

impl<'rt> WeakValueDict<'rt> {
    /// An empty map.
    pub fn new(rt: &'rt Runtime) -> Result<Self> {
        Ok(WeakValueDict {
            map: rt.dict()?,
            deaths: Rc::default(),
        })
    }

    fn purge(&self) -> Result<()> {
        purge(&self.map, &self.deaths, false)
    }

    /// `d[key] = value` (`TypeError` if `value` does not support weak references or
    /// `key` is unhashable).
    pub fn set(&self, key: &Obj<'_>, value: &Obj<'rt>) -> Result<()> {
        self.purge()?;
        let rt = self.map.runtime();
        rt.check_owned(value)?;
        let wr = rt.weakref_with_callback(value, self.deaths.callback())?;
        self.map.set_item(key, &wr)
    }

    /// `d.get(key)`: the value if present and alive.
    pub fn get(&self, key: &Obj<'_>) -> Result<Option<Obj<'rt>>> {
        Ok(self.map.get_opt(key)?.and_then(|w| w.upgrade()))
    }

    /// `del d[key]` (`KeyError` when absent or dead).
    pub fn remove(&self, key: &Obj<'_>) -> Result<()> {
        self.purge()?;
        match self.map.pop_item(key)? {
            Some(_) => Ok(()),
            None => Err(Error::KeyError(key.repr())),
        }
    }

    /// `key in d` (live entries only).
    pub fn contains(&self, key: &Obj<'_>) -> Result<bool> {
        Ok(self.get(key)?.is_some())
    }

    /// Number of live entries.
    pub fn len(&self) -> Result<usize> {
        self.purge()?;
        self.map.len()
    }

    /// Whether there is no live entry.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The live `(key, value)` pairs, in insertion order.
    pub fn items(&self) -> Result<Vec<(Obj<'rt>, Obj<'rt>)>> {
        self.purge()?;
        Ok(self
            .map
            .items()?
            .into_iter()
            .filter_map(|(k, w)| w.upgrade().map(|v| (k, v)))
            .collect())
    }
}

/// A mapping whose keys are held weakly: an entry disappears when its key dies
/// (`weakref.WeakKeyDictionary`). Keys are compared like their weak references:
/// by identity for instances and host data.
pub struct WeakKeyDict<'rt> {
    map: Obj<'rt>,
    deaths: Rc<Deaths>,
}

impl<'rt> WeakKeyDict<'rt> {
    /// An empty map.
    pub fn new(rt: &'rt Runtime) -> Result<Self> {
        Ok(WeakKeyDict {
            map: rt.dict()?,
            deaths: Rc::default(),
        })
    }

    fn purge(&self) -> Result<()> {
        purge(&self.map, &self.deaths, true)
    }

    /// The probe weakref for a lookup (the shared callback-less one).
    fn probe(&self, key: &Obj<'rt>) -> Result<Obj<'rt>> {
        let rt = self.map.runtime();
        rt.check_owned(key)?;
        rt.weakref(key)
    }

    /// `d[key] = value` (`TypeError` if `key` does not support weak references).
    pub fn set(&self, key: &Obj<'rt>, value: &Obj<'_>) -> Result<()> {
        self.purge()?;
        let rt = self.map.runtime();
        rt.check_owned(key)?;
        let wr = rt.weakref_with_callback(key, self.deaths.callback())?;
        self.map.set_item(&wr, value)
    }

    /// `d.get(key)`.
    pub fn get(&self, key: &Obj<'rt>) -> Result<Option<Obj<'rt>>> {
        self.map.get_opt(&self.probe(key)?)
    }

    /// `del d[key]` (`KeyError` when absent).
    pub fn remove(&self, key: &Obj<'rt>) -> Result<()> {
        self.purge()?;
        match self.map.pop_item(&self.probe(key)?)? {
            Some(_) => Ok(()),
            None => Err(Error::KeyError(key.repr())),
        }
    }

    /// `key in d`.
    pub fn contains(&self, key: &Obj<'rt>) -> Result<bool> {
        Ok(self.get(key)?.is_some())
    }

    /// Number of entries with a live key.
    pub fn len(&self) -> Result<usize> {
        self.purge()?;
        self.map.len()
    }

    /// Whether there is no entry with a live key.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The `(key, value)` pairs with live keys, in insertion order.
    pub fn items(&self) -> Result<Vec<(Obj<'rt>, Obj<'rt>)>> {
        self.purge()?;
        Ok(self
            .map
            .items()?
            .into_iter()
            .filter_map(|(w, v)| w.upgrade().map(|k| (k, v)))
            .collect())
    }
}
