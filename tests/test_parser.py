"""Parser tests: one test per construct of the language, each asserting the exact AST `parse_source` builds
(compared without positions through `strip_spans`), plus syntax-error diagnostics and recovery.

Tests marked `xfail(strict=True)` state the correct behaviour where the parser does not (yet) have it.
"""

from __future__ import annotations

import textwrap

import pytest

from nts.dsl import ast
from nts.dsl.ast import strip_spans
from nts.dsl.diagnostics import Diagnostics
from nts.dsl.parser import parse_source


# ---------------------------------------------------------------- helpers

def parse(text: str) -> tuple[ast.Module, Diagnostics]:
    diags = Diagnostics()
    module = parse_source(textwrap.dedent(text).lstrip("\n"), "t.nts", diags)
    return module, diags


def items(text: str) -> list[dict]:
    """The position-free items of a file that must parse without any diagnostic."""
    module, diags = parse(text)
    assert diags.items == [], [(d.code, d.span.line, d.span.col, d.message) for d in diags.items]
    return strip_spans(module.items)


def item(text: str) -> dict:
    (only,) = items(text)
    return only


def body(text: str) -> list[dict]:
    """The statements of a handler `on start:` whose body is `text` (indented here)."""
    src = "on start:\n" + textwrap.indent(textwrap.dedent(text).strip("\n"), "    ") + "\n"
    return item(src)["body"]


def stmt(text: str) -> dict:
    (only,) = body(text)
    return only


def expr(text: str) -> dict:
    """The AST of one expression, parsed as the value of `x = <text>` in a handler."""
    s = stmt(f"x = {text}")
    assert s["kind"] == "assign" and s["target"] == {"name": "x", "index": None}
    return s["value"]


def diag_list(diags: Diagnostics) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.col) for d in diags.sorted()]


# Builders of the expected (position-free) AST dicts.

def name(id_): return {"kind": "name", "id": id_}
def num(v): return {"kind": "int", "value": v} if isinstance(v, int) else {"kind": "float", "value": v}
def string(v): return {"kind": "string", "value": v}
def boolean(v): return {"kind": "bool", "value": v}
def dur(text, nanos): return {"kind": "duration", "nanos": nanos, "text": text}
def binop(op, l, r): return {"kind": "binary", "op": op, "left": l, "right": r}
def compare(op, l, r): return {"kind": "compare", "op": op, "left": l, "right": r}
def boolop(op, l, r): return {"kind": "boolop", "op": op, "left": l, "right": r}
def unary(op, x): return {"kind": "unary", "op": op, "operand": x}
def not_(x): return {"kind": "not", "operand": x}
def ternary(then, cond, other): return {"kind": "ternary", "cond": cond, "then": then, "other": other}
def attr(obj, n): return {"kind": "attr", "obj": obj, "name": n}
def index(obj, i): return {"kind": "index", "obj": obj, "index": i}
def kw(n, v): return {"name": n, "value": v}
def call(func, *args, kwargs=()): return {"kind": "call", "func": func, "args": list(args), "kwargs": list(kwargs)}


NA = {"kind": "na"}
PASS = {"kind": "pass"}


def assign(n, value, idx=None): return {"kind": "assign", "target": {"name": n, "index": idx}, "value": value}
def aug(op, n, value, idx=None):
    return {"kind": "aug_assign", "op": op, "target": {"name": n, "index": idx}, "value": value}
def clause(kind, *args, word=None): return {"kind": kind, "args": list(args), "word": word}
def order(side, inst, qty, *clauses):
    return {"kind": "order", "side": side, "instrument": inst, "qty": qty, "clauses": list(clauses)}


def handler(event, body_, target=None, order_event=None, interval=None):
    return {"kind": "handler", "event": event, "target": target, "order_event": order_event, "interval": interval,
            "body": body_}


def param(n, type_, default, lo=None, hi=None, step=None, choices=None, doc=None):
    return {"kind": "param", "name": n, "type": type_, "default": default, "lo": lo, "hi": hi, "step": step,
            "choices": choices, "doc": doc}


def data(inst, kind, timeframe=None, depth=None, mbo=False, alias=None):
    return {"kind": "data", "instrument": inst, "data": kind, "timeframe": timeframe, "depth": depth, "mbo": mbo,
            "alias": alias}


NS_M = 60_000_000_000
NS_H = 60 * NS_M


# ---------------------------------------------------------------- header, comments, import, timezone

def test_header_without_docstring():
    assert items("strategy EmaCross\n") == [{"kind": "header", "name": "EmaCross", "doc": None}]


def test_header_with_docstring_on_indented_line():
    assert items('''
        strategy EmaCross
            "Long when the fast EMA is above the slow one."
    ''') == [{"kind": "header", "name": "EmaCross", "doc": "Long when the fast EMA is above the slow one."}]


