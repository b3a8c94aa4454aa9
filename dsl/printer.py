"""AST -> canonical .nts source text.

`print_module(parse_source(text))` parses back to the same AST (up to spans), and printing is idempotent:
the round-trip tests check both. The output uses 4-space indentation, puts order clauses on the
statement's line and adds only the parentheses that the grammar's precedence and associativity require.

An AST the parser cannot produce and the syntax cannot spell (a negative or non-finite number literal, a
string literal inside a log interpolation) raises ValueError.

Comments are not part of the AST, so printing a parsed file drops them; the formatter (formatter.py) prints
with these functions and puts the source's comments back.
"""

from __future__ import annotations

import math

from . import ast

INDENT = "    "

# Binding strength of each expression form, loosest first, following the grammar's rule chain:
# ternary < or < and < not < comparison < sum < product < unary < power < postfix/atom.
TERNARY, OR, AND, NOT, COMPARE, SUM, PRODUCT, UNARY, POWER, POSTFIX = range(10)

_BINARY_LEVEL = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "//": PRODUCT, "%": PRODUCT, "**": POWER}


# ---------------------------------------------------------------- expressions

def print_expr(expr: ast.Expr) -> str:
    """One expression on one line, with minimal parentheses."""
    return _expr(expr)


def _level(expr: ast.Expr) -> int:
    if isinstance(expr, ast.Ternary):
        return TERNARY
    if isinstance(expr, ast.BoolOp):
        return OR if expr.op == "or" else AND
    if isinstance(expr, ast.Not):
        return NOT
    if isinstance(expr, ast.Compare):
        return COMPARE
    if isinstance(expr, ast.Binary):
        return _BINARY_LEVEL[expr.op]
    if isinstance(expr, ast.Unary):
        return UNARY
    return POSTFIX


def _operand(expr: ast.Expr, at_least: int) -> str:
    """`expr` where the grammar accepts only forms binding at least as tightly as `at_least`."""
    text = _expr(expr)
    return f"({text})" if _level(expr) < at_least else text


def _expr(e: ast.Expr) -> str:
    if isinstance(e, ast.IntLit):
        return str(e.value)
    if isinstance(e, ast.FloatLit):
        return _float(e.value)
    if isinstance(e, ast.DurationLit):
        return e.text
    if isinstance(e, ast.StringLit):
        return quote(e.value)
    if isinstance(e, ast.BoolLit):
        return "true" if e.value else "false"
    if isinstance(e, ast.NaLit):
        return "na"
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Attr):
        return f"{_operand(e.obj, POSTFIX)}.{e.name}"
    if isinstance(e, ast.Index):
        return f"{_operand(e.obj, POSTFIX)}[{_expr(e.index)}]"
    if isinstance(e, ast.Call):
        args = [_expr(a) for a in e.args] + [f"{k.name}={_expr(k.value)}" for k in e.kwargs]
        return f"{_operand(e.func, POSTFIX)}({', '.join(args)})"
    if isinstance(e, ast.Unary):
        # `unary: ADD_OP unary`, so `--x` and `-x ** 2` (which is -(x ** 2)) need no parentheses.
        return f"{e.op}{_operand(e.operand, UNARY)}"
    if isinstance(e, ast.Not):
        return f"not {_operand(e.operand, NOT)}"
    if isinstance(e, ast.Binary):
        if e.op == "**":
            # `power: postfix POW_OP unary`: right-associative, the base is a postfix, the exponent a unary.
            return f"{_operand(e.left, POSTFIX)} ** {_operand(e.right, UNARY)}"
        level = _BINARY_LEVEL[e.op]
        return f"{_operand(e.left, level)} {e.op} {_operand(e.right, level + 1)}"
    if isinstance(e, ast.Compare):
        # Comparisons do not chain: both sides are sums.
        return f"{_operand(e.left, SUM)} {e.op} {_operand(e.right, SUM)}"
    if isinstance(e, ast.BoolOp):
        level = OR if e.op == "or" else AND
        return f"{_operand(e.left, level)} {e.op} {_operand(e.right, level + 1)}"
    if isinstance(e, ast.Ternary):
        # `or_expr "if" or_expr "else" ternary`: only the else branch may be a bare ternary.
        return f"{_operand(e.then, OR)} if {_operand(e.cond, OR)} else {_operand(e.other, TERNARY)}"
    raise TypeError(f"not an expression: {type(e).__name__}")


def _float(value: float) -> str:
    # repr round-trips exactly and always has a `.` or an exponent, so it reads back as a float;
    # its forms (`1.0`, `1e-07`, `1e+16`) all match the NUMBER token.
    if not math.isfinite(value) or math.copysign(1.0, value) < 0:
        raise ValueError(f"float literal {value!r} has no source form (negative numbers are unary minus)")
    return repr(value)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}


