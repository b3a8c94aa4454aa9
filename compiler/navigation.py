"""What the editor knows about a checked file: every name occurrence resolved to the symbol it means.

`Index.build(result)` walks the AST of a strategy and the libraries it imports (from `check_file`/`check_text`,
broken files included: the parser's recovered AST is walked as it is) and records each declaration and each use
of a param, const, instrument, data alias, series, var, function, function argument, local, loop variable,
stdlib function, context value and event object. Go to definition, find references, rename, hover, the outline
and semantic tokens are all answered from it; positions are the front end's (1-based lines and columns).

Scopes follow the checker: module-level names are global; each handler and each function has one flat local
scope, where the first assignment to a new name declares a local.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..dsl import ast
from ..dsl.parser import keywords
from ..dsl.printer import block_head, print_expr
from ..dsl.source import Span
from ..stdlib import CONTEXT_VALUES, REGISTRY
from .fields import BOOK_LEVEL_FIELDS, DATA_FIELDS, EVENT_FIELDS, FIELD_DOCS
from .frontend import CheckResult

# Symbol kinds a user declares (and may rename); the others are built in.
USER_KINDS = ("param", "const", "instrument", "stream", "series", "var", "function", "argument", "local", "loop")


@dataclass(eq=False)
class Symbol:
    name: str
    kind: str  # a USER_KINDS entry, or stdlib, context, event, field, import
    decl: Span | None = None  # the name's own span where it is declared; None for built-ins
    node: object = None  # the declaring AST node, a FunctionSig, a ContextValue, ...
    detail: str = ""  # fields: the stream or event kind they belong to


@dataclass
class Occurrence:
    span: Span
    symbol: Symbol
    is_decl: bool = False


@dataclass
class Index:
    result: CheckResult
    occurrences: list[Occurrence] = field(default_factory=list)
    module_symbols: dict[str, Symbol] = field(default_factory=dict)
    # Each handler's and function's locals (arguments included), keyed by the block's span.
    scopes: list[tuple[Span, dict[str, Symbol]]] = field(default_factory=list)
    expressions: list[ast.Expr] = field(default_factory=list)
    cache: dict = field(default_factory=dict)  # what the editor derives from this analysis, kept while it is current

    @classmethod
    def build(cls, result: CheckResult) -> "Index":
        index = cls(result)
        _Walker(index).run()
        return index

    # ------------------------------------------------------------ queries
    def occurrence_at(self, path: str, line: int, col: int) -> Occurrence | None:
        """The occurrence under a cursor (a cursor just after a name counts, as editors place it there)."""
        hits = [o for o in self.occurrences
                if o.span.path == path and o.span.line == line and o.span.col <= col <= o.span.end_col]
        # a name the cursor is inside before one it is just after (`a.b` with the cursor on `b`), then the narrowest
        return min(hits, key=lambda o: (o.span.end_col == col, o.span.end_col - o.span.col), default=None)

    def references(self, symbol: Symbol, include_decl: bool = True) -> list[Span]:
        return [o.span for o in self.occurrences if o.symbol is symbol and (include_decl or not o.is_decl)]

    def scope_at(self, path: str, line: int) -> dict[str, Symbol]:
        """The locals visible on a line: those of the handler or function around it."""
        for span, locals_ in self.scopes:
            if span.path == path and span.line <= line <= span.end_line:
                return locals_
        return {}

    def expression_at(self, path: str, line: int, col: int) -> ast.Expr | None:
        """The innermost expression with a known type under a cursor."""
        types = self.result.checker.types if self.result.checker else {}
        best = None
        for e in self.expressions:
            s = e.span
            if s.path == path and (s.line, s.col) <= (line, col) < (s.end_line, s.end_col) and id(e) in types:
                if best is None or (s.line, s.col) >= (best.span.line, best.span.col) and \
                        (s.end_line, s.end_col) <= (best.span.end_line, best.span.end_col):
                    best = e
        return best

    def type_of(self, node) -> str | None:
        types = self.result.checker.types if self.result.checker else {}
        t = types.get(id(node))
        return None if t is None else str(t)

    def rename_problem(self, symbol: Symbol, new_name: str) -> str | None:
        """Why a symbol cannot take a new name, or None when it can."""
        if symbol.kind not in USER_KINDS or symbol.decl is None:
            return f"`{symbol.name}` is built in; only names declared in your files can be renamed"
        if not new_name.isidentifier() or not new_name.isascii():
            return f"`{new_name}` is not a name"
        if new_name in keywords():
            return f"`{new_name}` is a keyword"
        taken = set(self.module_symbols) | set(REGISTRY) | set(CONTEXT_VALUES)
        for _, locals_ in self.scopes:
            if symbol in locals_.values() or symbol.kind not in ("local", "argument", "loop"):
                taken |= set(locals_)
        if new_name in taken and new_name != symbol.name:
            return f"`{new_name}` is already used"
        return None

    # ------------------------------------------------------------ hover
    def hover(self, path: str, line: int, col: int) -> str | None:
        """Markdown for what is under a cursor."""
        occ = self.occurrence_at(path, line, col)
        if occ is not None:
            return self.describe(occ.symbol, occ)
        e = self.expression_at(path, line, col)
        if e is not None:
            return f"```nts\n{print_expr(e)}\n```\n\ntype: `{self.type_of(e)}`"
        return None

    def describe(self, sym: Symbol, occ: Occurrence | None = None) -> str:
        node = sym.node
        code = None
        text = ""
        if sym.kind == "param":
            rng = f" in {print_expr(node.lo)}..{print_expr(node.hi)}" if node.lo is not None else ""
            choices = f" in [{', '.join(node.choices)}]" if node.choices else ""
            code = f"param {node.name}: {node.type} = {print_expr(node.default)}{rng}{choices}"
            text = node.doc or ""
        elif sym.kind == "const":
            code = f"const {node.name}: {self.type_of(node.value) or node.type} = {print_expr(node.value)}"
        elif sym.kind == "instrument":
            code = f'instrument {node.name} = "{node.symbol}"'
            streams = self.result.symbols.unaliased_streams(node.name) if self.result.symbols else []
            text = "\n".join(f"- {s.description}" for s in streams)
        elif sym.kind == "stream":
            code = f"data {node.instrument} " + _data_kind(node) + f" as {node.alias}"
        elif sym.kind == "series":
            code = f"series {node.name}: {self.type_of(node.value) or '?'} = {print_expr(node.value)}"
        elif sym.kind == "var":
            types = self.result.symbols.var_types if self.result.symbols else {}
            code = f"var {node.name}: {types.get(node.name, node.type or '?')}"
        elif sym.kind == "function":
            code = block_head(node)[:-1]
            text = node.doc or ""
        elif sym.kind == "argument":
            code = f"(argument) {node.name}: {node.type}"
        elif sym.kind == "loop":
            code = f"(loop variable) {sym.name}: int"
        elif sym.kind == "local":
            code = f"(local) {sym.name}: {self.type_of(node) or '?'}"
        elif sym.kind == "stdlib":
            code, text = node.signature_text(), node.doc
        elif sym.kind == "context":
            code, text = f"{node.name}: {node.type}", node.doc
        elif sym.kind == "event":
            code = f"{sym.name}: the {sym.name} event"
            text = ", ".join(f"`{k}`" for k in EVENT_FIELDS[sym.name])
        elif sym.kind == "field":
            attr = _attr_of(self, occ) if occ is not None else None
            t = self.type_of(attr) if attr is not None else None
            code = f"({sym.detail} field) {sym.name}: {t or _field_type(sym)}"
            text = FIELD_DOCS.get(sym.name, "")
        elif sym.kind == "import":
            code, text = f'import "{node.path}"', "a library of `def`s and `const`s"
        return f"```nts\n{code}\n```" + (f"\n\n{text}" if text else "")

    # ------------------------------------------------------------ outline
    def outline(self) -> list[tuple[str, str, Span, Span, list]]:
        """(name, kind, whole span, name span, children) for the strategy file's declarations and handlers."""
        out = []
        module = self.result.module
        if module is None:
            return out
        for d in module.items:
            if isinstance(d, ast.Handler):
                name = block_head(d)[3:-1]
                out.append((name, "handler", d.span, d.span, []))
            elif isinstance(d, ast.Header):
                out.append((d.name, "strategy", d.span, d.span, []))
            elif isinstance(d, ast.Data):
                out.append((d.alias or f"{d.instrument} {d.data}", "data", d.span, d.instrument_span, []))
            elif isinstance(d, (ast.Import, ast.Timezone)):
                continue
            else:
                children = []
                if isinstance(d, ast.Function):
                    children = [(p.name, "argument", p.span, _name_span(p.span, p.name), []) for p in d.params]
                out.append((d.name, d.kind, d.span, d.name_span or d.span, children))
        return out