def test_header_docstring_on_several_lines_is_joined_with_newlines():
    assert item('''
        strategy S
            "First line."
            "Second line."
    ''') == {"kind": "header", "name": "S", "doc": "First line.\nSecond line."}


def test_header_docstring_escapes_are_decoded():
    assert item('strategy S\n    "a \\"quoted\\" word\\n"\n')["doc"] == 'a "quoted" word\n'


def test_comments_and_blank_lines_produce_no_items_and_no_diagnostics():
    assert items('''
        # a leading comment

        strategy S   # after the header
        # between items, at column 0
        const k = 1  # after a declaration

    ''') == [{"kind": "header", "name": "S", "doc": None},
             {"kind": "const", "name": "k", "type": None, "value": num(1)}]


def test_comments_inside_blocks_at_any_indentation_are_ignored():
    assert body('''
        x = 1  # trailing
    # at column 0 inside the block

            # deeper than the block
        y = 2
    ''') == [assign("x", num(1)), assign("y", num(2))]


def test_import_keeps_its_path():
    module, diags = parse('import "lib/signals.nts"\n')
    assert diags.items == []
    (imp,) = module.items
    assert isinstance(imp, ast.Import)
    assert imp.path == "lib/signals.nts"
    assert (imp.span.line, imp.span.col, imp.span.end_line, imp.span.end_col) == (1, 1, 1, 25)


def test_strip_spans_keeps_the_import_path():
    assert items('import "lib/signals.nts"\n') == [{"kind": "import", "path": "lib/signals.nts"}]


def test_timezone():
    assert items('timezone "America/New_York"\n') == [{"kind": "timezone", "name": "America/New_York"}]


# ---------------------------------------------------------------- params

def test_param_int_with_range_step_and_doc():
    assert item('param fast: int = 10 in 2..50 step 2 "fast EMA length"\n') == param(
        "fast", "int", num(10), lo=num(2), hi=num(50), step=num(2), doc="fast EMA length")


def test_param_int_with_range_only():
    assert item("param fast: int = 10 in 2..50\n") == param("fast", "int", num(10), lo=num(2), hi=num(50))


def test_param_float_with_negative_range_bound():
    assert item("param risk: float = 0.01 in -0.5..1.5\n") == param(
        "risk", "float", num(0.01), lo=unary("-", num(0.5)), hi=num(1.5))


def test_param_bool():
    assert item("param long_only: bool = true\n") == param("long_only", "bool", boolean(True))


def test_param_duration():
    assert item("param cooldown: duration = 5m in 1m..1h\n") == param(
        "cooldown", "duration", dur("5m", 5 * NS_M), lo=dur("1m", NS_M), hi=dur("1h", NS_H))


def test_param_choice_with_choices_and_doc():
    assert item('param mode: choice = "fast" in ["fast", "slow",] "speed"\n') == param(
        "mode", "choice", string("fast"), choices=["fast", "slow"], doc="speed")


def test_param_default_may_be_an_expression_of_consts():
    assert item("param n: int = N * 2\n") == param("n", "int", binop("*", name("N"), num(2)))


# ---------------------------------------------------------------- instruments and data

def test_instrument():
    assert item('instrument btc = "BTCUSDT.BINANCE"\n') == {"kind": "instrument", "name": "btc",
                                                             "symbol": "BTCUSDT.BINANCE"}


def test_data_bars_1m():
    assert item("data btc bars 1m\n") == data("btc", "bars", timeframe=dur("1m", NS_M))


def test_data_bars_with_alias():
    assert item("data btc bars 1h as trend\n") == data("btc", "bars", timeframe=dur("1h", NS_H), alias="trend")


def test_data_quotes():
    assert item("data btc quotes\n") == data("btc", "quotes")


def test_data_trades():
    assert item("data btc trades\n") == data("btc", "trades")


def test_data_book_depth_10():
    assert item("data btc book depth 10\n") == data("btc", "book", depth=10)


def test_data_book_mbo():
    assert item("data btc book mbo\n") == data("btc", "book", mbo=True)


def test_data_instrument_span_points_at_the_instrument():
    module, _ = parse("data btc bars 1m as fast\n")
    d = module.items[0]
    assert (d.instrument_span.line, d.instrument_span.col, d.instrument_span.end_col) == (1, 6, 9)


# ---------------------------------------------------------------- const, series, var

def test_const_without_type():
    assert item("const N = 5\n") == {"kind": "const", "name": "N", "type": None, "value": num(5)}


def test_const_with_type():
    assert item("const F: float = 2\n") == {"kind": "const", "name": "F", "type": "float", "value": num(2)}


def test_series():
    assert item("series spread = btc.close - eth.close\n") == {
        "kind": "series", "name": "spread",
        "value": binop("-", attr(name("btc"), "close"), attr(name("eth"), "close"))}


