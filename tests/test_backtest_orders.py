"""The simulated venue against hand-computed fills: every order type, time in force, contingent order, partial
fill, fee, latency and risk rule, through the whole compiled loop.

Two fixture strategies (tests/strategies/) send one kind of order, chosen by the `mode` param, on bar (or quote)
number `at_bar`; one artifact serves every test. The bars are hand-made: 1-minute bars closing at 1, 2, 3... minutes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nts
from nts.runtime.backtest import Risk, Venue, run_engine
from nts.runtime.events import BAR_DTYPE, ORDER_EVENT_NAMES, ORDER_REASONS, QUOTE_DTYPE
from nts.runtime.instruments import Instrument

HERE = Path(__file__).parent / "strategies"
MIN = 60 * 10**9
SEC = 10**9


@pytest.fixture(scope="module")
def bar_script(tmp_path_factory):
    return nts.compile(HERE / "order_script.nts", tmp_path_factory.mktemp("bars") / "order_script")


@pytest.fixture(scope="module")
def quote_script(tmp_path_factory):
    return nts.compile(HERE / "quote_script.nts", tmp_path_factory.mktemp("quotes") / "quote_script")


def ohlc(*rows, step=MIN):
    out = np.zeros(len(rows), BAR_DTYPE)
    for i, (o, h, lo, c) in enumerate(rows):
        out[i] = (step * (i + 1), step * (i + 1), 0, o, h, lo, c, 1000.0)
    return out


def quotes(*rows, step=SEC):
    out = np.zeros(len(rows), QUOTE_DTYPE)
    for i, (bid, ask, bsz, asz) in enumerate(rows):
        out[i] = (step * (i + 1), step * (i + 1), 0, bid, ask, bsz, asz)
    return out


INSTRUMENT = {"x": Instrument(symbol="TEST.XNAS", tick_size=0.01, lot_size=1.0)}


def run(strategy, data, venue=None, risk=None, instruments=INSTRUMENT, cash=1e6, **params):
    params.setdefault("at_bar", 0)
    return run_engine(strategy, {"x": data}, params=params, cash=cash, venue=venue, risk=risk,
                      instruments=instruments)


def fills(result):
    return [(int(f["ts_event"] // SEC), int(f["side"]), float(f["qty"]), round(float(f["price"]), 6),
             bool(f["is_maker"])) for f in result.fills]


def events(result, *kinds):
    names = [ORDER_EVENT_NAMES[k] for k in result.events["kind"]]
    return [n for n in names if not kinds or n in kinds]


def reasons(result):
    return [ORDER_REASONS[e["reason"]] for e in result.events if e["reason"] >= 0]


def record(strategy, result, name):
    return strategy.record(result.state, name)


FLAT = (100.0, 100.0, 100.0, 100.0)


# ---------------------------------------------------------------- bars: timing and the intrabar path
def test_market_order_fills_at_the_next_bar_open(bar_script):
    r = run(bar_script, ohlc((100, 101, 99, 100.5), (101, 102, 100, 101.5), FLAT), mode=0, at_bar=0)
    assert fills(r) == [(120, 1, 10.0, 101.0, False)]
    assert events(r) == ["submitted", "accepted", "filled"]


def test_fill_on_close_fills_at_the_bar_that_sent_it(bar_script):
    r = run(bar_script, ohlc((100, 101, 99, 100.5), (101, 102, 100, 101.5)), mode=0, venue=Venue(fill_on_close=True))
    assert fills(r) == [(60, 1, 10.0, 100.5, False)]


def test_limit_fills_at_its_price_when_the_path_goes_through(bar_script):
    # open 101 -> high 101.5 (nearer) -> low 100 -> close: through 100.2 on the way down
    r = run(bar_script, ohlc(FLAT, (101, 101.5, 100, 100.8)), mode=1, p1=100.2)
    assert fills(r) == [(120, 1, 10.0, 100.2, True)]


def test_limit_crossed_by_the_open_fills_at_the_open(bar_script):
    r = run(bar_script, ohlc(FLAT, (99.8, 101, 99.5, 100)), mode=1, p1=100.2)
    assert fills(r) == [(120, 1, 10.0, 99.8, False)]


def test_limit_touch_fills_with_the_touch_probability(bar_script):
    data = ohlc(FLAT, (101, 101.5, 100.2, 100.8), (101, 101, 101, 101))
    assert fills(run(bar_script, data, mode=1, p1=100.2, venue=Venue(touch_probability=1.0))) == [
        (120, 1, 10.0, 100.2, True)]
    assert fills(run(bar_script, data, mode=1, p1=100.2, venue=Venue(touch_probability=0.0))) == []
    hits = sum(len(run(bar_script, data, mode=1, p1=100.2, venue=Venue(touch_probability=0.5, seed=s)).fills)
               for s in range(40))
    assert 8 < hits < 32
    again = [len(run(bar_script, data, mode=1, p1=100.2, venue=Venue(touch_probability=0.5, seed=7)).fills)
             for _ in range(3)]
    assert len(set(again)) == 1  # seeded: reproducible


def test_sell_limit(bar_script):
    r = run(bar_script, ohlc(FLAT, (100, 101, 99.5, 100.5)), mode=2, p1=100.7)
    assert fills(r) == [(120, -1, 10.0, 100.7, True)]


def test_stop_triggers_at_its_price_with_slippage_inside_the_bar(bar_script):
    data = ohlc(FLAT, (101, 101.5, 100.5, 101))
    assert fills(run(bar_script, data, mode=3, p1=101.2)) == [(120, 1, 10.0, 101.2, False)]
    assert fills(run(bar_script, data, mode=3, p1=101.2, venue=Venue(slippage_ticks=2))) == [
        (120, 1, 10.0, 101.22, False)]
    # slippage never takes a fill outside the bar
    assert fills(run(bar_script, data, mode=3, p1=101.45, venue=Venue(slippage_ticks=10))) == [
        (120, 1, 10.0, 101.5, False)]


def test_stop_gapped_through_fills_at_the_open(bar_script):
    assert fills(run(bar_script, ohlc(FLAT, (101.5, 102, 101, 101)), mode=3, p1=101.2)) == [
        (120, 1, 10.0, 101.5, False)]
    assert fills(run(bar_script, ohlc(FLAT, (98.5, 99, 98, 98.2)), mode=4, p1=99.0)) == [
        (120, -1, 10.0, 98.5, False)]


def test_stop_limit_becomes_a_limit_at_the_trigger(bar_script):
    # up to 101.5 triggers at 101.2; the limit 101.1 is reached on the way down to 100.5
    r = run(bar_script, ohlc(FLAT, (101, 101.5, 100.5, 101)), mode=5, p1=101.2, p2=101.1)
    assert fills(r) == [(120, 1, 10.0, 101.1, True)]
    assert events(r, "triggered", "filled") == ["triggered", "filled"]
    # never back down to the limit: triggered, not filled
    r = run(bar_script, ohlc(FLAT, (101.3, 101.5, 101.15, 101.4)), mode=5, p1=101.2, p2=101.1)
    assert fills(r) == [] and "triggered" in events(r)


def test_market_and_limit_if_touched(bar_script):
    data = ohlc(FLAT, (101, 101.5, 100.5, 101))
    assert fills(run(bar_script, data, mode=6, p1=100.6)) == [(120, 1, 10.0, 100.6, False)]
    # touched at 100.6 on the way down, then a limit at 100.55 that the low 100.5 goes through
    assert fills(run(bar_script, data, mode=7, p1=100.6, p2=100.55)) == [(120, 1, 10.0, 100.55, True)]


def test_trailing_stop_follows_the_best_price(bar_script):
    # bought at bar 1's open (100); the trailing sell starts at bar 1's close (100); bar 2 rises to 102, so the
    # stop is 1% below: 100.98; bar 3 opens 101.5 and falls through it.
    data = ohlc(FLAT, FLAT, (100, 102, 100, 102), (101.5, 101.5, 100, 100.2))
    r = run(bar_script, data, mode=8, p1=1.0)
    assert fills(r) == [(120, 1, 10.0, 100.0, False), (240, -1, 10.0, 100.98, False)]


def test_bracket_take_profit_first_when_the_high_is_nearer(bar_script):
    # entry limit 100 fills on bar 1 (through it on the way down); bar 2: high and low equally far from the open,
    # so the high comes first: the take-profit at 102 fills and the stop-loss is canceled.
    data = ohlc(FLAT, (100.5, 100.7, 99.9, 100.5), (100.5, 102.5, 98.5, 100))
    r = run(bar_script, data, mode=9, p1=100, p2=99, p3=102)
    assert fills(r) == [(120, 1, 10.0, 100.0, True), (180, -1, 10.0, 102.0, True)]
    assert record(bar_script, r, "canceled") == 1
    assert record(bar_script, r, "position") == 0


def test_bracket_stop_loss_first_when_the_low_is_nearer(bar_script):
    data = ohlc(FLAT, (100.5, 100.7, 99.9, 100.5), (100.5, 103, 98.9, 100))
    r = run(bar_script, data, mode=9, p1=100, p2=99, p3=102)
    assert fills(r) == [(120, 1, 10.0, 100.0, True), (180, -1, 10.0, 99.0, False)]


def test_bracket_legs_act_from_the_entry_fill_within_the_same_bar(bar_script):
    # the entry fills at 100 on the way down to 99.9... no: down to 98.8, through the stop at 99 after the entry
    data = ohlc(FLAT, (100.5, 100.6, 98.8, 99.5))
    r = run(bar_script, data, mode=9, p1=100, p2=99, p3=102)
    assert fills(r) == [(120, 1, 10.0, 100.0, True), (120, -1, 10.0, 99.0, False)]


def test_oco_fill_cancels_the_other(bar_script):
    r = run(bar_script, ohlc(FLAT, (100.5, 100.6, 99, 99.2)), mode=15, p1=100, p2=99.5)
    assert fills(r) == [(120, 1, 10.0, 100.0, True)]
    assert record(bar_script, r, "canceled") == 1


# ---------------------------------------------------------------- time in force
def test_ioc_on_bars_gets_only_the_next_open(bar_script):
    r = run(bar_script, ohlc(FLAT, (100.5, 101, 99, 100)), mode=10, p1=100)
    assert fills(r) == [] and record(bar_script, r, "canceled") == 1
    r = run(bar_script, ohlc(FLAT, (99.5, 101, 99, 100)), mode=10, p1=100)
    assert fills(r) == [(120, 1, 10.0, 99.5, False)]


def test_gtd_order_lives_until_its_time(bar_script):
    # sent at 60 s, good for 2 minutes: the bar at 180 s may still fill it; then it expires at 180 s + 1 ns
    r = run(bar_script, ohlc(FLAT, FLAT, FLAT, FLAT), mode=11, p1=90)
    assert record(bar_script, r, "expired") == 1
    expired = r.events[r.events["kind"] == ORDER_EVENT_NAMES.index("expired")]
    assert int(expired["ts_event"][0]) == 180 * SEC + 1
    r = run(bar_script, ohlc(FLAT, FLAT, (95, 95, 89, 90), FLAT), mode=11, p1=90)
    assert fills(r) == [(180, 1, 10.0, 90.0, True)]


def test_day_order_expires_at_midnight(bar_script):
    half_day = 12 * 3600 * SEC
    r = run(bar_script, ohlc(FLAT, (95, 95, 80, 90), step=half_day), mode=18, p1=90)
    assert fills(r) == [] and record(bar_script, r, "expired") == 1


def test_fok_market_on_bars_fills_whole_at_the_open(bar_script):
    assert fills(run(bar_script, ohlc(FLAT, (101, 102, 100, 101)), mode=17)) == [(120, 1, 10.0, 101.0, False)]


# ---------------------------------------------------------------- targets, modify, cancel, reduce-only, post-only
def test_target_counts_open_market_orders(bar_script):
    r = run(bar_script, ohlc(FLAT, FLAT, FLAT), mode=12, qty=7)
    assert fills(r) == [(120, 1, 7.0, 100.0, False)]
    assert record(bar_script, r, "position") == 7


def test_modify_moves_a_resting_limit(bar_script):
    data = ohlc(FLAT, FLAT, (100.5, 100.6, 100.0, 100.3))
    r = run(bar_script, data, mode=16, p1=90, p2=100.4)
    assert fills(r) == [(180, 1, 10.0, 100.4, True)]


def test_cancel_all(bar_script):
    # a buy limit at 90 on bar 0, `cancel all` on bar 1: bar 2 goes through 90 but the order is gone
    r = run(bar_script, ohlc(FLAT, FLAT, (95, 95, 80, 90)), mode=19, p1=90)
    assert fills(r) == [] and events(r) == ["submitted", "accepted", "canceled"]
    r = run(bar_script, ohlc(FLAT, FLAT), mode=1, p1=50)
    assert events(r) == ["submitted", "accepted"]  # still working at the end


def test_reduce_only_never_increases_the_position(bar_script):
    # long 10, then a reduce-only sell of 30: fills 10, and the rest is canceled
    r = run(bar_script, ohlc(FLAT, FLAT, FLAT, FLAT), mode=14)
    assert fills(r) == [(120, 1, 10.0, 100.0, False), (180, -1, 10.0, 100.0, False)]
    assert record(bar_script, r, "position") == 0
    assert "reduce_only_would_increase" in reasons(r)
    # flat: denied before it is sent
    r = run(bar_script, ohlc(FLAT, FLAT), mode=20)
    assert fills(r) == [] and reasons(r) == ["reduce_only_would_increase"]
    assert record(bar_script, r, "denied") == 1


def test_post_only_that_would_cross_is_rejected(bar_script):
    r = run(bar_script, ohlc(FLAT, FLAT), mode=13, p1=100.5)
    assert "rejected" in events(r) and reasons(r) == ["post_only_would_cross"]
    r = run(bar_script, ohlc(FLAT, (99.5, 100, 99, 99.8)), mode=13, p1=99.9)
    assert fills(r) == [(120, 1, 10.0, 99.5, True)]  # post-only fills are maker fills


def test_prices_round_to_the_tick_on_the_passive_side(bar_script):
    r = run(bar_script, ohlc(FLAT, (100, 100.5, 99, 99.5)), mode=1, p1=99.996)
    assert fills(r) == [(120, 1, 10.0, 99.99, True)]
    r = run(bar_script, ohlc(FLAT, (100, 100.5, 99, 99.5)), mode=1, p1=99.996, venue=Venue(round_to_grid=False))
    assert reasons(r) == ["tick_size"]


# ---------------------------------------------------------------- fees
def test_fee_models(bar_script):
    spec = {"x": Instrument(symbol="TEST.XNAS", tick_size=0.01, lot_size=1, maker_fee=-0.0002, taker_fee=0.001,
                            fee_per_unit=0.005, fee_min=0.0)}
    r = run(bar_script, ohlc(FLAT, (101, 102, 100, 101)), mode=0, instruments=spec)
    assert r.fills["fee"][0] == pytest.approx(10 * 101 * 0.001 + 10 * 0.005)
    r = run(bar_script, ohlc(FLAT, (101, 101.5, 100, 100.8)), mode=1, p1=100.2, instruments=spec)
    assert r.fills["fee"][0] == pytest.approx(-10 * 100.2 * 0.0002 + 10 * 0.005)
    spec["x"] = spec["x"].model_copy(update={"fee_min": 2.0})
    r = run(bar_script, ohlc(FLAT, (101, 102, 100, 101)), mode=0, instruments=spec)
    assert r.fills["fee"][0] == 2.0
    assert r.final_ctx[1] == pytest.approx(1e6 - 10 * 101 - 2.0)  # cash paid the notional and the fee


# ---------------------------------------------------------------- risk
def test_risk_denies_with_a_reason_the_strategy_sees(bar_script):
    data = ohlc(FLAT, FLAT)
    r = run(bar_script, data, mode=0, risk=Risk(max_order_qty=5))
    assert reasons(r) == ["max_order_qty"] and fills(r) == []
    assert record(bar_script, r, "denied") == 1
    assert r.log_rows.shape[0] == 1  # `log "denied {order.reason}"` ran
    assert bar_script.format_log(r.log_rows[0]) == "denied max_order_qty"
    assert reasons(run(bar_script, data, mode=0, risk=Risk(max_order_notional=999))) == ["max_order_notional"]
    assert reasons(run(bar_script, data, mode=0, risk=Risk(trading_state="halted"))) == ["halted"]
    assert reasons(run(bar_script, data, mode=0, risk=Risk(trading_state="reducing"))) == ["reducing_only"]
    assert reasons(run(bar_script, data, mode=1, p1=80, risk=Risk(price_band=0.1))) == ["price_band"]
    assert reasons(run(bar_script, data, mode=0, cash=500)) == ["insufficient_margin"]
    small = {"x": Instrument(symbol="TEST.XNAS", tick_size=0.01, lot_size=1, max_position=5)}
    assert reasons(run(bar_script, data, mode=0, instruments=small)) == ["max_position"]
    assert reasons(run(bar_script, data, mode=15, p1=90, p2=91, risk=Risk(max_open_orders=1))) == ["max_open_orders"]


def test_min_quantity_and_notional_are_venue_rejections(bar_script):
    spec = {"x": Instrument(symbol="TEST.XNAS", tick_size=0.01, lot_size=1, min_qty=20)}
    r = run(bar_script, ohlc(FLAT, FLAT), mode=0, instruments=spec)
    assert reasons(r) == ["min_qty"] and "rejected" in events(r)
    spec = {"x": Instrument(symbol="TEST.XNAS", tick_size=0.01, lot_size=1, min_notional=5000)}
    assert reasons(run(bar_script, ohlc(FLAT, FLAT), mode=0, instruments=spec)) == ["min_notional"]


def test_drawdown_switches_to_reducing(bar_script):
    # long 10 at 100 with 1,000 cash: a fall to 50 is a 50% drawdown; the next buy is denied
    data = ohlc(FLAT, FLAT, (50, 50, 50, 50), FLAT, FLAT)
    r = run(bar_script, data, mode=0, at_bar=0, cash=1000, risk=Risk(max_drawdown=0.2))
    assert fills(r) == [(120, 1, 10.0, 100.0, False)]
    r = run(bar_script, data, mode=0, at_bar=3, cash=1000, risk=Risk(max_drawdown=0.2))
    assert fills(r) == [(300, 1, 10.0, 100.0, False)]  # no drawdown without a position
    r2 = run(bar_script, ohlc(FLAT, FLAT, (50, 50, 50, 50), FLAT, FLAT), mode=14, at_bar=0, cash=1000,
             risk=Risk(max_drawdown=0.2))
    assert record(bar_script, r2, "position") == 0  # reducing still lets it sell
    assert r2.trading_state == "reducing"


# ---------------------------------------------------------------- quotes: L1 fills, partial fills, latency
def test_market_on_quotes_takes_the_ask_size_then_the_next(quote_script):
    q = quotes((99.9, 100.1, 5, 4), (99.95, 100.2, 5, 10), (100, 100.3, 5, 10))
    r = run(quote_script, q, mode=0, at_bar=0)
    assert fills(r) == [(1, 1, 4.0, 100.1, False), (2, 1, 6.0, 100.2, False)]
    assert events(r, "partially_filled", "filled") == ["partially_filled", "filled"]
    r = run(quote_script, q, mode=0, at_bar=0, venue=Venue(l1_sizes=False))
    assert fills(r) == [(1, 1, 10.0, 100.1, False)]


def test_resting_limit_on_quotes_fills_at_its_price(quote_script):
    q = quotes((99.9, 100.1, 50, 50), (99.7, 99.85, 50, 50))
    assert fills(run(quote_script, q, mode=1, p1=99.9)) == [(2, 1, 10.0, 99.9, True)]
    # marketable on arrival: takes the ask
    assert fills(run(quote_script, q, mode=1, p1=100.5)) == [(1, 1, 10.0, 100.1, False)]


def test_fok_on_quotes_needs_the_whole_size(quote_script):
    q = quotes((99.9, 100.1, 5, 4), (99.9, 100.1, 50, 50))
    r = run(quote_script, q, mode=17)
    assert fills(r) == [] and record(quote_script, r, "canceled") == 1


def test_submit_latency_delays_arrival(quote_script):
    # sent at 1 s with 1.5 s latency: arrives at 2.5 s and takes the ask of the quote at 2 s
    q = quotes((99.9, 100.1, 50, 50), (99.9, 100.4, 50, 50), (99.9, 100.8, 50, 50))
    r = run(quote_script, q, mode=0, venue=Venue(submit_latency=1.5))
    assert [(f["ts_event"], f["price"]) for f in r.fills] == [(2_500_000_000, 100.4)]
    accepted = r.events[r.events["kind"] == ORDER_EVENT_NAMES.index("accepted")]
    assert int(accepted["ts_event"][0]) == 2_500_000_000


def test_cancel_latency_leaves_the_order_exposed(quote_script):
    # a resting buy at 99.9 from quote 0, `cancel all` on quote 1 (2 s); the quote at 3 s crosses it
    q = quotes((99.9, 100.1, 50, 50), (99.9, 100.1, 50, 50), (99.5, 99.8, 50, 50))
    r = run(quote_script, q, mode=19, p1=99.9)
    assert fills(r) == [] and record(quote_script, r, "canceled") == 1
    r = run(quote_script, q, mode=19, p1=99.9, venue=Venue(cancel_latency=1.5))
    assert fills(r) == [(3, 1, 10.0, 99.9, True)] and record(quote_script, r, "canceled") == 0


def test_ack_latency_delays_what_the_strategy_hears(quote_script):
    q = quotes((99.9, 100.1, 50, 50), (99.9, 100.1, 50, 50), (99.9, 100.1, 50, 50))
    r = run(quote_script, q, mode=0, venue=Venue(ack_latency=5.0))
    assert record(quote_script, r, "accepted") == 0  # the run ended before the ack came back
    r = run(quote_script, q, mode=0, venue=Venue(ack_latency=1.5))
    assert record(quote_script, r, "accepted") == 1


def test_reruns_are_bit_identical(quote_script):
    rng = np.random.default_rng(3)
    mid = 100 + np.cumsum(rng.normal(0, 0.05, 400))
    q = quotes(*[(m - 0.05, m + 0.05, 5, 5) for m in mid])
    venue = Venue(touch_probability=0.5, latency_jitter=0.2, submit_latency=0.1, seed=11)
    a = run(quote_script, q, mode=1, p1=99.9, venue=venue)
    b = run(quote_script, q, mode=1, p1=99.9, venue=venue)
    assert a.fills.tobytes() == b.fills.tobytes() and a.equity.tobytes() == b.equity.tobytes()


# ---------------------------------------------------------------- invariants, on random bars and orders
from hypothesis import given, settings, strategies as st  # noqa: E402


@st.composite
def random_bars(draw):
    n = draw(st.integers(3, 12))
    rows, price = [], 100.0
    for _ in range(n):
        o = round(price + draw(st.floats(-2, 2)), 2)
        c = round(o + draw(st.floats(-2, 2)), 2)
        h = round(max(o, c) + draw(st.floats(0, 1.5)), 2)
        lo = round(min(o, c) - draw(st.floats(0, 1.5)), 2)
        rows.append((o, h, lo, c))
        price = c
    return ohlc(*rows)


@settings(max_examples=40, deadline=None)
@given(data=random_bars(), mode=st.integers(0, 20), p1=st.floats(95, 105), p2=st.floats(95, 105),
       p3=st.floats(95, 105), at_bar=st.integers(0, 2), fill_on_close=st.booleans())
def test_invariants_on_random_orders(bar_script, data, mode, p1, p2, p3, at_bar, fill_on_close):
    spec = {"x": Instrument(symbol="TEST.XNAS", tick_size=0.01, lot_size=1.0, taker_fee=0.001, maker_fee=0.0005)}
    r = run(bar_script, data, mode=mode, p1=p1, p2=p2, p3=p3, at_bar=at_bar, instruments=spec,
            venue=Venue(fill_on_close=fill_on_close))
    by_time = {int(b["ts_event"]): b for b in data}
    for f in r.fills:  # no fill outside its bar's range
        bar = by_time[int(f["ts_event"])]
        assert bar["low"] - 1e-9 <= f["price"] <= bar["high"] + 1e-9
    # the books balance against an independent sum over the fills
    signed = (r.fills["side"] * r.fills["qty"]).sum()
    assert r.final_ctx[2] == pytest.approx(signed)  # the position
    cash = 1e6 - (r.fills["side"] * r.fills["qty"] * r.fills["price"]).sum() - r.fills["fee"].sum()
    assert r.final_ctx[1] == pytest.approx(cash, rel=1e-12)
    assert r.final_ctx[0] == pytest.approx(cash + signed * data["close"][-1], rel=1e-12)  # equity
    # every equity sample is cash + the position (summed from the fills so far) at the bar's close
    for t, (equity, cash_then, _), price in zip(r.equity_ts, r.equity, r.price):
        held = (r.fills["side"] * r.fills["qty"])[r.fills["ts_event"] <= t].sum()
        assert equity == pytest.approx(cash_then + held * by_time[int(t)]["close"], rel=1e-12, abs=1e-9)
        assert price == by_time[int(t)]["close"]  # the sampled mark
    # reduce-only (the second order of mode 14) never flips the position
    if mode == 14:
        assert signed >= 0
