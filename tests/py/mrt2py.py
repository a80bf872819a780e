#!/usr/bin/env python3
"""Translate mrt scripts (design.md §7) to Python and run them under CPython 3.11.

The reference side of mrt's differential tests: the same script, op by op, run by
CPython must print exactly what `mrt run` prints.

    python3 tests/py/mrt2py.py SCRIPT.mrt          run one script
    python3 tests/py/mrt2py.py --print SCRIPT.mrt  show the translation
    python3 tests/py/mrt2py.py --batch DIR         run DIR/*.mrt in one process,
                                                   output to DIR/*.py.out

Each mrt line becomes one Python line with the same number, so a Python error names
the script's line. Errors print `line N: ExcType: message` on stderr and exit 2, as
`mrt run` does. Script names become `v_NAME` so any mrt name is a valid identifier.
"""
import gc
import io
import os
import sys
import weakref
from contextlib import redirect_stdout


class Obj:
    __slots__ = ("x", "y", "__weakref__")


# Observability ops (trace, frame, snapshot, compare, census, report, limit, monitor)
# print mrt-only output (or set an mrt-only budget): they translate to nothing, so
# differential tests compare scripts without them (the generator never emits them).
MRT_ONLY = {"trace", "frame", "endframe", "snapshot", "compare", "census", "report",
            "limit", "monitor"}


def translate_line(text):
    """One mrt line -> one Python statement ('' for blank/comment lines)."""
    # '#' starts a comment at the start of a word (mrt's rule).
    code, prev_space = text, True
    for i, c in enumerate(text):
        if c == "#" and prev_space:
            code = text[:i]
            break
        prev_space = c.isspace()
    words = code.split()
    if not words:
        return ""
    op, args = words[0], words[1:]
    v = lambda name: "v_" + name
    if op == "list":
        return f"{v(args[0])} = []"
    if op == "dict":
        return f"{v(args[0])} = {{}}"
    if op == "set":
        return f"{v(args[0])} = set()"
    if op == "obj":
        return f"{v(args[0])} = Obj()"
    if op == "int":
        return f"{v(args[0])} = {int(args[1])}"
    if op == "float":
        return f"{v(args[0])} = float({args[1]!r})"
    if op == "str":
        rest = code.strip()[len("str"):].strip()
        return f"{v(args[0])} = {rest[len(args[0]):].strip()!r}"
    if op == "tuple":
        items = "".join(v(a) + ", " for a in args[1:])
        return f"{v(args[0])} = ({items})"
    if op == "append":
        return f"{v(args[0])}.append({v(args[1])})"
    if op == "setitem":
        return f"{v(args[0])}[{int(args[1])}] = {v(args[2])}"
    if op == "setattr":
        return f"{v(args[0])}.{args[1]} = {v(args[2])}"
    if op == "pop":
        return f"{v(args[0])}.pop()"
    if op == "delitem":
        return f"del {v(args[0])}[{int(args[1])}]"
    if op == "del":
        return f"del {v(args[0])}"
    if op == "weak":
        return f"{v(args[0])} = weakref.ref({v(args[1])})"
    if op == "alive":
        return f"print('true' if {v(args[0])}() is not None else 'false')"
    if op == "collect":
        return f"print(gc.collect({int(args[0])}))" if args else "print(gc.collect())"
    if op == "count":
        return "print(*gc.get_count())"
    if op == "threshold":
        return "gc.set_threshold({}, {}, {})".format(*map(int, args))
    if op == "enable":
        return "gc.enable()"
    if op == "disable":
        return "gc.disable()"
    if op in MRT_ONLY:
        return ""  # observability: mrt-specific output, nothing in Python
    raise ValueError(f"unknown op {op!r}")


def translate(source):
    return "\n".join(translate_line(line) for line in source.splitlines()) + "\n"


def run(source, name="<mrt>"):
    """Run a script in fresh globals; return (stdout, error line or None)."""
    code = compile(translate(source), name, "exec")
    env = {"gc": gc, "weakref": weakref, "Obj": Obj, "__name__": "__mrt__"}
    out = io.StringIO()
    err = None
    gc.enable()
    with redirect_stdout(out):
        try:
            exec(code, env)
        except Exception as e:  # report like `mrt run`: the line, the problem
            tb = e.__traceback__
            line = None
            while tb is not None:
                if tb.tb_frame.f_code.co_filename == name:
                    line = tb.tb_lineno
                tb = tb.tb_next
            err = f"line {line}: {type(e).__name__}: {e}"
    env.clear()
    gc.enable()
    return out.getvalue(), err


def main(argv):
    if len(argv) == 3 and argv[1] == "--print":
        with open(argv[2]) as f:
            sys.stdout.write(translate(f.read()))
        return 0
    if len(argv) == 3 and argv[1] == "--batch":
        d = argv[2]
        for entry in sorted(os.listdir(d)):
            if not entry.endswith(".mrt"):
                continue
            gc.collect()  # every script starts with no garbage from the previous one
            with open(os.path.join(d, entry)) as f:
                out, err = run(f.read())
            with open(os.path.join(d, entry[:-4] + ".py.out"), "w") as f:
                f.write(out)
                if err:
                    f.write("ERROR " + err + "\n")
        return 0
    if len(argv) == 2:
        with open(argv[1]) as f:
            out, err = run(f.read())
        sys.stdout.write(out)
        if err:
            print(err, file=sys.stderr)
            return 2
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
