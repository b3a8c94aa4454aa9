"""Round trips through the printer: parse -> print -> parse gives the same AST, and printing is idempotent."""

from __future__ import annotations

import math
import typing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nts.dsl import ast
from nts.dsl.durations import DURATION_UNITS
from nts.dsl.diagnostics import Diagnostics
from nts.dsl.parser import keywords, parse_embedded, parse_source
from nts.dsl.printer import print_expr, print_module, print_stmt
from nts.dsl.source import Span

REPO = Path(__file__).resolve().parent.parent
SPAN = Span(path="<t>", line=1, col=1, end_line=1, end_col=2)
KEYWORDS = keywords()


def parse(text: str, path: str = "<t>") -> ast.Module:
    diags = Diagnostics()
    module = parse_source(text, path, diags)
    assert not diags.items, [f"{d.span.line}:{d.span.col} {d.message}" for d in diags.items]
    return module


def parse_snippet(text: str, start: str):
    diags = Diagnostics()
    node = parse_embedded(text, SPAN, start, diags)
    assert not diags.items, (text, [d.message for d in diags.items])
    assert node is not None, text
    return node


def assert_round_trip(text: str) -> None:
    first = parse(text)
    printed = print_module(first)
    second = parse(printed)
    assert ast.strip_spans(second) == ast.strip_spans(first), printed
    assert print_module(second) == printed


# ---------------------------------------------------------------- every construct

# Parses without diagnostics; it is not meant to pass the checker. `**` is left out because the lexer
# cannot read it yet (see POWER_PROGRAM).
PROGRAM = r'''
strategy Everything
    "Every construct: \"quoted\", tab\there,\nnewline and a backslash \\ {braces}."
    "A second docstring line."

import "lib/helpers.nts"
timezone "America/New_York"

param fast: int = 10 in 2..50 step 1 "fast window"
param slow: float = 30.5 in 1.0..100.0
param width: float = 2.0 step 0.25
param enabled: bool = true
param hold: duration = 1h30m "how long to hold"
param mode: choice = "trend" in ["trend", "revert", "both",] "strategy mode"
param tiny: float = 1e-07

instrument btc = "BTC-USD"
instrument eth = "ETH-USD"

data btc bars 1m as trend
data btc bars 5m
data eth quotes
data eth trades as tape
data btc book depth 10
data eth book mbo

const lookback = 20
const scale: float = 1.5e3
const label: string = "braces {not} interpolated"
const when: timestamp = 0
const wait: duration = 5m

series mid = (trend.high + trend.low) / 2
series spread = trend.close - ema(trend.close, length=slow)
series z = (spread - mean(spread, fast)) / stdev(spread, fast)

var count: int = 0
var prices: float[lookback] = 0.0
var last_fill: timestamp
var flag: bool = false
var untyped

def clamp(x: float, lo: float, hi: float) -> float:
    "Clamp x to [lo, hi]."
    ""
    "A docstring may take several lines."
    if x < lo:
        return lo
    elif x > hi:
        return hi
    else:
        return x

def noop() -> bool:
    pass
    return

on bar trend:
    count += 1
    count -= 0
    prices[count % lookback] = trend.close
    prices[0] *= 2
    prices[1] /= 2
    r1 = (a + b) * c
    r2 = a + b * c
    r3 = a - (b - c)
    r4 = a - b - c
    r5 = a / (b * c)
    r6 = a // b % c
    r7 = -a * +b
    r8 = - -a
    r9 = a if c else (b if d else e)
    r10 = (a if c else b) + 1
    r11 = not (a and b)
    r12 = not a and b
    r13 = a or b and c
    r14 = (a or b) and c
    r15 = a or (b or c)
    r16 = a and (b and c)
    r17 = not not a
    r18 = (a < b) == (c < d)
    r19 = a + 1 >= b - 1
    r20 = a != b or c <= d and e > 1
    r21 = (a if b else c) if d else e
    r22 = a if (b if c else d) else e
    r23 = f(a, b, c=1, d=2)()[0].x
    r24 = (a + b).value
    r25 = (-a).abs
    r26 = trend.close[1] - trend.close[a + 1]
    r27 = na(trend.close[1])
    r28 = na
    r29 = 1.5 * 2 + 3e10 - 0.001
    r30 = 500ms + 2s + 1h30m + 1d + 1w + 10us + 5ns
    r31 = "tab\tnewline\nquote\"backslash\\"
    r32 = "{braces} in a plain string"
    r33 = -(a + b)
    r34 = (not a) == b
    r35 = a < (not b)
    r36 = -(a < b)
    r37 = (a == b) + 1
    r38 = a.b.c(d)[e].f
    r39 = g()
    r40 = 1.0.real
    r41 = a % (b // c)
    r42 = (a > b) if c else d
    r43 = true and false
    r44 = f(a if b else c, k=not d)[x or y]
    if count > lookback and not na(z):
        if z > width:
            sell btc 1 limit trend.close + 0.5 tif gtc tag "short" post_only
        elif z < -width:
            buy btc 1 limit trend.close - 0.5 tif ioc tag "long\t\"x\""
        elif z == 0:
            buy btc 2 stop trend.high stop_loss trend.low - 1 take_profit trend.high + 1 oco "bracket"
        else:
            pass
    for i in 0..lookback - 1:
        if prices[i] == 0:
            continue
        if i > 10:
            break
    for j in a..b:
        pass
    for k in 1.5..2.5:
        pass
    buy btc 1
    buy btc a if b else c market_if_touched 100 tif fok
    sell btc 1 stop_limit 99, 98 tif day reduce_only
    buy eth 1 limit_if_touched 10, 11 tif gtd(30m)
    sell eth 1
        trailing ticks 5
        tif gtc
    sell eth 1 trailing price 2.5
    sell eth 1 trailing percent 0.5 qty 3
    target btc -2 limit mid
    target eth 0
    modify "short" limit trend.close + 1 qty 2
    modify "long"
    close btc
    close all
    close eth reduce_only tif ioc
    cancel all
    cancel btc
    cancel "short \"one\""
    record z_score = z
    record fills = count * 2
    log "close {trend.close:.2} z={z} count={count + 1} {{literal}} }} {{ tab\t quote\" backslash\\ nl\n"
    log "{a}{b:.0}{-c if d else e}"
    log "no interpolation"
    log ""

on quote eth:
    pass

on trade tape:
    pass

on book btc:
    pass

on fill:
    last_fill = fill.time  # comments are dropped by the printer

on order rejected:
    pass

on order canceled:
    pass

on order expired:
    pass

on order denied:
    pass

on order accepted:
    pass

on timer 1h:
    log "tick"

on timer hold * 2:
    pass

on start:
    count = 0

on stop:
    close all
'''