def test_series_history_references():
    assert item("series d = x[1] + btc.close[2]\n")["value"] == binop(
        "+", index(name("x"), num(1)), index(attr(name("btc"), "close"), num(2)))


def test_var_scalar_with_type_and_init():
    assert item("var count: int = 0\n") == {"kind": "var", "name": "count", "type": "int", "size": None,
                                           "init": num(0)}


def test_var_scalar_with_init_only():
    assert item("var level = 1.5\n") == {"kind": "var", "name": "level", "type": None, "size": None,
                                        "init": num(1.5)}


def test_var_array_with_size_and_init():
    assert item("var ring: float[N * 2] = 0.0\n") == {
        "kind": "var", "name": "ring", "type": "float", "size": binop("*", name("N"), num(2)), "init": num(0.0)}


def test_var_array_without_init():
    assert item("var ring: float[10]\n") == {"kind": "var", "name": "ring", "type": "float", "size": num(10),
                                            "init": None}


# ---------------------------------------------------------------- functions

def test_def_with_params_return_type_and_docstring():
    assert item('''
        def mid(a: float, b: int) -> float:
            "The midpoint."
            m = (a + b) / 2
            return m
    ''') == {"kind": "def", "name": "mid",
             "params": [{"name": "a", "type": "float"}, {"name": "b", "type": "int"}],
             "returns": "float", "doc": "The midpoint.",
             "body": [assign("m", binop("/", binop("+", name("a"), name("b")), num(2))),
                      {"kind": "return", "value": name("m")}]}


def test_def_docstring_on_several_lines():
    assert item('def f() -> int:\n    "One."\n    "Two."\n    return 1\n')["doc"] == "One.\nTwo."


def test_def_without_params_or_docstring():
    assert item("def one() -> int:\n    return 1\n") == {
        "kind": "def", "name": "one", "params": [], "returns": "int", "doc": None,
        "body": [{"kind": "return", "value": num(1)}]}


def test_def_params_allow_a_trailing_comma():
    assert item("def ident(x: bool,) -> bool:\n    return x\n")["params"] == [{"name": "x", "type": "bool"}]


# ---------------------------------------------------------------- handlers

@pytest.mark.parametrize("event", ["bar", "quote", "trade", "book"])
def test_market_data_handlers(event):
    assert item(f"on {event} btc:\n    pass\n") == handler(event, [PASS], target="btc")


def test_fill_handler():
    assert item("on fill:\n    pass\n") == handler("fill", [PASS])


@pytest.mark.parametrize("order_event", ["rejected", "canceled", "expired", "denied", "accepted"])
def test_order_event_handlers(order_event):
    assert item(f"on order {order_event}:\n    pass\n") == handler("order", [PASS], order_event=order_event)


def test_timer_handler_with_duration():
    assert item("on timer 1h:\n    pass\n") == handler("timer", [PASS], interval=dur("1h", NS_H))


def test_timer_handler_with_const_name():
    assert item("on timer EVERY:\n    pass\n") == handler("timer", [PASS], interval=name("EVERY"))


@pytest.mark.parametrize("event", ["start", "stop"])
def test_start_and_stop_handlers(event):
    assert item(f"on {event}:\n    pass\n") == handler(event, [PASS])


def test_handler_spans_its_last_statement_not_the_next_item():
    module, _ = parse("on bar btc:\n    x = 1\n    y = 22\n\nconst k = 1\n")
    h = module.items[0]
    assert (h.span.line, h.span.col, h.span.end_line, h.span.end_col) == (1, 1, 3, 11)
    assert (h.target_span.line, h.target_span.col, h.target_span.end_col) == (1, 8, 11)


# ---------------------------------------------------------------- control flow

def test_if_elif_else():
    assert stmt('''
        if a:
            x = 1
        elif b:
            x = 2
        elif c:
            x = 3
        else:
            x = 4
    ''') == {"kind": "if",
             "branches": [{"cond": name("a"), "body": [assign("x", num(1))]},
                          {"cond": name("b"), "body": [assign("x", num(2))]},
                          {"cond": name("c"), "body": [assign("x", num(3))]}],
             "orelse": [assign("x", num(4))]}


def test_if_without_else_has_no_orelse():
    assert stmt("if a:\n    pass\n") == {"kind": "if", "branches": [{"cond": name("a"), "body": [PASS]}],
                                         "orelse": None}


def test_nested_blocks():
    assert stmt('''
        if a:
            if b:
                x = 1
            y = 2
    ''') == {"kind": "if", "orelse": None, "branches": [{"cond": name("a"), "body": [
        {"kind": "if", "orelse": None, "branches": [{"cond": name("b"), "body": [assign("x", num(1))]}]},
        assign("y", num(2))]}]}


