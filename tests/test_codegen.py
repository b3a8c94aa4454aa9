"""Every construct of the language, compiled to Numba and run on small hand-made inputs, against values worked out
by hand in the test."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from harness import bars, compile_text, run
from nts.runtime import intents as I
from nts.runtime.events import (FILL_DTYPE, ORDER_DTYPE, ORDER_REASONS, QUOTE_DTYPE, TIMER_DTYPE, TRADE_DTYPE,
                                book_dtype)

NA = float("nan")
HEAD = 'strategy T\ninstrument btc = "BTCUSD.COINBASE"\ndata btc bars 1m\n'


def same(got, want):
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        assert (math.isnan(g) and math.isnan(w)) or g == pytest.approx(w, rel=1e-12, abs=1e-12), (got, want)


def test_series_history_and_schedule_order(tmp_path):
    s = compile_text(HEAD + """
series a = btc.close * 2
series b = a[1]
series c = nz(c[1]) + 1 + 0 * btc.close
series d = nz(e[1])
series e = d + btc.close
on bar btc:
    record a = a
    record b = b
    record c = c
    record d = d
    record e = e
    record close2 = btc.close[2]
    record low1 = btc.low[1]
""", tmp_path)
    r = run(s, {"step:btc.bars": bars([1, 2, 3, 4])})
    same(r.series("a"), [2, 4, 6, 8])
    same(r.series("b"), [NA, 2, 4, 6])           # a's previous value
    same(r.series("c"), [1, 2, 3, 4])            # own history: counts updates
    # d reads e's past while e, scheduled after d, is not updated yet: d is e before this update.
    same(r.series("d"), [0, 1, 3, 6])
    same(r.series("e"), [1, 3, 6, 10])
    same(r.series("close2"), [NA, NA, 1, 2])
    same(r.series("low1"), [NA, 0, 1, 2])        # a field read only through its history is still stored


def test_clocks_higher_timeframe_and_multi_stream_series(tmp_path):
    s = compile_text(HEAD + """data btc bars 1h as hourly
series minutes = nz(minutes[1]) + 1 + 0 * btc.close
series hours = nz(hours[1]) + 1 + 0 * hourly.close
series both = nz(both[1]) + 1 + 0 * btc.close + 0 * nz(hourly.close)
series hourly_mean = sma(hourly.close, 2)
on bar btc:
    record minutes = minutes
    record hours = hours
    record both = both
    record hourly_mean = hourly_mean
    record hourly_close = hourly.close
""", tmp_path)
    minute = bars(np.arange(1, 151, dtype=float), step_ns=60 * 10**9)
    hour = bars([1000.0, 2000.0], step_ns=3600 * 10**9)
    r = run(s, {"step:btc.bars": minute, "step:hourly": hour})
    on_minute = [st for st in r.steps if st.entry == "step:btc.bars"]
    assert on_minute[58].records["hours"] != on_minute[58].records["hours"]  # no hourly bar has closed yet
    assert on_minute[60].records["hours"] == 1 and on_minute[60].records["hourly_close"] == 1000.0
    assert on_minute[149].records["hours"] == 2
    assert on_minute[149].records["minutes"] == 150
    assert on_minute[149].records["both"] == 152  # advanced by both streams
    same([on_minute[100].records["hourly_mean"], on_minute[149].records["hourly_mean"]], [NA, 1500.0])


def test_stateful_call_advances_when_not_reached_and_skips_na(tmp_path):
    s = compile_text(HEAD + """
series x = btc.close if btc.close > 2 else na
series m = sma(x, 2)
on bar btc:
    if btc.close > 100:
        record s = sma(btc.close, 2)
    record m = m
""", tmp_path)
    r = run(s, {"step:btc.bars": bars([3, 1, 4, 200])})
    same(r.series("m"), [NA, NA, 3.5, 102.0])  # the na input at bar 2 was skipped, not averaged
    # the sma in the branch saw every bar: at the first taken bar it already averages 4 and 200
    assert r.record("s") == 102.0


def test_arithmetic_na_and_division_semantics(tmp_path):
    s = compile_text(HEAD + """
param zero: int = 0 in 0..10
param fz: float = 0.0
on start:
    record q = 7 // 2
    record r = -7 // 2
    record m = -7 % 3
    record dz = 7 // zero
    record fdz = 1.0 / fz
    record mz = 5 % zero
    record cmp = 1 if na > 0 else 2
    record ne = 1 if na != 0 else 2
    record i = int(na)
    record fl = floor(-2.5)
    record mn = min(na, 1)
    record p = 2 ** 10
    record pn = (-8.0) ** 0.5
    record ip = 2 ** -1
    record z = nz(na, 5)
    record sq = sqrt(-1.0)
    record rd = round(2.5)
    record rdn = round(-2.5)
    record rd2 = round(1.005, 2)
    record ex = exp(1000.0)
    record big = 9007199254740992
