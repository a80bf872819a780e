//! Validation without running: unbound names and ops applied to the wrong type.
//!
//! Every name's type is fixed by the op that last bound it, so both are decidable
//! line by line. What depends on values (popping an empty list, a missing key, an
//! index out of range) is found only by running.

use super::{Line, OBJ_SLOTS, Op, ScriptError};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// The type a name is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// `list`.
    List,
    /// `dict`.
    Dict,
    /// `obj` (instance with slots x, y).
    Obj,
    /// `int`.
    Int,
    /// `str`.
    Str,
    /// `float`.
    Float,
    /// `tuple`.
    Tuple,
    /// `set`.
    Set,
    /// `weakref.ref`.
    Weak,
}

impl Type {
    /// Python's name of the type, as error messages use it.
    pub fn python_name(self) -> &'static str {
        match self {
            Type::List => "list",
            Type::Dict => "dict",
            Type::Obj => "Obj",
            Type::Int => "int",
            Type::Str => "str",
            Type::Float => "float",
            Type::Tuple => "tuple",
            Type::Set => "set",
            Type::Weak => "weakref.ReferenceType",
        }
    }

    /// Whether `weakref.ref` accepts a value of this type (CPython: sets and
    /// instances with `__weakref__` do; lists, dicts, tuples, ints, strs don't).
    pub fn weakrefable(self) -> bool {
        matches!(self, Type::Obj | Type::Set)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.python_name())
    }
}

