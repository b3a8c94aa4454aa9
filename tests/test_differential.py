"""Differential testing: the generated module run JIT-compiled and as plain Python (Numba's JIT disabled) must agree.

The same artifact is run twice over the same events: in this process, where every `@njit` function is compiled, and
in a subprocess with `NUMBA_DISABLE_JIT=1`, where the generated module, `nts.runtime.ops` and the stdlib kernels run
as ordinary Python. Everything observable must agree exactly (NaN equal to NaN): each call's intents, the `records`
array after each call, each call's log rows and formatted messages, and at the end every state array and the
warning counters. Plain Python is the reference semantics of the generated code; Numba typing, integer overflow,
float/int conversions or out-of-bounds reads that differ between the two show up here.

Programs come from two places:
- random but valid strategies built by hypothesis from the language's constructs (typed expressions over literals,
  na, params, data fields and their history, series with self-history, arithmetic including division by zero,
  comparisons, boolean logic, ternaries, pure and stateful stdlib calls, user functions, vars and a var array,
  locals, if/elif/else, bounded loops with break/continue, record, log and actions);
- the example strategies, on their real data.

All programs of one hypothesis example are compiled first and then run without the JIT in ONE subprocess, to keep
the cost of starting Python and importing Numba down.
"""

from __future__ import annotations

import itertools
import os
import pickle
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import example_data as ed
import nts
from nts.compiler.frontend import check_text
from nts.runtime.events import BAR_DTYPE

TESTS = Path(__file__).resolve().parent

# ---------------------------------------------------------------- running without the JIT

_NO_JIT_SCRIPT = r"""
import pickle, sys
sys.path.insert(0, sys.argv[1])
import numba
assert numba.config.DISABLE_JIT, "NUMBA_DISABLE_JIT was not honoured"
from nts.runtime.strategy import CompiledStrategy
# CompiledStrategy.compile_all calls `.compile` on each entry point, which plain functions do not have.
CompiledStrategy.compile_all = lambda self: None
import nts
import example_data as ed
with open(sys.argv[2], "rb") as f:
    jobs = pickle.load(f)
results = []
for job in jobs:
    strategy = nts.load(job["directory"])
    assert not hasattr(strategy.entry("init"), "py_func"), "the entry points are still Numba dispatchers"
    events = ed.merge(strategy, job["streams"])
    results.append([ed.replay(strategy, events, params=job["params"], ctx=ctx) for ctx in job["contexts"]])
with open(sys.argv[3], "wb") as f:
    pickle.dump(results, f)
"""


def run_without_jit(jobs: list[dict], workdir: Path) -> list[list[ed.Observation]]:
    """Replays each job ({directory, streams, params, contexts}) in one subprocess with Numba's JIT disabled: per job,
    one Observation per context."""
    job_file, result_file = workdir / "no_jit_jobs.pkl", workdir / "no_jit_results.pkl"
    with open(job_file, "wb") as f:
        pickle.dump(jobs, f)
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    proc = subprocess.run([sys.executable, "-c", _NO_JIT_SCRIPT, str(TESTS), str(job_file), str(result_file)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"the run without the JIT failed:\n{proc.stderr[-6000:]}"
    with open(result_file, "rb") as f:
        return pickle.load(f)


def run_with_jit(strategy, job: dict) -> list[ed.Observation]:
    assert hasattr(strategy.entry("init"), "py_func"), "expected compiled Numba dispatchers in this process"
    events = ed.merge(strategy, job["streams"])
    return [ed.replay(strategy, events, params=job["params"], ctx=ctx) for ctx in job["contexts"]]


def differences(jit: list[ed.Observation], no_jit: list[ed.Observation]) -> list[str]:
    return [f"context {k}: {why}" for k, (a, b) in enumerate(zip(jit, no_jit))
            if (why := ed.observation_difference(a, b))]


# ---------------------------------------------------------------- random programs

TYPES = ("float", "int", "bool")
DATA_FIELDS = ("btc.open", "btc.high", "btc.low", "btc.close", "btc.volume")
STATEFUL_FLOAT = ("sma", "ema", "rsi", "stddev", "highest", "lowest", "change")
ARRAY = "arr"
ARRAY_SIZE = 4


@dataclass
class Func:
    name: str
    params: list[tuple[str, str]]  # (name, type)
    returns: str


@dataclass
class Scope:
    """What an expression may read where it is generated.

    kind: "series" (a series declaration or a stateful call's series argument), "handler", "func" (a user
    function's body) or "stop" (`on stop`, a handler without `bar_index`)."""
    kind: str
    values: dict[str, list[str]]  # type -> names readable as current values
    history: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in TYPES})  # take `[k]`, k >= 0
    own: tuple[str, str] | None = None  # the series being declared: its own history, `[k]` with k >= 1 only
    loop_vars: list[str] = field(default_factory=list)
    funcs: list[Func] = field(default_factory=list)
    series_view: Scope | None = None  # the scope of a stateful call's series arguments
    in_loop: bool = False
    returns: str | None = None  # a function's return type

    @property
    def stateful(self) -> bool:
        return self.kind in ("series", "handler", "stop")

    @property
    def context(self) -> bool:
        return self.kind in ("handler", "stop")

    def copy(self, **changes) -> Scope:
        changes.setdefault("values", {t: list(v) for t, v in self.values.items()})
        return replace(self, **changes)


