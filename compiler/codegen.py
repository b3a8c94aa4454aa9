"""Code generation: the IR spelled as a Python module of `@numba.njit(cache=True)` functions, with a source map.

The module is meant to be read: one function per handler and per stream step, statements in source order, each
ending with a comment that names its `.nts` line. `source_map` maps every generated line that came from the
strategy to its `.nts` path, line and column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import ir
from .manifest import STATE_ARRAYS

HEADER = '''"""{strategy}: compiled by ntc {version} from {path}.

Generated code, do not edit: `ntc compile {path} --emit py` shows it again. Functions are `@hot`
(numba.njit, cached, without reference counting: nts.runtime.jit). Every one has the signature the backtest and
live schedulers share, `(ev, i, state, ctx, out)`: the event records and the index of the one to handle, the state
arrays (see the manifest's layout), the context the engine keeps (equity, positions), and the intent buffer.
Each returns how many intents it wrote. Comments name the .nts line a statement came from.
"""

import math

import numpy as np

from nts.runtime import ops
from nts.runtime.jit import hot
'''

EMIT_DEFAULTS = {"instrument": -1, "side": 0, "qty": math.nan, "order_type": 0, "price": math.nan,
                 "trigger": math.nan, "trail": math.nan, "trail_unit": 0, "tif": 0, "expire_after": 0, "flags": 0,
                 "stop_loss": math.nan, "take_profit": math.nan, "tag": -1, "oco": -1}


@dataclass
class Generated:
    source: str
    source_map: list[tuple[int, str, int, int]] = field(default_factory=list)  # (py line, path, line, col)


class _Writer:
    def __init__(self):
        self.lines: list[str] = []
        self.map: list[tuple[int, str, int, int]] = []

    def line(self, depth: int, text: str, loc: ir.Loc | None = None) -> None:
        if loc is not None:
            text += f"  # {Path(loc.path).name}:{loc.line}"
            self.map.append((len(self.lines) + 1, loc.path, loc.line, loc.col))
        self.lines.append("    " * depth + text)


def generate(program: ir.Program, path: str, version: str, log_columns: int) -> Generated:
    w = _Writer()
    for text in HEADER.format(strategy=program.strategy, version=version, path=path).splitlines():
        w.line(0, text)
    by_module: dict[str, list[str]] = {}
    for name, module in sorted(program.kernels.items()):
        by_module.setdefault(module, []).append(name)
    for module, names in sorted(by_module.items()):
        w.line(0, f"from {module} import {', '.join(sorted(names))}")
    w.line(0, "")
    w.line(0, "NAN = math.nan")
    for name, value in program.globals.items():
        w.line(0, f"{name} = np.array({np.asarray(value).tolist()!r}, dtype=np.{np.asarray(value).dtype})")
    w.line(0, f"ENTRY_POINTS = {program.entry_points!r}")
    for fn in program.functions:
        w.line(0, "")
        w.line(0, "")
        _function(w, fn)
    return Generated("\n".join(w.lines) + "\n", w.map)


def _function(w: _Writer, fn: ir.Function) -> None:
    # A stream's handler is compiled into its step, and a step into the engine loop that calls it: no call per
    # event that passes the whole state.
    w.line(0, '@hot(inline="always")' if fn.kind == "step" or fn.inlined else "@hot")
    w.line(0, f"def {fn.name}({', '.join(fn.params)}):", fn.loc)
    if fn.doc:
        w.line(1, '"""' + fn.doc.replace('"""', "'''").replace("\\", "\\\\") + '"""')
    if "state" in fn.params:
        used = _arrays_used(fn.body)
        for n, name in enumerate(STATE_ARRAYS):
            if name in used:
                w.line(1, f"{name} = state[{n}]")
    if fn.kind == "handler":
        w.line(1, "k = 0")
    for name, kind in fn.locals.items():
        w.line(1, f"{name} = {ZERO[kind]}")
    _block(w, fn.body, 1, fn)
    if fn.kind in ("init",):
        w.line(1, "return 0")


# Locals start as na, false, 0 or "no string": the language resets them when a handler starts.
ZERO = {"f": "NAN", "b": "False", "t": "np.int64(0)", "s": "-1.0", "i": "0"}


def _arrays_used(body: list) -> set[str]:
    found: set[str] = set()

    def expr(e):
        if isinstance(e, ir.Load):
            found.add(e.array)
            expr(e.index)
        elif isinstance(e, ir.Local):
            found.add(e.name)
        elif isinstance(e, (ir.Op, ir.Call)):
            for a in e.args:
                expr(a)
        elif isinstance(e, ir.EventField) and e.sub is not None:
            expr(e.sub)

    def stmts(block):
        for st in block:
            if isinstance(st, ir.Assign):
                expr(st.target)
                expr(st.value)
            elif isinstance(st, (ir.Unpack, ir.Do)):
                expr(st.value)
            elif isinstance(st, ir.If):
                expr(st.cond)
                stmts(st.then)
                stmts(st.orelse)
            elif isinstance(st, ir.Loop):
                expr(st.lo)
                expr(st.hi)
                stmts(st.body)
            elif isinstance(st, ir.Jump) and st.value is not None:
                expr(st.value)
            elif isinstance(st, ir.Emit):
                found.add("counters")
                for v in st.fields.values():
                    expr(v)
            elif isinstance(st, ir.LogMsg):
                found.update(("logs", "counters"))
                for v in st.values:
                    expr(v)
    stmts(body)
    return found


def _block(w: _Writer, body: list, depth: int, fn: ir.Function) -> None:
    for st in body:
        _stmt(w, st, depth, fn)


def _stmt(w: _Writer, st, depth: int, fn: ir.Function) -> None:
    if isinstance(st, ir.Comment):
        w.line(depth, f"# {st.text}")
    elif isinstance(st, ir.Assign):
        w.line(depth, f"{_expr(st.target, fn)} = {_expr(st.value, fn)}", st.loc)
    elif isinstance(st, ir.Unpack):
        w.line(depth, f"{', '.join(_expr(t, fn) for t in st.targets)} = {_expr(st.value, fn)}", st.loc)
    elif isinstance(st, ir.Do):
        w.line(depth, _expr(st.value, fn), st.loc)
    elif isinstance(st, ir.If):
        w.line(depth, f"if {_expr(st.cond, fn)}:", st.loc)
        _body(w, st.then, depth + 1, fn)
        if len(st.orelse) == 1 and isinstance(st.orelse[0], ir.If):
            _elif(w, st.orelse[0], depth, fn)
        elif st.orelse:
            w.line(depth, "else:")
            _body(w, st.orelse, depth + 1, fn)
    elif isinstance(st, ir.Loop):
        w.line(depth, f"for {st.var} in range({_expr(st.lo, fn)}, {_expr(st.hi, fn)} + 1):", st.loc)
        _body(w, st.body, depth + 1, fn)
    elif isinstance(st, ir.Jump):
        value = f" {_expr(st.value, fn)}" if st.value is not None else ""
        w.line(depth, f"{st.what}{value}", st.loc)
    elif isinstance(st, ir.Emit):
        fields = dict(st.fields)
        site, need, line = fields.pop("site"), fields.pop("need"), fields.pop("line")
        args = [f"{k}={_expr(v, fn)}" for k, v in fields.items()
                if not (isinstance(v, ir.Lit) and _same(v.value, EMIT_DEFAULTS.get(k)))]
        w.line(depth, f"k = ops.emit(out, k, counters, {_expr(site, fn)}, {_expr(need, fn)}, {_expr(line, fn)}, "
                      f"{', '.join(args)})", st.loc)
    elif isinstance(st, ir.LogMsg):
        w.line(depth, f"row = ops.log_row(logs, counters, {st.template}, {st.site})", st.loc)
        if st.values:
            w.line(depth, "if row >= 0:")
            for n, v in enumerate(st.values):
                w.line(depth + 1, f"logs[row, {n + 1}] = {_expr(v, fn)}")
    else:
        raise TypeError(st)


def _elif(w: _Writer, st: ir.If, depth: int, fn: ir.Function) -> None:
    w.line(depth, f"elif {_expr(st.cond, fn)}:", st.loc)
    _body(w, st.then, depth + 1, fn)
    if len(st.orelse) == 1 and isinstance(st.orelse[0], ir.If):
        _elif(w, st.orelse[0], depth, fn)
    elif st.orelse:
        w.line(depth, "else:")
        _body(w, st.orelse, depth + 1, fn)


def _body(w: _Writer, body: list, depth: int, fn: ir.Function) -> None:
    if not any(not isinstance(s, ir.Comment) for s in body):
        _block(w, body, depth, fn)
        w.line(depth, "pass")
        return
    _block(w, body, depth, fn)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return a == b and type(a) is not bool


PRECEDENCE = {"or": 1, "and": 2, "not": 3, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5,
              "*": 6, "%": 6, "/": 6}


def _expr(e: ir.Expr, fn: ir.Function) -> str:
    if isinstance(e, ir.Lit):
        v = e.value
        if isinstance(v, float):
            if v != v:
                return "NAN"
            if v in (math.inf, -math.inf):
                return "math.inf" if v > 0 else "-math.inf"
            return repr(v)
        return repr(v)
    if isinstance(e, ir.Load):
        return f"{e.array}[{_expr(e.index, fn)}]"
    if isinstance(e, ir.EventField):
        return f"ev[i][{e.name!r}]" + (f"[{_expr(e.sub, fn)}]" if e.sub is not None else "")
    if isinstance(e, ir.Local):
        return e.name
    if isinstance(e, ir.Op):
        if e.op == "ifelse":
            c, a, b = (_wrap(x, fn) for x in e.args)
            return f"({a} if {c} else {b})"
        if len(e.args) == 1:
            word = "not " if e.op == "not" else e.op
            return f"{word}{_wrap(e.args[0], fn)}"
        return f" {e.op} ".join(_wrap(a, fn) for a in e.args)
    if isinstance(e, ir.Call):
        return f"{e.func}({', '.join(_expr(a, fn) for a in e.args)})"
    raise TypeError(e)


def _wrap(e: ir.Expr, fn: ir.Function) -> str:
    text = _expr(e, fn)
    return f"({text})" if isinstance(e, ir.Op) and e.op != "ifelse" else text
