"""Parse tree -> AST, in one place (a Lark Transformer)."""

from __future__ import annotations

import re
from typing import Callable

from lark import Token, Transformer, v_args

from . import ast
from .diagnostics import Diagnostics
from .durations import duration_nanos
from .source import Span

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}

# (line, col, end_line, end_col) in the parsed text -> Span in the user's file
Locator = Callable[[int, int, int, int], Span]
# (expression text, Span of its first character) -> Expr, or None after reporting a diagnostic
ExprParser = Callable[[str, Span], "ast.Expr | None"]


class AstBuilder(Transformer):
    def __init__(self, locate: Locator, diagnostics: Diagnostics, parse_expr: ExprParser):
        super().__init__()
        self.locate = locate
        self.diagnostics = diagnostics
        self.parse_expr = parse_expr

    # ------------------------------------------------------------ positions
    def tok_span(self, tok: Token) -> Span:
        return self.locate(tok.line, tok.column, tok.end_line, tok.end_column)

    def meta_span(self, meta) -> Span:
        return self.locate(meta.line, meta.column, meta.end_line, meta.end_column)

    def span_of(self, first, last=None) -> Span:
        """The span from the start of `first` to the end of `last` (nodes or tokens)."""
        a = first.span if isinstance(first, ast.Node) else self.tok_span(first)
        if last is None:
            return a
        b = last.span if isinstance(last, ast.Node) else self.tok_span(last)
        return Span(path=a.path, line=a.line, col=a.col, end_line=b.end_line, end_col=b.end_col)

    def block_span(self, meta, last) -> Span:
        """A compound statement's span: from its first token to the end of its last part, not the next line."""
        a = self.meta_span(meta)
        b = last.span if isinstance(last, ast.Node) else self.tok_span(last)
        return Span(path=a.path, line=a.line, col=a.col, end_line=b.end_line, end_col=b.end_col)

    def string_value(self, tok: Token) -> str:
        raw = tok.value[1:-1]
        out, i = [], 0
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and i + 1 < len(raw):
                nxt = raw[i + 1]
                if nxt in _ESCAPES:
                    out.append(_ESCAPES[nxt])
                else:
                    span = self.locate(tok.line, tok.column + 1 + i, tok.line, tok.column + 3 + i)
                    self.diagnostics.add("E0009", f"unknown escape `\\{nxt}` in string", span,
                                         'the escapes are \\n, \\t, \\" and \\\\')
                    out.append(nxt)
                i += 2
            else:
                out.append(ch)
                i += 1
        return "".join(out)

    def docstring(self, tokens: list[Token]) -> str | None:
        """A docstring written as one string per line."""
        return "\n".join(self.string_value(t) for t in tokens) if tokens else None

    # ------------------------------------------------------------ files
    def module(self, children):
        return [c for c in children if isinstance(c, ast.Node)]

    @v_args(meta=True)
    def header(self, meta, children):
        doc = self.docstring(children[1:])
        return ast.Header(span=self.block_span(meta, children[0]), name=children[0].value, doc=doc)

    @v_args(meta=True)
    def import_decl(self, meta, children):
        return ast.Import(span=self.meta_span(meta), path=self.string_value(children[0]))

    @v_args(meta=True)
    def timezone_decl(self, meta, children):
        return ast.Timezone(span=self.meta_span(meta), name=self.string_value(children[0]))

    @v_args(meta=True)
    def param_decl(self, meta, children):
        name, ptype, default, *rest = children
        fields = {}
        for part in rest:
            if isinstance(part, Token):
                fields["doc"] = self.string_value(part)
            else:
                fields.update(part)
        return ast.Param(span=self.meta_span(meta), name=name.value, name_span=self.tok_span(name), type=ptype,
                         default=default, **fields)

    def param_type(self, children):
        return children[0].value

    def param_range(self, children):
        return {"lo": children[0], "hi": children[1]}

    def param_step(self, children):
        return {"step": children[0]}

    def param_choices(self, children):
        return {"choices": [self.string_value(t) for t in children]}

    @v_args(meta=True)
    def instrument_decl(self, meta, children):
        return ast.Instrument(span=self.meta_span(meta), name=children[0].value, name_span=self.tok_span(children[0]),
                              symbol=self.string_value(children[1]))

    @v_args(meta=True)
    def data_decl(self, meta, children):
        inst, kind = children[0], children[1]
        alias = children[2].value if len(children) > 2 else None
        return ast.Data(span=self.meta_span(meta), instrument=inst.value, instrument_span=self.tok_span(inst),
                        alias=alias, **kind)

    def bars(self, children):
        tok = children[0]
        return {"data": "bars",
                "timeframe": ast.DurationLit(span=self.tok_span(tok), nanos=duration_nanos(tok.value), text=tok.value)}

    def quotes(self, _):
        return {"data": "quotes"}

    def trades(self, _):
        return {"data": "trades"}

    def book_depth(self, children):
        tok = children[0]
        if not tok.value.isdigit():
            self.diagnostics.add("E0009", "book depth must be a whole number of levels", self.tok_span(tok))
            return {"data": "book", "depth": 1}
        return {"data": "book", "depth": int(tok.value)}

    def book_mbo(self, _):
        return {"data": "book", "mbo": True}

    @v_args(meta=True)
    def const_decl(self, meta, children):
        name = children[0].value
        ctype = children[1] if len(children) == 3 else None
        return ast.Const(span=self.meta_span(meta), name=name, name_span=self.tok_span(children[0]), type=ctype,
                         value=children[-1])

    @v_args(meta=True)
    def series_decl(self, meta, children):
        return ast.Series(span=self.meta_span(meta), name=children[0].value, name_span=self.tok_span(children[0]),
                          value=children[1])

    @v_args(meta=True)
    def var_decl(self, meta, children):
        name = children[0].value
        vtype = size = init = None
        for part in children[1:]:
            if isinstance(part, tuple):
                size = part[1]
            elif isinstance(part, str):
                vtype = part
            else:
                init = part
        return ast.Var(span=self.meta_span(meta), name=name, name_span=self.tok_span(children[0]), type=vtype,
                       size=size, init=init)

    def var_size(self, children):
        return ("size", children[0])

    def type_name(self, children):
        return str(children[0].value)

    @v_args(meta=True)
    def func_def(self, meta, children):
        name = children[0].value
        params = [c for c in children[1:] if isinstance(c, ast.FuncParam)]
        i = 1 + len(params)
        # `[fparam ...]` leaves a None when the parameter list is empty.
        while children[i] is None:
            i += 1
        returns = children[i]
        body_start = i + 1
        lines = []
        while isinstance(children[body_start], Token):
            lines.append(children[body_start])
            body_start += 1
        doc = self.docstring(lines)
        body = self._stmts(children[body_start:])
        return ast.Function(span=self.block_span(meta, body[-1]), name=name, name_span=self.tok_span(children[0]),
                            params=params, returns=returns, doc=doc, body=body)

    @v_args(meta=True)
    def fparam(self, meta, children):
        return ast.FuncParam(span=self.meta_span(meta), name=children[0].value, type=children[1])

    @v_args(meta=True)
    def handler(self, meta, children):
        event, body = children
        return ast.Handler(span=self.block_span(meta, body[-1]), body=body, **event)

    def _target_event(self, kind, children):
        tok = children[0]
        return {"event": kind, "target": tok.value, "target_span": self.tok_span(tok)}

    def on_bar(self, children):
        return self._target_event("bar", children)

    def on_quote(self, children):
        return self._target_event("quote", children)

    def on_trade(self, children):
        return self._target_event("trade", children)

    def on_book(self, children):
        return self._target_event("book", children)

    def on_fill(self, _):
        return {"event": "fill"}

    def on_order(self, children):
        return {"event": "order", "order_event": children[0]}

    def order_event(self, children):
        return children[0].value

    def on_timer(self, children):
        return {"event": "timer", "interval": children[0]}

    def on_start(self, _):
        return {"event": "start"}

    def on_stop(self, _):
        return {"event": "stop"}

    # ------------------------------------------------------------ statements
    @staticmethod
    def _stmts(children):
        return [c for c in children if isinstance(c, ast.Node)]

    def suite(self, children):
        return self._stmts(children)

    @v_args(meta=True)
    def lvalue(self, meta, children):
        return ast.LValue(span=self.meta_span(meta), name=children[0].value,
                          index=children[1] if len(children) > 1 else None)

    @v_args(meta=True)
    def assign(self, meta, children):
        return ast.Assign(span=self.meta_span(meta), target=children[0], value=children[1])

    @v_args(meta=True)
    def aug_assign(self, meta, children):
        return ast.AugAssign(span=self.meta_span(meta), target=children[0], op=children[1].value[0],
                             value=children[2])

    @v_args(meta=True)
    def return_stmt(self, meta, children):
        return ast.Return(span=self.meta_span(meta), value=children[0] if children else None)

    @v_args(meta=True)
    def break_stmt(self, meta, _):
        return ast.Break(span=self.meta_span(meta))

    @v_args(meta=True)
    def continue_stmt(self, meta, _):
        return ast.Continue(span=self.meta_span(meta))

    @v_args(meta=True)
    def pass_stmt(self, meta, _):
        return ast.Pass(span=self.meta_span(meta))

    @v_args(meta=True)
    def if_stmt(self, meta, children):
        cond, body, *rest = children
        branches = [ast.Branch(span=self.span_of(cond), cond=cond, body=body)]
        orelse = None
        for part in rest:
            if isinstance(part, ast.Branch):
                branches.append(part)
            else:
                orelse = part
        last = (orelse or branches[-1].body)[-1]
        return ast.If(span=self.block_span(meta, last), branches=branches, orelse=orelse)

    @v_args(meta=True)
    def elif_clause(self, meta, children):
        return ast.Branch(span=self.meta_span(meta), cond=children[0], body=children[1])

    def else_clause(self, children):
        return children[0]

    @v_args(meta=True)
    def for_stmt(self, meta, children):
        var, start, stop, body = children
        return ast.For(span=self.block_span(meta, body[-1]), var=var.value, var_span=self.tok_span(var), start=start,
                       stop=stop, body=body)

    # ------------------------------------------------------------ actions
    @v_args(meta=True)
    def order_stmt(self, meta, children):
        head, *clauses = children
        kind, fields, head_end = head
        span = self.block_span(meta, clauses[-1] if clauses else head_end)
        return kind(span=span, clauses=list(clauses), **fields)

    def _order(self, side, children):
        inst, qty = children
        return ast.Order, {"side": side, "instrument": inst.value, "instrument_span": self.tok_span(inst),
                           "qty": qty}, qty

    def buy(self, children):
        return self._order("buy", children)

    def sell(self, children):
        return self._order("sell", children)

    def target(self, children):
        inst, qty = children
        return ast.Target, {"instrument": inst.value, "instrument_span": self.tok_span(inst), "qty": qty}, qty

    def modify(self, children):
        return ast.Modify, {"tag": self.string_value(children[0])}, children[0]

    def _clause(self, meta, kind, args=(), word=None):
        return ast.Clause(span=self.meta_span(meta), kind=kind, args=list(args), word=word)

    @v_args(meta=True)
    def limit(self, meta, c):
        return self._clause(meta, "limit", c)

    @v_args(meta=True)
    def stop(self, meta, c):
        return self._clause(meta, "stop", c)

    @v_args(meta=True)
    def stop_limit(self, meta, c):
        return self._clause(meta, "stop_limit", c)

    @v_args(meta=True)
    def market_if_touched(self, meta, c):
        return self._clause(meta, "market_if_touched", c)

    @v_args(meta=True)
    def limit_if_touched(self, meta, c):
        return self._clause(meta, "limit_if_touched", c)

    @v_args(meta=True)
    def trailing(self, meta, c):
        return self._clause(meta, "trailing", c[1:], word=c[0])

    def trail_unit(self, c):
        return c[0].value

    @v_args(meta=True)
    def tif(self, meta, c):
        word, args = c[0]
        return self._clause(meta, "tif", args, word=word)

    def tif_value(self, c):
        return c[0].value, [x for x in c[1:] if isinstance(x, ast.Node)]

    @v_args(meta=True)
    def post_only(self, meta, c):
        return self._clause(meta, "post_only")

    @v_args(meta=True)
    def reduce_only(self, meta, c):
        return self._clause(meta, "reduce_only")

    @v_args(meta=True)
    def tag(self, meta, c):
        return self._clause(meta, "tag", word=self.string_value(c[0]))

    @v_args(meta=True)
    def stop_loss(self, meta, c):
        return self._clause(meta, "stop_loss", c)

    @v_args(meta=True)
    def take_profit(self, meta, c):
        return self._clause(meta, "take_profit", c)

    @v_args(meta=True)
    def oco(self, meta, c):
        return self._clause(meta, "oco", word=self.string_value(c[0]))

    @v_args(meta=True)
    def qty(self, meta, c):
        return self._clause(meta, "qty", c)

    @v_args(meta=True)
    def close(self, meta, children):
        target, *clauses = children
        return ast.Close(span=self.meta_span(meta), instrument=target.value, instrument_span=self.tok_span(target),
                         clauses=clauses)

    @v_args(meta=True)
    def close_all(self, meta, children):
        return ast.Close(span=self.meta_span(meta), instrument=None, clauses=children)

    @v_args(meta=True)
    def cancel_all(self, meta, _):
        return ast.Cancel(span=self.meta_span(meta), scope="all")

    @v_args(meta=True)
    def cancel_tag(self, meta, children):
        return ast.Cancel(span=self.meta_span(meta), scope="tag", name=self.string_value(children[0]))

    @v_args(meta=True)
    def cancel_instrument(self, meta, children):
        return ast.Cancel(span=self.meta_span(meta), scope="instrument", name=children[0].value)

    @v_args(meta=True)
    def record_stmt(self, meta, children):
        return ast.Record(span=self.meta_span(meta), name=children[0].value, value=children[1])

    @v_args(meta=True)
    def log_stmt(self, meta, children):
        tok = children[0]
        return ast.Log(span=self.meta_span(meta), parts=self._log_parts(tok))

    def _log_parts(self, tok: Token) -> list[ast.LogPart]:
        """Split `"text {expr} {expr:.2}"` into literal and interpolated parts; `{{`/`}}` are braces."""
        raw = tok.value[1:-1]
        parts: list[ast.LogPart] = []
        text: list[str] = []
        text_start = 0
        i = 0

        def here(offset: int, width: int = 1) -> Span:
            col = tok.column + 1 + offset
            return self.locate(tok.line, col, tok.line, col + width)

        def flush_text() -> None:
            if text:
                literal = Token("STRING", '"' + "".join(text) + '"', line=tok.line, column=tok.column,
                                end_line=tok.line, end_column=tok.column + 2 + len(text))
                width = sum(len(t) for t in text)
                parts.append(ast.LogPart(span=here(text_start, width), text=self.string_value(literal)))
                text.clear()

        while i < len(raw):
            ch = raw[i]
            if raw.startswith("{{", i) or raw.startswith("}}", i):
                text.append(ch)
                i += 2
            elif ch == "{":
                close = raw.find("}", i)
                if close < 0:
                    self.diagnostics.add("E0008", "`{` opens an interpolation that is never closed", here(i),
                                         "close it with `}`, or write `{{` for a literal brace")
                    return parts
                flush_text()
                inner = raw[i + 1:close]
                decimals = None
                m = re.fullmatch(r"(.*?):\.([0-9]+)\s*", inner, re.S)
                spec = re.search(r":[^:]*$", inner)
                if m:
                    inner, decimals = m.group(1), int(m.group(2))
                elif spec:
                    # Python-style specs (`:.2f`, `:>8`) are not supported: one spec, `:.N` decimals.
                    digits = re.search(r"[0-9]+", spec.group(0))
                    self.diagnostics.add("E0008", f"invalid format `{spec.group(0)}` in log message",
                                         here(i + 1 + spec.start(), len(spec.group(0))),
                                         f"write `{{x:.{digits.group(0) if digits else 2}}}` for a number with "
                                         f"{digits.group(0) if digits else 2} decimals")
                    i = close + 1
                    text_start = i
                    continue
                if not inner.strip():
                    self.diagnostics.add("E0008", "empty interpolation `{}` in log message", here(i, close - i + 1),
                                         "put an expression inside, as in `{btc.close}`")
                else:
                    expr = self.parse_expr(inner, here(i + 1))
                    if expr is not None:
                        parts.append(ast.LogPart(span=here(i, close - i + 1), expr=expr, decimals=decimals))
                i = close + 1
                text_start = i
            elif ch == "}":
                self.diagnostics.add("E0008", "single `}` in log message", here(i), "write `}}` for a literal brace")
                i += 1
            else:
                if ch == "\\" and i + 1 < len(raw):
                    text.append(raw[i:i + 2])
                    i += 2
                    continue
                text.append(ch)
                i += 1
        flush_text()
        return parts

    # ------------------------------------------------------------ expressions
    def number(self, children):
        tok = children[0]
        span = self.tok_span(tok)
        text = tok.value
        if re.fullmatch(r"[0-9]+", text):
            return ast.IntLit(span=span, value=int(text))
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            self.diagnostics.add("E0009", f"number `{text}` is out of range", span)
            value = 0.0
        return ast.FloatLit(span=span, value=value)

    def duration(self, children):
        tok = children[0]
        return ast.DurationLit(span=self.tok_span(tok), nanos=duration_nanos(tok.value), text=tok.value)

    def string(self, children):
        tok = children[0]
        return ast.StringLit(span=self.tok_span(tok), value=self.string_value(tok))

    @v_args(meta=True)
    def true(self, meta, _):
        return ast.BoolLit(span=self.meta_span(meta), value=True)

    @v_args(meta=True)
    def false(self, meta, _):
        return ast.BoolLit(span=self.meta_span(meta), value=False)

    @v_args(meta=True)
    def na(self, meta, _):
        return ast.NaLit(span=self.meta_span(meta))

    def name(self, children):
        tok = children[0]
        return ast.Name(span=self.tok_span(tok), id=tok.value)

    @v_args(meta=True)
    def index(self, meta, children):
        return ast.Index(span=self.meta_span(meta), obj=children[0], index=children[1])

    @v_args(meta=True)
    def attr(self, meta, children):
        obj, name = children
        return ast.Attr(span=self.meta_span(meta), obj=obj, name=name.value, name_span=self.tok_span(name))

    @v_args(meta=True)
    def call(self, meta, children):
        func, *args = children
        if isinstance(func, ast.NaLit):  # `na(x)` is the na test, spelt like a call on the `na` keyword
            func = ast.Name(span=func.span, id="na")
        positional = [a for a in args if a is not None and not isinstance(a, ast.KwArg)]
        kwargs = [a for a in args if isinstance(a, ast.KwArg)]
        return ast.Call(span=self.meta_span(meta), func=func, args=positional, kwargs=kwargs)

    def arg(self, children):
        return children[0]

    @v_args(meta=True)
    def kwarg(self, meta, children):
        return ast.KwArg(span=self.meta_span(meta), name=children[0].value, value=children[1])

    @v_args(meta=True)
    def unary(self, meta, children):
        return ast.Unary(span=self.meta_span(meta), op=children[0].value, operand=children[1])

    @v_args(meta=True)
    def not_(self, meta, children):
        return ast.Not(span=self.meta_span(meta), operand=children[0])

    @v_args(meta=True)
    def binop(self, meta, children):
        left, op, right = children
        return ast.Binary(span=self.meta_span(meta), op=op.value, left=left, right=right)

    @v_args(meta=True)
    def compare(self, meta, children):
        left, op, right = children
        return ast.Compare(span=self.meta_span(meta), op=op.value, left=left, right=right)

    @v_args(meta=True)
    def and_(self, meta, children):
        return ast.BoolOp(span=self.meta_span(meta), op="and", left=children[0], right=children[1])

    @v_args(meta=True)
    def or_(self, meta, children):
        return ast.BoolOp(span=self.meta_span(meta), op="or", left=children[0], right=children[1])

    @v_args(meta=True)
    def ternary(self, meta, children):
        then, cond, other = children
        return ast.Ternary(span=self.meta_span(meta), cond=cond, then=then, other=other)

    def expr_input(self, children):
        return next(c for c in children if isinstance(c, ast.Node))

    def stmt_input(self, children):
        return next(c for c in children if isinstance(c, ast.Node))

