//! Instances of host classes: attributes live in fixed slots or the per-instance
//! dict (created on the first non-slot assignment).

use crate::class::{ClassId, ClassInfo};
use crate::error::{Error, Result, Thin, thin, unthin};
use crate::raw::handle::Obj;
use crate::raw::instance;
use crate::runtime::Runtime;
use std::rc::Rc;

impl Runtime {
    /// A new instance of `class` with every slot unset (always tracked).
    #[inline]
    pub fn instance(&self, class: &ClassId) -> Result<Obj<'_>> {
        unthin(instance_thin(self, class))
    }
}

// Out of line, returning in registers: see `Thin`.
#[inline(never)]
fn instance_thin<'rt>(rt: &'rt Runtime, class: &ClassId) -> Thin<Obj<'rt>> {
    thin(
        rt.class(class)
            .and_then(|info| instance::new_instance(rt, class.index, &info)),
    )
}

fn no_attribute(o: &Obj<'_>, name: &str) -> Error {
    Error::AttributeError(format!(
        "'{}' object has no attribute '{name}'",
        o.type_name()
    ))
}

impl<'rt> Obj<'rt> {
    fn class_info(&self) -> Option<Rc<ClassInfo>> {
        instance::class_of(self).map(|(_, c)| c)
    }

    /// The instance dict, if the class has one and it exists.
    fn instance_dict(&self, class: &ClassInfo) -> Option<Obj<'rt>> {
        class
            .dict
            .then(|| instance::get_word(self, class, class.slots.len()))
            .flatten()
    }

    /// `o.name` (`AttributeError` when unset or unknown).
    #[inline]
    pub fn getattr(&self, name: &str) -> Result<Obj<'rt>> {
        unthin(self.getattr_thin(name))
    }

    // Out of line, returning in registers: see `Thin`.
    #[inline(never)]
    fn getattr_thin(&self, name: &str) -> Thin<Obj<'rt>> {
        thin(self.getattr_impl(name))
    }

    #[inline]
    fn getattr_impl(&self, name: &str) -> Result<Obj<'rt>> {
        let Some(class) = self.class_info() else {
            return Err(no_attribute(self, name));
        };
        if let Some(i) = class.slot_index(name) {
            return instance::get_word(self, &class, i).ok_or_else(|| no_attribute(self, name));
        }
        if let Some(d) = self.instance_dict(&class) {
            let key = self.runtime().intern(name)?;
            if let Some(v) = d.get_opt(&key)? {
                return Ok(v);
            }
        }
        Err(no_attribute(self, name))
    }

    /// `hasattr(o, name)`.
    pub fn hasattr(&self, name: &str) -> bool {
        self.getattr(name).is_ok()
    }

    /// `o.name = x`.
    pub fn setattr(&self, name: &str, x: &Obj<'_>) -> Result<()> {
        self.check_same_runtime(x)?;
        let Some(class) = self.class_info() else {
            return Err(no_attribute(self, name));
        };
        if let Some(i) = class.slot_index(name) {
            instance::set_word(self, &class, i, Some(x));
            return Ok(());
        }
        if !class.dict {
            return Err(no_attribute(self, name));
        }
        let key = self.runtime().intern(name)?;
        let d = match self.instance_dict(&class) {
            Some(d) => d,
            None => {
                // Creating the dict may run a collection (and host code): re-check.
                let d = self.runtime().dict()?;
                match self.instance_dict(&class) {
                    Some(existing) => existing,
                    None => {
                        instance::set_word(self, &class, class.slots.len(), Some(&d));
                        d
                    }
                }
            }
        };
        d.set_item(&key, x)
    }

    /// `del o.name`.
    pub fn delattr(&self, name: &str) -> Result<()> {
        let Some(class) = self.class_info() else {
            return Err(no_attribute(self, name));
        };
        if let Some(i) = class.slot_index(name) {
            if instance::get_word(self, &class, i).is_none() {
                return Err(no_attribute(self, name));
            }
            instance::set_word(self, &class, i, None);
            return Ok(());
        }
        if let Some(d) = self.instance_dict(&class) {
            let key = self.runtime().intern(name)?;
            if d.pop_item(&key)?.is_some() {
                return Ok(());
            }
        }
        Err(no_attribute(self, name))
    }

    /// The instance's `__dict__`, if its class has one and it was created.
    pub fn instance_dict_opt(&self) -> Option<Obj<'rt>> {
        let class = self.class_info()?;
        self.instance_dict(&class)
    }
}
