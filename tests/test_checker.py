"""Semantic checks through `check_text`: for each rule a program that passes and one that fails with the exact code
at the exact line:col, and the static facts the checker derives (lookbacks, clocks, indicator state sizes).

Tests marked `xfail(strict=True)` state the correct behaviour where the checker does not (yet) have it.
"""

from __future__ import annotations

import textwrap


from nts.compiler.frontend import check_text

PRELUDE = '''\
strategy T
instrument btc = "BTCUSDT.BINANCE"
data btc bars 1m
'''


# ---------------------------------------------------------------- helpers

def program(body: str) -> str:
    """The prelude (a strategy, `btc` and its 1m bars; lines 1-3) followed by `body` from line 4."""
    return PRELUDE + textwrap.dedent(body).strip("\n") + "\n"


def check(body: str):
    return check_text(program(body), "t.nts")


def diags(result) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.col) for d in result.diagnostics.sorted()]


def codes(result) -> list[str]:
    return [d.code for d in result.diagnostics.sorted()]


def pos(body: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """(line, col) in `program(body)` of the `nth` occurrence of `needle` in the body (the prelude is not searched).

    A `^` in the needle marks the character whose position is wanted: `"0..^k:"` is the `k` of `0..k:`.
    """
    text = program(body)
    mark = needle.find("^")
    plain = needle.replace("^", "", 1) if mark >= 0 else needle
    at = len(PRELUDE) - 1
    for _ in range(nth):
        at = text.index(plain, at + 1)
    at += max(mark, 0)
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    return line, col


def only(result, code: str):
    """The one diagnostic of the result, which must have `code`."""
    items = result.diagnostics.sorted()
    assert [d.code for d in items] == [code], [(d.code, d.span.line, d.span.col, d.message) for d in items]
    return items[0]


def assert_clean(result):
    assert result.diagnostics.items == [], [(d.code, d.span.line, d.span.col, d.message)
                                            for d in result.diagnostics.items]
    assert result.ok


def expect(body: str, *expected: tuple[str, str] | tuple[str, str, int]):
    """Check `body` and require exactly the diagnostics `(code, needle[, nth])`, each at its needle's position."""
    result = check(body)
    want = sorted((e[0], *pos(body, e[1], e[2] if len(e) > 2 else 1)) for e in expected)
    got = sorted(diags(result))
    assert got == want, [(d.code, d.span.line, d.span.col, d.message) for d in result.diagnostics.sorted()]
    return result


def series_fact(result, name: str):
    return next(s for s in result.facts.series if s.name == name)


# ---------------------------------------------------------------- a complete program

def test_complete_strategy_checks_clean_and_reports_its_facts():
    body = '''
        param fast: int = 10 in 2..200
        param slow: int = 30 in 5..500
        param size: float = 1.0
        data btc bars 1h as trend
        series f = ema(btc.close, fast)
        series s = ema(btc.close, slow)
        series tr = trend.close - trend.close[3]
        on bar btc:
            if crossover(f, s):
                target btc size
            elif crossunder(f, s) and tr > 0:
                target btc -size
    '''
    result = check(body)
    assert_clean(result)
    facts = result.facts
    assert facts.strategy == "T"
    assert facts.timezone == "UTC"
    assert [(p.name, p.type, p.default, p.lo, p.hi) for p in facts.params] == [
        ("fast", "int", 10, 2, 200), ("slow", "int", 30, 5, 500), ("size", "float", 1.0, None, None)]
    assert [(s.key, s.data, s.timeframe_ns, s.alias) for s in facts.streams] == [
        ("btc.bars", "bars", 60_000_000_000, None), ("trend", "bars", 3_600_000_000_000, "trend")]
    assert [(s.name, s.type, s.lookback, s.clock) for s in facts.series] == [
        ("f", "float", 0, ["btc.bars"]), ("s", "float", 0, ["btc.bars"]), ("tr", "float", 0, ["trend"])]
    assert facts.field_lookback == {"trend.close": 3}
    assert [(h.event, h.target, h.stream, h.line) for h in facts.handlers] == [
        ("bar", "btc", "btc.bars", pos(body, "on bar")[0])]
    assert [(c.function, (c.line, c.col), c.static_args) for c in facts.indicator_calls] == [
        ("ema", pos(body, "ema"), {"length": 200}), ("ema", pos(body, "ema", 2), {"length": 500}),
        ("crossover", pos(body, "crossover"), {}), ("crossunder", pos(body, "crossunder"), {})]
    assert (facts.indicator_calls[0].line, facts.indicator_calls[0].col) == (8, 12)


# ---------------------------------------------------------------- name resolution

def test_known_names_resolve():
    assert_clean(check('''
        param slow: int = 30 in 5..50
        const k = 2
        series s = btc.close * k
        on bar btc:
            x = slow + 1
            if s > x:
                y = x
                z = y + btc.high
    '''))


def test_unknown_name_is_E0101_with_did_you_mean():
    body = '''
        param slow: int = 30 in 5..50
        on bar btc:
            if slwo > 3:
                x = slow
    '''
    result = expect(body, ("E0101", "slwo"))
    d = result.diagnostics.items[0]
    assert d.message == "unknown name `slwo`"
    assert d.help == "did you mean `slow`?"
    assert (d.span.end_line, d.span.end_col) == (pos(body, "slwo")[0], pos(body, "slwo")[1] + 4)


def test_misspelt_local_gets_a_hint_and_unrelated_names_none():
    body = '''
        on bar btc:
            total = 1
            a = totl + 1
            b = zzzzqq
    '''
    result = expect(body, ("E0101", "totl"), ("E0101", "zzzzqq"))
    helps = [d.help for d in result.diagnostics.sorted()]
    assert helps == ["did you mean `total`?", None]


def test_unknown_field_is_E0105_with_did_you_mean():
    result = expect("on bar btc:\n    y = btc.clsoe\n", ("E0105", "clsoe"))
    assert result.diagnostics.items[0].help == "did you mean `close`?"


def test_unknown_function_is_E0101_with_did_you_mean():
    result = expect("series m = smaa(btc.close, 3)\non bar btc:\n    x = m\n", ("E0101", "smaa"))
    assert result.diagnostics.items[0].help == "did you mean `sma`?"


def test_unknown_instrument_in_order_is_E0101_with_did_you_mean():
    result = expect("on bar btc:\n    buy btx 1\n", ("E0101", "btx"))
    assert result.diagnostics.items[0].help == "did you mean `btc`?"


def test_local_of_one_handler_is_unknown_in_another():
    expect('''
        data btc quotes
        on bar btc:
            x = 1
        on quote btc:
            y = x
    ''', ("E0101", "x", 2))


def test_loop_variable_is_unknown_after_its_loop():
    expect('''
        on bar btc:
            for i in 0..3:
                pass
            y = i
    ''', ("E0101", "= ^i\n"))


# ---------------------------------------------------------------- duplicates

def test_distinct_names_are_fine():
    assert_clean(check("param p: int = 1\nconst q = 2\non bar btc:\n    x = p + q\n"))


def test_duplicate_param_is_E0102_at_the_second_name():
    body = "param p: int = 1\nparam p: int = 2\non bar btc:\n    x = p\n"
    result = expect(body, ("E0102", "p:", 2))
    d = result.diagnostics.items[0]
    assert d.message == "`p` is defined more than once"
    assert d.help == "first defined at t.nts:4:7"


def test_const_and_series_share_one_name_space():
    expect("const a = 1\nseries a = btc.close\non bar btc:\n    x = a\n", ("E0102", "a =", 2))


def test_duplicate_instrument_is_E0102():
    result = expect('instrument btc = "X.Y"\n', ("E0102", "btc"))
    assert result.diagnostics.items[0].help == "first defined at t.nts:2:12"


def test_redefining_a_stdlib_function_or_an_event_is_E0102():
    result = expect('''
        def sma(x: float) -> float:
            return x
        var fill: int = 0
    ''', ("E0102", "sma"), ("E0102", "fill"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "`sma` is a stdlib function and cannot be redefined", "`fill` is an event and cannot be redefined"]


def test_second_unaliased_subscription_of_the_same_kind_is_E0102():
    result = expect("data btc bars 5m\n", ("E0102", "data btc bars 5m"))
    assert result.diagnostics.items[0].help == "name the second subscription: `data btc bars 5m as btc_5m`"


def test_loop_variable_hiding_another_is_E0102():
    expect('''
        series x = btc.close
        on bar btc:
            for i in 0..3:
                for i in 0..2:
                    y = x[i]
    ''', ("E0102", "i in 0..2"))


def test_duplicate_caret_points_at_the_name_whatever_the_spacing():
    expect("param p: int = 1\nparam  p: int = 2\non bar btc:\n    x = p\n", ("E0102", "p:", 2))


# ---------------------------------------------------------------- types

def test_int_converts_to_float_implicitly():
    assert_clean(check('''
        var v: float = 1
        const f: float = 2
        def half(x: float) -> float:
            return x / 2
        on bar btc:
            v = 2
            v = half(3) + f
            buy btc 1 limit 100
    '''))


def test_float_to_int_is_rejected():
    body = '''
        var w: int = 1.5
        def f(x: int) -> int:
            return x * 2.0
        on bar btc:
            w = 2.0
            y = f(1.5)
            n = 1
            n = 2.5
    '''
    result = expect(body, ("E0201", "1.5"), ("E0201", "x * 2.0"), ("E0201", "2.0", 2), ("E0201", "1.5)"),
                    ("E0201", "2.5"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "`w` is declared int but initialised with float",
        "`f` returns int, not float",
        "`w` is int; cannot assign float",
        "argument `x` of `f` must be int, not float",
        "`n` holds int (line 10); cannot assign float",
    ]


def test_division_of_ints_is_float_and_floor_division_int():
    body = '''
        var n: int = 0
        var r: float = 0
        on bar btc:
            n = 7 // 2
            n = 7 % 2
            r = 7 / 2
            n = 7 / 2
    '''
    expect(body, ("E0201", "7 / 2", 2))


def test_bool_arithmetic_and_non_bool_logic_are_rejected():
    body = '''
        on bar btc:
            x = true + 1
            y = true and 1
            z = not 1
            w = -true
    '''
    result = expect(body, ("E0201", "true + 1"), ("E0201", "and ^1"), ("E0201", "not ^1"), ("E0201", "-^true"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "`+` is not defined for bool and int", "an operand of `and` must be bool, not int",
        "the operand of `not` must be bool, not int", "`-` needs a number, not bool"]


def test_duration_and_timestamp_arithmetic():
    assert_clean(check('''
        var d: duration = 0s
        var t: timestamp
        var r: float = 0
        var n: int = 0
        on bar btc:
            d = time - time
            d = 5m * 2
            d = 2 * 5m
            d = 5m / 2
            d = 5m % 2m
            d = -5m + 1h30m
            r = 5m / 5m
            n = 5m // 1m
            t = time + 5m
            t = 5m + time
            t = time - 1h
            if d > 1m and t >= time:
                pass
    '''))


def test_invalid_duration_and_timestamp_arithmetic():
    body = '''
        var d: duration = 0s
        on bar btc:
            e = time + time
            f = 5m + 1
            g = 5m - time
            h = 5m * 5m
            d = 5m / 5m
            k = time < 5m
    '''
    result = expect(body, ("E0201", "time + time"), ("E0201", "5m + 1"), ("E0201", "5m - time"),
                    ("E0201", "5m * 5m"), ("E0201", "5m / 5m"), ("E0201", "time < 5m"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "`+` is not defined for timestamp and timestamp", "`+` is not defined for duration and int",
        "`-` is not defined for duration and timestamp", "`*` is not defined for duration and duration",
        "`d` is duration; cannot assign float", "cannot compare timestamp with duration using `<`"]


def test_ternary_unifies_int_and_float_to_float():
    body = '''
        var r: float = 0
        var n: int = 0
        on bar btc:
            r = 1 if btc.close > 0 else 2.0
            n = 1 if btc.close > 0 else 2
            n = 1 if btc.close > 0 else 2.0
    '''
    result = expect(body, ("E0201", "1 if btc.close > 0 else 2.0", 2))
    assert result.diagnostics.items[0].message == "`n` is int; cannot assign float"


def test_ternary_branches_that_do_not_unify_and_non_bool_condition():
    body = '''
        on bar btc:
            b = 1 if btc.close > 0 else "s"
            c = 1 if 1 else 2
    '''
    result = expect(body, ("E0201", '1 if btc.close > 0 else "s"'), ("E0201", "1 else"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "the branches of `if ... else` differ: int and string", "a condition must be bool, not int"]


def test_valid_comparisons():
    assert_clean(check('''
        on bar btc:
            a = 1 < 2.0
            b = "a" == "b"
            c = true != false
            d = 5m >= 1m
            e = time > time
            if a and b and c and d and e:
                pass
    '''))


def test_invalid_comparisons():
    body = '''
        on bar btc:
            a = "a" < "b"
            b = true < false
            c = 1 == "a"
    '''
    result = expect(body, ("E0201", '"a" < "b"'), ("E0201", "true < false"), ("E0201", '1 == "a"'))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "cannot compare string with string using `<`", "cannot compare bool with bool using `<`",
        "cannot compare int with string using `==`"]


def test_conditions_quantities_and_loop_bounds_are_typed():
    body = '''
        on bar btc:
            if btc.close:
                pass
            for i in 0..2.5:
                pass
            buy btc "one"
    '''
    result = expect(body, ("E0201", "btc.close:"), ("E0201", "2.5"), ("E0201", '"one"'))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "an `if` condition must be bool, not float", "a loop bound must be int, not float",
        "a quantity must be a number, not string"]


# ---------------------------------------------------------------- static facts: lookbacks

def test_lookback_of_a_literal_history_index():
    result = check("series x = btc.close\non bar btc:\n    y = x[3]\n")
    assert_clean(result)
    assert series_fact(result, "x").lookback == 3


def test_lookback_of_a_param_index_is_its_range_upper_bound():
    result = check('''
        param fast: int = 10 in 2..50
        series x = btc.close
        on bar btc:
            y = x[fast]
    ''')
    assert_clean(result)
    assert series_fact(result, "x").lookback == 50


def test_lookback_of_param_arithmetic_uses_interval_bounds():
    result = check('''
        param fast: int = 10 in 2..50
        series x = btc.close
        series y = x[fast - 1] + x[fast // 2]
        on bar btc:
            if y > 0:
                pass
    ''')
    assert_clean(result)
    assert series_fact(result, "x").lookback == 49


def test_lookback_of_a_loop_variable_with_const_bound_is_inclusive():
    result = check('''
        const n = 7
        series x = btc.close
        on bar btc:
            s = 0.0
            for i in 0..n:
                s += x[i]
    ''')
    assert_clean(result)
    assert series_fact(result, "x").lookback == 7


def test_lookback_of_nested_loop_variables():
    result = check('''
        series x = btc.close
        on bar btc:
            s = 0.0
            for i in 0..3:
                for j in 0..i:
                    s += x[i + j]
    ''')
    assert_clean(result)
    assert series_fact(result, "x").lookback == 6


def test_field_lookback_of_a_data_field():
    result = check('''
        const n = 7
        on bar btc:
            s = 0.0
            for i in 1..n:
                s += btc.close[i + 1]
            h = btc.high[2]
    ''')
    assert_clean(result)
    assert result.facts.field_lookback == {"btc.bars.close": 8, "btc.bars.high": 2}


def test_field_lookback_through_an_alias_and_the_largest_read_wins():
    result = check('''
        data btc bars 1h as trend
        series t = trend.close[2] - trend.close[5]
        on bar btc:
            if t > trend.close[1]:
                pass
    ''')
    assert_clean(result)
    assert result.facts.field_lookback == {"trend.close": 5}


def test_lookback_of_an_indicator_output():
    result = check('''
        series k = macd(btc.close)
        on bar btc:
            if k.line[2] > k.signal:
                pass
    ''')
    assert_clean(result)
    assert series_fact(result, "k").lookback == 2
    assert series_fact(result, "k").type == "(line: float, signal: float, hist: float)"


# ---------------------------------------------------------------- static facts: indicator state

def test_indicator_static_args_are_sized_by_the_param_range_upper_bound():
    result = check('''
        param length: int = 14 in 2..100
        series r = rsi(btc.close, length)
        series m = sma(btc.close, 20)
        series k = macd(btc.close, fast=8)
        on bar btc:
            if r > 70 and m > 0 and k.line > 0:
                pass
    ''')
    assert_clean(result)
    assert [(c.function, c.line, c.col, c.static_args, c.clock) for c in result.facts.indicator_calls] == [
        ("rsi", 5, 12, {"length": 100}, ["btc.bars"]),
        ("sma", 6, 12, {"length": 20}, ["btc.bars"]),
        ("macd", 7, 12, {"fast": 8, "slow": 26, "signal": 9}, ["btc.bars"]),
    ]


def test_indicator_static_duration_arg_is_in_nanoseconds():
    result = check('''
        series w = vwap(btc, session=4h)
        on bar btc:
            if w > 0:
                pass
    ''')
    assert_clean(result)
    assert result.facts.indicator_calls[0].static_args == {"session": 4 * 3_600_000_000_000}


def test_defaulted_static_duration_arg_is_in_nanoseconds_too():
    result = check('''
        series v = vwap(btc)
        on bar btc:
            if v > 0:
                pass
    ''')
    assert_clean(result)
    assert result.facts.indicator_calls[0].static_args == {"session": 86_400_000_000_000}


# ---------------------------------------------------------------- static facts: clocks

def test_series_clock_is_the_stream_it_reads():
    result = check('''
        data btc bars 1h as trend
        series t = sma(trend.close, 10)
        on bar btc:
            if t > 0:
                pass
    ''')
    assert_clean(result)
    assert series_fact(result, "t").clock == ["trend"]
    assert result.facts.indicator_calls[0].clock == ["trend"]


def test_series_mixing_two_streams_has_both_clocks_and_series_of_series_inherit_them():
    result = check('''
        data btc bars 1h as trend
        series trend_ma = sma(trend.close, 10)
        series mix = btc.close - trend.close
        series both = trend_ma + mix
        on bar btc:
            if trend_ma > 0 and mix > 0 and both > 0:
                pass
    ''')
    assert_clean(result)
    assert series_fact(result, "mix").clock == ["btc.bars", "trend"]
    assert series_fact(result, "both").clock == ["btc.bars", "trend"]


def test_handler_facts_name_their_stream():
    result = check('''
        data btc bars 1h as trend
        data btc quotes
        const EVERY = 30m
        on bar trend:
            x = trend.close
        on quote btc:
            y = btc.bid
        on timer EVERY:
            pass
        on order denied:
            r = order.reason
    ''')
    assert_clean(result)
    assert [(h.event, h.target, h.stream, h.order_event, h.interval_ns, h.line) for h in result.facts.handlers] == [
        ("bar", "trend", "trend", None, None, 7), ("quote", "btc", "btc.quotes", None, None, 9),
        ("timer", None, None, None, 30 * 60_000_000_000, 11), ("order", None, None, "denied", None, 13)]


# ---------------------------------------------------------------- history indices

def test_unbounded_index_from_a_local_is_E0301():
    body = '''
        series x = btc.close
        on bar btc:
            k = 3
            y = x[k]
    '''
    result = expect(body, ("E0301", "k]"))
    assert result.diagnostics.items[0].message == "a history index must have a bound known before the run"


def test_index_from_a_param_without_range_is_E0301():
    expect('''
        param p: int = 3
        series x = btc.close
        on bar btc:
            y = x[p]
    ''', ("E0301", "p]"))


def test_negative_index_is_E0302():
    body = '''
        series x = btc.close
        on bar btc:
            y = x[-1]
            z = btc.close[0 - 2]
    '''
    result = expect(body, ("E0302", "-1"), ("E0302", "0 - 2"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "negative history index (-1): the future is not known", "negative history index (-2): the future is not known"]


def test_param_range_reaching_below_zero_as_index_is_E0302():
    expect('''
        param p: int = 3 in -5..5
        series x = btc.close
        on bar btc:
            y = x[p]
    ''', ("E0302", "p]"))


# ---------------------------------------------------------------- lookahead

def test_event_fields_and_data_where_they_are_known():
    assert_clean(check('''
        data btc quotes
        on fill:
            x = fill.price + fill.qty
        on order rejected:
            if order.reason == "price_band":
                pass
        on bar btc:
            b = bar_index + 1
            c = btc.close
        on stop:
            d = btc.close
        on start:
            t = time
    '''))


def test_fill_price_outside_on_fill_is_E0303():
    result = expect("on bar btc:\n    y = fill.price\n", ("E0303", "fill.price"))
    assert result.diagnostics.items[0].message == "`fill.price` is only known in `on fill`"


def test_order_reason_outside_on_order_is_E0303():
    body = '''
        on bar btc:
            z = order.reason
        on fill:
            w = order.reason
    '''
    result = expect(body, ("E0303", "order.reason"), ("E0303", "order.reason", 2))
    assert result.diagnostics.items[0].message == "`order.reason` is only known in `on order ...` handlers"


def test_fill_field_in_an_order_handler_is_E0303():
    expect("on order rejected:\n    s = fill.qty\n", ("E0303", "fill.qty"))


def test_market_data_series_and_indicators_in_on_start_are_E0303():
    body = '''
        series s = btc.close
        on start:
            a = btc.close
            b = s
            c = s[1]
            d = sma(btc.close, 3)
    '''
    result = expect(body, ("E0303", "a = ^btc.close"), ("E0303", "b = ^s"), ("E0303", "c = ^s[1]"),
                    ("E0303", "sma"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "no market data is known yet in `on start`", "the series `s` has no value yet in `on start`",
        "the series `s` has no value yet in `on start`", "`sma` has no value yet in `on start`"]


def test_bar_index_in_on_quote_is_E0303():
    body = "data btc quotes\non quote btc:\n    x = bar_index\n"
    result = expect(body, ("E0303", "bar_index"))
    assert result.diagnostics.items[0].message.startswith("`bar_index` counts the bars of an `on bar` handler")


def test_bar_index_in_a_series_is_E0303():
    # A series may update on several streams, so "the current bar" has no single meaning there.
    body = '''
        series b = bar_index
        on bar btc:
            if b > 10:
                pass
    '''
    expect(body, ("E0303", "bar_index"))


# ---------------------------------------------------------------- actions need data

def test_actions_on_instruments_with_data():
    assert_clean(check('''
        instrument eth = "ETHUSDT.BINANCE"
        data eth quotes
        on bar btc:
            buy eth 1
            sell btc 1
            close eth
            target btc 0
            cancel eth
    '''))


def test_action_on_instrument_without_data_is_E0304():
    body = '''
        instrument eth = "ETHUSDT.BINANCE"
        on bar btc:
            buy eth 1
            close eth
            target eth 1
            cancel eth
    '''
    result = expect(body, ("E0304", "eth", 2), ("E0304", "eth", 3), ("E0304", "eth", 4))
    assert result.diagnostics.items[0].help == "subscribe to it: `data eth bars 1m` or `data eth quotes`"


# ---------------------------------------------------------------- series purity

def test_series_read_data_series_params_consts_and_pure_functions():
    assert_clean(check('''
        param k: float = 2.0
        const c = 3
        def twice(x: float) -> float:
            return x * 2
        series a = btc.close * k + c
        series b = twice(a) + time_of_day(time) / 1h
        on bar btc:
            if b > 0:
                pass
    '''))


def test_series_reading_a_var_is_E0305():
    body = '''
        var v: float = 0
        series s1 = btc.close + v
        on bar btc:
            v = 1.0
            if s1 > 0:
                pass
    '''
    result = expect(body, ("E0305", "v\n"))
    assert result.diagnostics.items[0].message == "the series `s1` cannot read the var `v`"


def test_series_reading_portfolio_state_is_E0305():
    body = '''
        series s2 = position(btc)
        series s3 = btc.close * equity
        on bar btc:
            if s2 > 0 and s3 > 0:
                pass
    '''
    result = expect(body, ("E0305", "position"), ("E0305", "equity"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "the series `s2` cannot read `position(...)`", "the series `s3` cannot read `equity`"]


def test_stateful_call_reading_a_local_or_var_in_a_handler_is_E0305():
    body = '''
        var v: float = 0
        on bar btc:
            k = 1.0
            m = sma(btc.close + k, 10)
            n = ema(v, 10)
    '''
    result = expect(body, ("E0305", "k,"), ("E0305", "v,"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "the series argument `source` of `sma` cannot read the local `k`",
        "the series argument `source` of `ema` cannot read the var `v`"]


# ---------------------------------------------------------------- static arguments

def test_static_args_from_literals_consts_and_ranged_params():
    assert_clean(check('''
        const L = 20
        param p: int = 10 in 1..50
        series a = sma(btc.close, L)
        series b = sma(btc.close, p)
        on bar btc:
            if a > b:
                pass
    '''))


def test_param_without_range_as_indicator_length_is_E0306():
    body = '''
        param p: int = 10
        series a = sma(btc.close, p)
        on bar btc:
            if a > 0:
                pass
    '''
    result = expect(body, ("E0306", "p)"))
    assert result.diagnostics.items[0].message == "argument `length` of `sma` must be known before the run"


def test_length_whose_range_includes_zero_is_E0306():
    body = '''
        param q: int = 5 in 0..10
        series b = sma(btc.close, q)
        series c = ema(btc.close, 0)
        on bar btc:
            if b > c:
                pass
    '''
    result = expect(body, ("E0306", "q)"), ("E0306", "0)"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "argument `length` of `sma` must be at least 1; it can be 0",
        "argument `length` of `ema` must be at least 1; it can be 0"]


def test_timer_interval_from_a_param_is_E0306():
    result = expect('''
        param d: duration = 5m
        on timer d:
            pass
        on bar btc:
            x = d
    ''', ("E0306", "timer ^d:"))
    assert result.diagnostics.items[0].message == "a timer interval must be known before the run"


def test_param_read_in_a_static_context_is_not_also_reported_unused():
    expect('''
        param d: duration = 5m
        param p: int = 10 in 1..20
        const k = p * 2
        on timer d:
            x = k
    ''', ("E0306", "timer ^d:"), ("E0205", "= ^p * 2"))


# ---------------------------------------------------------------- loops

def test_loops_with_static_bounds():
    assert_clean(check('''
        const n = 5
        param m: int = 3 in 1..10
        on bar btc:
            s = 0
            for i in 0..n:
                for j in i..m:
                    s += i * j
    '''))


def test_loop_bound_from_a_local_is_E0307():
    body = '''
        on bar btc:
            k = 5
            for i in 0..k:
                pass
    '''
    result = expect(body, ("E0307", "k:"))
    assert result.diagnostics.items[0].message == "a loop's bounds must be known before the run"


def test_loop_bound_from_a_param_without_range_is_E0307():
    expect('''
        param p: int = 10
        on bar btc:
            for i in 0..p:
                pass
    ''', ("E0307", "0..^p:"))


# ---------------------------------------------------------------- pure functions

def test_pure_function():
    assert_clean(check('''
        def f(x: float) -> float:
            y = abs(x) + max(x, 1.0)
            for i in 0..3:
                y += i
            return y
        on bar btc:
            z = f(btc.close)
    '''))


def test_impure_functions_are_E0308():
    body = '''
        var v: float = 0
        series s = btc.close
        def f1(x: float) -> float:
            buy btc 1
            return x
        def f2(x: float) -> float:
            return x + v
        def f3(x: float) -> float:
            return s + x
        def f4(x: float) -> float:
            return sma(x, 10)
        def f5(x: float) -> float:
            v = x
            return x
        def f6(x: float) -> float:
            return btc.close + position(btc)
        on bar btc:
            y = f1(1) + f2(1) + f3(1) + f4(1) + f5(1) + f6(1)
    '''
    result = expect(body, ("E0308", "buy btc 1"), ("E0308", "x + ^v"), ("E0308", "s + x"), ("E0308", "sma(x"),
                    ("E0308", "v = x"), ("E0308", "btc.close +"), ("E0308", "position(btc)"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "a function cannot place orders", "a function cannot read the var `v`", "a function cannot read the series `s`",
        "a function cannot call `sma`, which keeps state between events", "a function cannot change the var `v`",
        "a function cannot read market data", "a function cannot read `position(...)`, which is portfolio state"]


# ---------------------------------------------------------------- recursion

def test_direct_recursion_is_E0110():
    body = '''
        def f(x: int) -> int:
            return f(x - 1)
        on bar btc:
            y = f(1)
    '''
    result = expect(body, ("E0110", "def f"))
    assert result.diagnostics.items[0].message == "recursion: f -> f"


def test_mutual_recursion_is_E0110_reported_once():
    body = '''
        def a(x: int) -> int:
            return b(x)
        def b(x: int) -> int:
            return a(x)
        on bar btc:
            y = a(1)
    '''
    result = expect(body, ("E0110", "def a"))
    assert result.diagnostics.items[0].message == "recursion: a -> b -> a"


def test_series_reading_its_own_current_value_is_E0110():
    body = '''
        series c = c + 1
        on bar btc:
            if c > 0:
                pass
    '''
    result = expect(body, ("E0110", "c + 1"))
    assert result.diagnostics.items[0].help == "read its previous value with `c[1]`"


def test_mutually_dependent_series_are_E0110():
    expect('''
        series a = b + 1
        series b = a * 2
        on bar btc:
            if a > 0:
                pass
    ''', ("E0110", "a * 2"))


def test_series_reading_its_own_past_is_allowed():
    result = check('''
        series c = nz(c[1]) + btc.volume
        on bar btc:
            if c > 0:
                pass
    ''')
    assert_clean(result)
    assert series_fact(result, "c").lookback == 1
    assert series_fact(result, "c").type == "float"
    assert series_fact(result, "c").clock == ["btc.bars"]


def test_series_reading_only_its_own_past_never_advances_and_is_E0114():
    body = '''
        series c = nz(c[1]) + 1
        on bar btc:
            if c > 0:
                pass
    '''
    expect(body, ("E0114", "c = nz"))


def test_series_reading_anothers_past_which_reads_its_present_is_allowed_in_this_order():
    assert_clean(check('''
        series b = a * 2
        series a = b[1] + 1
        on bar btc:
            if a > 0:
                pass
    '''))


def test_series_reading_anothers_past_which_reads_its_present_is_allowed_in_any_order():
    assert_clean(check('''
        series a = b[1] + 1
        series b = a * 2
        on bar btc:
            if a > 0:
                pass
    '''))


def test_const_cycle_is_E0110():
    expect('''
        const x = y + 1
        const y = x
        on bar btc:
            z = x
    ''', ("E0110", "const x"))


# ---------------------------------------------------------------- handlers

def test_handlers_on_subscribed_streams():
    assert_clean(check('''
        data btc quotes
        data btc trades
        data btc book depth 10
        data btc bars 1h as trend
        on bar btc:
            pass
        on bar trend:
            pass
        on quote btc:
            pass
        on trade btc:
            pass
        on book btc:
            x = btc.bid_price(0)
    '''))


def test_handler_on_unsubscribed_stream_is_E0108():
    body = '''
        instrument eth = "E.X"
        data btc bars 1h as trend
        on bar eth:
            pass
        on quote btc:
            pass
        on trade btc:
            pass
        on quote trend:
            pass
    '''
    result = expect(body, ("E0108", "eth", 2), ("E0108", "btc:"), ("E0108", "btc:", 2), ("E0108", "trend:"))
    assert [d.help for d in result.diagnostics.sorted()] == [
        "subscribe first: `data eth bars 1m`", "subscribe first: `data btc quotes`",
        "subscribe first: `data btc trades`", "`trend` is `data btc bars 1h as trend`"]


def test_book_handler_help_suggests_a_valid_subscription():
    result = expect("on book btc:\n    pass\n", ("E0108", "btc:"))
    assert result.diagnostics.items[0].help == "subscribe first: `data btc book depth 10`"


def test_handler_on_unknown_name_is_E0101():
    expect("on bar eth:\n    pass\n", ("E0101", "eth"))


def test_duplicate_handlers_are_E0109():
    body = '''
        on bar btc:
            pass
        on bar btc:
            pass
        on fill:
            pass
        on fill:
            pass
        on order rejected:
            pass
        on order canceled:
            pass
        on order rejected:
            pass
        on timer 1h:
            pass
        on timer 30m:
            pass
        on timer 60m:
            pass
        on start:
            pass
        on start:
            pass
    '''
    result = expect(body, ("E0109", "on bar btc", 2), ("E0109", "on fill", 2), ("E0109", "on order rejected", 2),
                    ("E0109", "on timer 60m"), ("E0109", "on start", 2))
    assert result.diagnostics.sorted()[0].help == "the first one is at line 4; merge their bodies"


def test_two_invalid_timers_are_not_reported_as_duplicates():
    expect('''
        param d: duration = 5m
        on timer d:
            pass
        on timer 0s:
            pass
        on bar btc:
            x = d
    ''', ("E0306", "timer ^d:"), ("E0201", "0s"))


# ---------------------------------------------------------------- assignments and statements

def test_assignments_to_locals_vars_and_array_elements():
    assert_clean(check('''
        var count: int = 0
        var ring: float[3]
        on bar btc:
            x = 1
            x += 2
            count += 1
            ring[0] = btc.close
            ring[2] += 1
            for i in 0..2:
                ring[i] = 0.0
    '''))


def test_assignment_to_series_param_const_loop_var_or_builtin_is_E0111():
    body = '''
        param p: int = 1
        const k = 2
        series s = btc.close
        on bar btc:
            s = 1.0
            p = 2
            k = 3
            for i in 0..3:
                i = 2
            equity = 1.0
            x = s + p + k
    '''
    result = expect(body, ("E0111", "s = 1.0"), ("E0111", "p = 2"), ("E0111", "k = 3"), ("E0111", "i = 2"),
                    ("E0111", "equity ="))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "cannot assign to `s` (series)", "cannot assign to `p` (param)", "cannot assign to `k` (const)",
        "cannot assign to the loop variable `i`", "cannot assign to `equity` (built in)"]


def test_array_assignment_rules_are_E0111_and_out_of_range_element_E0209():
    body = '''
        var a: float[3]
        var v: float = 0
        on bar btc:
            a = 1.0
            v[0] = 1.0
            x = 1
            x[0] = 2
            a[3] = 1.0
    '''
    result = expect(body, ("E0111", "a = 1.0"), ("E0111", "v[^0]"), ("E0111", "x[0]"), ("E0209", "a[^3]"))
    assert result.diagnostics.sorted()[-1].message == "index 3 is outside `a` (size 3: 0..2)"


def test_break_and_continue_inside_loops():
    assert_clean(check('''
        on bar btc:
            for i in 0..3:
                if i > 1:
                    break
                continue
    '''))


def test_break_and_continue_outside_a_loop_are_E0112():
    body = '''
        on bar btc:
            if btc.close > 0:
                break
            continue
    '''
    result = expect(body, ("E0112", "break"), ("E0112", "continue"))
    assert [d.message for d in result.diagnostics.sorted()] == ["`break` outside a loop", "`continue` outside a loop"]


def test_return_with_a_value_in_a_handler_is_E0112():
    expect("on bar btc:\n    return 1\n", ("E0112", "1\n"))


def test_functions_that_always_return():
    assert_clean(check('''
        def g(x: int) -> int:
            if x > 0:
                return 1
            elif x < 0:
                return -1
            else:
                return 0
        on bar btc:
            y = g(1)
    '''))


def test_missing_return_is_E0113():
    body = '''
        def f(x: int) -> int:
            if x > 0:
                return 1
        def h(x: int) -> int:
            return
        def k(x: int) -> int:
            for i in 0..3:
                return i
        on bar btc:
            y = f(1) + h(1) + k(1)
    '''
    result = expect(body, ("E0113", "def f"), ("E0113", "return\n"), ("E0113", "def k"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "`f` does not return a value on every path", "`return` without a value in `h`, which returns int",
        "`k` does not return a value on every path"]


# ---------------------------------------------------------------- orders

def test_valid_orders():
    assert_clean(check('''
        data btc quotes
        on bar btc:
            buy btc 1 limit 100 post_only tag "entry" tif gtd(30m)
            sell btc 1 stop_limit 90, 89 reduce_only
            sell btc 1 trailing percent 1.5 oco "bracket"
            buy btc 1 stop_loss 90 take_profit 110
            target btc 2 limit 101 tag "t"
            modify "entry" limit 101.5
            modify "t" qty 3
            cancel "entry"
            close btc limit 99 tif ioc
            close all
    '''))


def test_two_order_types_is_E0207():
    result = expect("on bar btc:\n    buy btc 1 limit 100 stop 90\n", ("E0207", "stop 90"))
    d = result.diagnostics.items[0]
    assert d.message == "an order has one type; `limit` and `stop` are both given"
    assert d.help == "use `stop_limit STOP, LIMIT`"


def test_qty_clause_on_buy_is_E0207():
    result = expect("on bar btc:\n    buy btc 1 qty 2\n", ("E0207", "qty"))
    assert result.diagnostics.items[0].message == "`buy` does not take `qty`"


def test_post_only_without_limit_is_E0207():
    result = expect("on bar btc:\n    buy btc 1 post_only\n", ("E0207", "post_only"))
    assert result.diagnostics.items[0].message == "`post_only` needs a limit price"


def test_cancel_or_modify_of_unknown_tag_is_E0207():
    body = '''
        on bar btc:
            buy btc 1 limit 100 tag "entry"
            cancel "entyr"
            modify "nope" limit 1
    '''
    result = expect(body, ("E0207", 'cancel "entyr"'), ("E0207", 'modify "nope"'))
    assert [(d.message, d.help) for d in result.diagnostics.sorted()] == [
        ('no order is tagged "entyr"', 'did you mean "entry"?'),
        ('no order is tagged "nope"', 'give an order `tag "..."` first')]


def test_other_clause_rules_are_E0207():
    body = '''
        on bar btc:
            buy btc 1 limit 1 limit 2
            buy btc 1 oco "g"
            close btc stop 5
            target btc 1 stop 5
            modify "x"
            buy btc 1 limit 1 tag "x"
    '''
    result = expect(body, ("E0207", "limit 2"), ("E0207", 'oco "g"'), ("E0207", "stop 5"), ("E0207", "stop 5", 2),
                    ("E0207", 'modify "x"'))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "`limit` is given twice", "an OCO leg must be a resting order (limit, stop, ...)",
        "`close` does not take `stop`", "`target` does not take `stop`", "`modify` needs something to change"]


def test_gtd_lifetime_must_be_a_duration():
    expect("on bar btc:\n    buy btc 1 limit 1 tif gtd(5)\n", ("E0201", "5)"))


def test_log_interpolations_are_checked_at_their_place_in_the_string():
    body = '''
        on bar btc:
            x = 1
            log "x={x:.2} p={fill.price} n={undefined} t={time:.2}"
    '''
    result = expect(body, ("E0303", "fill.price"), ("E0101", "undefined"), ("E0201", "t=^{time"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "`fill.price` is only known in `on fill`", "unknown name `undefined`", "`:.2` formats a number, not timestamp"]


def test_records_and_tags_are_facts():
    result = check('''
        on bar btc:
            record a = 1
            record a = 2.5
            record flag = btc.close > 0
            buy btc 1 limit 100 tag "entry"
            target btc 0 tag "flat"
    ''')
    assert_clean(result)
    assert result.facts.records == {"a": "float", "flag": "bool"}
    assert result.facts.tags == ["entry", "flat"]


def test_record_of_a_string_is_E0201():
    expect('on bar btc:\n    record b = "s"\n', ("E0201", '"s"'))


# ---------------------------------------------------------------- choices

def test_choice_param_with_default_among_its_choices():
    assert_clean(check('''
        param mode: choice = "fast" in ["fast", "slow"]
        on bar btc:
            if mode == "slow":
                pass
    '''))


def test_choice_default_not_among_the_choices_is_E0208():
    body = '''
        param m2: choice = "medium" in ["fast", "slow"]
        on bar btc:
            if m2 == "fast":
                pass
    '''
    result = expect(body, ("E0208", '"medium"'))
    d = result.diagnostics.items[0]
    assert d.message == '"medium" is not one of the choices of `m2`'
    assert d.help == 'choices: "fast", "slow"'


def test_comparing_a_choice_param_with_an_unknown_choice_is_E0208():
    expect('''
        param mode: choice = "fast" in ["fast", "slow"]
        on bar btc:
            if mode == "fats":
                pass
    ''', ("E0208", '"fats"'))


def test_choice_param_without_choices_is_E0204():
    expect('''
        param m3: choice = "a"
        on bar btc:
            if m3 == "a":
                pass
    ''', ("E0204", "param m3"))


# ---------------------------------------------------------------- indexing

def test_indexing_series_fields_and_array_vars():
    assert_clean(check('''
        var a: float[3]
        series s = btc.close
        on bar btc:
            x = s[1] + btc.close[1] + a[2]
    '''))


def test_indexing_a_scalar_var_is_E0209():
    body = '''
        var v: float = 0
        on bar btc:
            y = v[1]
    '''
    result = expect(body, ("E0209", "1]"))
    assert result.diagnostics.items[0].message == "`v` is a scalar var, not an array; vars have no history"


def test_indexing_a_local_or_an_expression_is_E0209():
    body = '''
        on bar btc:
            x = 1.0
            z = x[1]
            w = (btc.close + 1)[1]
            r = 5[1]
    '''
    result = expect(body, ("E0209", "x[1]"), ("E0209", "btc.close + 1"), ("E0209", "5[1]"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "the local `x` has no history", "only series, data fields and var arrays can be indexed",
        "only series, data fields and var arrays can be indexed"]


# ---------------------------------------------------------------- params

def test_valid_params():
    result = check('''
        const L = 5
        param a: int = 10 in L..20 step 2
        param d: float = 0.5 in 0.1..1.0 step 0.1
        param h: duration = 5m in 1m..1h step 1m
        param i: float = 1 in 0..2
        param b: bool = false
        on bar btc:
            if a + d + i > 0 and h > 1m and not b:
                pass
    ''')
    assert_clean(result)
    assert [(p.name, p.default, p.lo, p.hi, p.step) for p in result.facts.params] == [
        ("a", 10, 5, 20, 2), ("d", 0.5, 0.1, 1.0, 0.1), ("h", 300_000_000_000, 60_000_000_000, 3_600_000_000_000,
                                                        60_000_000_000),
        ("i", 1, 0, 2, None), ("b", False, None, None, None)]


def test_default_out_of_range_is_E0204():
    result = expect("param a: int = 100 in 1..50\non bar btc:\n    x = a\n", ("E0204", "100"))
    assert result.diagnostics.items[0].message == "the default of `a` (100) is outside its range 1..50"


def test_empty_range_is_E0204():
    result = expect("param b: int = 5 in 10..1\non bar btc:\n    x = b\n", ("E0204", "10..1"))
    assert result.diagnostics.items[0].message == "the range of `b` is empty: 10 > 1"


def test_step_without_range_is_E0204():
    result = expect("param c: int = 5 step 1\non bar btc:\n    x = c\n", ("E0204", "1\n"))
    assert result.diagnostics.items[0].message == "a step needs a range: `in LO..HI step 1`"


def test_other_param_declaration_errors_are_E0204():
    body = '''
        param e: int = 5 in 1..10 step 0
        param f: int = 1.5
        param g: bool = true in 0..1
        on bar btc:
            if e + f > 0 and g:
                pass
    '''
    result = expect(body, ("E0204", "0\n"), ("E0204", "1.5"), ("E0204", "0..1"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "the step of `e` must be a positive int", "the default of `f` is float, not int",
        "a bool param has no range or step"]


def test_param_range_from_another_param_is_E0205():
    expect('''
        param lo: int = 1 in 0..5
        param hi: int = 10 in lo..20
        on bar btc:
            x = hi + lo
    ''', ("E0205", "lo..20"))


# ---------------------------------------------------------------- consts

def test_consts_from_literals_and_other_consts():
    assert_clean(check('''
        const m = 3
        const n: float = m * 2
        const period = 1h + 30m
        on bar btc:
            x = n + m
        on timer period:
            pass
    '''))


def test_const_from_a_param_is_E0205():
    body = '''
        param p: int = 10 in 1..20
        const k = p * 2
        on bar btc:
            x = k + p
    '''
    result = expect(body, ("E0205", "p * 2"))
    assert result.diagnostics.items[0].message == "a const's value must be known before the run"


def test_const_with_wrong_declared_type_is_E0201():
    expect("const bad: int = 1.5\non bar btc:\n    x = bad\n", ("E0201", "1.5"))


# ---------------------------------------------------------------- time zones

def test_valid_time_zone():
    result = check('''
        timezone "Europe/London"
        on bar btc:
            x = hour(time) + hour(time, tz="Asia/Tokyo")
    ''')
    assert_clean(result)
    assert result.facts.timezone == "Europe/London"


def test_unknown_time_zone_is_E0206_with_did_you_mean():
    result = expect('timezone "America/New_Yrok"\n', ("E0206", "timezone"))
    d = result.diagnostics.items[0]
    assert d.message == 'unknown time zone "America/New_Yrok"'
    assert d.help == 'did you mean "America/New_York"?'


def test_unknown_time_zone_in_a_calendar_call_is_E0206():
    expect('on bar btc:\n    x = hour(time, tz="Mars/Base")\n', ("E0206", '"Mars/Base"'))


# ---------------------------------------------------------------- warnings

def test_unused_param_is_W0001():
    body = '''
        param used: int = 1
        param unused: int = 2
        on bar btc:
            x = used
    '''
    result = expect(body, ("W0001", "param unused"))
    d = result.diagnostics.items[0]
    assert d.message == "param `unused` is never used"
    assert not d.is_error
    assert result.ok  # warnings do not fail a check


def test_param_used_only_as_indicator_length_is_used():
    assert_clean(check('''
        param length: int = 14 in 2..50
        series r = rsi(btc.close, length)
        on bar btc:
            if r > 70:
                pass
    '''))


def test_unreachable_code_is_W0002_once_per_block():
    body = '''
        on bar btc:
            if btc.close > 0:
                return
                y = 1
                z = 2
            for i in 0..2:
                continue
                w = i
    '''
    result = expect(body, ("W0002", "y = 1"), ("W0002", "w = i"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "unreachable code after `return`", "unreachable code after `continue`"]
    assert result.ok


def test_comparison_with_na_is_W0003():
    body = '''
        on bar btc:
            x = btc.close
            if x == na:
                pass
            if na != x:
                pass
            if na(x):
                pass
    '''
    result = expect(body, ("W0003", "x == na"), ("W0003", "na != x"))
    assert [(d.message, d.help) for d in result.diagnostics.sorted()] == [
        ("`== na` is always false: na compares unequal to everything", "test with `na(x)`"),
        ("`!= na` is always true: na compares unequal to everything", "test with `na(x)`")]


def test_unused_series_var_const_and_function_are_W0004():
    body = '''
        series s_used = btc.close
        series s_unused = btc.open
        var v_unused: float = 0
        const c_unused = 1
        def f_unused(x: float) -> float:
            return x
        on bar btc:
            x = s_used[1]
    '''
    result = expect(body, ("W0004", "series s_unused"), ("W0004", "var v_unused"), ("W0004", "const c_unused"),
                    ("W0004", "def f_unused"))
    assert [d.message for d in result.diagnostics.sorted()] == [
        "series `s_unused` is never used", "var `v_unused` is never used", "const `c_unused` is never used",
        "function `f_unused` is never used"]


# ---------------------------------------------------------------- many errors in one run

def test_many_different_errors_are_all_reported_in_one_run():
    body = '''
        param p: int = 100 in 1..50
        timezone "Nowhere/Special"
        series s = s + 1
        series t = btc.close
        def f(x: int) -> int:
            buy btc 1
            return x
        on bar btc:
            a = undefined_name + f(p)
            b = true + 1
            c = t[-1]
            d = fill.price
            p = 3
            buy btc 1 limit 1 stop 2
            break
        on bar btc:
            pass
    '''
    result = expect(body, ("E0204", "100"), ("E0206", "timezone"), ("E0110", "s + 1"), ("E0308", "buy btc 1"),
                    ("E0101", "undefined_name"), ("E0201", "true + 1"), ("E0302", "-1"), ("E0303", "fill.price"),
                    ("E0111", "p = 3"), ("E0207", "stop 2"), ("E0112", "break"), ("E0109", "on bar btc", 2))
    assert len(set(codes(result))) == 12
    assert len(result.diagnostics.errors) == 12
    assert not result.ok


def test_syntax_errors_and_semantic_errors_are_reported_together():
    body = '''
        on bar btc:
            x = 1 +
            y = undefined_name
    '''
    result = check(body)
    assert diags(result) == [("E0001", 5, 12), ("E0101", *pos(body, "undefined_name"))]