""", tmp_path)
    r = run(s, {})
    want = {"q": 3, "r": -4, "m": 2, "dz": 0, "fdz": NA, "mz": 0, "cmp": 2, "ne": 1, "i": 0, "fl": -3, "mn": NA,
            "p": 1024, "pn": NA, "ip": 0, "z": 5, "sq": NA, "rd": 3, "rdn": -3, "rd2": math.floor(1.005 * 100 + 0.5) / 100,
            "ex": math.inf, "big": 2.0**53}
    got = r.steps[0].records
    for name, value in want.items():
        same([got[name]], [value])
    warnings = {w.kind: w for w in r.warnings()}
    assert warnings["division by zero"].count == 3
    assert warnings["division by zero"].where.endswith(":11:17")  # the first one: `7 // zero`
    assert warnings["na or infinity converted to int"].count == 1


def test_vars_arrays_loops_functions_and_locals(tmp_path):
    s = compile_text(HEAD + """
param start_budget: float = 1000.0
const N = 3
var count: int = 0
var budget = start_budget
var buf: float[N] = 1.5
var last: timestamp
var flag: bool = true
var nf: float

def addmul(a: float, b: float) -> float:
    if a > b:
        return a * b
    return a + b

def over_budget(x: float) -> bool:
    return x * N > start_budget

on start:
    record budget0 = budget
    record buf2 = buf[2]
    record nf_is_na = na(nf)
    record flag0 = flag

on bar btc:
    count += 1
    total = 0.0
    for i in 0..5:
        if i == 1:
            continue
        if i == 4:
            break
        total += i
    record total = total
    record f = addmul(count + 2, 3)
    record tern = 10 if count > 1 else 20
    record over = over_budget(count * 10)
    if count == 1:
        seen = 1.0
    record seen = seen
    record gap = (time - last) / 1m if count > 1 else -1.0
    last = time
    buf[count % N] = count * 10
    record element = buf[(count + 2) % N]
    record outside = buf[count + 5]
""", tmp_path)
    r = run(s, {"step:btc.bars": bars([10, 11, 12])}, params={"start_budget": 50.0})
    start = r.steps[0].records
    assert (start["budget0"], start["buf2"], start["nf_is_na"], start["flag0"]) == (50.0, 1.5, 1.0, 1.0)
    same(r.series("total", "step:btc.bars"), [5, 5, 5])
    same(r.series("f", "step:btc.bars"), [3 + 3, 4 * 3, 5 * 3])  # 3 > 3 is false: the sum
    same(r.series("tern", "step:btc.bars"), [20, 10, 10])
    same(r.series("over", "step:btc.bars"), [0, 1, 1])  # functions read params: 30 > 50, 60 > 50, 90 > 50
    same(r.series("seen", "step:btc.bars"), [1, NA, NA])  # locals are reset at each call
    same(r.series("gap", "step:btc.bars"), [-1, 1, 1])
    # buf[(count + 2) % 3] is the slot written one bar ago (1.5 before anything was written there)
    same(r.series("element", "step:btc.bars"), [1.5, 10, 20])
    same(r.series("outside", "step:btc.bars"), [NA, NA, NA])
    assert {w.kind: w.count for w in r.warnings()} == {"array index out of range": 3}


def test_time_durations_and_calendar_in_the_strategy_time_zone(tmp_path):
    s = compile_text(HEAD.replace("strategy T\n", 'strategy T\ntimezone "America/New_York"\n') + """
on bar btc:
    record h = hour(time)
    record hu = hour(time, "UTC")
    record dow = dayofweek(time)
    record tod = time_of_day(time) / 1h
    record y = year(time)
    record mo = month(time)
    record d = dayofmonth(time)
    record mi = minute(time)
    record se = second(time)
    record a = (2h + 30m) // 1h
    record b = (90m % 1h) / 1m
    record c = 1h * 1.5 / 1m
    record e = (time - btc.time[1]) / 1s
