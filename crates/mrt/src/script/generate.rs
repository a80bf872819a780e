//! Random valid scripts for differential testing against CPython.
//!
//! [`generate`] writes a script that starts with `disable` (so CPython's own
//! allocations cannot trigger collections and both sides see the same counts),
//! builds lists, dicts, instances, tuples and weak references, wires them into
//! cycles, drops names, and collects with and without a generation. It keeps a
//! model of every object (kind, list length, dict keys) so that each op is valid
//! when it runs — no `pop` from an empty list, no missing key — and the script's
//! output is decided by reference semantics alone. `count`, `enable` and
//! `threshold` are left out: CPython's counts include the interpreter's own
//! allocations (design §7).

use super::Op;
use std::collections::BTreeSet;

/// A small, fast, seedable generator (SplitMix64): scripts are reproducible from
/// their seed, with no dependency.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

#[derive(Clone, Debug)]
enum Model {
    List(usize),
    Dict(BTreeSet<i64>),
    Obj,
    Set,
    Tuple,
    Atom,
    Weak,
}

/// Names a script uses: few, so that rebinding and aliasing are frequent.
const NAMES: [&str; 10] = ["a", "b", "c", "d", "e", "f", "g", "h", "w1", "w2"];

struct Gen {
    rng: SplitMix64,
    /// name index -> object id
    bound: Vec<Option<usize>>,
    objects: Vec<Model>,
}

impl Gen {
    fn names_where(&self, pred: impl Fn(&Model) -> bool) -> Vec<usize> {
        (0..NAMES.len())
            .filter(|&i| self.bound[i].is_some_and(|o| pred(&self.objects[o])))
            .collect()
    }

    fn pick(&mut self, from: &[usize]) -> Option<usize> {
        (!from.is_empty()).then(|| from[self.rng.below(from.len())])
    }

    fn any_bound(&mut self) -> Option<usize> {
        let all = self.names_where(|_| true);
        self.pick(&all)
    }

    fn bind_new(&mut self, name: usize, model: Model) {
        self.objects.push(model);
        self.bound[name] = Some(self.objects.len() - 1);
    }