class ProgramBuilder:
    """Draws one random, well-typed strategy over a single `btc` 1m bars stream."""

    def __init__(self, draw):
        self.draw = draw
        self.ids = itertools.count()
        self.records: dict[str, str] = {}  # record name -> type
        self.tags = ["t0", "t1"]

    # -- choices
    def pick(self, options):
        return self.draw(st.sampled_from(list(options)))

    def chance(self, percent: int) -> bool:
        return self.draw(st.integers(0, 99)) < percent

    def new(self, prefix: str) -> str:
        return f"{prefix}{next(self.ids)}"

    # -- expressions
    def expr(self, sc: Scope, t: str, depth: int) -> str:
        if t == "num":
            return self.num(sc, depth)[0]
        if depth <= 0 or self.chance(25):
            return self.leaf(sc, t)
        builders = {"float": self.float_node, "int": self.int_node, "bool": self.bool_node}[t]
        return builders(sc, depth - 1)

    def num(self, sc: Scope, depth: int) -> tuple[str, str]:
        t = self.pick(["float", "float", "int"])
        return self.expr(sc, t, depth), t

    def index(self, sc: Scope, least: int = 0) -> str:
        """A history index with a static bound, at least `least`."""
        options = [str(k) for k in range(least, 4)] + ["a", "c0"]
        if sc.loop_vars:
            v = self.pick(sc.loop_vars)
            options += [v, f"{v} + 1"] if least == 0 else [f"{v} + 1"]
        return self.pick(options)

    def leaf(self, sc: Scope, t: str) -> str:
        options = []
        if t == "float":
            options += ["0.0", "1.5", "2.0", "0.25", "na", "100.0", "1e-3", "b", "c1"]
            if sc.kind != "func":
                options += list(DATA_FIELDS) * 2 + [f"{f}[{{k}}]" for f in DATA_FIELDS]
            if sc.context:
                options += ["equity", "position(btc)", "avg_price(btc)", f"{ARRAY}[{{i}}]", f"{ARRAY}[{{i}}]"]
        elif t == "int":
            options += ["0", "1", "2", "3", "7", "a", "c0"] + sc.loop_vars * 2
            if sc.kind != "func":
                options += ["hour(time)", "minute(time)"]
            if sc.kind == "handler":
                options += ["bar_index", "open_orders(btc)"]
        else:
            options += ["true", "false", "flag"]
        options += sc.values.get(t, []) * 3
        options += [f"{name}[{{k}}]" for name in sc.history.get(t, [])]
        if sc.own and sc.own[1] == t:
            options += [f"{sc.own[0]}[{{k1}}]"] * 3
        choice = self.pick(options)
        if "{k}" in choice:
            choice = choice.replace("{k}", self.index(sc))
        if "{k1}" in choice:
            choice = choice.replace("{k1}", self.index(sc, least=1))
        if "{i}" in choice:
            choice = choice.replace("{i}", self.array_index(sc))
        if sc.own and choice.startswith(sc.own[0] + "[") and t == "float" and self.chance(60):
            choice = f"nz({choice})"
        return choice

    def array_index(self, sc: Scope) -> str:
        """An element index: wrapped into range, or a run-time int that may fall outside (a constant index outside
        the array would be a compile-time error)."""
        runtime = ["v1"] + [n for n in sc.values.get("int", []) if n.startswith("l")]
        if sc.kind == "handler":
            runtime += ["bar_index", f"bar_index - {self.pick(['1', '3', 'a'])}"]
        return self.pick([f"({self.expr(sc, 'int', 1)}) % {ARRAY_SIZE}", f"({self.expr(sc, 'int', 1)}) % {ARRAY_SIZE}",
                          self.pick(runtime)])

    def series_arg(self, sc: Scope, t: str, depth: int) -> str:
        """A series argument of a stateful call: series rules, and it reads market data (so it has a clock)."""
        view = sc.series_view or sc
        e = self.expr(view, t, depth)
        if "btc." in e:
            return e
        return {"float": f"({e} + btc.close)", "bool": f"({e} or btc.close > btc.open)",
                "int": f"({e} + floor(btc.volume))"}[t]

    def length(self) -> str:
        return self.pick(["1", "2", "3", "5", "a", "c0"])

    def call_func(self, sc: Scope, ret: str, depth: int) -> str | None:
        funcs = [f for f in sc.funcs if f.returns == ret]
        if not funcs:
            return None
        f = self.pick(funcs)
        args = [self.expr(sc, "num" if t == "float" else t, depth) for _, t in f.params]
        return f"{f.name}({', '.join(args)})"

    def float_node(self, sc: Scope, d: int) -> str:
        kinds = ["arith", "arith", "div", "neg", "ternary", "pure", "pure"]
        if sc.stateful:
            kinds += ["stateful", "stateful"]
        if any(f.returns == "float" for f in sc.funcs):
            kinds.append("func")
        kind = self.pick(kinds)
        if kind == "arith":
            op = self.pick(["+", "-", "*", "//", "%", "**"])
            x, y = self.expr(sc, "float", d), self.num(sc, d)[0]
            if op == "**" and self.chance(70):
                y = self.pick(["2", "3", "0.5", "(-1)", "(-0.5)"])
            return f"({x} {op} {y})" if self.chance(50) or op == "**" else f"({y} {op} {x})"
        if kind == "div":
            return f"({self.num(sc, d)[0]} / {self.num(sc, d)[0]})"
        if kind == "neg":
            return f"(-{self.expr(sc, 'float', d)})"
        if kind == "ternary":
            return f"({self.expr(sc, 'float', d)} if {self.expr(sc, 'bool', d)} else {self.num(sc, d)[0]})"
        if kind == "pure":
            x = self.expr(sc, "float", d)
            n = lambda: self.num(sc, d)[0]  # noqa: E731
            return self.pick([
                f"abs({x})", f"min({x}, {n()})", f"max({n()}, {x})", f"sqrt({n()})", f"log({n()})",
                f"exp({n()})", f"round({x})", f"round({x}, 2)", f"nz({x})", f"nz({x}, {n()})",
                f"clamp({x}, {n()}, {n()})", f"sign({x})", f"float({self.expr(sc, 'int', d)})"])
        if kind == "stateful":
            fn = self.pick(STATEFUL_FLOAT + ("cum",))
            source = self.series_arg(sc, "float", d)
            return f"cum({source})" if fn == "cum" else f"{fn}({source}, {self.length()})"
        return self.call_func(sc, "float", d)

    def int_node(self, sc: Scope, d: int) -> str:
        kinds = ["arith", "arith", "neg", "ternary", "pure", "convert"]
        if sc.stateful:
            kinds.append("barssince")
        if any(f.returns == "int" for f in sc.funcs):
            kinds.append("func")
        kind = self.pick(kinds)
        i = lambda: self.expr(sc, "int", d)  # noqa: E731
        if kind == "arith":
            op = self.pick(["+", "-", "*", "//", "%", "**"])
            return f"({i()} ** {self.pick(['0', '1', '2', '3'])})" if op == "**" else f"({i()} {op} {i()})"
        if kind == "neg":
            return f"(-{i()})"
        if kind == "ternary":
            return f"({i()} if {self.expr(sc, 'bool', d)} else {i()})"
        if kind == "pure":
            return self.pick([f"abs({i()})", f"min({i()}, {i()})", f"max({i()}, {i()})", f"sign({i()})",
                              f"clamp({i()}, {i()}, {i()})"])
        if kind == "convert":
            return f"{self.pick(['floor', 'ceil', 'int'])}({self.expr(sc, 'float', d)})"
        if kind == "barssince":
            return f"barssince({self.series_arg(sc, 'bool', d)})"
        return self.call_func(sc, "int", d)

    def bool_node(self, sc: Scope, d: int) -> str:
        kinds = ["compare", "compare", "logic", "not", "na", "ternary"]
        if sc.stateful:
            kinds.append("cross")
        if any(f.returns == "bool" for f in sc.funcs):
            kinds.append("func")
        kind = self.pick(kinds)
        b = lambda: self.expr(sc, "bool", d)  # noqa: E731
        if kind == "compare":
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            return f"({self.num(sc, d)[0]} {op} {self.num(sc, d)[0]})"
        if kind == "logic":
            return f"({b()} {self.pick(['and', 'or'])} {b()})"
        if kind == "not":
            return f"(not {b()})"
        if kind == "na":
            return f"na({self.expr(sc, 'float', d)})"
        if kind == "ternary":
            return f"({b()} if {b()} else {b()})"
        if kind == "cross":
            fn = self.pick(["crossover", "crossunder"])
            return f"{fn}({self.series_arg(sc, 'float', d)}, {self.series_arg(sc, 'float', d)})"
        return self.call_func(sc, "bool", d)

    # -- statements (each returns lines, indented relative to the block)
    def block(self, sc: Scope, depth: int, size: int) -> list[str]:
        lines = []
        for _ in range(size):
            lines += self.statement(sc, depth)
        return lines or ["pass"]

    def assignable(self, sc: Scope) -> list[tuple[str, str]]:
        """(name, type) of the locals and vars a statement may assign."""
        return [(n, t) for t, names in sc.values.items() for n in names
                if n.startswith(("l", "v")) and not (sc.kind == "func" and n.startswith("v"))]

    def statement(self, sc: Scope, depth: int) -> list[str]:
        kinds = ["local", "local", "assign", "compound"]
        if sc.kind == "func":
            kinds += ["if", "for", "return"] if depth > 0 else ["return"]
        else:
            kinds += ["record", "record", "log"]
            if sc.kind == "handler":
                kinds += ["action", "action", "array", "return"]
            if depth > 0:
                kinds += ["if", "if", "for"]
        if sc.in_loop:
            kinds += ["break"]
        kind = self.pick(kinds)
        targets = self.assignable(sc)
        if kind in ("assign", "compound") and not targets:
            kind = "local"
        if kind == "local":
            t = self.pick(TYPES)
            e = self.expr(sc, t, 3)
            name = self.new("l")
            sc.values.setdefault(t, []).append(name)
            return [f"{name} = {e}"]
        if kind == "assign":
            name, t = self.pick(targets)
            return [f"{name} = {self.expr(sc, 'num' if t == 'float' else t, 3)}"]
        if kind == "compound":
            name, t = self.pick([x for x in targets if x[1] != "bool"] or targets)
            if t == "bool":
                return [f"{name} = not {name}"]
            op = self.pick(["+=", "-=", "*=", "/="] if t == "float" else ["+=", "-=", "*="])
            return [f"{name} {op} {self.expr(sc, 'num' if t == 'float' else 'int', 2)}"]
        if kind == "array":
            return [f"{ARRAY}[{self.array_index(sc)}] = {self.expr(sc, 'num', 2)}"]
        if kind == "record":
            t = self.pick(TYPES)
            same = [n for n, rt in self.records.items() if rt == t]
            name = self.pick(same) if same and self.chance(30) else self.new("r")
            self.records[name] = t
            return [f"record {name} = {self.expr(sc, t, 3)}"]
        if kind == "log":
            x, y = self.expr(sc, self.pick(TYPES), 2), self.expr(sc, "num", 2)
            return [f'log "{self.new("m")}: {{{x}}} and {{{y}:.{self.pick(["0", "2", "6"])}}}"']
        if kind == "action":
            return [self.action(sc)]
        if kind == "return":
            value = f" {self.expr(sc, sc.returns, 2)}" if sc.returns else ""
            return [f"if {self.expr(sc, 'bool', 2)}:", f"    return{value}"]
        if kind == "break":
            return [f"if {self.expr(sc, 'bool', 2)}:", f"    {self.pick(['break', 'continue'])}"]
        if kind == "if":
            lines = [f"if {self.expr(sc, 'bool', 2)}:"] + self.indent(self.body(sc, depth))
            for _ in range(self.draw(st.integers(0, 2))):
                lines += [f"elif {self.expr(sc, 'bool', 2)}:"] + self.indent(self.body(sc, depth))
            if self.chance(50):
                lines += ["else:"] + self.indent(self.body(sc, depth))
            return lines
        # for: the loop variable is an int, visible (and a static history index) inside the loop only
        var = self.new("i")
        lo, hi = self.pick([("0", "3"), ("1", "3"), ("0", "a"), ("1", "c0"), ("2", "1")])
        inner = sc.copy(loop_vars=sc.loop_vars + [var], in_loop=True)
        body = self.body(inner, depth)
        for t, names in inner.values.items():  # locals first assigned in the loop stay visible after it
            sc.values[t] = names
        return [f"for {var} in {lo}..{hi}:"] + self.indent(body)

    def body(self, sc: Scope, depth: int) -> list[str]:
        return self.block(sc, depth - 1, self.draw(st.integers(1, 3)))

    @staticmethod
    def indent(lines: list[str]) -> list[str]:
        return ["    " + line for line in lines]

    def action(self, sc: Scope) -> str:
        q = lambda: self.expr(sc, "num", 2)  # noqa: E731
        kind = self.pick(["buy", "sell", "target", "close", "cancel"])
        if kind in ("buy", "sell"):
            text = f"{kind} btc {q()}"
            order_type = self.pick(["", "limit", "stop", "trailing"])
            if order_type == "trailing":
                text += f" trailing percent {q()}"
            elif order_type:
                text += f" {order_type} {q()}"
            if self.chance(30):
                text += f" stop_loss {q()} take_profit {q()}"
            if self.chance(50):
                text += f' tag "{self.pick(self.tags)}"'
            return text
        if kind == "target":
            return f"target btc {q()}" + (f" limit {q()}" if self.chance(30) else "")
        if kind == "close":
            return "close btc"
        return self.pick(["cancel all", "cancel btc"])

    # -- declarations
    def function(self, funcs: list[Func]) -> tuple[Func, list[str]]:
        name = self.new("f")
        params = [(self.new("x"), "float"), (self.new("y"), "int")]
        if self.chance(30):
            params.append((self.new("z"), "bool"))
        ret = self.pick(TYPES)
        values = {t: [p for p, pt in params if pt == t] for t in TYPES}
        sc = Scope("func", values, funcs=list(funcs), returns=ret)
        body = self.block(sc, 2, self.draw(st.integers(0, 3)))
        ret_expr = self.expr(sc, "num" if ret == "float" else ret, 3)
        if ret == "float" and not self.chance(50):
            ret_expr = self.expr(sc, "float", 3)
        header = f"def {name}({', '.join(f'{p}: {t}' for p, t in params)}) -> {ret}:"
        return Func(name, params, ret), [header] + self.indent([x for x in body if x != "pass"] + [f"return {ret_expr}"])

    def program(self) -> str:
        funcs, func_lines = [], []
        for _ in range(self.draw(st.integers(0, 2))):
            f, lines = self.function(funcs)
            funcs.append(f)
            func_lines += lines + [""]

        n_series = self.draw(st.integers(1, 4))
        series = [(f"s{k}", self.pick(TYPES)) for k in range(n_series)]
        series_lines = []
        for k, (name, t) in enumerate(series):
            sc = Scope("series", {tt: [n for n, st_ in series[:k] if st_ == tt] for tt in TYPES},
                       # the checker types a not-yet-typed series read as float, so ints and bools only read
                       # the history of series declared before them
                       history={tt: [n for j, (n, st_) in enumerate(series)
                                     if st_ == tt and n != name and (j < k or tt == "float")] for tt in TYPES},
                       own=(name, t) if t == "float" else None, funcs=funcs)
            e = self.expr(sc, t, 3)
            if "btc." not in e:  # a series needs a clock: it reads market data
                e = {"float": f"({e} + btc.close * 0)", "int": f"({e} + floor(btc.close * 0))",
                     "bool": f"({e} or na(btc.close))"}[t]
            series_lines.append(f"series {name} = {e}")

        var_decls = ["var v0: float = b * 2", "var v1: int = a", "var v2: bool = flag", "var v3: float = na",
                     f"var {ARRAY}: float[{ARRAY_SIZE}] = {self.pick(['na', '0.0', '1.5', 'b'])}"]
        variables = {"float": ["v0", "v3"], "int": ["v1"], "bool": ["v2"]}
        all_series = {t: [n for n, st_ in series if st_ == t] for t in TYPES}
        series_view = Scope("series", {t: list(v) for t, v in all_series.items()},
                            history={t: list(v) for t, v in all_series.items()}, funcs=funcs)

        def handler_scope(kind):
            values = {t: all_series[t] + variables[t] for t in TYPES}
            return Scope(kind, values, history={t: list(v) for t, v in all_series.items()}, funcs=funcs,
                         series_view=series_view)

        handler = self.block(handler_scope("handler"), 3, self.draw(st.integers(4, 9)))
        lines = [
            f"strategy Gen{self.draw(st.integers(0, 10**6))}",
            f"param a: int = {self.draw(st.integers(1, 6))} in 1..6",
            "param b: float = 0.5 in -1.0..2.0",
            "param flag: bool = false",
            "const c0 = 2",
            "const c1: float = 0.5",
            'instrument btc = "BTCUSD.COINBASE"',
            "data btc bars 1m",
            "",
            *func_lines,
            *series_lines,
            *var_decls,
            "",
            "on bar btc:",
            *self.indent(handler),
        ]
        if self.chance(40):
            lines += ["", "on stop:", *self.indent(self.block(handler_scope("stop"), 1, self.draw(st.integers(1, 3))))]
        return "\n".join(lines) + "\n"