def test_for_with_inclusive_range_break_and_continue():
    assert stmt('''
        for i in 0..n - 1:
            if i == 2:
                continue
            break
    ''') == {"kind": "for", "var": "i", "start": num(0), "stop": binop("-", name("n"), num(1)),
             "body": [{"kind": "if", "orelse": None,
                       "branches": [{"cond": compare("==", name("i"), num(2)), "body": [{"kind": "continue"}]}]},
                      {"kind": "break"}]}


def test_for_loop_variable_span():
    module, _ = parse("on start:\n    for idx in 1..3:\n        pass\n")
    loop = module.items[0].body[0]
    assert (loop.var_span.line, loop.var_span.col, loop.var_span.end_col) == (2, 9, 12)
    assert (loop.span.line, loop.span.end_line) == (2, 3)


def test_return_pass_break_continue():
    assert body('''
        pass
        return
    ''') == [PASS, {"kind": "return", "value": None}]
    assert item("def f() -> int:\n    return 1 + 2\n")["body"] == [
        {"kind": "return", "value": binop("+", num(1), num(2))}]


# ---------------------------------------------------------------- assignments

def test_assignment():
    assert stmt("x = 1") == assign("x", num(1))


@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_augmented_assignment(op):
    assert stmt(f"total {op}= 2") == aug(op, "total", num(2))


def test_indexed_assignment_and_indexed_aug_assignment():
    assert body('''
        ring[i] = 3
        ring[i + 1] += 1.5
    ''') == [assign("ring", num(3), idx=name("i")), aug("+", "ring", num(1.5), idx=binop("+", name("i"), num(1)))]


def test_keywords_of_clauses_are_ordinary_names_elsewhere():
    assert body('''
        price = order.price
        limit = fill.qty + order.tag
        day = price
    ''') == [assign("price", attr(name("order"), "price")),
             assign("limit", binop("+", attr(name("fill"), "qty"), attr(name("order"), "tag"))),
             assign("day", name("price"))]


# ---------------------------------------------------------------- literals

@pytest.mark.parametrize("text,nanos", [
    ("7ns", 7), ("10us", 10_000), ("500ms", 500_000_000), ("2s", 2_000_000_000), ("5m", 300_000_000_000),
    ("1h30m", 5_400_000_000_000), ("1d", 86_400_000_000_000), ("1w", 604_800_000_000_000),
    ("1d2h3m4s", 93_784_000_000_000),
])
def test_duration_literals_in_nanoseconds(text, nanos):
    assert expr(text) == dur(text, nanos)


@pytest.mark.parametrize("text,value", [
    ("0", 0), ("42", 42), ("1.5", 1.5), ("1e3", 1000.0), ("1.5e-3", 0.0015), ("2E+2", 200.0),
])
def test_number_literals(text, value):
    result = expr(text)
    assert result == num(value)
    assert type(result["value"]) is type(value)


def test_string_with_escapes():
    assert expr(r'"a\"b\\c\nd\te"') == string('a"b\\c\nd\te')


def test_bool_literals():
    assert body("a = true\nb = false") == [assign("a", boolean(True)), assign("b", boolean(False))]


def test_na_literal_na_test_and_nz():
    assert body('''
        a = na
        b = na(x)
        c = nz(x)
        d = nz(x, 0.5)
    ''') == [assign("a", NA), assign("b", call(name("na"), name("x"))), assign("c", call(name("nz"), name("x"))),
             assign("d", call(name("nz"), name("x"), num(0.5)))]


# ---------------------------------------------------------------- operators

@pytest.mark.parametrize("text,expected", [
    # left associativity
    ("a - b - c", binop("-", binop("-", name("a"), name("b")), name("c"))),
    ("a / b / c", binop("/", binop("/", name("a"), name("b")), name("c"))),
    ("a // b % c", binop("%", binop("//", name("a"), name("b")), name("c"))),
    ("a or b or c", boolop("or", boolop("or", name("a"), name("b")), name("c"))),
    ("a and b and c", boolop("and", boolop("and", name("a"), name("b")), name("c"))),
    # precedence
    ("a + b * c", binop("+", name("a"), binop("*", name("b"), name("c")))),
    ("a * b + c", binop("+", binop("*", name("a"), name("b")), name("c"))),
    ("(a + b) * c", binop("*", binop("+", name("a"), name("b")), name("c"))),
    ("-a * b", binop("*", unary("-", name("a")), name("b"))),
    ("+a", unary("+", name("a"))),
    ("- -a", unary("-", unary("-", name("a")))),
    ("a == b + 1", compare("==", name("a"), binop("+", name("b"), num(1)))),
    ("not a and b", boolop("and", not_(name("a")), name("b"))),
    ("not a == b", not_(compare("==", name("a"), name("b")))),
    ("not not a", not_(not_(name("a")))),
    ("a or b and c", boolop("or", name("a"), boolop("and", name("b"), name("c")))),
    ("a and b or c", boolop("or", boolop("and", name("a"), name("b")), name("c"))),
    ("a >= b and b <= c or not d",
     boolop("or", boolop("and", compare(">=", name("a"), name("b")), compare("<=", name("b"), name("c"))),
            not_(name("d")))),
    ("a if c else b", ternary(name("a"), name("c"), name("b"))),
    ("a if c else b if d else e", ternary(name("a"), name("c"), ternary(name("b"), name("d"), name("e")))),
    ("a + 1 if x or y else b", ternary(binop("+", name("a"), num(1)), boolop("or", name("x"), name("y")), name("b"))),
])
def test_operator_precedence_and_associativity(text, expected):
    assert expr(text) == expected


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_each_comparison_operator(op):
    assert expr(f"a {op} b") == compare(op, name("a"), name("b"))


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "//", "%"])
def test_each_arithmetic_operator(op):
    assert expr(f"a {op} b") == binop(op, name("a"), name("b"))