""", tmp_path)
    stamps = sorted([datetime(2024, 1, 2, 15, 0, 59, tzinfo=timezone.utc), datetime(2024, 7, 1, 13, 30, 5, tzinfo=timezone.utc),
              datetime(2024, 3, 10, 6, 59, 0, tzinfo=timezone.utc), datetime(2024, 3, 10, 7, 0, 0, tzinfo=timezone.utc)])
    ev = bars([1, 2, 3, 4])
    ev["ts_event"] = [int(t.timestamp()) * 10**9 for t in stamps]
    r = run(s, {"step:btc.bars": ev})
    ny = ZoneInfo("America/New_York")
    for step, t in zip(r.steps, stamps):
        local = t.astimezone(ny)
        got = step.records
        assert (got["h"], got["hu"], got["dow"]) == (local.hour, t.hour, local.weekday())
        assert (got["y"], got["mo"], got["d"], got["mi"], got["se"]) == (local.year, local.month, local.day,
                                                                        local.minute, local.second)
        assert got["tod"] == pytest.approx(local.hour + local.minute / 60 + local.second / 3600)
        assert (got["a"], got["b"], got["c"]) == (2, 30, 90)
    # A timestamp read further back than the data goes is 0 (1970-01-01): timestamps have no na.
    same(r.series("e"), [stamps[0].timestamp()] + [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])])


def test_actions_become_intents(tmp_path):
    s = compile_text(HEAD + """instrument eth = "ETHUSD.COINBASE"
data eth bars 1m
on bar btc:
    buy btc 2 limit 99.5 post_only tif gtd(30m) tag "entry" stop_loss 90 take_profit 120
    sell btc 1 stop_limit 95, 94.5 tif ioc reduce_only
    buy btc 1 market_if_touched 101
    sell btc 1 limit_if_touched 102, 101.5 tif fok
    sell btc 1 trailing ticks 5 oco "exit"
    buy btc 1 stop 110 oco "exit" tif day
    target eth -3 limit 50
    modify "entry" limit 99 qty 3
    cancel "entry"
    cancel eth
    cancel all
    close btc tag "entry"
    close all
    buy btc na
""", tmp_path)
    r = run(s, {"step:btc.bars": bars([100.0])})
    got = r.intents
    strings = s.manifest.strings
    tag = strings.index("entry")
    rows = [(g["action"], g["instrument"], g["side"], g["qty"], g["order_type"], g["price"], g["trigger"], g["trail"],
             g["trail_unit"], g["tif"], g["expire_after"], g["flags"], g["stop_loss"], g["take_profit"], g["tag"],
             g["oco"], g["seq"], g["source_line"]) for g in got]
    NO = I.NO_ID
    want = [
        (I.ACTION_ORDER, 0, 1, 2.0, I.TYPE_LIMIT, 99.5, NA, NA, 0, I.TIF_GTD, 30 * 60 * 10**9, I.FLAG_POST_ONLY, 90.0,
         120.0, tag, NO, 0, 7),
        (I.ACTION_ORDER, 0, -1, 1.0, I.TYPE_STOP_LIMIT, 94.5, 95.0, NA, 0, I.TIF_IOC, 0, I.FLAG_REDUCE_ONLY, NA, NA, NO,
         NO, 1, 8),
        (I.ACTION_ORDER, 0, 1, 1.0, I.TYPE_MARKET_IF_TOUCHED, NA, 101.0, NA, 0, I.TIF_GTC, 0, 0, NA, NA, NO, NO, 2, 9),
        (I.ACTION_ORDER, 0, -1, 1.0, I.TYPE_LIMIT_IF_TOUCHED, 101.5, 102.0, NA, 0, I.TIF_FOK, 0, 0, NA, NA, NO, NO, 3,
         10),
        (I.ACTION_ORDER, 0, -1, 1.0, I.TYPE_TRAILING, NA, NA, 5.0, I.TRAIL_TICKS, I.TIF_GTC, 0, 0, NA, NA, NO, 0, 4, 11),
        (I.ACTION_ORDER, 0, 1, 1.0, I.TYPE_STOP, NA, 110.0, NA, 0, I.TIF_DAY, 0, 0, NA, NA, NO, 0, 5, 12),
        (I.ACTION_TARGET, 1, 0, -3.0, I.TYPE_LIMIT, 50.0, NA, NA, 0, I.TIF_GTC, 0, 0, NA, NA, NO, NO, 6, 13),
        (I.ACTION_MODIFY, NO, 0, 3.0, I.TYPE_LIMIT, 99.0, NA, NA, 0, I.TIF_GTC, 0, 0, NA, NA, tag, NO, 7, 14),
        (I.ACTION_CANCEL, NO, 0, NA, 0, NA, NA, NA, 0, 0, 0, 0, NA, NA, tag, NO, 8, 15),
        (I.ACTION_CANCEL, 1, 0, NA, 0, NA, NA, NA, 0, 0, 0, 0, NA, NA, NO, NO, 9, 16),
        (I.ACTION_CANCEL, NO, 0, NA, 0, NA, NA, NA, 0, 0, 0, 0, NA, NA, NO, NO, 10, 17),
        (I.ACTION_CLOSE, 0, 0, NA, 0, NA, NA, NA, 0, 0, 0, 0, NA, NA, tag, NO, 11, 18),
        (I.ACTION_CLOSE, NO, 0, NA, 0, NA, NA, NA, 0, 0, 0, 0, NA, NA, NO, NO, 12, 19),
    ]
    assert len(rows) == len(want)
    for g, w in zip(rows, want):
        same(list(g), list(w))
    assert s.manifest.oco_groups == ["exit"]
    assert [(w.kind, w.count, w.where.rsplit(":", 2)[-2]) for w in r.warnings()] == [
        ("order with an na quantity or price not sent", 1, "20")]


def test_event_handlers_fields_and_context(tmp_path):
    s = compile_text(HEAD + """instrument eth = "ETHUSD.COINBASE"