POWER_PROGRAM = r'''
series p1 = -(a ** 2)
series p2 = (-a) ** 2
series p3 = a ** b ** c
series p4 = (a ** b) ** c
series p5 = a ** -b
series p6 = 2 ** 0.5 * x
series p7 = (a * b) ** c
series p8 = a.b ** c[0]
series p9 = a ** (b + c)
'''


def _literal_values(annotation) -> list[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return [v for arg in typing.get_args(annotation) for v in _literal_values(arg)]


# Fields holding a type name: any position counts as using the type.
_TYPE_FIELDS = {("Const", "type"), ("Var", "type"), ("FuncParam", "type"), ("Function", "returns")}


def _feature(cls: str, field: str, value) -> str:
    return f"type={value}" if (cls, field) in _TYPE_FIELDS else f"{cls}.{field}={value}"


def _unset(value) -> bool:
    return value is None or value is False or value == []


def _features_used(node) -> set[str]:
    """Node classes, their fields set and unset, and the values of their keyword-like (Literal) fields."""
    out: set[str] = set()

    def walk(value):
        if isinstance(value, list):
            for v in value:
                walk(v)
        if not isinstance(value, ast.Node):
            return
        cls = type(value).__name__
        out.add(cls)
        for field, info in type(value).model_fields.items():
            v = getattr(value, field)
            if field.endswith("span") or (field == "kind" and cls != "Clause"):
                continue
            out.add(f"{cls}.{field}:unset" if _unset(v) else f"{cls}.{field}")
            if _literal_values(info.annotation) and v is not None:
                out.add(_feature(cls, field, v))
            walk(v)
        if isinstance(value, ast.Clause) and value.word is not None:
            out.add(f"Clause.word={value.word}")

    walk(node.items)
    return out


def _features_of_language() -> set[str]:
    out: set[str] = set()
    for cls in vars(ast).values():
        if not (isinstance(cls, type) and issubclass(cls, ast.Node) and cls is not ast.Node):
            continue
        name = cls.__name__
        out.add(name)
        for field, info in cls.model_fields.items():
            if field.endswith("span") or (field == "kind" and name != "Clause"):
                continue
            out.add(f"{name}.{field}")
            if not info.is_required() or type(None) in typing.get_args(info.annotation):
                out.add(f"{name}.{field}:unset")
            out.update(_feature(name, field, v) for v in _literal_values(info.annotation))
    out.update(f"Clause.word={w}" for w in ("ticks", "price", "percent", "gtc", "ioc", "fok", "day", "gtd"))
    out.update({"Log.parts:unset", "Function.params:unset"})  # `log ""`, `def f() -> ...`
    # A file has one header, so it cannot show the header both with and without a docstring;
    # `**` is the lexer bug that POWER_PROGRAM records.
    return out - {"Header.doc:unset", "Binary.op=**"}


def test_program_uses_every_construct():
    missing = _features_of_language() - _features_used(parse(PROGRAM))
    assert not missing, sorted(missing)


def test_program_round_trips():
    assert_round_trip(PROGRAM)


def test_printing_is_canonical():
    printed = print_module(parse(PROGRAM))
    assert "# comments" not in printed  # not in the AST, so not printed
    assert "    r9 = a if c else b if d else e\n" in printed
    assert "    r8 = --a\n" in printed
    assert "const scale: float = 1500.0\n" in printed
    assert '\non bar trend:\n    count += 1\n' in printed
    assert "    sell eth 1 trailing ticks 5 tif gtc\n" in printed
    assert '    log "close {trend.close:.2} z={z} count={count + 1} {{literal}} }} {{ tab\\t quote\\" ' in printed
    # One string per docstring line, whether the source had several strings or a `\n` in one.
    assert printed.startswith('strategy Everything\n    "Every construct: \\"quoted\\", tab\\there,"\n'
                              '    "newline and a backslash \\\\ {braces}."\n    "A second docstring line."\n\n')
    assert '    "Clamp x to [lo, hi]."\n    ""\n    "A docstring may take several lines."\n    if x < lo:\n' in printed


def test_power_program_round_trips():
    assert_round_trip(POWER_PROGRAM)


def _name(id_: str) -> ast.Name:
    return ast.Name(span=SPAN, id=id_)


def _pow(left, right) -> ast.Binary:
    return ast.Binary(span=SPAN, op="**", left=left, right=right)


def _neg(operand) -> ast.Unary:
    return ast.Unary(span=SPAN, op="-", operand=operand)


a, b, c = _name("a"), _name("b"), _name("c")


@pytest.mark.parametrize("expr, text", [
    (_neg(_pow(a, ast.IntLit(span=SPAN, value=2))), "-a ** 2"),
    (_pow(_neg(a), ast.IntLit(span=SPAN, value=2)), "(-a) ** 2"),
    (_pow(a, _pow(b, c)), "a ** b ** c"),
    (_pow(_pow(a, b), c), "(a ** b) ** c"),
    (_pow(a, _neg(b)), "a ** -b"),
    (_pow(a, _neg(_pow(b, c))), "a ** -b ** c"),
    (_pow(a, ast.Binary(span=SPAN, op="*", left=b, right=c)), "a ** (b * c)"),
    (ast.Binary(span=SPAN, op="*", left=_pow(a, b), right=c), "a ** b * c"),
    (_pow(ast.Attr(span=SPAN, obj=a, name="x", name_span=SPAN), ast.Index(span=SPAN, obj=b, index=c)), "a.x ** b[c]"),
])
def test_power_precedence_printing(expr, text):
    # The printer follows the grammar's `power: postfix POW_OP unary` even though `**` cannot be parsed yet.
    assert print_expr(expr) == text


# ---------------------------------------------------------------- random expressions

def _parses(text: str) -> bool:
    return parse_embedded(text, SPAN, "expr_input", Diagnostics()) is not None


# Generate `**` only once the lexer reads it (test_power_program_round_trips tracks the bug).
BINARY_OPS = ["+", "-", "*", "/", "//", "%"] + (["**"] if _parses("a ** b") else [])

names = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True).filter(lambda n: n not in KEYWORDS)
# After `.` only a name can follow, so keywords are ordinary field names there (`btc.close`).
field_names = names | st.sampled_from(sorted(KEYWORDS))