# `**` is lexed as two `*` tokens (MUL_OP matches before POW_OP), so no power expression parses.
POW_BUG = "the lexer splits `**` into two MUL_OP `*` tokens (MUL_OP is tried before POW_OP), so `**` never parses"


def test_power_operator():
    assert expr("a ** b") == binop("**", name("a"), name("b"))


def test_power_is_right_associative():
    assert expr("a ** b ** c") == binop("**", name("a"), binop("**", name("b"), name("c")))


def test_unary_minus_binds_looser_than_power():
    assert expr("-a ** 2") == unary("-", binop("**", name("a"), num(2)))


def test_power_binds_tighter_than_multiplication_and_takes_a_signed_exponent():
    assert expr("2 * a ** -b") == binop("*", num(2), binop("**", name("a"), unary("-", name("b"))))


def test_comparisons_do_not_chain():
    module, diags = parse("on start:\n    x = a < b < c\n    y = 1\n")
    assert diag_list(diags) == [("E0001", 2, 15)]
    assert diags.items[0].message.startswith("unexpected `<`")
    # the statement is replaced, the rest of the handler survives
    assert strip_spans(module.items[0].body) == [PASS, assign("y", num(1))]


# ---------------------------------------------------------------- postfix: attributes, calls, indexing

def test_attribute_and_call_chains():
    assert expr("a.b.c(1)(2)[3].d") == attr(index(call(call(attr(attr(name("a"), "b"), "c"), num(1)), num(2)),
                                                  num(3)), "d")


def test_history_references():
    assert expr("x[1]") == index(name("x"), num(1))
    assert expr("btc.close[2]") == index(attr(name("btc"), "close"), num(2))
    assert expr("x[i + 1]") == index(name("x"), binop("+", name("i"), num(1)))


def test_call_with_positional_and_keyword_arguments():
    assert expr("bbands(btc.close, 20, mult=2.5, extra=b + 1)") == call(
        name("bbands"), attr(name("btc"), "close"), num(20),
        kwargs=[kw("mult", num(2.5)), kw("extra", binop("+", name("b"), num(1)))])


def test_call_without_arguments_and_with_trailing_comma():
    assert expr("f()") == call(name("f"))
    assert expr("f(1,)") == call(name("f"), num(1))


def test_call_arguments_may_span_lines_inside_brackets():
    assert body('''
        y = f(1,
      2,
                  3)
        z = 1 + \\
            2
    ''') == [assign("y", call(name("f"), num(1), num(2), num(3))), assign("z", binop("+", num(1), num(2)))]


def test_attribute_name_span():
    module, _ = parse("on start:\n    x = btc.close\n")
    a = module.items[0].body[0].value
    assert (a.span.col, a.span.end_col, a.name_span.col, a.name_span.end_col) == (9, 18, 13, 18)


# ---------------------------------------------------------------- orders and actions

@pytest.mark.parametrize("text,clauses", [
    ("limit 100.5", [clause("limit", num(100.5))]),
    ("stop 90", [clause("stop", num(90))]),
    ("stop_limit 101, 102", [clause("stop_limit", num(101), num(102))]),
    ("market_if_touched 99", [clause("market_if_touched", num(99))]),
    ("limit_if_touched 99, 98", [clause("limit_if_touched", num(99), num(98))]),
    ("trailing ticks 5", [clause("trailing", num(5), word="ticks")]),
    ("trailing price 2.5", [clause("trailing", num(2.5), word="price")]),
    ("trailing percent 1", [clause("trailing", num(1), word="percent")]),
    ("limit 1 tif gtc", [clause("limit", num(1)), clause("tif", word="gtc")]),
    ("limit 1 tif ioc", [clause("limit", num(1)), clause("tif", word="ioc")]),
    ("limit 1 tif fok", [clause("limit", num(1)), clause("tif", word="fok")]),
    ("limit 1 tif day", [clause("limit", num(1)), clause("tif", word="day")]),
    ("limit 1 tif gtd(30m)", [clause("limit", num(1)), clause("tif", dur("30m", 30 * NS_M), word="gtd")]),
    ("limit 1 post_only", [clause("limit", num(1)), clause("post_only")]),
    ("reduce_only", [clause("reduce_only")]),
    ('tag "entry"', [clause("tag", word="entry")]),
    ("stop_loss 90", [clause("stop_loss", num(90))]),
    ("take_profit 110", [clause("take_profit", num(110))]),
    ('limit 1 oco "bracket"', [clause("limit", num(1)), clause("oco", word="bracket")]),
])
def test_buy_with_each_clause(text, clauses):
    assert stmt(f"buy btc 1 {text}") == order("buy", "btc", num(1), *clauses)