def quote(value: str) -> str:
    """A string literal for `value`: the inverse of the builder's unescaping."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


# ---------------------------------------------------------------- statements

def print_stmt(stmt: ast.Stmt, indent: int = 0) -> str:
    """One statement, and its block for `if`/`for`, as lines without a trailing newline."""
    return "\n".join(_stmt_lines(stmt, indent))


def _block(body: list[ast.Stmt], indent: int) -> list[str]:
    return [line for s in body for line in _stmt_lines(s, indent)]


def _stmt_lines(s: ast.Stmt, indent: int) -> list[str]:
    pad = INDENT * indent
    if isinstance(s, ast.If):
        lines = []
        for i, branch in enumerate(s.branches):
            lines.append(pad + branch_head(i, branch))
            lines += _block(branch.body, indent + 1)
        if s.orelse is not None:
            lines.append(f"{pad}else:")
            lines += _block(s.orelse, indent + 1)
        return lines
    if isinstance(s, ast.For):
        return [pad + for_head(s)] + _block(s.body, indent + 1)
    return [pad + _simple_stmt(s)]


def branch_head(i: int, branch: ast.Branch) -> str:
    """The line that opens an `if` statement's i-th branch: `if cond:` or `elif cond:`."""
    return f"{'if' if i == 0 else 'elif'} {_expr(branch.cond)}:"


def for_head(s: ast.For) -> str:
    return f"for {s.var} in {_expr(s.start)}..{_expr(s.stop)}:"


def _simple_stmt(s: ast.Stmt) -> str:
    if isinstance(s, ast.Assign):
        return f"{_lvalue(s.target)} = {_expr(s.value)}"
    if isinstance(s, ast.AugAssign):
        return f"{_lvalue(s.target)} {s.op}= {_expr(s.value)}"
    if isinstance(s, ast.Return):
        return "return" if s.value is None else f"return {_expr(s.value)}"
    if isinstance(s, ast.Break):
        return "break"
    if isinstance(s, ast.Continue):
        return "continue"
    if isinstance(s, ast.Pass):
        return "pass"
    # A conditional quantity or price is parenthesised: `buy btc (2 if strong else 1) limit p` reads as one order.
    if isinstance(s, ast.Order):
        return _with_clauses(f"{s.side} {s.instrument} {_operand(s.qty, OR)}", s.clauses)
    if isinstance(s, ast.Target):
        return _with_clauses(f"target {s.instrument} {_operand(s.qty, OR)}", s.clauses)
    if isinstance(s, ast.Modify):
        return _with_clauses(f"modify {quote(s.tag)}", s.clauses)
    if isinstance(s, ast.Close):
        return _with_clauses(f"close {s.instrument or 'all'}", s.clauses)
    if isinstance(s, ast.Cancel):
        if s.scope == "all":
            return "cancel all"
        return f"cancel {quote(s.name)}" if s.scope == "tag" else f"cancel {s.name}"
    if isinstance(s, ast.Record):
        return f"record {s.name} = {_expr(s.value)}"
    if isinstance(s, ast.Log):
        return f"log {_log_message(s.parts)}"
    raise TypeError(f"not a statement: {type(s).__name__}")


def _lvalue(target: ast.LValue) -> str:
    return target.name if target.index is None else f"{target.name}[{_expr(target.index)}]"


def _with_clauses(head: str, clauses: list[ast.Clause]) -> str:
    return " ".join([head] + [print_clause(c) for c in clauses])


def print_clause(c: ast.Clause) -> str:
    args = ", ".join(_operand(a, OR) for a in c.args)
    if c.kind in ("post_only", "reduce_only"):
        return c.kind
    if c.kind in ("tag", "oco"):
        return f"{c.kind} {quote(c.word)}"
    if c.kind == "trailing":
        return f"trailing {c.word} {args}"
    if c.kind == "tif":
        return f"tif gtd({args})" if c.word == "gtd" else f"tif {c.word}"
    # limit, stop, market_if_touched, stop_loss, take_profit, qty take one price; stop_limit and
    # limit_if_touched take two, comma-separated.
    return f"{c.kind} {args}"


def _log_message(parts: list[ast.LogPart]) -> str:
    out = []
    for part in parts:
        if part.expr is None:
            out.append(quote(part.text or "")[1:-1].replace("{", "{{").replace("}", "}}"))
            continue
        text = _expr(part.expr)
        # The interpolation is read raw from inside the string token, so it cannot hold a quote or an escape.
        if '"' in text or "\\" in text:
            raise ValueError(f"a log interpolation cannot contain a string literal: {{{text}}}")
        out.append("{" + text + ("" if part.decimals is None else f":.{part.decimals}") + "}")
    return '"' + "".join(out) + '"'