def _data_kind(d: ast.Data) -> str:
    if d.data == "bars":
        return f"bars {d.timeframe.text}"
    if d.data == "book":
        return "book mbo" if d.mbo else f"book depth {d.depth}"
    return d.data


def _field_type(sym: Symbol) -> str:
    table = EVENT_FIELDS.get(sym.detail) or DATA_FIELDS.get(sym.detail) or {}
    t = table.get(sym.name) or BOOK_LEVEL_FIELDS.get(sym.name)
    return str(t) if t is not None else "?"


def _attr_of(index: Index, occ: Occurrence):
    return next((e for e in index.expressions if isinstance(e, ast.Attr) and e.name_span == occ.span), None)


def _name_span(span: Span, name: str) -> Span:
    """The span of a name that starts a node (`x: int`, `x[3] = ...`)."""
    return Span(path=span.path, line=span.line, col=span.col, end_line=span.line, end_col=span.col + len(name))


class _Walker:
    def __init__(self, index: Index):
        self.index = index
        self.result = index.result
        self.locals: dict[str, Symbol] = {}
        self.event: str | None = None  # fill / order inside those handlers

    def run(self) -> None:
        modules = [m for m in [*self.result.libraries, self.result.module] if m is not None]
        for module in modules:
            for d in module.items:
                self._declare(d)
        for module in modules:
            for d in module.items:
                self._decl(d)
        self.index.occurrences.sort(key=lambda o: (o.span.path, o.span.line, o.span.col))

    def _add(self, span: Span | None, symbol: Symbol, is_decl: bool = False) -> None:
        if span is not None:
            self.index.occurrences.append(Occurrence(span, symbol, is_decl))

    # ------------------------------------------------------------ declarations
    def _declare(self, d) -> None:
        kinds = {ast.Param: "param", ast.Const: "const", ast.Instrument: "instrument", ast.Series: "series",
                 ast.Var: "var", ast.Function: "function"}
        if type(d) in kinds and d.name not in self.index.module_symbols:
            sym = Symbol(d.name, kinds[type(d)], d.name_span, d)
            self.index.module_symbols[d.name] = sym
            self._add(d.name_span, sym, True)
        elif isinstance(d, ast.Data) and d.alias and d.alias not in self.index.module_symbols:
            span = self._alias_span(d)
            sym = Symbol(d.alias, "stream", span, d)
            self.index.module_symbols[d.alias] = sym
            self._add(span, sym, True)
        elif isinstance(d, ast.Import):
            self._add(d.span, Symbol(d.path, "import", None, d))

    def _alias_span(self, d: ast.Data) -> Span | None:
        return self._word_after(d.span, " as", d.alias)

    def _word_after(self, span: Span, keyword: str, word: str) -> Span | None:
        """Where `word` stands after `keyword` on a node's first line, for names the AST keeps without a span."""
        source = self.result.sources.get(span.path)
        if source is None:
            return None
        line = source.line_text(span.line)
        found = re.compile(rf"{keyword}\s+({re.escape(word)})\b").search(line, span.col - 1)
        if found is None:
            return None
        col = found.start(1) + 1
        return Span(path=span.path, line=span.line, col=col, end_line=span.line, end_col=col + len(word))

    def _decl(self, d) -> None:
        self.locals, self.event = {}, None
        if isinstance(d, ast.Param):
            for e in (d.default, d.lo, d.hi, d.step):
                self._expr(e)
        elif isinstance(d, (ast.Const, ast.Series)):
            self._expr(d.value)
        elif isinstance(d, ast.Var):
            self._expr(d.size)
            self._expr(d.init)
        elif isinstance(d, ast.Data):
            self._ref(d.instrument, d.instrument_span)
        elif isinstance(d, ast.Function):
            for p in d.params:
                span = _name_span(p.span, p.name)
                sym = Symbol(p.name, "argument", span, p)
                self.locals[p.name] = sym
                self._add(span, sym, True)
            self._body(d.body)
            self.index.scopes.append((d.span, self.locals))
        elif isinstance(d, ast.Handler):
            if d.target is not None:
                self._ref(d.target, d.target_span)
            self._expr(d.interval)
            self.event = d.event if d.event in EVENT_FIELDS else None
            self._body(d.body)
            self.index.scopes.append((d.span, self.locals))

    # ------------------------------------------------------------ statements
    def _body(self, stmts: list) -> None:
        for s in stmts:
            self._stmt(s)

    def _stmt(self, s) -> None:
        if isinstance(s, ast.Assign):
            self._expr(s.value)
            self._target(s.target, s.value)
        elif isinstance(s, ast.AugAssign):
            self._expr(s.value)
            self._expr(s.target.index)
            self._ref(s.target.name, _name_span(s.target.span, s.target.name))
        elif isinstance(s, ast.If):
            for b in s.branches:
                self._expr(b.cond)
                self._body(b.body)
            self._body(s.orelse or [])
        elif isinstance(s, ast.For):
            self._expr(s.start)
            self._expr(s.stop)
            sym = self.locals.get(s.var)
            if sym is None:
                sym = self.locals[s.var] = Symbol(s.var, "loop", s.var_span, s)
                self._add(s.var_span, sym, True)
            else:
                self._add(s.var_span, sym)
            self._body(s.body)
        elif isinstance(s, (ast.Order, ast.Target)):
            self._ref(s.instrument, s.instrument_span)
            self._expr(s.qty)
            self._clauses(s.clauses)
        elif isinstance(s, (ast.Modify, ast.Close)):
            if isinstance(s, ast.Close) and s.instrument:
                self._ref(s.instrument, s.instrument_span)
            self._clauses(s.clauses)
        elif isinstance(s, ast.Cancel) and s.scope == "instrument":
            self._ref(s.name, self._word_after(s.span, "cancel", s.name))
        elif isinstance(s, (ast.Return, ast.Record)):
            self._expr(s.value)
        elif isinstance(s, ast.Log):
            for part in s.parts:
                self._expr(part.expr)

    def _clauses(self, clauses: list[ast.Clause]) -> None:
        for c in clauses:
            for a in c.args:
                self._expr(a)

    def _target(self, target: ast.LValue, value: ast.Expr) -> None:
        self._expr(target.index)
        span = _name_span(target.span, target.name)
        if target.name in self.locals or target.name in self.index.module_symbols:
            self._ref(target.name, span)
            return
        sym = self.locals[target.name] = Symbol(target.name, "local", span, value)
        self._add(span, sym, True)

    # ------------------------------------------------------------ expressions
    def _expr(self, e) -> None:
        if e is None:
            return
        self.index.expressions.append(e)
        if isinstance(e, ast.Name):
            self._ref(e.id, e.span)
        elif isinstance(e, ast.Attr):
            self._expr(e.obj)
            self._add(e.name_span, self._field(e))
        elif isinstance(e, ast.Call):
            self._expr(e.func)
            for a in e.args:
                self._expr(a)
            for k in e.kwargs:
                self._expr(k.value)
        else:
            for name in type(e).model_fields:
                value = getattr(e, name)
                if isinstance(value, ast.Node):
                    self._expr(value)

    def _ref(self, name: str, span: Span | None) -> None:
        sym = self.locals.get(name) or self.index.module_symbols.get(name)
        if sym is None:
            if name in CONTEXT_VALUES:
                sym = Symbol(name, "context", None, CONTEXT_VALUES[name])
            elif name == self.event:
                sym = Symbol(name, "event")
            elif name in REGISTRY:
                sym = Symbol(name, "stdlib", None, REGISTRY[name])
            else:
                return
        self._add(span, sym)

    def _field(self, e: ast.Attr) -> Symbol:
        kind = ""
        if isinstance(e.obj, ast.Name):
            name = e.obj.id
            if name == self.event and name not in self.locals:
                kind = name
            elif self.result.symbols is not None:
                streams = self.result.symbols.streams_of(name)
                kind = next((s.data for s in streams if e.name in DATA_FIELDS[s.data]), streams[0].data if streams
                            else "")
        return Symbol(e.name, "field", None, None, kind or "value")