def test_sell_market_order_with_expression_quantity():
    assert stmt("sell btc size * 2") == order("sell", "btc", binop("*", name("size"), num(2)))


def test_clause_arguments_are_full_expressions():
    assert stmt("buy btc 1 limit btc.close - a * 0.1 stop_loss x[1]") == order(
        "buy", "btc", num(1), clause("limit", binop("-", attr(name("btc"), "close"), binop("*", name("a"), num(0.1)))),
        clause("stop_loss", index(name("x"), num(1))))


def test_order_clauses_on_indented_continuation_lines():
    assert stmt('''
        buy es qty_of(risk) limit es.close - 1
            stop_loss es.close - 2
            take_profit es.close + 3 tag "e2"
            tif gtd(30m)
    ''') == order("buy", "es", call(name("qty_of"), name("risk")),
                  clause("limit", binop("-", attr(name("es"), "close"), num(1))),
                  clause("stop_loss", binop("-", attr(name("es"), "close"), num(2))),
                  clause("take_profit", binop("+", attr(name("es"), "close"), num(3))),
                  clause("tag", word="e2"),
                  clause("tif", dur("30m", 30 * NS_M), word="gtd"))


def test_continuation_order_span_covers_its_clause_lines():
    module, _ = parse("on start:\n    buy btc 1 limit 100\n        stop_loss 90\n        tif gtd(30m)\n    x = 1\n")
    o = module.items[0].body[0]
    assert (o.span.line, o.span.col, o.span.end_line, o.span.end_col) == (2, 5, 4, 21)
    assert (o.clauses[1].span.line, o.clauses[1].span.col) == (3, 9)


def test_target():
    assert body('''
        target btc -size
        target btc 2 limit 3
    ''') == [{"kind": "target", "instrument": "btc", "qty": unary("-", name("size")), "clauses": []},
             {"kind": "target", "instrument": "btc", "qty": num(2), "clauses": [clause("limit", num(3))]}]


def test_close_instrument_and_close_all():
    assert body('''
        close btc
        close btc limit 100 tif ioc
        close all
        close all tag "flat"
    ''') == [{"kind": "close", "instrument": "btc", "clauses": []},
             {"kind": "close", "instrument": "btc", "clauses": [clause("limit", num(100)), clause("tif", word="ioc")]},
             {"kind": "close", "instrument": None, "clauses": []},
             {"kind": "close", "instrument": None, "clauses": [clause("tag", word="flat")]}]


def test_cancel_all_instrument_and_tag():
    assert body('''
        cancel all
        cancel btc
        cancel "entry"
    ''') == [{"kind": "cancel", "scope": "all", "name": None},
             {"kind": "cancel", "scope": "instrument", "name": "btc"},
             {"kind": "cancel", "scope": "tag", "name": "entry"}]


def test_modify():
    assert body('''
        modify "entry" limit 101.5
        modify "entry" qty 2 stop 99
    ''') == [{"kind": "modify", "tag": "entry", "clauses": [clause("limit", num(101.5))]},
             {"kind": "modify", "tag": "entry", "clauses": [clause("qty", num(2)), clause("stop", num(99))]}]


def test_record():
    assert stmt("record pnl = x + 1") == {"kind": "record", "name": "pnl", "value": binop("+", name("x"), num(1))}


# ---------------------------------------------------------------- log messages

def test_log_with_interpolation_decimals_and_escaped_braces():
    assert stmt('log "price {btc.close} avg {x:.2} {{literal}} done"') == {"kind": "log", "parts": [
        {"text": "price ", "expr": None, "decimals": None},
        {"text": None, "expr": attr(name("btc"), "close"), "decimals": None},
        {"text": " avg ", "expr": None, "decimals": None},
        {"text": None, "expr": name("x"), "decimals": 2},
        {"text": " {literal} done", "expr": None, "decimals": None},
    ]}


