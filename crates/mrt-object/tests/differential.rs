//! Differential test against CPython 3.11: random op sequences over lists, dicts
//! (small-int and object keys), sets, tuples, instances with slots `x`/`y`, weak
//! references (to instances and sets), `del` and
//! `gc.collect(gen)`, run through the Rust API and through `python3` with
//! `gc.disable()` (and `gc.freeze()` of the interpreter's own objects, which only
//! makes its collections faster). Every `collect` count and every weakref liveness check must
//! match. Skipped (with a message) when `python3` is not CPython 3.11.
#![allow(missing_docs)]

use mrt_object::{ClassId, ClassSpec, Kind, Obj, Runtime};
use std::cell::Cell;
use std::fmt::Write as _;
use std::process::Command;
use std::rc::Rc;

const SEQUENCES: usize = 500;
const OPS: usize = 400;
const VARS: usize = 8;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Run one sequence through the Rust runtime; returns the Python source of the
/// same sequence (as a function body) and the lines the Rust side printed.
fn run_sequence(seed: u64) -> (String, Vec<String>) {
    let rt = Runtime::builder().gc_disabled().build();
    let class: ClassId = rt
        .define_class(ClassSpec::new("C").slots(&["x", "y"]).weakrefs())
        .unwrap();
    // D has a finalizer (`__del__`) counting its calls; weakref callbacks count too.
    let fin = Rc::new(Cell::new(0usize));
    let cbs = Rc::new(Cell::new(0usize));
    let f2 = fin.clone();
    let dclass: ClassId = rt
        .define_class(
            ClassSpec::new("D")
                .slots(&["x", "y"])
                .weakrefs()
                .finalizer(move |_| f2.set(f2.get() + 1)),
        )
        .unwrap();
    let counters = |n: usize| format!("{n} {} {}", fin.get(), cbs.get());
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut vars: Vec<Option<Obj<'_>>> = (0..VARS).map(|_| None).collect();
    let mut py = String::new();
    let mut out = Vec::new();
    let name = |i: usize| format!("v{i}");
    let mut emitted = 0;
    // The order in which variables are first assigned is the order of CPython's
    // local slots, which is the order a returning frame releases them in (it decides
    // whether a weakref or its referent dies first, so whether a callback runs).
    let mut first_assigned: Vec<usize> = Vec::new();
    while emitted < OPS {
        let a = rng.below(VARS);
        let b = rng.below(VARS);
        let c = rng.below(VARS);
        let k = rng.below(4) as i64;
        let line = match rng.below(20) {
            0 => {
                vars[a] = Some(rt.list().unwrap());
                format!("{} = []", name(a))
            }
            1 => {
                vars[a] = Some(rt.dict().unwrap());
                format!("{} = {{}}", name(a))
            }
            2 => {
                vars[a] = Some(rt.instance(&class).unwrap());
                format!("{} = C()", name(a))
            }
            3 => {
                vars[a] = Some(rt.instance(&dclass).unwrap());
                format!("{} = D()", name(a))
            }
            4 => {
                let (Some(x), Some(y)) = (vars[b].clone(), vars[c].clone()) else {
                    continue;
                };
                vars[a] = Some(rt.tuple(&[&x, &y]).unwrap());
                format!("{} = ({}, {})", name(a), name(b), name(c))
            }
            5 => {
                vars[a] = Some(rt.int(k).unwrap());
                format!("{} = {k}", name(a))
            }
            6 | 7 => {
                let (Some(l), Some(x)) = (vars[a].clone(), vars[b].clone()) else {
                    continue;
                };
                if l.kind() != Some(Kind::List) {
                    continue;
                }
                l.append(&x).unwrap();
                format!("{}.append({})", name(a), name(b))
            }
            8 => {
                let (Some(d), Some(x)) = (vars[a].clone(), vars[b].clone()) else {
                    continue;
                };
                if d.kind() != Some(Kind::Dict) {
                    continue;
                }
                d.set_item(&rt.int(k).unwrap(), &x).unwrap();
                format!("{}[{k}] = {}", name(a), name(b))
            }
            9 | 10 => {
                let (Some(o), Some(x)) = (vars[a].clone(), vars[b].clone()) else {
                    continue;
                };
                if o.kind() != Some(Kind::Instance) {
                    continue;
                }
                let slot = if k % 2 == 0 { "x" } else { "y" };
                o.setattr(slot, &x).unwrap();
                format!("{}.{slot} = {}", name(a), name(b))
            }
            11 => {
                let Some(l) = vars[a].clone() else { continue };
                if l.kind() != Some(Kind::List) || l.len().unwrap() == 0 {
                    continue;
                }
                drop(l.pop().unwrap());
                format!("{}.pop()", name(a))
            }
            12 => {
                let Some(d) = vars[a].clone() else { continue };
                if d.kind() != Some(Kind::Dict)
                    || d.pop_item(&rt.int(k).unwrap()).unwrap().is_none()
                {
                    continue;
                }
                format!("del {}[{k}]", name(a))
            }
            13 => {
                if vars[a].take().is_none() {
                    continue;
                }
                format!("del {}", name(a))
            }
            14 => {
                let Some(o) = vars[b].clone() else { continue };
                if o.kind() == Some(Kind::WeakRef) {
                    out.push(o.is_alive().to_string());
                    format!("print('true' if {}() is not None else 'false')", name(b))
                } else if matches!(o.kind(), Some(Kind::Instance | Kind::Set)) && k < 2 {
                    vars[a] = Some(rt.weakref(&o).unwrap());
                    format!("{} = weakref.ref({})", name(a), name(b))
                } else if matches!(o.kind(), Some(Kind::Instance | Kind::Set)) {
                    let c2 = cbs.clone();
                    let w = rt
                        .weakref_with_callback(&o, move |_| c2.set(c2.get() + 1))
                        .unwrap();
                    vars[a] = Some(w);
                    format!("{} = weakref.ref({}, cb)", name(a), name(b))
                } else {
                    continue;
                }
            }
            15 => {
                vars[a] = Some(rt.set().unwrap());
                format!("{} = set()", name(a))
            }
            16 => {
                // Unhashable elements (lists, dicts, sets, tuples holding them) are
                // TypeErrors in both; such ops are not emitted.
                let (Some(st), Some(x)) = (vars[a].clone(), vars[b].clone()) else {
                    continue;
                };
                if st.kind() != Some(Kind::Set) || st.add(&x).is_err() {
                    continue;
                }
                format!("{}.add({})", name(a), name(b))
            }
            17 => {
                let (Some(st), Some(x)) = (vars[a].clone(), vars[b].clone()) else {
                    continue;
                };
                if st.kind() != Some(Kind::Set) || st.discard(&x).is_err() {
                    continue;
                }
                format!("{}.discard({})", name(a), name(b))
            }
            18 => {
                // Object keys: instances hash by identity, weakrefs by referent.
                let (Some(d), Some(kx), Some(x)) =
                    (vars[a].clone(), vars[b].clone(), vars[c].clone())
                else {
                    continue;
                };
                if d.kind() != Some(Kind::Dict) || d.set_item(&kx, &x).is_err() {
                    continue;
                }
                format!("{}[{}] = {}", name(a), name(b), name(c))
            }
            _ => {
                let g = rng.below(4);
                if g == 3 {
                    let n = rt.collect();
                    out.push(counters(n));
                    "print(gc.collect(), FIN[0], CB[0])".to_string()
                } else {
                    let n = rt.collect_generation(g).unwrap();
                    out.push(counters(n));
                    format!("print(gc.collect({g}), FIN[0], CB[0])")
                }
            }
        };
        if line.starts_with(&format!("{} = ", name(a))) && !first_assigned.contains(&a) {
            first_assigned.push(a);
        }
        writeln!(py, "    {line}").unwrap();
        emitted += 1;
    }
    // Drop everything and report the final full collection too.
    for i in first_assigned {
        vars[i] = None;
    }
    let n = rt.collect();
    out.push(counters(n));
    writeln!(py, "    pass").unwrap();
    (py, out)
}