/// Check parsed lines; report every problem found, in line order.
pub fn check(lines: &[Line]) -> Result<(), Vec<ScriptError>> {
    let mut env: HashMap<&str, Type> = HashMap::new();
    let mut obs = ObserveState::default();
    let mut errors = Vec::new();
    for line in lines {
        let result = if line.op.is_observability() {
            check_observe(&line.op, &mut obs)
        } else {
            check_op(&line.op, &mut env)
        };
        if let Err(message) = result {
            errors.push(ScriptError::new(line.number, message));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn lookup(env: &HashMap<&str, Type>, name: &str) -> Result<Type, String> {
    env.get(name)
        .copied()
        .ok_or_else(|| format!("name '{name}' is not bound"))
}

fn expect(env: &HashMap<&str, Type>, op: &str, name: &str, allowed: &[Type]) -> Result<(), String> {
    let t = lookup(env, name)?;
    if allowed.contains(&t) {
        Ok(())
    } else {
        let want: Vec<&str> = allowed.iter().map(|t| t.python_name()).collect();
        Err(format!(
            "wrong type: '{op}' needs {} for '{name}', but '{name}' is a {t}",
            want.join(" or ")
        ))
    }
}

/// Check one op against the bindings so far and apply its binding effect.
/// A binding op binds even when one of its operands is bad, so later lines are
/// checked against the script's evident intent.
fn check_op<'a>(op: &'a Op, env: &mut HashMap<&'a str, Type>) -> Result<(), String> {
    let kw = op.keyword();
    match op {
        Op::List(a) => bind(env, a, Type::List),
        Op::Dict(a) => bind(env, a, Type::Dict),
        Op::Obj(a) => bind(env, a, Type::Obj),
        Op::Int(a, _) => bind(env, a, Type::Int),
        Op::Str(a, _) => bind(env, a, Type::Str),
        Op::Float(a, _) => bind(env, a, Type::Float),
        Op::Set(a) => bind(env, a, Type::Set),
        Op::Tuple(a, items) => {
            let first_unbound = items.iter().find_map(|i| lookup(env, i).err());
            env.insert(a, Type::Tuple);
            first_unbound.map_or(Ok(()), Err)
        }
        Op::Append(a, b) => {
            expect(env, kw, a, &[Type::List])?;
            lookup(env, b).map(drop)
        }
        Op::SetItem(a, _, b) => {
            expect(env, kw, a, &[Type::List, Type::Dict])?;
            lookup(env, b).map(drop)
        }
        Op::SetAttr(a, s, b) => {
            expect(env, kw, a, &[Type::Obj])?;
            if !OBJ_SLOTS.contains(&s.as_str()) {
                return Err(format!(
                    "'Obj' object has no attribute '{s}' (its slots are x and y)"
                ));
            }
            lookup(env, b).map(drop)
        }
        Op::Pop(a) => expect(env, kw, a, &[Type::List]),
        Op::DelItem(a, _) => expect(env, kw, a, &[Type::List, Type::Dict]),
        Op::Del(a) => {
            lookup(env, a)?;
            env.remove(a.as_str());
            Ok(())
        }
        Op::Weak(w, a) => {
            let target = lookup(env, a);
            env.insert(w, Type::Weak);
            let t = target?;
            if t.weakrefable() {
                Ok(())
            } else {
                Err(format!(
                    "wrong type: cannot create weak reference to '{t}' object '{a}'"
                ))
            }
        }
        Op::Alive(w) => expect(env, kw, w, &[Type::Weak]),
        Op::Collect(_) | Op::Count | Op::Threshold(..) | Op::Enable | Op::Disable => Ok(()),
        // Checked by `check_observe`.
        _ => Ok(()),
    }
}

/// What the observability ops need checked: snapshot names taken so far and the
/// depth of `frame`s (both fixed line by line).
#[derive(Default)]
struct ObserveState<'a> {
    snapshots: HashSet<&'a str>,
    depth: usize,
}

fn check_observe<'a>(op: &'a Op, st: &mut ObserveState<'a>) -> Result<(), String> {
    match op {
        Op::Frame(..) => st.depth += 1,
        Op::EndFrame => {
            if st.depth == 0 {
                return Err("'endframe' without a matching 'frame'".to_string());
            }
            st.depth -= 1;
        }
        Op::Snapshot(s) => {
            st.snapshots.insert(s);
        }
        Op::Compare(a, b, _) => {
            for s in [a, b] {
                if !st.snapshots.contains(s.as_str()) {
                    return Err(format!(
                        "no snapshot named '{s}' was taken before this line"
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn bind<'a>(env: &mut HashMap<&'a str, Type>, name: &'a str, t: Type) -> Result<(), String> {
    env.insert(name, t);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn errors(src: &str) -> Vec<String> {
        match check(&parse(src).unwrap()) {
            Ok(()) => vec![],
            Err(es) => es.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn a_good_script_checks() {
        let src = "list A\nobj O\nappend A O\nsetattr O x A\nweak W O\nalive W\nset S\nweak V S\n\
                   dict D\nsetitem D 1 A\ndelitem D 1\npop A\ntuple T A O\ndel A\nlist A\n";
        assert_eq!(errors(src), Vec::<String>::new());
    }

    #[test]
    fn all_problems_are_reported() {
        let src = "dict D\nappend D D\nappend X D\nlist L\nweak W L\nalive L\nobj O\nsetattr O z O\n\
                   del L\npop L\ntuple T O Q\nalive T\n";
        assert_eq!(
            errors(src),
            vec![
                "line 2: wrong type: 'append' needs list for 'D', but 'D' is a dict",
                "line 3: name 'X' is not bound",
                "line 5: wrong type: cannot create weak reference to 'list' object 'L'",
                "line 6: wrong type: 'alive' needs weakref.ReferenceType for 'L', but 'L' is a list",
                "line 8: 'Obj' object has no attribute 'z' (its slots are x and y)",
                "line 10: name 'L' is not bound",
                "line 11: name 'Q' is not bound",
                "line 12: wrong type: 'alive' needs weakref.ReferenceType for 'T', but 'T' is a tuple",
            ]
        );
    }

    #[test]
    fn observability_ops_are_checked() {
        let good = "trace start 3\nframe a.py 1 f\nsnapshot A\nlist L\nsnapshot B\ncompare A B\n\
                    endframe\ncensus\nreport\nlimit 0\nmonitor sample\nmonitor verdict\ntrace stop\n";
        assert_eq!(errors(good), Vec::<String>::new());
        assert_eq!(
            errors("endframe\nsnapshot A\ncompare A B\nframe f 1 g\nendframe\nendframe\n"),
            vec![
                "line 1: 'endframe' without a matching 'frame'",
                "line 3: no snapshot named 'B' was taken before this line",
                "line 6: 'endframe' without a matching 'frame'",
            ]
        );
        // Snapshot names are not variables.
        assert_eq!(
            errors("snapshot A\npop A\n"),
            vec!["line 2: name 'A' is not bound"]
        );
    }

    #[test]
    fn rebinding_changes_the_type() {
        assert_eq!(
            errors("list A\ndict A\nsetitem A 5 A\n"),
            Vec::<String>::new()
        );
        assert_eq!(errors("dict A\nlist A\npop A\n"), Vec::<String>::new());
        assert_eq!(errors("list A\ndict A\npop A\n").len(), 1);
    }
}
