//! The pattern a host follows: a toy interpreter (a stack machine) that keeps its
//! values in mrt. The VM's stack and variables are strong handles; the objects it
//! builds live in mrt's heap, are refcounted, and cycles are left to the collector.
//!
//! `cargo run --release -p mrt --example embed`

use mrt::object::{Error, Obj, Runtime};
use std::collections::HashMap;

/// The instructions of the toy VM.
#[derive(Debug, Clone)]
enum Insn {
    /// Push an int.
    Int(i64),
    /// Push a str.
    Str(&'static str),
    /// Pop n values, push a list of them (bottom first).
    List(usize),
    /// `list.append(value)`: pops value, then list; pushes nothing.
    Append,
    /// Duplicate the top of the stack.
    Dup,
    /// Pop into a variable.
    Store(&'static str),
    /// Push a variable's value.
    Load(&'static str),
    /// Forget a variable.
    Forget(&'static str),
    /// Pop and print.
    Print,
    /// Run the cycle collector and push how many objects it found.
    Collect,
}

struct Vm<'rt> {
    rt: &'rt Runtime,
    stack: Vec<Obj<'rt>>,
    vars: HashMap<&'static str, Obj<'rt>>,
}

impl<'rt> Vm<'rt> {
    fn pop(&mut self) -> Result<Obj<'rt>, Error> {
        self.stack
            .pop()
            .ok_or_else(|| Error::IndexError("pop from empty stack".into()))
    }

    fn step(&mut self, insn: &Insn) -> Result<(), Error> {
        let rt = self.rt;
        match insn {
            Insn::Int(n) => self.stack.push(rt.int(*n)?),
            Insn::Str(s) => self.stack.push(rt.str(s)?),
            Insn::List(n) => {
                let at =
                    self.stack.len().checked_sub(*n).ok_or_else(|| {
                        Error::IndexError("not enough values on the stack".into())
                    })?;
                let items: Vec<Obj<'rt>> = self.stack.drain(at..).collect();
                let refs: Vec<&Obj<'rt>> = items.iter().collect();
                self.stack.push(rt.list_from(&refs)?);
            }
            Insn::Append => {
                let value = self.pop()?;
                self.pop()?.append(&value)?;
            }
            Insn::Dup => {
                let top = self
                    .stack
                    .last()
                    .cloned()
                    .ok_or_else(|| Error::IndexError("dup of an empty stack".into()))?;
                self.stack.push(top);
            }
            Insn::Store(name) => {
                let v = self.pop()?;
                self.vars.insert(name, v);
            }
            Insn::Load(name) => {
                let v = self
                    .vars
                    .get(name)
                    .cloned()
                    .ok_or_else(|| Error::KeyError(format!("'{name}'")))?;
                self.stack.push(v);
            }
            Insn::Forget(name) => {
                self.vars.remove(name);
            }
            Insn::Print => {
                let v = self.pop()?;
                println!("    print: {}", describe(&v));
            }
            Insn::Collect => {
                let n = rt.collect();
                self.stack.push(rt.int(n as i64)?);
            }
        }
        Ok(())
    }
}

/// A short rendering of a value for the toy VM's `print`.
fn describe(v: &Obj<'_>) -> String {
    if let Some(n) = v.as_int() {
        return n.to_string();
    }
    if let Some(s) = v.as_str() {
        return format!("{s:?}");
    }
    match v.len() {
        Ok(n) => format!("<{} of {n} items>", v.type_name()),
        Err(_) => format!("<{}>", v.type_name()),
    }
}

fn main() -> Result<(), Error> {
    let rt = Runtime::new();
    let mut vm = Vm {
        rt: &rt,
        stack: Vec::new(),
        vars: HashMap::new(),
    };
    use Insn::*;
    let program = [
        // xs = [1, 2, "three"]; print(xs)
        Int(1),
        Int(2),
        Str("three"),
        List(3),
        Dup,
        Store("xs"),
        Print,
        // xs.append(xs)  -- a cycle through the VM's own objects
        Load("xs"),
        Load("xs"),
        Append,
        // del xs; print(gc.collect())
        Forget("xs"),
        Collect,
        Print,
        // a value that is only on the stack is freed when popped
        Int(40),
        Int(2),
        List(2),
        Print,
        Collect,
        Print,
    ];
    println!("running {} instructions:", program.len());
    let before = rt.heap_stats();
    for insn in &program {
        vm.step(insn)?;
    }
    // A bad program is an error value, never a crash.
    let err = vm.step(&Append).unwrap_err();
    println!("    a bad instruction: {err}");
    drop(vm);
    let after = rt.heap_stats();
    println!(
        "objects in use before: {} bytes, after the program: {} bytes",
        before.bytes_in_use, after.bytes_in_use
    );
    Ok(())
}
