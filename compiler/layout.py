"""The strategy's state as flat arrays: where every param, var, series history and indicator block lives.

Layout (all offsets are static; compiled handlers index the arrays with literals):
- `params`  float64[n_params]: run-time param values (int, float, bool as 0/1, duration in ns, a choice as the
  index of its choice). Injected at load time, so one compiled artifact serves any param set.
- `vars`    float64: one slot per scalar `var`, `size` slots per array `var`.
- `series`  float64: one ring per series and per data field read with history, of `lookback + 1` values; the ring's
  write position lives in `ring_pos` (int64, one slot per ring). Rings start as na, so a read further back than the
  data goes is na without a count.
- `data`    float64: the latest value of every field of every subscribed stream (a book: `depth` values per level
  field); `data_i64` its time and its update count (`bar_index`).
- `calls`   float64: the current value of each stateful call site (one slot per output).
- `records` float64: the last value of each `record` name.
- `ind`     float64: one block per stateful call site, sized by its kernel from the static arguments' upper bounds.
- `counters` int64: the client order sequence, the log count and the run-time warnings (`nts.runtime.ops`).
- `logs`    float64[LOG_ROWS, 1 + parts]: log messages of the current call, as a template id and values.
- intents: a buffer of `intent_capacity` records per handler call (the most any one handler can write, with loops
  counted at their static trip count).

The state is the tuple of these arrays in `STATE_ARRAYS` order; every handler takes it whole.

Time-typed values (timestamps, durations) are int64 nanoseconds and fit a float64 exactly only below 2**53 ns
(104 days); state that holds them goes to the int64 arrays `vars_i64` / `series_i64` instead.
"""

from __future__ import annotations

import math

from ..dsl import ast
from ..runtime.events import MBO_LEVELS
from ..runtime.ops import N_COUNTERS
from ..stdlib import REGISTRY
from ..stdlib.kernels.registry import kernel_for
from .frontend import CheckResult
from .manifest import LOG_ROWS, STATE_ARRAYS, IndicatorBlock, Slot, StateLayout  # noqa: F401 - re-exported
from .static_eval import Interval, NotStatic, value_range

EXACT_IN_FLOAT = {"float", "int", "bool", "string"}
STREAM_FLOAT_FIELDS = {"bars": ("open", "high", "low", "close", "volume"),
                       "quotes": ("bid", "ask", "bid_size", "ask_size", "mid", "spread"),
                       "trades": ("price", "size", "aggressor"),
                       "book": ("levels",)}
BOOK_ARRAYS = ("bid_price", "bid_size", "bid_orders", "ask_price", "ask_size", "ask_orders")


class LayoutError(Exception):
    """The strategy cannot be laid out (a bug in the checker if it passed without errors)."""


def build_layout(result: CheckResult) -> StateLayout:
    if not result.ok or result.facts is None:
        raise LayoutError("the strategy has errors; check it first")
    facts = result.facts
    layout = StateLayout()
    sizes = dict.fromkeys(STATE_ARRAYS, 0)

    def place(table: list, name: str, array: str, size: int = 1) -> None:
        table.append(Slot(name=name, array=array, offset=sizes[array], size=size))
        sizes[array] += size

    for p in facts.params:
        place(layout.params, p.name, "params")
    for v in facts.vars:
        place(layout.vars, v.name, "vars" if v.type in EXACT_IN_FLOAT else "vars_i64", v.size or 1)
    # Every series has a ring (a series keeps its value between updates); a data field has one when it is read
    # with history, and `time` is the only field that is not a float.
    # A multi-output series (`band = bbands(...)`) has one ring per output, named `band.upper`.
    histories = []
    for s in facts.series:
        t = result.symbols.series_types[s.name]
        outputs = [(f"{s.name}.{k}", v) for k, v in t.fields] if t.name == "record" else [(s.name, s.type)]
        histories += [(name, type_, s.lookback) for name, type_ in outputs]
    histories += [(key, "timestamp" if key.endswith(".time") else "float", depth)
                  for key, depth in facts.field_lookback.items()]
    for name, type_, lookback in histories:
        place(layout.series, name, "series" if type_ in EXACT_IN_FLOAT else "series_i64", lookback + 1)
        layout.rings[name] = sizes["ring_pos"]
        sizes["ring_pos"] += 1
    for st in facts.streams:
        for field_name in STREAM_FLOAT_FIELDS[st.data]:
            place(layout.data, f"{st.key}.{field_name}", "data")
        if st.data == "book":
            depth = MBO_LEVELS if st.mbo else st.depth
            for field_name in BOOK_ARRAYS:
                place(layout.data, f"{st.key}.{field_name}", "data", depth)
        place(layout.data, f"{st.key}.time", "data_i64")
        place(layout.data, f"{st.key}.count", "data_i64")
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
        outputs = max(1, len(REGISTRY[call.function].outputs))
        place(layout.calls, f"{call.function}@{call.line}:{call.col}", "calls", outputs)
    for name in facts.records:
        place(layout.records, name, "records")
    sizes["counters"] = N_COUNTERS
    layout.log_parts = max([0] + [sum(p.expr is not None for p in log.parts) for log in _logs(result)])
    sizes["logs"] = LOG_ROWS
    layout.sizes = sizes
    layout.intent_capacity = max([1] + [_max_intents(h.body, result) for h in result.symbols.handlers])
    return layout


def _logs(result: CheckResult) -> list[ast.Log]:
    found = []

    def walk(stmts):
        for st in stmts:
            if isinstance(st, ast.Log):
                found.append(st)
            elif isinstance(st, ast.If):
                for b in st.branches:
                    walk(b.body)
                walk(st.orelse or [])
            elif isinstance(st, ast.For):
                walk(st.body)
    for h in result.symbols.handlers:
        walk(h.body)
    return found


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