@st.composite
def durations(draw):
    parts = draw(st.lists(st.tuples(st.integers(0, 999), st.sampled_from(sorted(DURATION_UNITS))),
                          min_size=1, max_size=3))
    return ast.DurationLit(span=SPAN, text="".join(f"{n}{u}" for n, u in parts),
                           nanos=sum(n * DURATION_UNITS[u] for n, u in parts))


def _leaves(with_strings: bool):
    leaves = [
        st.builds(lambda v: ast.IntLit(span=SPAN, value=v), st.integers(0, 10**20)),
        st.builds(lambda v: ast.FloatLit(span=SPAN, value=v),
                  st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)
                  .filter(lambda v: math.copysign(1.0, v) > 0)),
        st.builds(_name, names),
        durations(),
        st.builds(lambda v: ast.BoolLit(span=SPAN, value=v), st.booleans()),
        st.just(ast.NaLit(span=SPAN)),
    ]
    if with_strings:
        leaves.append(st.builds(lambda v: ast.StringLit(span=SPAN, value=v),
                                st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)))
    return st.one_of(leaves)


def _compound(children):
    def node(cls, **fields):
        return st.builds(lambda **kw: cls(span=SPAN, **kw), **fields)

    # Maps rather than filters or unique_by here: a retried draw from these recursive strategies makes
    # Hypothesis build a huge repr of them.
    kwargs = st.lists(st.tuples(names, children), max_size=2).map(
        lambda kvs: [ast.KwArg(span=SPAN, name=k, value=v) for k, v in dict(kvs).items()])
    # The builder turns the callee of `na(x)` into the name `na`: a call on a NaLit never comes out of the parser.
    funcs = children.map(lambda f: _name("na") if isinstance(f, ast.NaLit) else f)
    return st.one_of(
        node(ast.Unary, op=st.sampled_from(["-", "+"]), operand=children),
        node(ast.Not, operand=children),
        node(ast.Binary, op=st.sampled_from(BINARY_OPS), left=children, right=children),
        node(ast.Compare, op=st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), left=children, right=children),
        node(ast.BoolOp, op=st.sampled_from(["and", "or"]), left=children, right=children),
        node(ast.Ternary, cond=children, then=children, other=children),
        node(ast.Call, func=funcs, args=st.lists(children, max_size=3), kwargs=kwargs),
        node(ast.Attr, obj=children, name=field_names, name_span=st.just(SPAN)),
        node(ast.Index, obj=children, index=children),
    )