data eth bars 1m
var fills: int = 0
on bar btc:
    record bar_index = bar_index
    record pos = position(btc)
    record eth_avg = avg_price(eth)
    record eq = equity
    record cash_now = cash
    record upnl = unrealized_pnl(btc)
    record oo = open_orders(eth)
on fill:
    fills += 1
    record fill_value = fill.price * fill.qty * fill.side
    record fill_is_btc = fill.instrument == btc
    record fill_tag_entry = fill.tag == "entry"
    record maker = fill.is_maker
    record fill_pos = position(fill.instrument)
    record fills = fills
    log "fill {fill.qty} {fill.tag} at {fill.time} maker={fill.is_maker} inst={fill.instrument}"
on order rejected:
    record rejected_for_position = order.reason == "max_position"
    record rejected_qty = order.qty - order.filled_qty
on timer 15m:
    record timer_time = time_of_day(time) / 1m
on stop:
    record stopped = fills
""", tmp_path)
    state = s.new_state()
    ctx = s.context(equity=5000.0, cash=1234.0)
    ctx[2 + 5 * 0 + 0] = 2.0   # btc position
    ctx[2 + 5 * 0 + 2] = 7.5   # btc unrealized pnl
    ctx[2 + 5 * 1 + 1] = 21.0  # eth average price
    ctx[2 + 5 * 1 + 4] = 3.0   # eth open orders
    out = s.intent_buffer()
    b = bars([1.0, 2.0])
    for j in range(2):
        s.call("step:btc.bars", b, j, state, ctx, out)
    rec = lambda name: s.record(state, name)  # noqa: E731
    assert (rec("bar_index"), rec("pos"), rec("eth_avg"), rec("eq"), rec("cash_now"), rec("upnl"), rec("oo")) == \
        (1.0, 2.0, 21.0, 5000.0, 1234.0, 7.5, 3.0)
    fill = np.zeros(1, FILL_DTYPE)
    fill[0] = (60 * 10**9, 60 * 10**9, 0, -1, 0.5, 100.0, 0.01, s.manifest.strings.index("entry"), True, 7, 1.0)
    s.call("on:fill", fill, 0, state, ctx, out)
    assert (rec("fill_value"), rec("fill_is_btc"), rec("fill_tag_entry"), rec("maker"), rec("fill_pos"),
            rec("fills")) == (-50.0, 1.0, 1.0, 1.0, 2.0, 1.0)
    assert s.drain_logs(state) == ["fill 0.5 entry at 1970-01-01T00:01:00Z maker=true inst=btc"]
    order = np.zeros(1, ORDER_DTYPE)
    order[0]["reason"] = ORDER_REASONS.index("max_position")
    order[0]["qty"], order[0]["filled_qty"] = 5.0, 2.0
    s.call("on:order:rejected", order, 0, state, ctx, out)
    assert (rec("rejected_for_position"), rec("rejected_qty")) == (1.0, 3.0)
    timer = np.zeros(1, TIMER_DTYPE)
    timer[0]["ts_event"] = 45 * 60 * 10**9
    s.call(f"on:timer:{15 * 60 * 10**9}", timer, 0, state, ctx, out)
    s.call("on:stop", timer, 0, state, ctx, out)
    assert (rec("timer_time"), rec("stopped")) == (45.0, 1.0)


def test_quotes_trades_and_book_levels(tmp_path):
    s = compile_text("""strategy Q
instrument btc = "BTCUSD.COINBASE"
data btc quotes
data btc trades
data btc book depth 3
param lvl: int = 1 in 0..2
on quote btc:
    record mid = btc.mid
    record spread = btc.spread
