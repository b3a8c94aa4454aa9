"""The checker: names, types and static facts of a strategy whose declarations are collected.

Rules a reader should know (docs/language.md states them for users):
- Scopes: module-level names are global. Each handler and each function has one flat local scope; a local
  exists from its first assignment and is reset (na, 0 or false) when the handler starts. Locals may not
  shadow module-level names.
- Series are defined by one expression over data, other series, params, consts, pure functions and stateful
  stdlib calls. They may not read locals, `var`s or portfolio state (E0305): a series must mean the same in a
  backtest and live. A series may read its own past (`x[1]`), never its present (E0110).
- A stateful stdlib call (`sma(...)`) anywhere owns its own state and advances whenever its inputs update, also
  when it sits in an `if` that is not taken; so its series arguments follow the series rules.
- Every history index has a static upper bound (consts, params with ranges, loop variables) and a lower
  bound >= 0; the bound becomes the series' lookback.
- User functions are pure: no actions, no `var`s, no series or data, no stateful calls, no portfolio state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..dsl import ast
from ..dsl.durations import duration_nanos
from ..dsl.diagnostics import Diagnostics, did_you_mean
from ..runtime.events import ORDER_REASONS
from ..stdlib import CONTEXT_VALUES, REGISTRY, FunctionSig
from .declarations import EVENT_NAMES, DeclarationCollector, ast_type, name_span, show_value, type_of_value
from .facts import (HandlerFact, IndicatorCallFact, InstrumentFact, ParamFact, SeriesFact, StaticFacts, StreamFact,
                    VarFact)
from .fields import BOOK_LEVEL_FIELDS, DATA_FIELDS, EVENT_FIELDS
from .static_eval import Duration, Interval, NotStatic, const_value, value_range
from .symbols import Stream, Symbols
from .types import (BOOL, DURATION, ERROR, FLOAT, INSTRUMENT, INT, SCALARS, STREAM, STRING, VOID, Type,
                    arithmetic, assignable, comparable, record, unify)

_EXAMPLE_SUBSCRIPTION = {"bars": "bars 1m", "quotes": "quotes", "trades": "trades", "book": "book depth 10"}
HANDLER_STREAM_KIND = {"bar": "bars", "quote": "quotes", "trade": "trades", "book": "book"}
INT64_MAX = 2**63 - 1
CONTEXT_FUNCTIONS = {name for name, sig in REGISTRY.items() if sig.module == "context"}
ORDER_TYPES = ("limit", "stop", "stop_limit", "market_if_touched", "limit_if_touched", "trailing")
ALLOWED_CLAUSES = {
    "order": set(ORDER_TYPES) | {"tif", "post_only", "reduce_only", "tag", "stop_loss", "take_profit", "oco"},
    "target": {"limit", "tif", "post_only", "tag"},
    "modify": {"limit", "stop", "stop_limit", "trailing", "qty"},
    "close": {"limit", "tif", "tag"},
}


@dataclass
class Local:
    type: Type
    node: ast.Node
    loop_range: Interval | None = None  # loop variables are read-only and have a static range
    size: int | None = None


@dataclass
class Scope:
    """Where an expression is being checked."""

    where: str  # "series" | "handler" | "function" | "var_init"
    handler: ast.Handler | None = None
    stream: Stream | None = None
    function: ast.Function | None = None
    locals: dict[str, Local] = field(default_factory=dict)
    loops: int = 0
    # Set while checking a series expression or a stateful call's series argument: names what is being
    # defined, for E0305 messages ("the series `x`", "the series argument of `sma`").
    series_of: str | None = None
    # What the enclosing series / stateful call reads so far: streams (its clock) and series (whose clocks
    # join it once every series is checked).
    clock: set[str] | None = None
    deps: set[str] | None = None


class Checker:
    def __init__(self, symbols: Symbols, collector: DeclarationCollector, diagnostics: Diagnostics, strategy_path: str):
        self.s = symbols
        self.collector = collector
        self.diags = diagnostics
        self.strategy_path = strategy_path
        self.used: set[str] = set()
        self.series_state: dict[str, str] = {}  # name -> "checking" | "done"
        self.series_clock: dict[str, set[str]] = {}
        self.series_deps: dict[str, set[str]] = {}
        self.series_stack: list[tuple[str, bool]] = []  # series being checked, and whether entered via history
        self.call_deps: list[tuple[IndicatorCallFact, set[str]]] = []
        self.lookback: dict[str, int] = {}
        self.field_lookback: dict[str, int] = {}
        self.calls: dict[str, set[str]] = {}  # user function -> user functions it calls
        self.indicator_calls: list[IndicatorCallFact] = []
        self.records: dict[str, Type] = {}
        self.tags: dict[str, ast.Node] = {}
        self.tag_uses: list[tuple[str, ast.Node]] = []
        self.var_types: dict[str, Type] = {}
        self.var_sizes: dict[str, int | None] = {}
        # For the back end, keyed by id() of the AST node: the type of every expression, and the stream each data
        # field read resolved to (a handler's own stream disambiguates `btc.close`).
        self.types: dict[int, Type] = {}
        self.stream_of: dict[int, str] = {}

    # ================================================================ entry
    def check(self) -> StaticFacts:
        for name, var in self.s.vars.items():
            self._var_decl(name, var)
        for name in self.s.series:
            self.series_type(name)
        for fn in self.s.functions.values():
            self._function(fn)
        self._recursion()
        handlers_seen: dict[tuple, ast.Handler] = {}
        for h in self.s.handlers:
            self._handler(h, handlers_seen)
        self._resolve_clocks()
        for tag, node in self.tag_uses:
            if tag not in self.tags:
                hint = did_you_mean(tag, self.tags)
                self.diags.add("E0207", f'no order is tagged "{tag}"', node.span,
                               f'did you mean "{hint}"?' if hint else 'give an order `tag "..."` first')
        self._unused()
        return self._facts()

    # ================================================================ declarations
    def _var_decl(self, name: str, var: ast.Var) -> None:
        size = None
        if var.size is not None:
            try:
                size = const_value(var.size, self.collector.lookup_const)
            except NotStatic as exc:
                self.diags.add("E0306", f"the size of `{name}` must be known before the run", exc.node.span,
                               "use an int literal or const")
            else:
                if isinstance(size, bool) or not isinstance(size, int) or isinstance(size, Duration) or size < 1:
                    self.diags.add("E0114", f"the size of `{name}` must be a positive int, not {show_value(size)}",
                                   var.size.span)
                    size = None
        init_type = None
        if var.init is not None:
            init_type = self.expr(var.init, Scope(where="var_init"))
        declared = ast_type(var.type) if var.type else None
        if declared is None and init_type is None:
            self.diags.add("E0114", f"`var {name}` needs a type or an initial value", var.span,
                           f"for example `var {name}: float = 0`")
            declared = ERROR
        if declared is not None and init_type is not None and not assignable(init_type, declared):
            self.diags.add("E0201", f"`{name}` is declared {declared} but initialised with {init_type}",
                           var.init.span)
        self.var_types[name] = declared or init_type
        self.var_sizes[name] = size

    def series_type(self, name: str, through_history: bool = False, at: ast.Node | None = None) -> Type:
        """The type of a series, checking its expression on first use.

        A series read while its own expression is being checked is a recursion, unless the chain of reads
        passes through history somewhere (`a = b[1] + 1` with `b = a * 2` is fine: b reads a's present, a reads
        b's past)."""
        state = self.series_state.get(name)
        if state == "done":
            return self.s.series_types.get(name, ERROR)
        if state == "checking":
            start = next(i for i, (n, _) in enumerate(self.series_stack) if n == name)
            if through_history or any(via for _, via in self.series_stack[start + 1:]):
                return FLOAT  # provisional: the value's own type is settled when its expression is done
            chain = " -> ".join([n for n, _ in self.series_stack[start:]] + [name])
            self.diags.add("E0110", f"series `{name}` depends on its own current value"
                                    + (f" ({chain})" if len(self.series_stack) - start > 1 else ""),
                           at.span if at is not None else self.s.series[name].span,
                           f"read its previous value with `{name}[1]`")
            return ERROR
        self.series_state[name] = "checking"
        self.series_stack.append((name, through_history))
        decl = self.s.series[name]
        clock: set[str] = set()
        deps: set[str] = set()
        t = self.expr(decl.value, Scope(where="series", series_of=f"the series `{name}`", clock=clock, deps=deps))
        self.series_stack.pop()
        if t in (VOID, STREAM, INSTRUMENT):
            self.diags.add("E0201", f"a series holds a value; this expression is {t}", decl.value.span)
            t = ERROR
        self.s.series_types[name] = t
        self.series_clock[name] = clock
        self.series_deps[name] = deps
        self.series_state[name] = "done"
        return t

    def _resolve_clocks(self) -> None:
        """A series' clock is the streams it reads, directly or through other series (a fixpoint, because
        series may read each other's past)."""
        changed = True
        while changed:
            changed = False
            for name, deps in self.series_deps.items():
                clock = self.series_clock[name]
                size = len(clock)
                for dep in deps:
                    clock |= self.series_clock.get(dep, set())
                changed |= len(clock) != size
        for name, deps in self.series_deps.items():
            if name in deps and not self.series_clock[name] and self.s.series_types.get(name) != ERROR:
                self.diags.add("E0114", f"series `{name}` reads no market data, so it never advances and "
                                        f"`{name}[1]` would never change", name_span(self.s.series[name]),
                               "build it from a data field, as in `nz(x[1]) + btc.volume`")
        for fact, deps in self.call_deps:
            clock = set(fact.clock)
            for dep in deps:
                clock |= self.series_clock.get(dep, set())
            fact.clock = sorted(clock)

    # ================================================================ functions
    def _function(self, fn: ast.Function) -> None:
        scope = Scope(where="function", function=fn)
        seen = set()
        for p in fn.params:
            # A parameter may shadow a module-level name (a library cannot know the strategy's names), but
            # not another parameter.
            if p.name in seen:
                self.diags.add("E0102", f"parameter `{p.name}` of `{fn.name}` is given twice", p.span)
            seen.add(p.name)
            scope.locals[p.name] = Local(ast_type(p.type), p)
        self.calls.setdefault(fn.name, set())
        self.block(fn.body, scope)
        if not _always_returns(fn.body):
            self.diags.add("E0113", f"`{fn.name}` does not return a value on every path", fn.span,
                           f"end the function with `return` of a {fn.returns}")

    def _recursion(self) -> None:
        reported = set()
        for start in self.calls:
            stack = [(start, [start])]
            while stack:
                fn, path = stack.pop()
                for callee in self.calls.get(fn, ()):
                    if callee == start:
                        cycle = tuple(sorted(path))
                        if cycle not in reported:
                            reported.add(cycle)
                            chain = " -> ".join(path + [start])
                            self.diags.add("E0110", f"recursion: {chain}", self.s.functions[start].span,
                                           "NTS functions cannot call themselves; use a bounded `for` loop")
                    elif callee not in path:
                        stack.append((callee, path + [callee]))

    # ================================================================ handlers
    def _handler(self, h: ast.Handler, seen: dict) -> None:
        stream = None
        key: tuple = (h.event, h.target, h.order_event)
        if h.event in HANDLER_STREAM_KIND:
            stream = self._handler_stream(h)
            if stream is not None:
                key = (h.event, stream.key)
        elif h.event == "timer":
            ns = self._static_duration(h.interval, "a timer interval")
            key = ("timer", ns if ns is not None else id(h))  # an invalid interval is no duplicate
        first = seen.get(key)
        if first is not None:
            self.diags.add("E0109", "a second handler for the same event", h.span,
                           f"the first one is at line {first.span.line}; merge their bodies")
        else:
            seen[key] = h
        self.block(h.body, Scope(where="handler", handler=h, stream=stream))

    def _handler_stream(self, h: ast.Handler) -> Stream | None:
        want = HANDLER_STREAM_KIND[h.event]
        name = h.target
        span = h.target_span or h.span
        if name not in self.s.instruments and name not in self.s.aliases:
            hint = did_you_mean(name, [*self.s.instruments, *self.s.aliases])
            self.diags.add("E0101", f"unknown instrument or data name `{name}`", span,
                           f"did you mean `{hint}`?" if hint else None)
            return None
        self.used.add(name)
        matching = [st for st in self.s.streams_of(name) if st.data == want]
        if not matching:
            inst = self.s.aliases[name].instrument if name in self.s.aliases else name
            self.diags.add("E0108", f"`on {h.event} {name}` needs {want} data for `{name}`", span,
                           f"subscribe first: `data {inst} {_EXAMPLE_SUBSCRIPTION[want]}`"
                           if name in self.s.instruments else f"`{name}` is `{self.s.aliases[name].description}`")
            return None
        return matching[0]

    def _static_duration(self, expr: ast.Expr | None, what: str) -> int | None:
        if expr is None:
            return None
        try:
            value = const_value(expr, self.collector.lookup_const)
        except NotStatic as exc:
            self.diags.add("E0306", f"{what} must be known before the run", exc.node.span,
                           "use a duration literal such as `1h` or a const")
            return None
        if not isinstance(value, Duration) or value <= 0:
            self.diags.add("E0201", f"{what} must be a positive duration, not {show_value(value)}", expr.span,
                           "for example `1h` or `30s`")
            return None
        return int(value)

    # ================================================================ statements
    def block(self, stmts: list, scope: Scope) -> None:
        ended_by = None
        warned = False
        for stmt in stmts:
            if ended_by is not None and not warned:
                self.diags.add("W0002", f"unreachable code after `{ended_by}`", stmt.span)
                warned = True
            self.stmt(stmt, scope)
            if ended_by is None and isinstance(stmt, (ast.Return, ast.Break, ast.Continue)):
                ended_by = stmt.kind

    def stmt(self, st, scope: Scope) -> None:
        if isinstance(st, ast.Assign):
            self._assign(st.target, self.expr(st.value, scope), st.value, scope, st)
        elif isinstance(st, ast.AugAssign):
            self._aug_assign(st, scope)
        elif isinstance(st, ast.If):
            for br in st.branches:
                self._expect(br.cond, BOOL, scope, "an `if` condition")
                self.block(br.body, scope)
            if st.orelse:
                self.block(st.orelse, scope)
        elif isinstance(st, ast.For):
            self._for(st, scope)
        elif isinstance(st, ast.Return):
            self._return(st, scope)
        elif isinstance(st, (ast.Break, ast.Continue)):
            if scope.loops == 0:
                self.diags.add("E0112", f"`{st.kind}` outside a loop", st.span)
        elif isinstance(st, ast.Pass):
            pass
        else:
            self._action(st, scope)

    def _for(self, st: ast.For, scope: Scope) -> None:
        t_lo = self._expect(st.start, INT, scope, "a loop bound")
        t_hi = self._expect(st.stop, INT, scope, "a loop bound")
        rng = None
        if t_lo != ERROR and t_hi != ERROR:
            try:
                lo, hi = self._range(st.start, scope), self._range(st.stop, scope)
                rng = Interval(lo.lo, hi.hi)
            except NotStatic as exc:
                self.diags.add("E0307", "a loop's bounds must be known before the run", exc.node.span,
                               "use literals, consts, params with a range or an enclosing loop's variable")
        if st.var in scope.locals or self._module_name(st.var):
            self.diags.add("E0102", f"loop variable `{st.var}` hides another name", st.var_span,
                           "choose another name")
        saved = scope.locals.get(st.var)
        scope.locals[st.var] = Local(INT, st, loop_range=rng)
        scope.loops += 1
        self.block(st.body, scope)
        scope.loops -= 1
        if saved is None:
            del scope.locals[st.var]
        else:
            scope.locals[st.var] = saved

    def _return(self, st: ast.Return, scope: Scope) -> None:
        if scope.where == "function":
            fn = scope.function
            want = ast_type(fn.returns)
            if st.value is None:
                self.diags.add("E0113", f"`return` without a value in `{fn.name}`, which returns {want}", st.span)
                return
            t = self.expr(st.value, scope)
            if not assignable(t, want):
                self.diags.add("E0201", f"`{fn.name}` returns {want}, not {t}", st.value.span)
        elif st.value is not None:
            self.diags.add("E0112", "a handler's `return` takes no value", st.value.span,
                           "a bare `return` ends the handler early")

    def _assign(self, target: ast.LValue, t: Type, value: ast.Expr | None, scope: Scope, st) -> None:
        name = target.name
        if name in self.s.vars and name not in scope.locals:
            self.used.add(name)
            if scope.where == "function":
                self.diags.add("E0308", f"a function cannot change the var `{name}`", target.span,
                               "return the value and assign it in a handler")
                return
            vt, size = self.var_types.get(name, ERROR), self.var_sizes.get(name)
            if size is not None and target.index is None:
                self.diags.add("E0111", f"`{name}` is an array of {size}; assign one element: `{name}[i] = ...`",
                               target.span)
                return
            if target.index is not None:
                if self.s.vars[name].size is None:
                    self.diags.add("E0111", f"`{name}` is not an array", target.index.span)
                    return
                self._element_index(name, target.index, size, scope)
            if not assignable(t, vt):
                self.diags.add("E0201", f"`{name}` is {vt}; cannot assign {t}", value.span if value else st.span)
            return
        kind = self.s.kind_of(name)
        if name not in scope.locals and (kind is not None or self._module_name(name)):
            what = kind or "built in"
            hint = {"series": "a series is defined once by its expression; use a `var` for state you update",
                    "param": "params are set at run time, not by the strategy",
                    "const": "a const never changes; use a `var`"}.get(kind)
            self.diags.add("E0111", f"cannot assign to `{name}` ({what})", target.span, hint)
            return
        local = scope.locals.get(name)
        if local is not None and isinstance(local.node, ast.For):
            self.diags.add("E0111", f"cannot assign to the loop variable `{name}`", target.span)
            return
        if target.index is not None:
            self.diags.add("E0111", f"`{name}` is not an array; only `var` arrays take an index", target.span)
            return
        if t == VOID:
            self.diags.add("E0201", "this expression has no value to assign", value.span if value else st.span)
            return
        if t in (STREAM,) or t.name == "record":
            self.diags.add("E0201", f"a local holds a scalar value, not {t}", value.span if value else st.span,
                           "declare a `series` for an indicator with several outputs")
            return
        if local is None:
            scope.locals[name] = Local(t, st)
        elif not assignable(t, local.type):
            self.diags.add("E0201", f"`{name}` holds {local.type} (line {local.node.span.line}); cannot assign {t}",
                           value.span if value else st.span)

    def _aug_assign(self, st: ast.AugAssign, scope: Scope) -> None:
        name = st.target.name
        current = None
        if name in self.s.vars:
            current = self.var_types.get(name, ERROR)
        elif name in scope.locals:
            current = scope.locals[name].type
        elif self.s.kind_of(name) is None:
            self.diags.add("E0101", f"unknown name `{name}`", st.target.span,
                           f"assign it first: `{name} = ...`")
            self.expr(st.value, scope)
            return
        t = self.expr(st.value, scope)
        if current is not None and current != ERROR:
            result = arithmetic(st.op, current, t)
            if result is None:
                self.diags.add("E0201", f"`{st.op}=` is not defined for {current} and {t}", st.span)
                return
            if not assignable(result, current):
                self.diags.add("E0201", f"`{name} {st.op} ...` is {result}, but `{name}` holds {current}", st.span,
                               f"declare `{name}` as {result} where it is first assigned" if result == FLOAT
                               else None)
                return
        self._assign(st.target, current or t, st.value, scope, st)

    # ---------------------------------------------------------------- actions
    def _action(self, st, scope: Scope) -> None:
        if scope.where == "function":
            self.diags.add("E0308", f"a function cannot {_action_word(st)}", st.span,
                           "functions compute values; act in a handler")
            return
        if isinstance(st, (ast.Order, ast.Target)):
            self._trade_instrument(st.instrument, st.instrument_span)
            self._expect(st.qty, FLOAT, scope, "a quantity")
            self._clauses(st, "order" if isinstance(st, ast.Order) else "target", scope)
        elif isinstance(st, ast.Modify):
            self.tag_uses.append((st.tag, st))
            if not st.clauses:
                self.diags.add("E0207", "`modify` needs something to change", st.span,
                               "for example `modify \"entry\" limit 101.5` or `qty 2`")
            self._clauses(st, "modify", scope)
        elif isinstance(st, ast.Close):
            if st.instrument is not None:
                self._trade_instrument(st.instrument, st.instrument_span)
            self._clauses(st, "close", scope)
        elif isinstance(st, ast.Cancel):
            if st.scope == "tag":
                self.tag_uses.append((st.name, st))
            elif st.scope == "instrument":
                self._trade_instrument(st.name, st.span, needs_data=False)
        elif isinstance(st, ast.Record):
            t = self.expr(st.value, scope)
            if t not in (INT, FLOAT, BOOL, ERROR):
                self.diags.add("E0201", f"`record` takes a number or a bool, not {t}", st.value.span)
                return
            first = self.records.get(st.name)
            if first is not None and first != ERROR and t != ERROR and first != t and {first, t} != {INT, FLOAT}:
                self.diags.add("E0201", f"`{st.name}` is recorded as {first} elsewhere; here it is {t}", st.value.span)
            self.records[st.name] = FLOAT if {first, t} == {INT, FLOAT} else t
        elif isinstance(st, ast.Log):
            for part in st.parts:
                if part.expr is not None:
                    t = self.expr(part.expr, scope)
                    if part.decimals is not None and t not in (INT, FLOAT, ERROR):
                        self.diags.add("E0201", f"`:.{part.decimals}` formats a number, not {t}", part.span)

    def _trade_instrument(self, name: str, span, needs_data: bool = True) -> None:
        if name not in self.s.instruments:
            if name in self.s.aliases:
                inst = self.s.aliases[name].instrument
                self.diags.add("E0201", f"`{name}` names a data subscription; orders go to an instrument", span,
                               f"trade `{inst}`")
                return
            hint = did_you_mean(name, self.s.instruments)
            self.diags.add("E0101", f"unknown instrument `{name}`", span, f"did you mean `{hint}`?" if hint else None)
            return
        self.used.add(name)
        if needs_data and not self.s.has_data(name):
            self.diags.add("E0304", f"`{name}` has no data subscription, so its orders could not be priced or "
                                    f"filled", span, f"subscribe to it: `data {name} bars 1m` or `data {name} quotes`")

    def _clauses(self, st, action: str, scope: Scope) -> None:
        allowed = ALLOWED_CLAUSES[action]
        seen: dict[str, ast.Clause] = {}
        types = []
        for c in st.clauses:
            if c.kind not in allowed:
                verb = st.side if action == "order" else action
                self.diags.add("E0207", f"`{verb}` does not take `{c.kind}`", c.span,
                               "allowed here: " + ", ".join(f"`{k}`" for k in sorted(allowed)))
                continue
            if c.kind in seen:
                self.diags.add("E0207", f"`{c.kind}` is given twice", c.span,
                               f"first given at {seen[c.kind].span.line}:{seen[c.kind].span.col}")
                continue
            seen[c.kind] = c
            if c.kind in ORDER_TYPES:
                types.append(c)
            self._clause_args(c, scope)
        if len(types) > 1:
            a, b = types[0], types[1]
            help_text = "use `stop_limit STOP, LIMIT`" if {a.kind, b.kind} == {"stop", "limit"} else None
            self.diags.add("E0207", f"an order has one type; `{a.kind}` and `{b.kind}` are both given", b.span,
                           help_text)
        has_limit = any(t.kind in ("limit", "stop_limit", "limit_if_touched") for t in types)
        if "post_only" in seen and action in ("order", "target") and not has_limit:
            self.diags.add("E0207", "`post_only` needs a limit price", seen["post_only"].span,
                           "add `limit PRICE`")
        if "oco" in seen and not any(k in seen for k in ("limit", "stop", "stop_limit", "market_if_touched",
                                                          "limit_if_touched", "trailing")):
            self.diags.add("E0207", "an OCO leg must be a resting order (limit, stop, ...)", seen["oco"].span)
        if "tag" in seen and action in ("order", "target", "close"):
            self.tags.setdefault(seen["tag"].word, seen["tag"])

    def _clause_args(self, c: ast.Clause, scope: Scope) -> None:
        if c.kind == "tif":
            if c.word == "gtd":
                self._expect(c.args[0], DURATION, scope, "the `gtd` lifetime")
            return
        for arg in c.args:
            self._expect(arg, FLOAT, scope, f"`{c.kind}`")

    # ================================================================ expressions
    def _expect(self, e: ast.Expr, want: Type, scope: Scope, what: str) -> Type:
        t = self.expr(e, scope)
        if not assignable(t, want):
            self.diags.add("E0201", f"{what} must be {'a number' if want == FLOAT else want}, not {t}", e.span)
            return ERROR
        return t

    def expr(self, e: ast.Expr, scope: Scope) -> Type:
        t = getattr(self, "_e_" + e.kind)(e, scope)
        self.types[id(e)] = t
        return t

    def _e_int(self, e, scope):
        if e.value > INT64_MAX:
            self.diags.add("E0009", "integer literal does not fit in 64 bits", e.span,
                           f"the largest int is {INT64_MAX}; write a float (`1e25`) for larger values")
            return ERROR
        return INT

    def _e_float(self, e, scope):
        return FLOAT

    def _e_duration(self, e, scope):
        return DURATION

    def _e_string(self, e, scope):
        return STRING

    def _e_bool(self, e, scope):
        return BOOL

    def _e_na(self, e, scope):
        return FLOAT

    def _e_name(self, e: ast.Name, scope: Scope) -> Type:
        name = e.id
        local = scope.locals.get(name)
        if local is not None:
            if scope.series_of is not None and scope.where != "function":
                self.diags.add("E0305", f"{scope.series_of} cannot read the local `{name}`", e.span,
                               "a series is built from data, series, params and consts")
                return ERROR
            return local.type
        kind = self.s.kind_of(name)
        if kind is not None:
            self.used.add(name)
        if kind == "param":
            p = self.s.params[name]
            return STRING if p.type == "choice" else ast_type(p.type)
        if kind == "const":
            return self.s.const_types.get(name, ERROR)
        if scope.where == "var_init" and kind is not None:
            self.diags.add("E0205", f"a var's initial value is set on start from literals, consts and params; "
                                    f"`{name}` is {_article(kind)} {kind}", e.span)
            return ERROR
        if kind == "instrument":
            return INSTRUMENT
        if kind == "stream":
            return STREAM
        if kind == "series":
            if scope.where == "function":
                return self._impure(e, f"read the series `{name}`")
            if scope.where == "handler" and scope.handler.event == "start":
                return self._lookahead(e, f"the series `{name}` has no value yet in `on start`")
            self._tick(scope, name)
            return self.series_type(name, at=e)
        if kind == "var":
            if scope.where == "function":
                return self._impure(e, f"read the var `{name}`")
            if scope.series_of is not None:
                self.diags.add("E0305", f"{scope.series_of} cannot read the var `{name}`", e.span,
                               "a var changes in handlers; a series may only depend on data, series, params, consts")
                return ERROR
            if self.var_sizes.get(name) is not None:
                self.diags.add("E0201", f"`{name}` is an array of {self.var_sizes[name]}; read one element: "
                                        f"`{name}[i]`", e.span)
                return ERROR
            return self.var_types.get(name, ERROR)
        if kind == "function":
            self.diags.add("E0201", f"`{name}` is a function; call it: `{name}(...)`", e.span)
            return ERROR
        if name in CONTEXT_VALUES:
            return self._context_value(e, scope)
        if name in REGISTRY:
            self.diags.add("E0201", f"`{name}` is a stdlib function; call it: `{REGISTRY[name].signature_text()}`",
                           e.span)
            return ERROR
        if name in EVENT_NAMES:
            self.diags.add("E0201", f"`{name}` is the event of `on {name}`; read a field such as `{name}.price`",
                           e.span)
            return ERROR
        if scope.where == "var_init":
            self.diags.add("E0205", f"unknown name `{name}` in a var's initial value", e.span)
            return ERROR
        visible = [*scope.locals, *self.s.all_names(), *CONTEXT_VALUES]
        hint = did_you_mean(name, visible)
        if hint:
            self.used.add(hint)  # the misspelling is a use: no "never used" warning on top of the error
        self.diags.add("E0101", f"unknown name `{name}`", e.span, f"did you mean `{hint}`?" if hint else None)
        return ERROR

    def _context_value(self, e: ast.Name, scope: Scope) -> Type:
        name = e.id
        t = SCALARS[CONTEXT_VALUES[name].type]
        if scope.where == "function":
            return self._impure(e, f"read `{name}`")
        if scope.where == "var_init":
            self.diags.add("E0205", f"a var's initial value is set on start from literals, consts and params; "
                                    f"`{name}` is not known then", e.span)
            return ERROR
        if name == "bar_index":
            if scope.where != "handler" or scope.handler.event != "bar":
                return self._lookahead(e, "`bar_index` counts the bars of an `on bar` handler's stream; it is "
                                          "only defined there")
            return t
        if name == "time":
            return t
        if scope.series_of is not None:
            self.diags.add("E0305", f"{scope.series_of} cannot read `{name}`", e.span,
                           "portfolio state changes with fills; read it in a handler")
            return ERROR
        return t

    def _impure(self, e: ast.Node, what: str) -> Type:
        self.diags.add("E0308", f"a function cannot {what}", e.span,
                       "functions are pure: pass the value in as an argument")
        return ERROR

    def _lookahead(self, e: ast.Node, message: str) -> Type:
        self.diags.add("E0303", message, e.span)
        return ERROR

    def _tick(self, scope: Scope, series_name: str | None = None, stream: Stream | None = None) -> None:
        """Records what a series expression (or a stateful call's input) reads, for its clock."""
        if stream is not None and scope.clock is not None:
            scope.clock.add(stream.key)
        if series_name is not None and scope.deps is not None:
            scope.deps.add(series_name)

    # ---------------------------------------------------------------- fields
    def _e_attr(self, e: ast.Attr, scope: Scope) -> Type:
        obj = e.obj
        if isinstance(obj, ast.Name) and obj.id not in scope.locals:
            name = obj.id
            if name in EVENT_NAMES and self.s.kind_of(name) is None:
                return self._event_field(e, name, scope)
            if name in self.s.instruments or name in self.s.aliases:
                self.used.add(name)
                resolved = self._data_field(e, name, scope)
                return resolved[0] if resolved else ERROR
        t = self.expr(obj, scope)
        if t == ERROR:
            return ERROR
        if t.name == "record":
            ft = t.field_type(e.name)
            if ft is None:
                names = [k for k, _ in t.fields]
                hint = did_you_mean(e.name, names)
                self.diags.add("E0105", f"no output `{e.name}`; the outputs are " + ", ".join(f"`{n}`" for n in names),
                               e.name_span, f"did you mean `{hint}`?" if hint else None)
                return ERROR
            return ft
        self.diags.add("E0105", f"a value of type {t} has no field `{e.name}`", e.name_span)
        return ERROR

    def _event_field(self, e: ast.Attr, event: str, scope: Scope) -> Type:
        fields = EVENT_FIELDS[event]
        if e.name not in fields:
            hint = did_you_mean(e.name, fields)
            self.diags.add("E0105", f"`{event}` has no field `{e.name}`", e.name_span,
                           f"did you mean `{hint}`?" if hint else "fields: " + ", ".join(fields))
            return ERROR
        if scope.where == "function":
            return self._impure(e, f"read `{event}.{e.name}`")
        if scope.where != "handler" or scope.handler.event != event:
            where = "in `on fill`" if event == "fill" else "in `on order ...` handlers"
            return self._lookahead(e, f"`{event}.{e.name}` is only known {where}")
        return fields[e.name]

    def _data_field(self, e: ast.Attr, name: str, scope: Scope) -> tuple[Type, Stream] | None:
        """The type and stream of `name.field`; reports why when it does not resolve."""
        streams = self.s.streams_of(name)
        if not streams:
            self.diags.add("E0106", f"`{name}` has no data subscription", e.span,
                           f"subscribe to it: `data {name} bars 1m`")
            return None
        matches = [st for st in streams if e.name in DATA_FIELDS[st.data]]
        if not matches and e.name in BOOK_LEVEL_FIELDS and any(st.data == "book" for st in streams):
            self.diags.add("E0201", f"`{e.name}` is read at a book level: `{name}.{e.name}(0)` is the best",
                           e.name_span)
            return None
        if not matches:
            kinds = [k for k, fields in DATA_FIELDS.items() if e.name in fields]
            if kinds:
                inst = streams[0].instrument
                self.diags.add("E0106", f"`{name}` has no {kinds[0]} data, which `{e.name}` comes from",
                               e.name_span, f"subscribe to it: `data {inst} {kinds[0]}"
                                            f"{' 1m' if kinds[0] == 'bars' else ''}`" if name in self.s.instruments
                               else f"`{name}` is `{streams[0].description}`")
            else:
                known = {f for st in streams for f in DATA_FIELDS[st.data]}
                hint = did_you_mean(e.name, known | set(BOOK_LEVEL_FIELDS))
                self.diags.add("E0105", f"unknown field `{e.name}` of `{name}`", e.name_span,
                               f"did you mean `{hint}`?" if hint else "fields: " + ", ".join(sorted(known)))
            return None
        if len(matches) > 1:
            own = [st for st in matches if scope.stream is not None and st is scope.stream]
            if not own:
                self.diags.add("E0107", f"`{name}.{e.name}` could come from " + " or ".join(
                    f"`{st.description}`" for st in matches), e.span,
                    "name one subscription with `as` and read the field through that name")
                return None
            matches = own
        stream = matches[0]
        return self._read_stream(e, stream, scope)

    def _read_stream(self, e: ast.Node, stream: Stream, scope: Scope):
        if scope.where == "function":
            self._impure(e, "read market data")
            return None
        if scope.where == "var_init":
            self.diags.add("E0205", "a var's initial value cannot read market data", e.span)
            return None
        if scope.where == "handler" and scope.handler.event == "start":
            self._lookahead(e, "no market data is known yet in `on start`")
            return None
        self._tick(scope, stream=stream)
        self.stream_of[id(e)] = stream.key
        field_name = e.name if isinstance(e, ast.Attr) else ""
        return DATA_FIELDS[stream.data].get(field_name, FLOAT), stream

    # ---------------------------------------------------------------- history and elements
    def _e_index(self, e: ast.Index, scope: Scope) -> Type:
        obj = e.obj
        if isinstance(obj, ast.Name) and obj.id not in scope.locals and obj.id in self.s.vars:
            name = obj.id
            self.used.add(name)
            if scope.where == "function":
                return self._impure(obj, f"read the var `{name}`")
            if scope.series_of is not None:
                self.diags.add("E0305", f"{scope.series_of} cannot read the var `{name}`", obj.span)
                return ERROR
            size = self.var_sizes.get(name)
            if self.s.vars[name].size is None:
                self.diags.add("E0209", f"`{name}` is a scalar var, not an array; vars have no history", e.index.span,
                               f"declare `series` for history, or `var {name}: {self.var_types.get(name, FLOAT)}[N]` "
                               "for an array")
                return ERROR
            self._element_index(name, e.index, size, scope)
            return self.var_types.get(name, ERROR)
        key = self._history_key(obj, scope)
        if key is None:
            if isinstance(obj, ast.Name) and obj.id in scope.locals:
                self.diags.add("E0209", f"the local `{obj.id}` has no history", obj.span,
                               f"declare `series {obj.id} = ...` to read past values")
            else:
                t = self.expr(obj, scope)
                if t != ERROR:
                    self.diags.add("E0209", "only series, data fields and var arrays can be indexed", obj.span,
                                   "declare `series s = ...` and read `s[1]`")
            self.expr(e.index, scope)
            return ERROR
        t, store = key
        it = self.expr(e.index, scope)
        if it != ERROR and it != INT:
            self.diags.add("E0201", f"a history index is an int, not {it}", e.index.span)
            return ERROR
        if it == ERROR or t == ERROR:
            return ERROR
        try:
            r = self._range(e.index, scope)
        except NotStatic as exc:
            self.diags.add("E0301", "a history index must have a bound known before the run", exc.node.span,
                           "use literals, consts, params with a range (`in 1..50`) or a loop variable")
            return t
        if r.lo < 0:
            self.diags.add("E0302", f"negative history index ({show_value(int(r.lo))}): the future is not known",
                           e.index.span, "`x[0]` is the current value, `x[1]` the previous one")
            return t
        store[0][store[1]] = max(store[0].get(store[1], 0), int(r.hi))
        return t

    def _history_key(self, obj: ast.Expr, scope: Scope):
        """(type, (table, key)) where a history read on `obj` is recorded, or None when `obj` has no history."""
        if isinstance(obj, ast.Name) and obj.id not in scope.locals and obj.id in self.s.series:
            name = obj.id
            self.used.add(name)
            if scope.where == "function":
                self._impure(obj, f"read the series `{name}`")
                return ERROR, ({}, name)
            if scope.where == "handler" and scope.handler.event == "start":
                self._lookahead(obj, f"the series `{name}` has no value yet in `on start`")
                return ERROR, ({}, name)
            t = self.series_type(name, through_history=True, at=obj)
            self._tick(scope, name)
            return t, (self.lookback, name)
        if isinstance(obj, ast.Attr) and isinstance(obj.obj, ast.Name) and obj.obj.id not in scope.locals:
            base = obj.obj.id
            if base in self.s.instruments or base in self.s.aliases:
                self.used.add(base)
                resolved = self._data_field(obj, base, scope)
                if resolved is None:
                    return ERROR, ({}, "")
                t, stream = resolved
                return t, (self.field_lookback, f"{stream.key}.{obj.name}")
            if base in self.s.series:
                t = self.series_type(base, through_history=True, at=obj.obj)
                self._tick(scope, base)
                self.used.add(base)
                if t.name == "record":
                    ft = t.field_type(obj.name)
                    if ft is None:
                        self.diags.add("E0105", f"no output `{obj.name}` of `{base}`", obj.name_span)
                        return ERROR, ({}, "")
                    return ft, (self.lookback, base)
        return None

    def _element_index(self, name: str, index: ast.Expr, size: int | None, scope: Scope) -> None:
        it = self.expr(index, scope)
        if it not in (INT, ERROR):
            self.diags.add("E0201", f"an array index is an int, not {it}", index.span)
            return
        if size is None:
            return
        try:
            r = self._range(index, scope)
        except NotStatic:
            return  # checked at run time: an out-of-range element reads na and counts a warning
        if r.lo < 0 or r.hi >= size:
            self.diags.add("E0209", f"index {show_value(int(r.lo if r.lo < 0 else r.hi))} is outside `{name}` "
                                    f"(size {size}: 0..{size - 1})", index.span)

    def _range(self, e: ast.Expr, scope: Scope) -> Interval:
        def lookup(n: ast.Name) -> Interval:
            local = scope.locals.get(n.id)
            if local is not None:
                if local.loop_range is None:
                    raise NotStatic(n)
                return local.loop_range
            if n.id in self.s.consts:
                v = self.collector.const_value_of(n.id)
                if isinstance(v, int) and not isinstance(v, bool):
                    return Interval(v, v)
                raise NotStatic(n)
            if n.id in self.s.params and self.s.params[n.id].type == "int":
                r = self.collector.param_range(self.s.params[n.id])
                if r is not None:
                    return Interval(*r)
            raise NotStatic(n)
        return value_range(e, lookup)

    # ---------------------------------------------------------------- operators
    def _e_unary(self, e: ast.Unary, scope) -> Type:
        t = self.expr(e.operand, scope)
        if t == ERROR or t.is_numeric or t == DURATION:
            return t
        self.diags.add("E0201", f"`{e.op}` needs a number, not {t}", e.operand.span)
        return ERROR

    def _e_not(self, e: ast.Not, scope) -> Type:
        self._expect(e.operand, BOOL, scope, "the operand of `not`")
        return BOOL

    def _e_binary(self, e: ast.Binary, scope) -> Type:
        a, b = self.expr(e.left, scope), self.expr(e.right, scope)
        t = arithmetic(e.op, a, b)
        if t is None:
            self.diags.add("E0201", f"`{e.op}` is not defined for {a} and {b}", e.span,
                           "a bool is not a number; write `1 if x else 0`" if BOOL in (a, b) else None)
            return ERROR
        return t

    def _e_compare(self, e: ast.Compare, scope) -> Type:
        a, b = self.expr(e.left, scope), self.expr(e.right, scope)
        if isinstance(e.right, ast.NaLit) or isinstance(e.left, ast.NaLit):
            self.diags.add("W0003", f"`{e.op} na` is always {'true' if e.op == '!=' else 'false'}: na compares "
                                    "unequal to everything", e.span, "test with `na(x)`")
        if not comparable(e.op, a, b):
            self.diags.add("E0201", f"cannot compare {a} with {b} using `{e.op}`", e.span)
        elif e.op in ("==", "!=") and STRING in (a, b):
            self._check_choice(e.left, e.right, scope)
            self._check_choice(e.right, e.left, scope)
        return BOOL

    def _check_choice(self, subject: ast.Expr, literal: ast.Expr, scope: Scope) -> None:
        """`mode == "fsat"` for a choice param, or `order.reason == "typo"`: a string that can never match."""
        if not isinstance(literal, ast.StringLit):
            return
        if isinstance(subject, ast.Name) and subject.id not in scope.locals and subject.id in self.s.params \
                and self.s.params[subject.id].choices:
            what, choices = f"`{subject.id}`", self.s.params[subject.id].choices
        elif isinstance(subject, ast.Attr) and isinstance(subject.obj, ast.Name) and subject.obj.id == "order" \
                and subject.name == "reason" and self.s.kind_of("order") is None:
            what, choices = "`order.reason`", ORDER_REASONS
        else:
            return
        if literal.value not in choices:
            hint = did_you_mean(literal.value, choices)
            self.diags.add("E0208", f'"{literal.value}" is not one of the values of {what}', literal.span,
                           f'did you mean "{hint}"?' if hint else "values: " + ", ".join(f'"{c}"' for c in choices))

    def _e_boolop(self, e: ast.BoolOp, scope) -> Type:
        self._expect(e.left, BOOL, scope, f"an operand of `{e.op}`")
        self._expect(e.right, BOOL, scope, f"an operand of `{e.op}`")
        return BOOL

    def _e_ternary(self, e: ast.Ternary, scope) -> Type:
        self._expect(e.cond, BOOL, scope, "a condition")
        a, b = self.expr(e.then, scope), self.expr(e.other, scope)
        t = unify(a, b)
        if t is None:
            self.diags.add("E0201", f"the branches of `if ... else` differ: {a} and {b}", e.span)
            return ERROR
        return t

    # ---------------------------------------------------------------- calls
    def _e_call(self, e: ast.Call, scope: Scope) -> Type:
        func = e.func
        if isinstance(func, ast.Attr) and func.name in BOOK_LEVEL_FIELDS and isinstance(func.obj, ast.Name):
            return self._book_level(e, func, scope)
        if not isinstance(func, ast.Name):
            self.expr(func, scope)
            self.diags.add("E0203", "only functions can be called", func.span)
            return ERROR
        name = func.id
        if name in scope.locals or (self.s.kind_of(name) not in (None, "function")):
            self.used.add(name)
            what = "a local" if name in scope.locals else f"a {self.s.kind_of(name)}"
            self.diags.add("E0203", f"`{name}` is {what}, not a function", func.span)
            return ERROR
        if name in self.s.functions:
            return self._user_call(e, self.s.functions[name], scope)
        if name in REGISTRY:
            return self._stdlib_call(e, REGISTRY[name], scope)
        hint = did_you_mean(name, [*self.s.functions, *REGISTRY])
        self.diags.add("E0101", f"unknown function `{name}`", func.span, f"did you mean `{hint}`?" if hint else None)
        for a in e.args:
            self.expr(a, scope)
        return ERROR

    def _bind(self, e: ast.Call, names: list[str], required: int, fname: str) -> dict[str, ast.Expr] | None:
        """Matches a call's positional and keyword arguments to parameter names."""
        bound: dict[str, ast.Expr] = {}
        ok = True
        if len(e.args) > len(names):
            self.diags.add("E0202", f"`{fname}` takes at most {len(names)} argument{'s' * (len(names) != 1)}, "
                                    f"got {len(e.args) + len(e.kwargs)}", e.args[len(names)].span,
                           f"`{fname}({', '.join(names)})`")
            return None
        for n, a in zip(names, e.args):
            bound[n] = a
        for kw in e.kwargs:
            if kw.name not in names:
                hint = did_you_mean(kw.name, names)
                self.diags.add("E0202", f"`{fname}` has no argument `{kw.name}`", kw.span,
                               f"did you mean `{hint}`?" if hint else f"`{fname}({', '.join(names)})`")
                ok = False
            elif kw.name in bound:
                self.diags.add("E0202", f"argument `{kw.name}` of `{fname}` is given twice", kw.span)
                ok = False
            else:
                bound[kw.name] = kw.value
        missing = [n for n in names[:required] if n not in bound]
        if missing and ok:
            self.diags.add("E0202", f"`{fname}` is missing argument{'s' * (len(missing) > 1)} "
                                    + ", ".join(f"`{m}`" for m in missing), e.span,
                           f"`{fname}({', '.join(names)})`")
            return None
        return bound if ok else None

    def _user_call(self, e: ast.Call, fn: ast.Function, scope: Scope) -> Type:
        self.used.add(fn.name)
        if scope.where == "function":
            self.calls.setdefault(scope.function.name, set()).add(fn.name)
        names = [p.name for p in fn.params]
        bound = self._bind(e, names, len(names), fn.name)
        if bound is None:
            for a in [*e.args, *(k.value for k in e.kwargs)]:
                self.expr(a, scope)
            return ast_type(fn.returns)
        for p in fn.params:
            self._expect(bound[p.name], ast_type(p.type), scope, f"argument `{p.name}` of `{fn.name}`")
        return ast_type(fn.returns)

    def _stdlib_call(self, e: ast.Call, sig: FunctionSig, scope: Scope) -> Type:
        name = sig.name
        if sig.module == "context":
            if scope.where == "function":
                return self._impure(e, f"read `{name}(...)`, which is portfolio state")
            if scope.series_of is not None:
                self.diags.add("E0305", f"{scope.series_of} cannot read `{name}(...)`", e.func.span,
                               "portfolio state changes with fills; read it in a handler")
                return ERROR
        if sig.stateful:
            if scope.where == "function":
                return self._impure(e, f"call `{name}`, which keeps state between events")
            if scope.where == "var_init":
                self.diags.add("E0205", f"a var's initial value cannot call `{name}`", e.func.span)
                return ERROR
            if scope.where == "handler" and scope.handler.event == "start":
                return self._lookahead(e.func, f"`{name}` has no value yet in `on start`")
        names = [a.name for a in sig.args]
        required = sum(1 for a in sig.args if not a.has_default)
        bound = self._bind(e, names, required, name)
        if bound is None:
            return _result_type(sig, [])
        statics: dict[str, object] = {}
        arg_types = []
        call_clock: set[str] = set()
        call_deps: set[str] = set()
        for a in sig.args:
            expr = bound.get(a.name)
            if expr is None:
                statics[a.name] = duration_nanos(a.default) if a.type == "duration" else a.default
                continue
            if a.role == "static":
                value = self._static_arg(expr, a, sig, scope)
                if value is not None:
                    statics[a.name] = value
                continue
            if a.role == "bars":
                stream = self._bars_arg(expr, sig, scope)
                if stream is not None:
                    call_clock.add(stream.key)
                continue
            if a.role in ("series", "value") and sig.stateful:
                # A stateful call advances with its inputs wherever it is written, so all its inputs follow the
                # series rules (its `mult` too: the call is updated before the handler's locals exist).
                inner = Scope(where=scope.where, handler=scope.handler, stream=scope.stream, function=scope.function,
                              locals=scope.locals, loops=scope.loops,
                              series_of=scope.series_of or f"the {a.role} argument `{a.name}` of `{name}`",
                              clock=call_clock, deps=call_deps)
                t = self.expr(expr, inner)
            else:
                t = self.expr(expr, scope)
            want = FLOAT if a.type == "num" else SCALARS.get(a.type, FLOAT)
            if a.type == "num":
                if t not in (INT, FLOAT, ERROR):
                    self.diags.add("E0201", f"argument `{a.name}` of `{name}` must be a number, not {t}", expr.span)
                arg_types.append(t)
            elif not assignable(t, want):
                self.diags.add("E0201", f"argument `{a.name}` of `{name}` must be {want}, not {t}", expr.span,
                               f"`{sig.signature_text()}`")
        if sig.stateful:
            if scope.clock is not None:
                scope.clock.update(call_clock)
            if scope.deps is not None:
                scope.deps.update(call_deps)
            fact = IndicatorCallFact(function=name, path=e.span.path, line=e.span.line, col=e.span.col,
                                     static_args={k: v for k, v in statics.items() if v is not None},
                                     clock=sorted(call_clock))
            self.indicator_calls.append(fact)
            self.call_deps.append((fact, call_deps))
        if sig.module == "calendar" and statics.get("tz"):
            self.collector._check_timezone(statics["tz"], bound["tz"].span)
        return _result_type(sig, arg_types)

    def _static_arg(self, expr: ast.Expr, a, sig: FunctionSig, scope: Scope):
        """The value (for an int: the upper bound) of a static argument, reported when it is not static."""
        if a.type == "int":
            t = self.expr(expr, scope)
            if t == ERROR:
                return None
            if t != INT:
                self.diags.add("E0201", f"argument `{a.name}` of `{sig.name}` must be int, not {t}", expr.span)
                return None
            try:
                r = self._range(expr, scope)
            except NotStatic as exc:
                self.diags.add("E0306", f"argument `{a.name}` of `{sig.name}` must be known before the run",
                               exc.node.span, "use a literal, a const, or a param with a range (`in 2..200`): "
                                              "its state is sized from the largest value")
                return None
            # Lengths are at least 1; an argument whose default is 0 (an offset, a count of decimals) may be 0.
            least = 0 if a.has_default and a.default == 0 else 1
            if r.lo < least:
                self.diags.add("E0306", f"argument `{a.name}` of `{sig.name}` must be at least {least}; it can be "
                                        f"{show_value(int(r.lo))}", expr.span)
                return None
            return int(r.hi)
        try:
            value = const_value(expr, self.collector.lookup_const)
        except NotStatic as exc:
            self.diags.add("E0306", f"argument `{a.name}` of `{sig.name}` must be known before the run",
                           exc.node.span, "use a literal or a const")
            return None
        want = SCALARS.get(a.type)
        if want is not None and not assignable(type_of_value(value), want):
            self.diags.add("E0201", f"argument `{a.name}` of `{sig.name}` must be {want}, not "
                                    f"{type_of_value(value)}", expr.span)
            return None
        return int(value) if isinstance(value, Duration) else value

    def _bars_arg(self, expr: ast.Expr, sig: FunctionSig, scope: Scope) -> Stream | None:
        if isinstance(expr, ast.Name) and (expr.id in self.s.instruments or expr.id in self.s.aliases):
            self.used.add(expr.id)
            bars = [st for st in self.s.streams_of(expr.id) if st.data == "bars"]
            if bars:
                if scope.where == "function":
                    self._impure(expr, "read market data")
                    return None
                self.stream_of[id(expr)] = bars[0].key
                return bars[0]
            self.diags.add("E0106", f"`{sig.name}` reads bars, and `{expr.id}` has no bar data", expr.span,
                           f"subscribe to them: `data {expr.id} bars 1m`" if expr.id in self.s.instruments else None)
            return None
        self.expr(expr, scope)
        self.diags.add("E0201", f"`{sig.name}` reads bars: pass an instrument with bar data or a bars alias",
                       expr.span, f"`{sig.signature_text()}`")
        return None

    def _book_level(self, e: ast.Call, func: ast.Attr, scope: Scope) -> Type:
        name = func.obj.id
        books = [st for st in self.s.streams_of(name) if st.data == "book"]
        if name not in self.s.instruments and name not in self.s.aliases:
            return self._e_name(func.obj, scope)
        self.used.add(name)
        if not books:
            self.diags.add("E0106", f"`{name}` has no order book data, which `{func.name}` comes from",
                           func.name_span, f"subscribe to it: `data {name} book depth 10`")
            return ERROR
        if len(e.args) != 1 or e.kwargs:
            self.diags.add("E0202", f"`{name}.{func.name}(level)` takes one level number (0 = best)", e.span)
            return ERROR
        self._expect(e.args[0], INT, scope, "a book level")
        stream = books[0]
        depth = stream.decl.depth
        try:
            r = self._range(e.args[0], scope)
            if r.lo < 0 or (depth and r.hi >= depth):
                self.diags.add("E0209", f"book level {show_value(int(r.hi if r.lo >= 0 else r.lo))} is outside the "
                                        f"subscribed depth (0..{(depth or 1) - 1})", e.args[0].span)
        except NotStatic:
            pass  # a run-time level beyond the depth reads na
        if self._read_stream(func, stream, scope) is None:
            return ERROR
        return BOOK_LEVEL_FIELDS[func.name]

    # ================================================================ warnings and facts
    def _module_name(self, name: str) -> bool:
        return self.s.kind_of(name) is not None or name in CONTEXT_VALUES or name in REGISTRY or name in EVENT_NAMES

    def _unused(self) -> None:
        self.used |= self.collector.used
        if any(d.code < "E0100" and d.span.path == self.strategy_path for d in self.diags.items):
            return  # a syntax error dropped part of the file: its uses are unknown
        for name, p in self.s.params.items():
            if name not in self.used:
                self.diags.add("W0001", f"param `{name}` is never used", p.span,
                               "remove it, or use it: a sweep over it would change nothing")
        for table, what in ((self.s.series, "series"), (self.s.vars, "var"), (self.s.consts, "const"),
                            (self.s.functions, "function")):
            for name, node in table.items():
                if name not in self.used and node.span.path == self.strategy_path:
                    self.diags.add("W0004", f"{what} `{name}` is never used", node.span)

    def _facts(self) -> StaticFacts:
        s = self.s
        params = []
        for p in s.params.values():
            default = self._quiet_const(p.default)
            rng = self.collector.param_range(p)
            step = self._quiet_const(p.step) if p.step is not None else None
            if isinstance(step, (bool, str)):
                step = None  # reported by the declaration check
            params.append(ParamFact(name=p.name, type=p.type, default=_plain(default),
                                    lo=_plain(rng[0]) if rng else None, hi=_plain(rng[1]) if rng else None,
                                    step=_plain(step), choices=p.choices, doc=p.doc))
        streams = [StreamFact(key=st.key, instrument=st.instrument, data=st.data,
                              timeframe_ns=st.decl.timeframe.nanos if st.decl.timeframe else None,
                              depth=st.decl.depth, mbo=st.decl.mbo, alias=st.alias) for st in s.streams]
        handlers = []
        for h in s.handlers:
            stream = None
            if h.event in HANDLER_STREAM_KIND and h.target:
                found = [st for st in s.streams_of(h.target) if st.data == HANDLER_STREAM_KIND[h.event]]
                stream = found[0].key if found else None
            interval = self._quiet_const(h.interval) if h.interval is not None else None
            handlers.append(HandlerFact(event=h.event, target=h.target, stream=stream, order_event=h.order_event,
                                        interval_ns=int(interval) if isinstance(interval, Duration) else None,
                                        line=h.span.line))
        return StaticFacts(
            strategy=s.header.name if s.header else None,
            timezone=s.timezone.name if s.timezone else "UTC",
            params=params,
            instruments=[InstrumentFact(name=i.name, symbol=i.symbol) for i in s.instruments.values()],
            streams=streams,
            series=[SeriesFact(name=n, type=str(s.series_types.get(n, ERROR)), lookback=self.lookback.get(n, 0),
                               clock=sorted(self.series_clock.get(n, ()))) for n in s.series],
            field_lookback=dict(sorted(self.field_lookback.items())),
            vars=[VarFact(name=n, type=str(self.var_types.get(n, ERROR)), size=self.var_sizes.get(n))
                  for n in s.vars],
            functions=list(s.functions),
            handlers=handlers,
            indicator_calls=self.indicator_calls,
            records={k: str(v) for k, v in self.records.items()},
            tags=sorted(self.tags),
        )

    def _quiet_const(self, expr):
        try:
            return const_value(expr, self.collector.lookup_const)
        except NotStatic:
            return None


def _plain(v):
    if isinstance(v, Duration):
        return int(v)
    return v


def _result_type(sig: FunctionSig, num_args: list[Type]) -> Type:
    if sig.outputs:
        return record(sig.outputs)
    if sig.returns == "num":
        return FLOAT if FLOAT in num_args else INT if num_args else FLOAT
    return SCALARS.get(sig.returns, FLOAT)


def _always_returns(stmts: list) -> bool:
    for st in stmts:
        if isinstance(st, ast.Return):
            return True
        if isinstance(st, ast.If) and st.orelse is not None and all(_always_returns(b.body) for b in st.branches) \
                and _always_returns(st.orelse):
            return True
    return False


def _action_word(st) -> str:
    return {"order": "place orders", "target": "place orders", "modify": "modify orders", "close": "close positions",
            "cancel": "cancel orders", "record": "record metrics", "log": "log"}.get(st.kind, "act")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