    /// One op that is valid in the current state, or `None` to retry.
    fn op(&mut self) -> Option<Op> {
        let n = |i: usize| NAMES[i].to_string();
        let target = self.rng.below(8); // creation targets exclude the weak names
        Some(match self.rng.below(100) {
            0..=9 => {
                self.bind_new(target, Model::List(0));
                Op::List(n(target))
            }
            10..=15 => {
                self.bind_new(target, Model::Dict(BTreeSet::new()));
                Op::Dict(n(target))
            }
            16..=23 => {
                self.bind_new(target, Model::Obj);
                Op::Obj(n(target))
            }
            24..=25 => {
                self.bind_new(target, Model::Set);
                Op::Set(n(target))
            }
            26..=27 => {
                let v = self.rng.below(1000) as i64 - 500;
                self.bind_new(target, Model::Atom);
                Op::Int(n(target), v)
            }
            28 => {
                self.bind_new(target, Model::Atom);
                Op::Str(n(target), format!("s{}", self.rng.below(50)))
            }
            29 => {
                self.bind_new(target, Model::Atom);
                Op::Float(n(target), self.rng.below(100) as f64 / 4.0)
            }
            30..=34 => {
                let k = self.rng.below(3);
                let mut items = Vec::with_capacity(k);
                for _ in 0..k {
                    items.push(n(self.any_bound()?));
                }
                self.bind_new(target, Model::Tuple);
                Op::Tuple(n(target), items)
            }
            35..=49 => {
                let lists = self.names_where(|m| matches!(m, Model::List(_)));
                let a = self.pick(&lists)?;
                let b = self.any_bound()?;
                if let Model::List(len) = &mut self.objects[self.bound[a]?] {
                    *len += 1;
                }
                Op::Append(n(a), n(b))
            }
            50..=59 => {
                let containers = self.names_where(|m| {
                    matches!(m, Model::List(l) if *l > 0) || matches!(m, Model::Dict(_))
                });
                let a = self.pick(&containers)?;
                let b = self.any_bound()?;
                let k = match &mut self.objects[self.bound[a]?] {
                    Model::List(len) => self.rng.below(*len) as i64,
                    Model::Dict(keys) => {
                        let k = self.rng.below(6) as i64;
                        keys.insert(k);
                        k
                    }
                    _ => return None,
                };
                Op::SetItem(n(a), k, n(b))
            }
            60..=69 => {
                let objs = self.names_where(|m| matches!(m, Model::Obj));
                let a = self.pick(&objs)?;
                let b = self.any_bound()?;
                let slot = if self.rng.below(2) == 0 { "x" } else { "y" };
                Op::SetAttr(n(a), slot.to_string(), n(b))
            }
            70..=73 => {
                let lists = self.names_where(|m| matches!(m, Model::List(l) if *l > 0));
                let a = self.pick(&lists)?;
                if let Model::List(len) = &mut self.objects[self.bound[a]?] {
                    *len -= 1;
                }
                Op::Pop(n(a))
            }
            74..=76 => {
                let dicts = self.names_where(|m| matches!(m, Model::Dict(k) if !k.is_empty()));
                let a = self.pick(&dicts)?;
                let Model::Dict(keys) = &mut self.objects[self.bound[a]?] else {
                    return None;
                };
                let all: Vec<i64> = keys.iter().copied().collect();
                let k = all[self.rng.below(all.len())];
                keys.remove(&k);
                Op::DelItem(n(a), k)
            }
            77..=86 => {
                let a = self.any_bound()?;
                self.bound[a] = None;
                Op::Del(n(a))
            }
            87..=90 => {
                let referents = self.names_where(|m| matches!(m, Model::Obj | Model::Set));
                let a = self.pick(&referents)?;
                let w = 8 + self.rng.below(2);
                self.bind_new(w, Model::Weak);
                Op::Weak(n(w), n(a))
            }
            91..=94 => {
                let weaks = self.names_where(|m| matches!(m, Model::Weak));
                Op::Alive(n(self.pick(&weaks)?))
            }
            95..=97 => Op::Collect(None),
            _ => Op::Collect(Some(self.rng.below(3) as u8)),
        })
    }
}

/// A valid script of `disable` followed by `ops` random ops, reproducible from `seed`.
pub fn generate(seed: u64, ops: usize) -> String {
    let mut g = Gen {
        rng: SplitMix64::new(seed),
        bound: vec![None; NAMES.len()],
        objects: Vec::new(),
    };
    let mut out = String::from("disable\n");
    let mut made = 0;
    while made < ops {
        if let Some(op) = g.op() {
            out.push_str(&op.to_string());
            out.push('\n');
            made += 1;
        }
    }
    out.push_str("collect\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::{check, parse};
    use super::*;

    #[test]
    fn scripts_are_reproducible_and_valid() {
        for seed in 0..200 {
            let s = generate(seed, 400);
            assert_eq!(s, generate(seed, 400));
            let lines = parse(&s).unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
            assert_eq!(lines.len(), 402);
            // Observability ops print mrt-only output: never in differential scripts.
            assert!(
                lines.iter().all(|l| !l.op.is_observability()),
                "seed {seed}"
            );
            check(&lines).unwrap_or_else(|e| panic!("seed {seed}: {e:?}"));
        }
    }

    #[test]
    fn scripts_exercise_every_generated_op() {
        let s: String = (0..20).map(|seed| generate(seed, 400)).collect();
        for kw in [
            "list ",
            "dict ",
            "obj ",
            "set ",
            "int ",
            "str ",
            "float ",
            "tuple ",
            "append ",
            "setitem ",
            "setattr ",
            "pop ",
            "delitem ",
            "del ",
            "weak ",
            "alive ",
            "collect\n",
            "collect 0",
            "collect 1",
            "collect 2",
        ] {
            assert!(s.contains(kw), "no '{kw}' in 20 generated scripts");
        }
    }
}
