//! Host-defined classes (docs/object_model.md §3): a name, fixed slots and/or a
//! per-instance dict, an optional PEP 442 finalizer, and weakref support.

use crate::error::{Error, Result};
use crate::raw::handle::Obj;
use crate::runtime::Runtime;
use std::fmt;
use std::rc::Rc;

/// A finalizer (`__del__`): called at most once, with the dying object, which it
/// may resurrect by storing a reference to it somewhere reachable.
pub type Finalizer = Rc<dyn Fn(&Obj<'_>)>;

/// Most slots a class may declare.
pub const MAX_SLOTS: usize = 4096;

/// Describes a class for [`Runtime::define_class`].
///
/// ```
/// use mrt_object::{ClassSpec, Runtime};
/// let rt = Runtime::new();
/// let point = rt.define_class(ClassSpec::new("Point").slots(&["x", "y"]).weakrefs()).unwrap();
/// let p = rt.instance(&point).unwrap();
/// p.setattr("x", &rt.int(3).unwrap()).unwrap();
/// assert_eq!(p.getattr("x").unwrap().as_int(), Some(3));
/// assert!(p.getattr("y").is_err()); // unset slot: AttributeError
/// ```
#[derive(Clone)]
pub struct ClassSpec {
    name: String,
    slots: Vec<String>,
    dict: bool,
    weakrefs: bool,
    finalizer: Option<Finalizer>,
}

impl fmt::Debug for ClassSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClassSpec")
            .field("name", &self.name)
            .field("slots", &self.slots)
            .field("dict", &self.dict)
            .field("weakrefs", &self.weakrefs)
            .field("finalizer", &self.finalizer.is_some())
            .finish()
    }
}

impl ClassSpec {
    /// A class with no slots, no dict, no weakref support and no finalizer.
    pub fn new(name: &str) -> Self {
        ClassSpec {
            name: name.to_string(),
            slots: Vec::new(),
            dict: false,
            weakrefs: false,
            finalizer: None,
        }
    }

    /// Fixed slots (`__slots__`), stored inline in the instance.
    pub fn slots(mut self, names: &[&str]) -> Self {
        self.slots = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Give instances a per-instance dict for other attributes (`__dict__`),
    /// created on the first such assignment.
    pub fn dict(mut self) -> Self {
        self.dict = true;
        self
    }

    /// Allow weak references to instances (`__weakref__`).
    pub fn weakrefs(mut self) -> Self {
        self.weakrefs = true;
        self
    }

    /// A finalizer (`__del__`, PEP 442 semantics).
    pub fn finalizer(mut self, f: impl Fn(&Obj<'_>) + 'static) -> Self {
        self.finalizer = Some(Rc::new(f));
        self
    }
}

/// A class of one runtime (using it with another runtime is a `ValueError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClassId {
    pub(crate) runtime: u64,
    pub(crate) index: u16,
}

/// A defined class, as the runtime keeps it.
pub(crate) struct ClassInfo {
    pub(crate) name: String,
    pub(crate) slots: Vec<String>,
    pub(crate) dict: bool,
    pub(crate) weakrefs: bool,
    pub(crate) finalizer: Option<Finalizer>,
}

impl ClassInfo {
    /// Inline words of an instance: the slots, then the dict (if any).
    #[inline]
    pub(crate) fn words(&self) -> usize {
        self.slots.len() + self.dict as usize
    }

    /// The word index of a slot name.
    pub(crate) fn slot_index(&self, name: &str) -> Option<usize> {
        self.slots.iter().position(|s| s == name)
    }
}

impl Runtime {
    /// Define a class. Errors: a duplicate slot name (`ValueError`), more than
    /// [`MAX_SLOTS`] slots or 65,536 classes (`OverflowError`).
    pub fn define_class(&self, spec: ClassSpec) -> Result<ClassId> {
        if spec.slots.len() > MAX_SLOTS {
            return Err(Error::OverflowError(format!(
                "too many slots ({} > {MAX_SLOTS})",
                spec.slots.len()
            )));
        }
        for (i, s) in spec.slots.iter().enumerate() {
            if spec.slots[..i].contains(s) {
                return Err(Error::ValueError(format!(
                    "duplicate slot name '{s}' in class '{}'",
                    spec.name
                )));
            }
        }
        let mut classes = self.inner.classes.borrow_mut();
        let index = u16::try_from(classes.len())
            .map_err(|_| Error::OverflowError("too many classes".into()))?;
        classes.push(Rc::new(ClassInfo {
            name: spec.name,
            slots: spec.slots,
            dict: spec.dict,
            weakrefs: spec.weakrefs,
            finalizer: spec.finalizer,
        }));
        Ok(ClassId {
            runtime: self.inner.id,
            index,
        })
    }

    /// The class behind an id of this runtime.
    pub(crate) fn class(&self, id: &ClassId) -> Result<Rc<ClassInfo>> {
        if id.runtime != self.inner.id {
            return Err(Error::ValueError(
                "class belongs to a different runtime".into(),
            ));
        }
        Ok(self.class_at(id.index))
    }

    /// The class at a table index (indices come from instance headers, always valid).
    pub(crate) fn class_at(&self, index: u16) -> Rc<ClassInfo> {
        self.inner.classes.borrow()[index as usize].clone()
    }

    /// Inline words of instances of the class at `index` (no `Rc` traffic: this is
    /// on the collector's traverse path).
    #[inline]
    pub(crate) fn class_words(&self, index: u16) -> usize {
        self.inner.classes.borrow()[index as usize].words()
    }

    /// Whether the class at `index` has a finalizer.
    #[inline]
    pub(crate) fn class_has_finalizer(&self, index: u16) -> bool {
        self.inner.classes.borrow()[index as usize]
            .finalizer
            .is_some()
    }

    /// The name of a class.
    pub fn class_name(&self, id: &ClassId) -> Result<String> {
        Ok(self.class(id)?.name.clone())
    }
}