def expressions(with_strings: bool = True):
    return st.recursive(_leaves(with_strings), _compound, max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(expressions())
def test_random_expressions_round_trip(expr):
    text = print_expr(expr)
    parsed = parse_snippet(text, "expr_input")
    assert ast.strip_spans(parsed) == ast.strip_spans(expr), text
    assert print_expr(parsed) == text


def _merge_text(parts: list[ast.LogPart]) -> list[ast.LogPart]:
    # The parser keeps the text between two interpolations as one part.
    merged: list[ast.LogPart] = []
    for part in parts:
        if part.text is not None and merged and merged[-1].text is not None:
            merged[-1] = ast.LogPart(span=SPAN, text=merged[-1].text + part.text)
        else:
            merged.append(part)
    return merged


log_parts = st.one_of(
    st.builds(lambda t: ast.LogPart(span=SPAN, text=t),
              st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6)),
    # An interpolation is read raw from inside the string token, so it cannot hold a string literal.
    st.builds(lambda e, d: ast.LogPart(span=SPAN, expr=e, decimals=d),
              expressions(with_strings=False), st.none() | st.integers(0, 12)),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(log_parts, max_size=4).map(_merge_text))
def test_random_log_messages_round_trip(parts):
    stmt = ast.Log(span=SPAN, parts=parts)
    text = print_stmt(stmt)
    parsed = parse_snippet(text, "stmt_input")
    assert ast.strip_spans(parsed) == ast.strip_spans(stmt), text
    assert print_stmt(parsed) == text


# ---------------------------------------------------------------- example programs

EXAMPLES = sorted((REPO / "examples").glob("*.nts"))


@pytest.mark.parametrize("path", EXAMPLES or [pytest.param(None, marks=pytest.mark.skip(reason="no examples/*.nts"))],
                         ids=lambda p: p.name if p else "none")
def test_examples_round_trip(path):
    assert_round_trip(path.read_text(encoding="utf-8"))