def test_log_text_escapes_are_decoded():
    assert stmt(r'log "tab\there \"q\" \\ {x}"') == {"kind": "log", "parts": [
        {"text": 'tab\there "q" \\ ', "expr": None, "decimals": None},
        {"text": None, "expr": name("x"), "decimals": None},
    ]}


def test_log_interpolation_positions_point_into_the_string():
    module, _ = parse('on start:\n    log "a {x + 1} b {btc.close:.2}"\n')
    parts = module.items[0].body[0].parts
    spans = [(p.span.line, p.span.col, p.span.end_col) for p in parts]
    # `"` is at column 9, so `a` is at 10, `{x + 1}` at 12..18, ` b ` at 19..21, `{btc.close:.2}` at 22..35
    assert spans == [(2, 10, 12), (2, 12, 19), (2, 19, 22), (2, 22, 36)]
    inner = parts[3].expr
    assert (inner.span.col, inner.span.end_col, inner.name_span.col) == (23, 32, 27)


def test_syntax_error_inside_an_interpolation_is_reported_inside_the_string():
    module, diags = parse('on start:\n    log "a {x +} b"\n')
    assert diag_list(diags) == [("E0001", 2, 16)]
    assert strip_spans(module.items[0].body) == [{"kind": "log", "parts": [
        {"text": "a ", "expr": None, "decimals": None}, {"text": " b", "expr": None, "decimals": None}]}]


@pytest.mark.parametrize("message,col,text", [
    ('"a {x"', 12, "never closed"),
    ('"b } c"', 12, "single `}`"),
    ('"n {} m"', 12, "empty interpolation"),
])
def test_bad_log_message_is_E0008(message, col, text):
    module, diags = parse(f"on start:\n    log {message}\n    y = 1\n")
    assert diag_list(diags) == [("E0008", 2, col)]
    assert text in diags.items[0].message
    assert strip_spans(module.items[0].body)[1] == assign("y", num(1))


# ---------------------------------------------------------------- syntax errors and recovery

def test_three_independent_syntax_errors_are_all_reported_and_the_rest_is_kept():
    module, diags = parse('''
        strategy S
        instrument btc = "X.Y"
        data btc bars 1m
        on bar btc:
            x = 1 +
            y = 2
        on fill:
            if x >:
                pass
            z = 3
        const k = = 4
        series s = btc.close
    ''')
    assert diag_list(diags) == [("E0001", 5, 12), ("E0001", 8, 11), ("E0001", 11, 11)]
    assert all(d.is_error for d in diags.items)
    assert strip_spans(module.items) == [
        {"kind": "header", "name": "S", "doc": None},
        {"kind": "instrument", "name": "btc", "symbol": "X.Y"},
        data("btc", "bars", timeframe=dur("1m", NS_M)),
        handler("bar", [PASS, assign("y", num(2))], target="btc"),
        # A broken `if` line keeps its block under a stand-in header, so errors inside it are still found.
        handler("fill", [{"kind": "if", "branches": [{"cond": {"kind": "bool", "value": False}, "body": [PASS]}],
                          "orelse": None}, assign("z", num(3))]),
        {"kind": "series", "name": "s", "value": attr(name("btc"), "close")},
    ]


def test_syntax_error_message_says_what_was_expected():
    _, diags = parse("on start:\n    if x >:\n        pass\n")
    (d,) = diags.items
    assert d.code == "E0001"
    assert d.message.startswith("unexpected `:`, expected ")
    assert d.message == "unexpected `:`, expected an expression"


def test_syntax_error_on_a_continuation_clause_drops_only_that_line():
    module, diags = parse('on start:\n    buy btc 1 limit 100\n        stop_loss\n        tag "x"\n    y = 4\n')
    assert diag_list(diags) == [("E0001", 3, 18)]
    assert strip_spans(module.items[0].body) == [
        order("buy", "btc", num(1), clause("limit", num(100)), clause("tag", word="x")), assign("y", num(4))]


def test_error_in_an_elif_condition_is_reported_once():
    _, diags = parse('''
        on start:
            if a:
                x = 1
            elif b >:
                x = 2
            else:
                x = 3
            y = 4
    ''')
    assert diag_list(diags) == [("E0001", 4, 13)]


def test_unclosed_bracket_does_not_swallow_the_following_declarations():
    module, diags = parse('''
        strategy S
        series s = (1 +
        series t = 4
        const k = 5
        on start:
            x = 1
    ''')
    assert [d.code for d in diags.items] == ["E0001"]
    assert diags.items[0].span.line == 2
    kinds = [i["kind"] for i in strip_spans(module.items)]
    assert kinds == ["header", "series", "const", "handler"]


def test_tab_in_indentation_is_E0004():
    module, diags = parse("on start:\n    x = 1\n\ty = 2\n")
    assert diag_list(diags) == [("E0004", 3, 1)]
    assert diags.items[0].message == "tab character in indentation"
    assert diags.items[0].help == "indent with spaces; the formatter uses 4 per level"
    assert strip_spans(module.items) == [handler("start", [assign("x", num(1)), PASS])]