on trade btc:
    record flow = btc.size * btc.aggressor
on book btc:
    record best = btc.bid_price(0)
    record deep = btc.ask_size(2)
    record at_lvl = btc.ask_price(lvl)
    record levels = btc.levels
    beyond = btc.levels + 5
    record beyond = btc.bid_price(beyond)
""", tmp_path)
    q = np.zeros(1, QUOTE_DTYPE)
    q[0]["bid"], q[0]["ask"] = 99.0, 101.0
    t = np.zeros(1, TRADE_DTYPE)
    t[0]["size"], t[0]["aggressor"] = 2.5, -1
    book = np.zeros(1, book_dtype(3))
    book[0]["levels"] = 2
    book[0]["bid_price"] = [100.0, 99.0, 98.0]
    book[0]["ask_price"] = [101.0, 102.0, 103.0]
    book[0]["ask_size"] = [1.0, 2.0, 3.0]
    for params, want_lvl in (({"lvl": 1}, 102.0), ({"lvl": 2}, NA)):
        r = run(s, {"step:btc.quotes": q, "step:btc.trades": t, "step:btc.book": book}, params=params)
        last = r.steps[-1].records
        assert (last["mid"], last["spread"], last["flow"], last["best"]) == (100.0, 2.0, -2.5, 100.0)
        same([last["deep"], last["at_lvl"], last["levels"], last["beyond"]], [NA, want_lvl, 2.0, NA])  # level 2 is empty


def test_params_are_injected_at_load_time(tmp_path):
    s = compile_text(HEAD + """
param n: int = 2 in 1..5
param on: bool = true
param mode: choice = "fast" in ["fast", "slow"]
param every: duration = 1m in 1m..1h
series m = sma(btc.close, n)
on bar btc:
    record m = m
    record on = on
    record fast = mode == "fast"
    record slow = mode == "slow"
    record every = every / 1s
""", tmp_path)
    closes = [1, 2, 3, 4, 5]
    r1 = run(s, {"step:btc.bars": bars(closes)})
    r2 = run(s, {"step:btc.bars": bars(closes)}, params={"n": 4, "on": False, "mode": "slow", "every": "5m"})
    same(r1.series("m"), [NA, 1.5, 2.5, 3.5, 4.5])
    same(r2.series("m"), [NA, NA, NA, 2.5, 3.5])
    assert [r1.record(k) for k in ("on", "fast", "slow", "every")] == [1.0, 1.0, 0.0, 60.0]
    assert [r2.record(k) for k in ("on", "fast", "slow", "every")] == [0.0, 0.0, 1.0, 300.0]


def test_generated_lines_map_back_to_the_source(tmp_path):
    s = compile_text(HEAD + """
series f = ema(btc.close, 3)
on bar btc:
    x = btc.close * 2
    record x = x
    record f = f
""", tmp_path)
    source = (s.directory / "strategy.py").read_text().splitlines()
    assert s.manifest.source_map, "no source map"
    for py_line, path, line, col in s.manifest.source_map:
        assert source[py_line - 1].endswith(f"# {path.rsplit('/', 1)[-1]}:{line}")
    # A failure in generated code is reported at the .nts line: run the handler's Python form on a broken state.
    state = list(s.new_state())
    state[9] = np.zeros(0)  # no room for records
    handler = s.module.on_bar_btc_bars.py_func  # the handler as plain Python
    with pytest.raises(IndexError) as failure:
        handler(bars([1.0]), 0, tuple(state), s.context(), s.intent_buffer())
    assert s.where(failure.value, "step:btc.bars").endswith(".nts:8:5")  # `record x = x`


@pytest.mark.parametrize("zone, second", [("UTC", 20.0), ("America/New_York", 15.0)])
def test_vwap_sessions_start_at_midnight_in_the_strategy_time_zone(tmp_path, zone, second):
    s = compile_text(f'strategy T\ntimezone "{zone}"\ninstrument btc = "BTCUSD.COINBASE"\ndata btc bars 1m\n'
                     "on bar btc:\n    record v = vwap(btc)\n", tmp_path)
    ev = bars([10.0, 20.0])  # typical price = close; equal volumes
    # 23:00 and 01:00 UTC: either side of midnight in UTC, both on the evening of Jan 2 in New York.
    ev["ts_event"] = [int(datetime(2024, 1, 2, 23, tzinfo=timezone.utc).timestamp()) * 10**9,
                      int(datetime(2024, 1, 3, 1, tzinfo=timezone.utc).timestamp()) * 10**9]
    same(run(s, {"step:btc.bars": ev}).series("v"), [10.0, second])