# ---------------------------------------------------------------- declarations

# Declarations that read as one group: no blank line between them.
_GROUP = {"timezone": "import", "data": "instrument"}


def needs_blank_line(previous: ast.Decl | None, item: ast.Decl) -> bool:
    """Whether the canonical layout separates two consecutive top-level items with a blank line."""
    if previous is None:
        return False
    group, before = _GROUP.get(item.kind, item.kind), _GROUP.get(previous.kind, previous.kind)
    return group != before or group in ("def", "handler")


def print_module(module: ast.Module) -> str:
    """The whole file, ending with a newline.

    A blank line separates runs of declarations of different kinds (an instrument and its data subscriptions
    stay together, as do imports and the time zone), and sets off every `def` and handler.
    """
    out: list[str] = []
    previous = None
    for item in module.items:
        if needs_blank_line(previous, item):
            out.append("")
        out += _decl_lines(item)
        previous = item
    return "\n".join(out) + "\n" if out else ""


def print_decl(decl: ast.Decl) -> str:
    return "\n".join(_decl_lines(decl))


def _decl_lines(d: ast.Decl) -> list[str]:
    if isinstance(d, ast.Header):
        return [f"strategy {d.name}"] + docstring_lines(d.doc)
    if isinstance(d, ast.Import):
        return [f"import {quote(d.path)}"]
    if isinstance(d, ast.Timezone):
        return [f"timezone {quote(d.name)}"]
    if isinstance(d, ast.Param):
        return [_param(d)]
    if isinstance(d, ast.Instrument):
        return [f"instrument {d.name} = {quote(d.symbol)}"]
    if isinstance(d, ast.Data):
        return [_data(d)]
    if isinstance(d, ast.Const):
        typed = "" if d.type is None else f": {d.type}"
        return [f"const {d.name}{typed} = {_expr(d.value)}"]
    if isinstance(d, ast.Series):
        return [f"series {d.name} = {_expr(d.value)}"]
    if isinstance(d, ast.Var):
        return [_var(d)]
    if isinstance(d, ast.Function):
        return [block_head(d)] + docstring_lines(d.doc) + _block(d.body, 1)
    if isinstance(d, ast.Handler):
        return [block_head(d)] + _block(d.body, 1)
    raise TypeError(f"not a declaration: {type(d).__name__}")


def block_head(d: ast.Function | ast.Handler) -> str:
    """The line that opens a `def` or a handler."""
    if isinstance(d, ast.Function):
        params = ", ".join(f"{p.name}: {p.type}" for p in d.params)
        return f"def {d.name}({params}) -> {d.returns}:"
    return f"on {_event(d)}:"


def docstring_lines(doc: str | None) -> list[str]:
    # A docstring is written one string per line and the parser joins them with newlines, so each line of
    # the text gets its own string (an empty docstring is one empty string).
    return [] if doc is None else [INDENT + quote(line) for line in doc.split("\n")]


def _param(p: ast.Param) -> str:
    text = f"param {p.name}: {p.type} = {_expr(p.default)}"
    if p.lo is not None:
        text += f" in {_expr(p.lo)}..{_expr(p.hi)}"
    if p.step is not None:
        text += f" step {_expr(p.step)}"
    if p.choices is not None:
        text += " in [" + ", ".join(quote(c) for c in p.choices) + "]"
    if p.doc is not None:
        text += " " + quote(p.doc)
    return text


def _data(d: ast.Data) -> str:
    if d.data == "bars":
        kind = f"bars {d.timeframe.text}"
    elif d.data == "book":
        kind = "book mbo" if d.mbo else f"book depth {d.depth}"
    else:
        kind = d.data
    alias = "" if d.alias is None else f" as {d.alias}"
    return f"data {d.instrument} {kind}{alias}"


def _var(v: ast.Var) -> str:
    text = f"var {v.name}"
    if v.type is not None:
        text += f": {v.type}"
        if v.size is not None:
            text += f"[{_expr(v.size)}]"
    if v.init is not None:
        text += f" = {_expr(v.init)}"
    return text


def _event(h: ast.Handler) -> str:
    if h.event in ("bar", "quote", "trade", "book"):
        return f"{h.event} {h.target}"
    if h.event == "order":
        return f"order {h.order_event}"
    if h.event == "timer":
        return f"timer {_expr(h.interval)}"
    return h.event  # fill, start, stop