fn python_is_311() -> bool {
    Command::new("python3")
        .arg("-c")
        .arg("import sys; assert sys.version_info[:2] == (3, 11)")
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[test]
fn collect_counts_and_weakref_liveness_match_cpython_311() {
    if !python_is_311() {
        eprintln!("SKIPPED: python3 is not CPython 3.11");
        return;
    }
    // Each sequence is compiled and run on its own (so CPython's heap does not
    // grow with the number of sequences), as `def f():` in a fresh namespace that
    // does not hold `f` (no function <-> globals cycle).
    let mut seqs = String::new();
    let mut expected = Vec::new();
    let started = std::time::Instant::now();
    for s in 0..SEQUENCES {
        let (body, out) = run_sequence(s as u64 + 1);
        write!(seqs, "def f():\n{body}#===\n").unwrap();
        expected.push(out);
    }
    eprintln!("rust side done: {:?}", started.elapsed());
    let script = "import gc, weakref, sys\n\
        gc.disable()\n\
        class C:\n    __slots__ = ('x', 'y', '__weakref__')\n\
        FIN = [0]\n\
        CB = [0]\n\
        class D:\n    __slots__ = ('x', 'y', '__weakref__')\n    def __del__(self):\n        FIN[0] += 1\n\
        def cb(w):\n    CB[0] += 1\n\
        seqs = open(sys.argv[1]).read().split('#===\\n')[:-1]\n\
        gc.collect()\n\
        gc.freeze()\n\
        for i, src in enumerate(seqs):\n\
        \x20   code = compile(src, 'seq_%d' % i, 'exec')\n\
        \x20   ns = {'C': C, 'D': D, 'cb': cb, 'FIN': FIN, 'CB': CB, 'gc': gc, 'weakref': weakref}\n\
        \x20   exec(code, ns)\n\
        \x20   f = ns.pop('f')\n\
        \x20   del ns, code\n\
        \x20   print('=== %d' % i)\n\
        \x20   FIN[0] = 0\n\
        \x20   CB[0] = 0\n\
        \x20   f()\n\
        \x20   del f\n\
        \x20   print(gc.collect(), FIN[0], CB[0])\n";
    let dir = std::env::temp_dir();
    let path = dir.join(format!("mrt_differential_{}.py", std::process::id()));
    let data = dir.join(format!("mrt_differential_{}.txt", std::process::id()));
    std::fs::write(&path, script).unwrap();
    std::fs::write(&data, &seqs).unwrap();
    let output = Command::new("python3")
        .arg(&path)
        .arg(&data)
        .output()
        .unwrap();
    eprintln!("python side done: {:?}", started.elapsed());
    assert!(
        output.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut got: Vec<Vec<String>> = Vec::new();
    for line in text.lines() {
        if line.starts_with("=== ") {
            got.push(Vec::new());
        } else {
            got.last_mut().unwrap().push(line.to_string());
        }
    }
    assert_eq!(got.len(), SEQUENCES);
    let mut checks = 0;
    for (s, (want, py)) in expected.iter().zip(&got).enumerate() {
        checks += want.len();
        if want != py {
            let (body, _) = run_sequence(s as u64 + 1);
            panic!("sequence {s} differs\nrust:    {want:?}\ncpython: {py:?}\nops:\n{body}");
        }
    }
    if std::env::var_os("MRT_KEEP_DIFFERENTIAL").is_none() {
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&data);
    }
    let nonzero = expected
        .iter()
        .flatten()
        .filter(|l| {
            l.split(' ')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n > 0)
        })
        .count();
    let dead = expected.iter().flatten().filter(|l| *l == "false").count();
    let last = |i: usize| -> usize {
        expected
            .iter()
            .map(|seq| {
                seq.last()
                    .and_then(|l| l.split(' ').nth(i))
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(0)
            })
            .sum()
    };
    let (fins, cbs) = (last(1), last(2));
    eprintln!(
        "{checks} observations: {nonzero} non-zero collect counts, {dead} dead weakrefs, \
         {fins} finalizer calls, {cbs} weakref callbacks"
    );
    assert!(
        fins > SEQUENCES && cbs > SEQUENCES / 2,
        "too few finalizers or callbacks"
    );
    assert!(checks > SEQUENCES * 20, "only {checks} observations");
    assert!(
        nonzero > SEQUENCES && dead > SEQUENCES / 4,
        "too few interesting observations"
    );
}
