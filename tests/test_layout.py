"""The state layout: every param, var, history and indicator block has its own place, sized from static facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from nts.compiler.frontend import check_file, check_text
from nts.compiler.layout import LayoutError, build_layout

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.nts*"))

HEAD = """strategy L
instrument btc = "BTCUSDT.BINANCE"
data btc bars 1m
"""


def layout_of(body: str):
    result = check_text(HEAD + body, "l.nts")
    assert result.ok, [d.message for d in result.diagnostics.errors]
    return build_layout(result)


def assert_disjoint(slots):
    by_array: dict[str, list] = {}
    for s in slots:
        by_array.setdefault(s[0], []).append((s[1], s[1] + s[2]))
    for spans in by_array.values():
        spans.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_lay_out_without_overlap(path):
    layout = build_layout(check_file(path))
    slots = [(s.array, s.offset, s.size) for s in layout.params + layout.vars + layout.series]
    slots += [("ind", b.offset, b.size) for b in layout.indicators]
    assert_disjoint(slots)
    for array, size in layout.sizes.items():
        assert all(off + n <= size for a, off, n in slots if a == array)
    assert layout.intent_capacity >= 1


def test_sizes_follow_static_facts():
    layout = layout_of("""
param fast: int = 10 in 2..200
var hits: int = 0
var buf: float[16] = 0
var last_fill: timestamp
series f = sma(btc.close, fast)
series g = f[5] + btc.close[3]
on bar btc:
    if g > f:
        hits += 1
        buf[hits % 16] = g
on fill:
    last_fill = fill.time
""")
    assert [(s.name, s.array, s.offset, s.size) for s in layout.params] == [("fast", "params", 0, 1)]
    assert [(s.name, s.array, s.size) for s in layout.vars] == [
        ("hits", "vars", 1), ("buf", "vars", 16), ("last_fill", "vars_i64", 1)]
    # f is read 5 back: 6 values; g is read only now: 1; btc.close is read 3 back: 4.
    assert {s.name: s.size for s in layout.series} == {"f": 6, "g": 1, "btc.bars.close": 4}
    (sma,) = layout.indicators
    assert sma.function == "sma" and sma.static_args == {"length": 200}
    assert sma.size == 3 + 200  # sum + ring header + the longest window the param's range allows
    assert layout.sizes["ind"] == sma.size and layout.sizes["ring_pos"] == 3


def test_intent_capacity_counts_branches_and_loops():
    layout = layout_of("""
const legs = 3
on bar btc:
    if btc.close > 1:
        buy btc 1
        sell btc 1
    else:
        cancel all
    for i in 0..legs:
        for j in 0..i:
            buy btc 1 limit btc.close - i - j
on fill:
    close btc
""")
    # 2 (the larger branch) + 4 * 4 (outer trips times the inner loop's largest trip count)
    assert layout.intent_capacity == 2 + 16


def test_a_strategy_with_errors_has_no_layout():
    result = check_text(HEAD + "series x = nope\n", "bad.nts")
    with pytest.raises(LayoutError):
        build_layout(result)


def test_param_vector_defaults_overrides_and_refusals():
    from nts.compiler.params import ParamError, param_vector
    result = check_text(HEAD + """param fast: int = 10 in 2..200
param mult: float = 2.5
param on: bool = true
param every: duration = 5m in 1m..1h
param mode: choice = "trend" in ["trend", "revert"]
series f = sma(btc.close, fast) * mult
on bar btc:
    if on and mode == "trend" and f > 0 and time_of_day(time) > every:
        buy btc 1
""", "p.nts")
    assert result.ok
    layout = build_layout(result)
    params = result.facts.params
    assert param_vector(params, layout).tolist() == [10.0, 2.5, 1.0, 300e9, 0.0]
    v = param_vector(params, layout, {"fast": 50, "on": "false", "every": "1h", "mode": "revert"})
    assert v.tolist() == [50.0, 2.5, 0.0, 3600e9, 1.0]
    for bad, message in [({"fast": 500}, "outside its range"), ({"fast": 2.5}, "whole int"),
                         ({"mode": "fast"}, "not one of"), ({"on": 1}, "true or false"),
                         ({"slow": 3}, "unknown param"), ({"every": "soon"}, "duration")]:
        with pytest.raises(ParamError, match=message):
            param_vector(params, layout, bad)
