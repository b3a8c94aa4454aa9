"""The strategy's state as flat arrays: where every param, var, series history and indicator block lives.

Layout (all offsets are static; compiled handlers index the arrays with literals):
- `params`  float64[n_params]: run-time param values (int, float, bool as 0/1, duration in ns, a choice as the
  index of its choice). Injected at load time, so one compiled artifact serves any param set.
- `vars`    float64: one slot per scalar `var`, `size` slots per array `var`.
- `series`  float64: one ring per series and per data field read with history, of `lookback + 1` values; the ring's
  write position and fill count live in `ring_pos` (int64, two slots per ring).
- `ind`     float64: one block per stateful call site, sized by its kernel from the static arguments' upper bounds.
- intents: a buffer of `intent_capacity` records per handler call (the most any one handler can write, with loops
  counted at their static trip count).

Time-typed values (timestamps, durations) are int64 nanoseconds and fit a float64 exactly only below 2**53 ns
(104 days); state that holds them goes to the int64 arrays `vars_i64` / `series_i64` instead.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from ..dsl import ast
from ..stdlib import REGISTRY
from ..stdlib.kernels.registry import kernel_for
from .frontend import CheckResult
from .static_eval import Interval, NotStatic, value_range

EXACT_IN_FLOAT = {"float", "int", "bool"}


class Slot(BaseModel):
    name: str
    array: str  # which state array
    offset: int
    size: int = 1


class IndicatorBlock(BaseModel):
    function: str
    kernel_module: str
    line: int
    col: int
    offset: int
    size: int
    static_args: dict[str, float | int | bool | str] = {}


class StateLayout(BaseModel):
    params: list[Slot] = []
    vars: list[Slot] = []
    series: list[Slot] = []  # series and data-field histories; `name` is the series or `stream.field`
    rings: dict[str, int] = {}  # ring name -> index of its (position, count) pair in `ring_pos`
    indicators: list[IndicatorBlock] = []
    sizes: dict[str, int] = {}  # array name -> length
    intent_capacity: int = 1

    def slot(self, table: str, name: str) -> Slot:
        return next(s for s in getattr(self, table) if s.name == name)


class LayoutError(Exception):
    """The strategy cannot be laid out (a bug in the checker if it passed without errors)."""


def build_layout(result: CheckResult) -> StateLayout:
    if not result.ok or result.facts is None:
        raise LayoutError("the strategy has errors; check it first")
    facts = result.facts
    layout = StateLayout()
    sizes = {"params": 0, "vars": 0, "vars_i64": 0, "series": 0, "series_i64": 0, "ind": 0, "ring_pos": 0}

    def place(table: list, name: str, array: str, size: int = 1) -> None:
        table.append(Slot(name=name, array=array, offset=sizes[array], size=size))
        sizes[array] += size

    for p in facts.params:
        place(layout.params, p.name, "params")
    for v in facts.vars:
        place(layout.vars, v.name, "vars" if v.type in EXACT_IN_FLOAT else "vars_i64", v.size or 1)
    # Every series has a ring (a series keeps its value between updates); a data field has one when it is read
    # with history, and `time` is the only field that is not a float.
    histories = [(s.name, s.type, s.lookback) for s in facts.series]
    histories += [(key, "timestamp" if key.endswith(".time") else "float", depth)
                  for key, depth in facts.field_lookback.items()]
    for name, type_, lookback in histories:
        place(layout.series, name, "series" if type_ in EXACT_IN_FLOAT else "series_i64", lookback + 1)
        layout.rings[name] = sizes["ring_pos"] // 2
        sizes["ring_pos"] += 2
    for call in facts.indicator_calls:
        kernel = kernel_for(call.function)
        if kernel is None:
            raise LayoutError(f"no kernel for `{call.function}`")
        static = _static_args(call.function, call.static_args)
        size = int(kernel.size(*static))
        layout.indicators.append(IndicatorBlock(function=call.function, kernel_module=kernel.module, line=call.line,
                                                col=call.col, offset=sizes["ind"], size=size,
                                                static_args=call.static_args))
        sizes["ind"] += size
    layout.sizes = sizes
    layout.intent_capacity = max([1] + [_max_intents(h.body, result) for h in result.symbols.handlers])
    return layout


def _static_args(function: str, given: dict) -> list:
    """The static arguments in signature order (the checker has filled in defaults, durations in ns)."""
    return [given[arg.name] for arg in REGISTRY[function].args if arg.role == "static"]


def _max_intents(stmts: list, result: CheckResult, loops: dict | None = None) -> int:
    """An upper bound on the intents one run through `stmts` can write: each action one, the larger branch of an
    `if`, a loop's body times its largest trip count (bounds from consts, param ranges and enclosing loops)."""
    loops = loops or {}
    total = 0
    for st in stmts:
        if isinstance(st, (ast.Order, ast.Target, ast.Close, ast.Cancel, ast.Modify)):
            total += 1
        elif isinstance(st, ast.If):
            branches = [b.body for b in st.branches] + ([st.orelse] if st.orelse else [])
            total += max(_max_intents(b, result, loops) for b in branches)
        elif isinstance(st, ast.For):
            lo, hi = _bounds(st.start, result, loops), _bounds(st.stop, result, loops)
            inner = _max_intents(st.body, result, {**loops, st.var: Interval(lo.lo, hi.hi)})
            total += inner * max(0, int(math.floor(hi.hi - lo.lo)) + 1)
    return total


def _bounds(expr: ast.Expr, result: CheckResult, loops: dict) -> Interval:
    """The range of a loop bound; the checker has proved it static."""
    symbols = result.symbols

    def lookup(name: ast.Name) -> Interval:
        if name.id in loops:
            return loops[name.id]
        value = symbols.const_values.get(name.id)
        if isinstance(value, int) and not isinstance(value, bool):
            return Interval(value, value)
        param = next((p for p in result.facts.params if p.name == name.id), None)
        if param is not None and param.lo is not None:
            return Interval(param.lo, param.hi)
        raise NotStatic(name)

    return value_range(expr, lookup)