@st.composite
def programs(draw) -> str:
    """The text of a random strategy that `ntc check` accepts."""
    text = ProgramBuilder(draw).program()
    result = check_text(text, "generated.nts")
    assume(result.ok)
    return text


def synthetic_bars(seed: int, n: int = 200, gaps: bool = False) -> np.ndarray:
    """A random walk of 1m bars with flat stretches (equal closes), a repeated level, some zero volumes and, with
    `gaps`, a few na closes and volumes."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([-2.5, -1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 2.5], size=n)
    closes = 100.0 + np.cumsum(steps)
    closes[n // 3: n // 3 + 5] = closes[n // 3]  # a flat stretch
    closes[rng.integers(0, n, 6)] = 100.0  # a level seen again
    out = np.zeros(n, BAR_DTYPE)
    out["close"] = closes
    out["open"] = np.concatenate([[closes[0]], closes[:-1]])
    out["high"] = np.maximum(out["open"], closes) + rng.choice([0.0, 0.25, 1.0], size=n)
    out["low"] = np.minimum(out["open"], closes) - rng.choice([0.0, 0.25, 1.0], size=n)
    out["volume"] = rng.choice([0.0, 1.0, 10.0, 250.0], size=n)
    if gaps:
        out["close"][rng.integers(5, n, 3)] = np.nan
        out["volume"][rng.integers(5, n, 3)] = np.nan
    out["ts_event"] = 1_615_680_000 * 10**9 + 60 * 10**9 * (1 + np.arange(n))  # 2021-03-14 00:00 UTC on
    out["ts_recv"] = out["ts_event"]
    return out


@st.composite
def runs(draw) -> dict:
    """A program and what to run it on: bars, param values and engine contexts."""
    params = {"a": draw(st.integers(1, 6)), "b": draw(st.sampled_from([-1.0, 0.0, 0.5, 1.75])),
              "flag": draw(st.booleans())}
    return {"text": draw(programs()), "seed": draw(st.integers(0, 2**32 - 1)), "gaps": draw(st.booleans()),
            "params": draw(st.none() | st.just(params)), "positions": draw(st.sampled_from([(0.0,), (0.0, 2.0, -3.0)]))}


PROGRAMS_PER_EXAMPLE = 5
_counter = itertools.count()


def _check_batch(batch: list[dict], workdir: Path) -> None:
    jobs, jit_results = [], []
    for run in batch:
        name = f"gen{next(_counter)}"
        src = workdir / f"{name}.nts"
        src.write_text(run["text"])
        strategy = nts.compile(src, workdir / f"{name}.ntc")
        contexts = []
        for pos in run["positions"]:
            ctx = strategy.context(equity=100_000.0, cash=90_000.0)
            ctx[2] = pos
            contexts.append(ctx)
        job = {"directory": str(strategy.directory), "streams": {"step:btc.bars": synthetic_bars(run["seed"],
                                                                                                  gaps=run["gaps"])},
               "params": run["params"], "contexts": contexts}
        jobs.append(job)
        jit_results.append(run_with_jit(strategy, job))
    no_jit_results = run_without_jit(jobs, workdir)
    failures = []
    for run, jit, no_jit in zip(batch, jit_results, no_jit_results):
        diffs = differences(jit, no_jit)
        if diffs:
            failures.append(f"params {run['params']}, bars seed {run['seed']} gaps {run['gaps']}:\n"
                            + "\n".join(diffs) + "\n--- program ---\n" + run["text"])
    assert not failures, "JIT and plain Python disagree:\n\n" + "\n\n".join(failures)


_BATCHES = st.lists(runs(), min_size=PROGRAMS_PER_EXAMPLE, max_size=PROGRAMS_PER_EXAMPLE)
# Shrinking is off: every example costs compilations, and a failure names the program, the first differing step
# and what differed.
_RANDOM_SETTINGS = dict(deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                               HealthCheck.large_base_example, HealthCheck.filter_too_much])


@settings(max_examples=2, **_RANDOM_SETTINGS)
@given(batch=_BATCHES)
def test_random_programs_agree_with_and_without_jit(batch, tmp_path_factory):
    """Random well-typed programs (2 batches of 5, each compiled once) give the same intents, records, logs, final
    state and warnings JIT-compiled and as plain Python."""
    _check_batch(batch, tmp_path_factory.mktemp("differential"))


@pytest.mark.slow
@settings(max_examples=30, **_RANDOM_SETTINGS)
@given(batch=_BATCHES)
def test_many_random_programs_agree_with_and_without_jit(batch, tmp_path_factory):
    """The same on 30 batches (150 programs, about 10 minutes): `pytest -m slow`."""
    _check_batch(batch, tmp_path_factory.mktemp("differential"))


def test_program_generator_covers_the_constructs():
    """The generator reaches every construct the differential test is meant to exercise (checked on generated text
    only, without compiling)."""
    seen = ""

    @settings(max_examples=200, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(programs())
    def collect(text):
        nonlocal seen
        seen += text

    collect()
    wanted = ["na", "b", "btc.close[", "btc.volume", "nz(s", " / ", " // ", " % ", " ** ", " == ", " and ", " or ",
              "not ", " if ", "abs(", "min(", "max(", "sqrt(", "log(", "exp(", "floor(", "ceil(", "round(", "clamp(",
              "sign(", "sma(", "ema(", "rsi(", "stddev(", "highest(", "lowest(", "crossover(", "change(", "cum(",
              "barssince(", "def f", "var v", "arr[", "if ", "elif ", "else:", "for i", "break", "continue", "record ",
              "log \"", "buy btc", "sell btc", "target btc", "close btc", "cancel all", "on stop:", "return"]
    missing = [w for w in wanted if w not in seen]
    assert not missing, f"never generated: {missing}"


# ---------------------------------------------------------------- the examples on their real data

@pytest.mark.parametrize("name", list(ed.EXAMPLE_SPECS))
def test_example_agrees_with_and_without_jit(name, tmp_path):
    """An example on its full data set gives exactly the same intents, records, logs, final state and warnings
    JIT-compiled and as plain Python, flat and with open long and short positions (so exit branches run too)."""
    example = ed.EXAMPLE_SPECS[name]
    strategy = nts.compile(example.path, tmp_path / name)
    job = {"directory": str(strategy.directory), "streams": example.streams(example.sources()), "params": None,
           "contexts": list(ed.contexts(strategy).values())}
    jit = run_with_jit(strategy, job)
    assert sum(len(s.intents) for obs in jit for s in obs.steps) > 0, "the example never trades: this proves little"
    (no_jit,) = run_without_jit([job], tmp_path)
    diffs = differences(jit, no_jit)
    assert not diffs, "\n".join(diffs)