def test_each_tab_indented_line_is_reported():
    _, diags = parse("on start:\n\tx = 1\n\ty = 2\n")
    assert diag_list(diags) == [("E0004", 2, 1), ("E0004", 3, 1)]


def test_tab_indented_line_does_not_swallow_the_correctly_indented_lines_after_it():
    module, diags = parse("on start:\n\tx = 1\n    y = 2\n")
    assert diag_list(diags) == [("E0004", 2, 1)]
    assert strip_spans(module.items) == [handler("start", [PASS, assign("y", num(2))])]


def test_tab_after_spaces_is_reported_at_the_tab():
    _, diags = parse("on start:\n    x = 1\n    \ty = 2\n")
    assert diag_list(diags) == [("E0004", 3, 5)]


def test_inconsistent_dedent_is_E0003():
    module, diags = parse('''
        on start:
            if a:
                x = 1
              y = 2
            z = 3
    ''')
    assert diag_list(diags) == [("E0003", 4, 1)]
    d = diags.items[0]
    assert (d.span.end_col, d.help) == (7, "indent it by 4 spaces to continue the enclosing block")
    assert strip_spans(module.items[0].body) == [
        {"kind": "if", "branches": [{"cond": name("a"), "body": [assign("x", num(1))]}], "orelse": None},
        assign("z", num(3))]


def test_unterminated_string_is_E0005():
    module, diags = parse('on start:\n    x = "abc\n    y = 2\n')
    assert diag_list(diags) == [("E0005", 2, 9)]
    assert strip_spans(module.items[0].body) == [PASS, assign("y", num(2))]


def test_unterminated_string_at_top_level_drops_only_that_declaration():
    module, diags = parse('strategy S\nconst s = "abc\nconst k = 1\n')
    assert diag_list(diags) == [("E0005", 2, 11)]
    assert [i["kind"] for i in strip_spans(module.items)] == ["header", "const"]
    assert module.items[1].name == "k"


@pytest.mark.parametrize("char", ["$", "@", "?", "€"])
def test_unexpected_character_is_E0002(char):
    module, diags = parse(f"on start:\n    x = 1 {char} 2\n    y = 2\n")
    assert diag_list(diags) == [("E0002", 2, 11)]
    assert diags.items[0].message == f"unexpected character `{char}`"
    assert strip_spans(module.items[0].body) == [PASS, assign("y", num(2))]


@pytest.mark.parametrize("literal", ["12abc", "1_000", "5x", "2m30"])
def test_bad_number_literal_is_E0009(literal):
    module, diags = parse(f"on start:\n    x = {literal}\n    y = 2\n")
    assert diag_list(diags) == [("E0009", 2, 9)]
    assert strip_spans(module.items[0].body) == [PASS, assign("y", num(2))]


def test_number_out_of_range_is_E0009():
    _, diags = parse("const big = 1e999\n")
    assert diag_list(diags) == [("E0009", 1, 13)]


def test_unknown_string_escape_is_E0009():
    module, diags = parse('const s = "a\\qb"\n')
    assert diag_list(diags) == [("E0009", 1, 13)]
    assert "\\q" in diags.items[0].message


def test_fractional_book_depth_is_E0009():
    _, diags = parse("data btc book depth 1.5\n")
    assert diag_list(diags) == [("E0009", 1, 21)]


def test_statement_on_the_handler_line_is_E0001():
    module, diags = parse("on start: x = 1\nconst k = 1\n")
    assert diag_list(diags) == [("E0001", 1, 11)]
    assert diags.items[0].message == "unexpected `x`, expected end of line"
    assert [i["kind"] for i in strip_spans(module.items)] == ["const"]


def test_handler_without_body_is_E0001():
    module, diags = parse("on start:\nconst k = 1\n")
    assert diag_list(diags) == [("E0001", 1, 10)]
    assert "expected an indented block" in diags.items[0].message
    assert [i["kind"] for i in strip_spans(module.items)] == ["const"]


def test_handler_without_body_gets_the_block_help():
    _, diags = parse("on start:\nconst k = 1\n")
    assert diags.items[0].help == "a block after `:` starts on the next line, indented"


def test_error_in_a_handler_header_drops_the_handler_only():
    module, diags = parse("strategy S\non bar:\n    x = 1\nconst k = 1\n")
    assert diag_list(diags) == [("E0001", 2, 7)]
    assert [i["kind"] for i in strip_spans(module.items)] == ["header", "const"]


def test_parse_returns_module_with_path():
    module, _ = parse("strategy S\n")
    assert module.path == "t.nts"
    assert module.header is not None and module.header.name == "S"
