"""The first pass of the checker: module-level declarations into a `Symbols` table.

It validates what a declaration says on its own (a param's range, a const's value, a data subscription, the
time zone) and the name space they share. Bodies, expressions and static facts are `checker.py`'s.
"""

from __future__ import annotations

import math
import zoneinfo

from ..dsl import ast
from ..dsl.diagnostics import Diagnostics, did_you_mean
from ..stdlib import CONTEXT_VALUES, REGISTRY
from .static_eval import Duration, NotStatic, const_value
from .symbols import Stream, Symbols
from .types import BOOL, DURATION, FLOAT, INT, STRING, Type

# Names a handler or a series reads without declaring them: they cannot be redefined.
EVENT_NAMES = ("fill", "order")
RESERVED = set(REGISTRY) | set(CONTEXT_VALUES) | set(EVENT_NAMES)
MAX_BOOK_DEPTH = 1000


def type_of_value(value) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, Duration):
        return DURATION
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    return STRING


def show_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


class DeclarationCollector:
    def __init__(self, diagnostics: Diagnostics):
        self.diags = diagnostics
        self.symbols = Symbols()
        self._evaluating: list[str] = []
        # Consts read by other declarations (const values, param ranges, sizes): they count as used.
        self.used: set[str] = set()

    # ------------------------------------------------------------ entry
    def collect(self, strategy: ast.Module, libraries: list[ast.Module]) -> Symbols:
        for lib in libraries:
            for item in lib.items:
                if isinstance(item, (ast.Function, ast.Const)):
                    self._declare(item)
        self._header(strategy)
        for item in strategy.items:
            self._declare(item)
        for name in list(self.symbols.consts):
            self.const_value_of(name)
        for param in self.symbols.params.values():
            self._check_param(param)
        return self.symbols

    def _header(self, module: ast.Module) -> None:
        headers = [d for d in module.items if isinstance(d, ast.Header)]
        first = next((d for d in module.items if not isinstance(d, ast.Import)), None)
        if not headers:
            where = module.items[0].span if module.items else ast.Span(path=module.path, line=1, col=1, end_line=1,
                                                                          end_col=2)
            yaml = module.path.endswith((".yaml", ".yml"))
            self.diags.add("E0103", "a strategy file starts with a `strategy Name` header", where,
                           "add `strategy: MyStrategy` at the top" if yaml else
                           "add `strategy MyStrategy` as the first line")
            return
        self.symbols.header = headers[0]
        if first is not headers[0]:
            self.diags.add("E0103", "the `strategy` header must come before other declarations", headers[0].span,
                           "move it to the top of the file (after imports)")
        for extra in headers[1:]:
            self.diags.add("E0103", "a file holds one strategy; a second `strategy` header is not allowed",
                           extra.span, f"the first one is at line {headers[0].span.line}")

    # ------------------------------------------------------------ names
    def _declare_name(self, name: str, node: ast.Node) -> bool:
        span = name_span(node)
        if name in RESERVED:
            what = "an event" if name in EVENT_NAMES else "a context value" if name in CONTEXT_VALUES \
                else "a stdlib function"
            self.diags.add("E0102", f"`{name}` is {what} and cannot be redefined", span, "choose another name")
            return False
        first = self.symbols.declared_at.get(name)
        if first is not None:
            where = name_span(first)
            self.diags.add("E0102", f"`{name}` is defined more than once", span,
                           f"first defined at {where.path}:{where.line}:{where.col}")
            return False
        self.symbols.declared_at[name] = node
        return True

    def _declare(self, item) -> None:
        s = self.symbols
        if isinstance(item, ast.Timezone):
            if s.timezone is not None:
                self.diags.add("E0102", "the time zone is set more than once", item.span,
                               f"first set at line {s.timezone.span.line}")
                return
            s.timezone = item
            self._check_timezone(item.name, item.span)
        elif isinstance(item, ast.Param):
            if self._declare_name(item.name, item):
                s.params[item.name] = item
        elif isinstance(item, ast.Const):
            if self._declare_name(item.name, item):
                s.consts[item.name] = item
        elif isinstance(item, ast.Instrument):
            if not item.symbol.strip():
                self.diags.add("E0114", "an instrument needs a venue symbol", item.span,
                               'for example `instrument btc = "BTCUSDT.BINANCE"`')
            if self._declare_name(item.name, item):
                s.instruments[item.name] = item
        elif isinstance(item, ast.Data):
            self._data(item)
        elif isinstance(item, ast.Series):
            if self._declare_name(item.name, item):
                s.series[item.name] = item
        elif isinstance(item, ast.Var):
            if self._declare_name(item.name, item):
                s.vars[item.name] = item
        elif isinstance(item, ast.Function):
            if self._declare_name(item.name, item):
                s.functions[item.name] = item
        elif isinstance(item, ast.Handler):
            s.handlers.append(item)

    def _data(self, item: ast.Data) -> None:
        s = self.symbols
        if item.instrument not in s.instruments:
            hint = did_you_mean(item.instrument, s.instruments)
            self.diags.add("E0101", f"unknown instrument `{item.instrument}`", item.instrument_span,
                           f"did you mean `{hint}`?" if hint else
                           f'declare it first: `instrument {item.instrument} = "SYMBOL.VENUE"`')
            return
        # An invalid timeframe or depth is reported, and the subscription still counts, so that its uses
        # do not cascade into "no data" errors.
        if item.data == "bars" and item.timeframe is not None and item.timeframe.nanos <= 0:
            self.diags.add("E0114", "a bar timeframe must be longer than zero", item.timeframe.span)
        if item.data == "book" and not item.mbo and not (1 <= (item.depth or 0) <= MAX_BOOK_DEPTH):
            self.diags.add("E0114", f"book depth must be between 1 and {MAX_BOOK_DEPTH}", item.span)
        stream = Stream(instrument=item.instrument, data=item.data, decl=item, alias=item.alias)
        if item.alias is None:
            same = [o for o in s.unaliased_streams(item.instrument) if o.data == item.data]
            if same:
                self.diags.add("E0102", f"`{item.instrument}` already has {item.data} data", item.span,
                               f"name the second subscription: `{stream.description} as {item.instrument}_"
                               f"{item.timeframe.text if item.timeframe else item.data}`")
                return
        elif not self._declare_name(item.alias, item):
            return
        else:
            s.aliases[item.alias] = stream
        s.streams.append(stream)

    def _check_timezone(self, name: str, span) -> bool:
        try:
            zoneinfo.ZoneInfo(name)
            return True
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            hint = did_you_mean(name, zoneinfo.available_timezones())
            self.diags.add("E0206", f'unknown time zone "{name}"', span,
                           f'did you mean "{hint}"?' if hint else 'use an IANA name such as "America/New_York"')
            return False

    # ------------------------------------------------------------ consts
    def lookup_const(self, node: ast.Name):
        self.used.add(node.id)  # read, even where it is not allowed: no "never used" on top of the error
        if node.id in self.symbols.consts:
            value = self.const_value_of(node.id)
            if value is None:
                raise NotStatic(node)
            return value
        raise NotStatic(node)

    def const_value_of(self, name: str):
        """The value of a const, evaluated once; None (with a diagnostic) when it has none."""
        s = self.symbols
        if name in s.const_values:
            return s.const_values[name]
        decl = s.consts[name]
        if name in self._evaluating:
            self.diags.add("E0110", f"const `{name}` is defined in terms of itself", decl.span)
            s.const_values[name] = None
            return None
        self._evaluating.append(name)
        try:
            value = const_value(decl.value, self.lookup_const)
        except NotStatic as exc:
            value = None
            if not (isinstance(exc.node, ast.Name) and exc.node.id in s.consts):
                self.diags.add("E0205", "a const's value must be known before the run", exc.node.span,
                               "use literals and other consts; a param is a run-time value")
        finally:
            self._evaluating.pop()
        if isinstance(value, float) and math.isinf(value):
            self.diags.add("E0205", "a const's value must be finite", decl.value.span)
            value = None
        if value is not None:
            declared = ast_type(decl.type) if decl.type else None
            actual = type_of_value(value)
            if declared is not None and declared != actual and not (declared == FLOAT and actual == INT):
                self.diags.add("E0201", f"const `{name}` is declared {declared} but its value is {actual}",
                               decl.value.span)
            elif declared == FLOAT:
                value = float(value)
            s.const_types[name] = declared or actual
        s.const_values[name] = value
        return value

    # ------------------------------------------------------------ params
    def _static(self, expr: ast.Expr, what: str):
        try:
            return const_value(expr, self.lookup_const)
        except NotStatic as exc:
            self.diags.add("E0205", f"a param's {what} must be known before the run", exc.node.span,
                           "use literals and consts")
            return None

    def _check_param(self, p: ast.Param) -> None:
        want = {"int": INT, "float": FLOAT, "bool": BOOL, "duration": DURATION, "choice": STRING}[p.type]
        default = self._static(p.default, "default")
        if default is None:
            return
        if not _fits(default, want):
            self.diags.add("E0204", f"the default of `{p.name}` is {type_of_value(default)}, not {p.type}",
                           p.default.span, _literal_hint(p.type))
            return
        if p.type == "choice":
            if not p.choices:
                self.diags.add("E0204", f"choice param `{p.name}` needs its choices", p.span,
                               f'for example `param {p.name}: choice = "{default}" in ["{default}", "other"]`')
            elif default not in p.choices:
                self.diags.add("E0208", f'"{default}" is not one of the choices of `{p.name}`', p.default.span,
                               "choices: " + ", ".join(f'"{c}"' for c in p.choices))
            if p.choices and len(set(p.choices)) != len(p.choices):
                self.diags.add("E0204", f"choice param `{p.name}` lists a choice twice", p.span)
            return
        if p.choices:
            self.diags.add("E0204", f"only a choice param lists choices; `{p.name}` is {p.type}", p.span,
                           f"write `in LO..HI` for a range of {p.type} values")
            return
        if p.type == "bool" and (p.lo is not None or p.step is not None):
            self.diags.add("E0204", "a bool param has no range or step", p.lo.span if p.lo else p.step.span)
            return
        lo = hi = None
        if p.lo is not None and p.hi is not None:
            lo, hi = self._static(p.lo, "range"), self._static(p.hi, "range")
            if lo is None or hi is None:
                return
            for bound, expr in ((lo, p.lo), (hi, p.hi)):
                if not _fits(bound, want):
                    self.diags.add("E0204", f"the range of `{p.name}` must be {p.type} values, "
                                            f"not {type_of_value(bound)}", expr.span, _literal_hint(p.type))
                    return
            if lo > hi:
                self.diags.add("E0204", f"the range of `{p.name}` is empty: {show_value(lo)} > {show_value(hi)}",
                               _join(p.lo.span, p.hi.span))
                return
            if not lo <= default <= hi:
                self.diags.add("E0204", f"the default of `{p.name}` ({show_value(default)}) is outside its range "
                                        f"{show_value(lo)}..{show_value(hi)}", p.default.span)
        if p.step is not None:
            step = self._static(p.step, "step")
            if step is None:
                return
            if lo is None:
                self.diags.add("E0204", f"a step needs a range: `in LO..HI step {show_value(step)}`", p.step.span)
            elif not _fits(step, want) or step <= 0:
                self.diags.add("E0204", f"the step of `{p.name}` must be a positive {p.type}", p.step.span)

    def param_range(self, p: ast.Param) -> tuple | None:
        """(lo, hi) of a param with a valid range, else None."""
        if p.lo is None or p.hi is None:
            return None
        try:
            return const_value(p.lo, self.lookup_const), const_value(p.hi, self.lookup_const)
        except NotStatic:
            return None


def ast_type(name: str) -> Type:
    return {"int": INT, "float": FLOAT, "bool": BOOL, "duration": DURATION, "string": STRING,
            "timestamp": Type("timestamp")}[name]


def _fits(value, want: Type) -> bool:
    actual = type_of_value(value)
    return actual == want or (want == FLOAT and actual == INT)


def _literal_hint(type_name: str) -> str | None:
    return {"int": "for example `10`", "float": "for example `1.5`", "bool": "`true` or `false`",
            "duration": "for example `5m` or `500ms`", "choice": 'a string such as `"fast"`'}.get(type_name)


def _join(a, b):
    return a.model_copy(update={"end_line": b.end_line, "end_col": b.end_col})


def name_span(node: ast.Node):
    """The span of a declaration's name, for carets that point at the name rather than the whole line."""
    return getattr(node, "name_span", None) or node.span
