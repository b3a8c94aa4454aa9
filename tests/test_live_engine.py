"""The live scheduler's core (runtime/live.py): the same compiled strategy, risk engine and order state machine as
a backtest, fed one input at a time; its journal and `replay`.

Parity is checked against the backtest itself: paper mode (the simulated venue) fed event by event makes the
backtest's fills and orders, bit for bit; live mode, with this test acting as a venue that fills market orders at
the next bar's open, books the same fills. A replay of a journal sends the same orders, and a journal changed by
one price is caught at that input, with the .nts line of the order that differs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nts
from nts.runtime.backtest import Risk, Venue, run_engine
from nts.runtime.events import ORDER_EVENT_NAMES
from nts.runtime.execution import REPORT_ACCEPTED, REPORT_CANCELED, REPORT_FILL, REPORT_REJECTED
from nts.runtime.instruments import Instrument, default_instrument
from nts.runtime.journal import JournalWriter, read_rows
from nts.runtime.live import BarAligner, LiveEngine
from nts.runtime.replay import header_of, replay

from example_data import EXAMPLES, btc_minutes, lean_daily
from harness import bars, compile_text

EMA = {"fast": 10, "slow": 30, "allow_short": True}


def feed_paper(strategy, streams: list[np.ndarray], instruments, params, cash, journal=None, venue=None):
    """Every event of `streams` (merged by time, ties in stream order) into a paper LiveEngine; all its fills."""
    merged = sorted(((int(e["ts_event"]), i, j) for i, s in enumerate(streams) for j, e in enumerate(s)))
    engine = LiveEngine(strategy, instruments, params=params, cash=cash, paper=True, start_ns=merged[0][0],
                        journal=journal, venue=venue)
    fills = [engine.started.fills]
    for _, i, j in merged:
        fills.append(engine.market(i, streams[i][j]).fills)
    fills.append(engine.stop(merged[-1][0]).fills)
    return engine, np.concatenate(fills)


def test_paper_mode_makes_the_backtests_fills_on_spy():
    strategy = nts.compile(EXAMPLES / "ema_cross.nts")
    spy = lean_daily("spy")
    venue = Venue(slippage_ticks=1.0)
    spec = Instrument(symbol="SPY.ARCA", tick_size=0.01, lot_size=1.0, taker_fee=0.0005)
    result = run_engine(strategy, {"spy": spy}, params=EMA, cash=100_000.0, instruments={"spy": spec}, venue=venue)
    engine, fills = feed_paper(strategy, [spy], [spec], EMA, 100_000.0, venue=venue)
    assert len(result.fills) > 100
    assert fills.tobytes() == result.fills.tobytes()
    assert engine.equity == pytest.approx(float(result.final_ctx[0]), abs=0.0)


def test_paper_mode_derives_the_hourly_stream_as_the_backtest_does():
    """btc_breakout declares 1m bars and 1h bars of the same instrument: live, only the minute bars come in and
    the hourly bars are made from them, fed at the same points as the backtest's resampled stream."""
    strategy = nts.compile(EXAMPLES / "btc_breakout.nts")
    btc = btc_minutes()
    params = {"channel": 20, "trend_len": 3}
    spec = default_instrument("BTCUSD.COINBASE")
    result = run_engine(strategy, {"btc": btc}, params=params, cash=100_000.0)
    engine = LiveEngine(strategy, [spec], params=params, cash=100_000.0, paper=True, start_ns=int(btc[0]["ts_event"]))
    assert engine.feeds() == [0]
    fills = [engine.market(0, bar).fills for bar in btc] + [engine.stop(int(btc[-1]["ts_event"])).fills]
    fills = np.concatenate(fills)
    assert len(result.fills) >= 4
    assert fills.tobytes() == result.fills.tobytes()


def test_live_mode_books_what_the_venue_reports():
    """This test is the venue: it accepts each order and fills it at the next bar's open. The engine books those
    fills as the backtest books its own (same times, sides, quantities, prices)."""
    strategy = nts.compile(EXAMPLES / "ema_cross.nts")
    spy = lean_daily("spy", last=1500)
    spec = default_instrument("SPY.ARCA")
    result = run_engine(strategy, {"spy": spy}, params=EMA, cash=100_000.0)
    engine = LiveEngine(strategy, [spec], params=EMA, cash=100_000.0, start_ns=int(spy[0]["ts_event"]))
    pending, fills = [], []
    for bar in spy:
        t = int(bar["ts_event"])
        for order in pending:
            row, box = engine.report(REPORT_ACCEPTED, int(order["seq"]), t=t)
            assert row >= 0 and [ORDER_EVENT_NAMES[k] for k in box.events["kind"]] == ["accepted"]
            _, box = engine.report(REPORT_FILL, int(order["seq"]), float(order["qty"]), float(bar["open"]), 0.0,
                                   0.0, t=t)
            fills.append(box.fills)
        box = engine.market(0, bar)
        pending = list(box.orders)
        assert all(ORDER_EVENT_NAMES[k] == "submitted" for k in box.events["kind"])
        assert len(box.fills) == 0  # nothing fills but what the venue reports
    fills = np.concatenate(fills)
    for name in ("ts_event", "side", "qty", "price", "seq"):
        assert np.array_equal(fills[name], result.fills[name][:len(fills)]), name
    assert len(fills) == len(result.fills) - (1 if pending else 0)
    position = float(np.sum(fills["side"] * fills["qty"]))
    assert engine.position(0) == position


LIMIT_THEN_CANCEL = """strategy LimitThenCancel
instrument x = "TEST.XNAS"
data x bars 1m
var step: int = 0
on bar x:
    step += 1
    if step == 1:
        buy x 10 limit 90 tag "entry"
    elif step == 3:
        cancel "entry"
on order canceled:
    log "canceled {order.qty:.0}"
"""


def test_live_cancel_is_a_request_until_the_venue_answers(tmp_path):
    strategy = compile_text(LIMIT_THEN_CANCEL, tmp_path)
    data = bars([100.0, 99.0, 98.0, 97.0])
    engine = LiveEngine(strategy, [default_instrument("TEST.XNAS")], start_ns=0)
    box = engine.market(0, data[0])
    (order,) = box.orders
    assert order["price"] == 90.0 and order["qty"] == 10.0
    engine.report(REPORT_ACCEPTED, int(order["seq"]))
    engine.market(0, data[1])
    box = engine.market(0, data[2])  # `cancel "entry"`: asked, not done
    assert len(box.cancels) == 1 and int(box.cancels[0]["seq"]) == int(order["seq"])
    assert len(engine.open_orders()) == 1
    _, box = engine.report(REPORT_FILL, int(order["seq"]), 4.0, 90.0, 0.36, 1.0)  # it filled partly meanwhile
    assert engine.position(0) == 4.0 and len(box.fills) == 1 and bool(box.fills[0]["is_maker"])
    assert float(box.fills[0]["fee"]) == 0.36  # the venue's fee, not the fee model's
    assert engine.equity == pytest.approx(100_000.0 - 0.36 + 4 * (98.0 - 90.0))  # marked at the last close
    row, box = engine.report(REPORT_CANCELED, int(order["seq"]))
    assert row >= 0 and len(engine.open_orders()) == 0
    assert [ORDER_EVENT_NAMES[k] for k in box.events["kind"]] == ["canceled"]
    assert len(box.logs) == 1  # the strategy's `on order canceled` ran
    row, _ = engine.report(REPORT_CANCELED, int(order["seq"]))  # about an order that is no longer open
    assert row == -1


VENUE_REPORT_SCRIPT = """
import sys
import nts
from nts.runtime.events import ORDER_EVENT_NAMES
from nts.runtime.execution import REPORT_ACCEPTED
from nts.runtime.instruments import default_instrument
from nts.runtime.live import LiveEngine
from harness import bars
strategy = nts.load(sys.argv[1])
engine = LiveEngine(strategy, [default_instrument("TEST.XNAS")], start_ns=0)
(order,) = engine.market(0, bars([100.0])[0]).orders
row, box = engine.report(REPORT_ACCEPTED, int(order["seq"]))
print(row, [ORDER_EVENT_NAMES[k] for k in box.events["kind"]])
"""


def test_a_venue_report_after_the_engine_was_compiled_again(tmp_path):
    """The engine's entry point is called by symbol, and a compilation names it anew: a process that compiles it
    again (its cache gone, or rewritten by another process) must not load callers cached against the old name. The
    live engine's venue report once was one, and `ntc live` crashed (SIGSEGV) at its first report."""
    strategy = compile_text(LIMIT_THEN_CANCEL, tmp_path)
    cache = tmp_path / "numba_cache"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(Path(__file__).parent))
    script = tmp_path / "report.py"
    script.write_text(VENUE_REPORT_SCRIPT)

    def report():
        done = subprocess.run([sys.executable, str(script), str(strategy.directory)], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    assert report() == "0 ['accepted']\n"
    engine_cache = list(cache.rglob("loop.engine-*"))
    assert engine_cache
    for f in engine_cache:
        f.unlink()
    assert report() == "0 ['accepted']\n"


def test_live_mode_compiles_what_a_venue_report_calls_before_the_feed_starts(tmp_path):
    """A first report compiling the driver's functions would take a second while bars go on: one bar late."""
    strategy = compile_text(LIMIT_THEN_CANCEL, tmp_path)
    engine = LiveEngine(strategy, [default_instrument("TEST.XNAS")], start_ns=0)
    driver = engine.built.driver
    compiled = (len(driver.venue_report.overloads), len(driver.deliver.overloads))
    (order,) = engine.market(0, bars([100.0])[0]).orders
    engine.report(REPORT_ACCEPTED, int(order["seq"]))
    assert compiled == (1, 1)
    assert (len(driver.venue_report.overloads), len(driver.deliver.overloads)) == compiled


def test_live_rejection_reaches_the_strategy_with_the_venues_reason(tmp_path):
    strategy = compile_text(LIMIT_THEN_CANCEL.replace("on order canceled:", "on order rejected:"), tmp_path)
    engine = LiveEngine(strategy, [default_instrument("TEST.XNAS")], start_ns=0)
    (order,) = engine.market(0, bars([100.0])[0]).orders
    _, box = engine.report(REPORT_REJECTED, int(order["seq"]), maker_or_reason=17.0)
    assert [ORDER_EVENT_NAMES[k] for k in box.events["kind"]] == ["rejected"]
    assert int(box.events[0]["reason"]) == 17 and len(box.logs) == 1
    assert len(engine.open_orders()) == 0


BRACKET = """strategy Bracket
instrument x = "TEST.XNAS"
data x bars 1m
var step: int = 0
on bar x:
    step += 1
    if step == 1:
        buy x 10 limit 99 tag "entry" stop_loss 90 take_profit 110
    elif step == 2:
        modify "entry" limit 98
"""


def test_live_order_changes_are_sent_as_pending_modify_events(tmp_path):
    """Live, the venue holds the orders: every change the engine makes to one is an order to send (a `modify`,
    a bracket leg grown by its entry's next fill, a leg shrunk by its sibling's fill), with the new values."""
    strategy = compile_text(BRACKET, tmp_path)
    engine = LiveEngine(strategy, [default_instrument("TEST.XNAS")], start_ns=0)
    data = bars([100.0, 100.0])
    (entry,) = engine.market(0, data[0]).orders
    seq = int(entry["seq"])
    engine.report(REPORT_ACCEPTED, seq)
    box = engine.market(0, data[1])  # `modify "entry"`
    assert [(int(e["seq"]), float(e["price"]), float(e["qty"])) for e in box.modifies] == [(seq, 98.0, 10.0)]
    _, box = engine.report(REPORT_FILL, seq, 4.0, 98.0, 0.0, 1.0)  # the legs open for 4
    legs = {int(o["order_type"]): int(o["seq"]) for o in box.orders}
    assert sorted(float(o["qty"]) for o in box.orders) == [4.0, 4.0] and len(box.modifies) == 0
    for leg in legs.values():
        engine.report(REPORT_ACCEPTED, leg)
    _, box = engine.report(REPORT_FILL, seq, 6.0, 98.0, 0.0, 1.0)  # the entry's next fill grows both legs
    assert sorted((int(e["seq"]), float(e["qty"])) for e in box.modifies) == \
        sorted((leg, 10.0) for leg in legs.values())
    stop, target = legs[2], legs[1]  # TYPE_STOP, TYPE_LIMIT
    _, box = engine.report(REPORT_FILL, target, 3.0, 110.0, 0.0, 1.0)  # the target fills 3: the stop shrinks to 7
    assert [(int(e["seq"]), float(e["qty"])) for e in box.modifies] == [(stop, 7.0)]
    assert len(box.cancels) == 0


def test_the_risk_engine_denies_live_orders_before_they_are_sent(tmp_path):
    strategy = compile_text(LIMIT_THEN_CANCEL, tmp_path)
    engine = LiveEngine(strategy, [default_instrument("TEST.XNAS")], risk=Risk(max_order_qty=5.0), start_ns=0)
    box = engine.market(0, bars([100.0])[0])
    assert len(box.orders) == 0
    assert [ORDER_EVENT_NAMES[k] for k in box.events["kind"]] == ["submitted", "denied"]


def run_journaled(tmp_path, strategy, data, paper: bool):
    spec = default_instrument("SPY.ARCA")
    start = int(data[0]["ts_event"])
    probe = LiveEngine(strategy, [spec], params=EMA, cash=1e5, paper=paper, start_ns=start)
    journal = JournalWriter(tmp_path / "journal", header_of(probe, EMA, 1e5, "USD", None, Risk(), Venue(), start))
    engine = LiveEngine(strategy, [spec], params=EMA, cash=1e5, paper=paper, start_ns=start, journal=journal)
    pending = []
    for bar in data:
        t = int(bar["ts_event"])
        if not paper:
            for order in pending:
                engine.report(REPORT_ACCEPTED, int(order["seq"]), t=t)
                engine.report(REPORT_FILL, int(order["seq"]), float(order["qty"]), float(bar["open"]), 0.5, 0.0, t=t)
        pending = list(engine.market(0, bar).orders)
        engine.clock(t + 1)
        journal.flush()
    engine.stop(int(data[-1]["ts_event"]) + 1)
    journal.close()
    return tmp_path / "journal"


@pytest.mark.parametrize("paper", [True, False])
def test_replay_of_a_journal_sends_the_same_orders(tmp_path, paper):
    strategy = nts.compile(EXAMPLES / "ema_cross.nts")
    journal = run_journaled(tmp_path, strategy, lean_daily("spy", last=800), paper)
    result = replay(journal)
    assert result.identical, result.difference
    assert result.orders > 10 and result.inputs >= 1601


def test_replay_reports_the_first_difference_with_its_line(tmp_path):
    """One journaled close price changed: the replay's EMAs differ from then on, and the first order that differs
    is reported at its input number, time and .nts line."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    strategy = nts.compile(EXAMPLES / "ema_cross.nts")
    journal = run_journaled(tmp_path, strategy, lean_daily("spy", last=400), paper=True)
    rows = list(read_rows(journal))
    first_order = next(r for r in rows if r[1] == 3)
    target = first_order[0]  # the input that caused it: a bar
    assert any(r[0] == target and r[1] == 0 for r in rows)
    changed = []
    for n, kind, stream, t, data in rows:
        if n == target and kind == 0:
            bar = np.frombuffer(data, strategy.event_dtype("step:spy.bars")).copy()
            bar["close"] *= 0.5
            data = bar.tobytes()
        changed.append((n, kind, stream, t, data))
    (segment,) = journal.glob("segment-*.arrow")
    from nts.runtime.journal import SCHEMA
    columns = list(zip(*changed))
    with open(segment, "wb") as f, ipc.new_stream(f, SCHEMA) as writer:
        writer.write_batch(pa.record_batch([pa.array(c, SCHEMA.field(i).type) for i, c in enumerate(columns)],
                                           schema=SCHEMA))
    result = replay(journal)
    assert not result.identical
    assert result.difference.n == target
    assert result.difference.t == first_order[3]
    assert result.difference.line == 20  # `target spy size tag "trend"` / `target spy (-size ...)` lines 20, 22
    assert "live sent order" in result.difference.what and "the replay sends nothing" in result.difference.what


def test_journal_cut_by_a_crash_reads_up_to_its_last_whole_batch(tmp_path):
    writer = JournalWriter(tmp_path / "j", {"strategy": "x"})
    for n in range(1, 4):
        writer.clock(n, n * 1000)
        writer.flush(sync=True)
    writer._file.close()  # the process dies: no end-of-stream marker, and the last batch cut short
    (segment,) = (tmp_path / "j").glob("segment-*.arrow")
    data = segment.read_bytes()
    segment.write_bytes(data[:-20])
    rows = list(read_rows(tmp_path / "j"))
    assert [r[0] for r in rows] == [1, 2]


def test_a_restored_snapshot_continues_as_the_engine_would_have(tmp_path):
    """btc_breakout (a resampled hourly stream, trailing stops): half the day, snapshot, a new engine restores it
    and takes the rest; its fills equal an uninterrupted run's."""
    strategy = nts.compile(EXAMPLES / "btc_breakout.nts")
    btc = btc_minutes()
    params = {"channel": 20, "trend_len": 3}
    spec = default_instrument("BTCUSD.COINBASE")
    start = int(btc[0]["ts_event"])

    def engine():
        return LiveEngine(strategy, [spec], params=params, cash=100_000.0, paper=True, start_ns=start)

    whole = engine()
    whole_fills = np.concatenate([whole.market(0, bar).fills for bar in btc])
    first = engine()
    fills = [first.market(0, bar).fills for bar in btc[:777]]
    blob = first.snapshot()
    second = engine()
    second.restore(blob)
    assert second.events_in == 777
    fills += [second.market(0, bar).fills for bar in btc[777:]]
    assert len(whole_fills) >= 4
    assert np.concatenate(fills).tobytes() == whole_fills.tobytes()
    assert second.snapshot() == whole.snapshot()


def test_ntc_replay_says_identical(tmp_path):
    from click.testing import CliRunner

    from nts.compiler.cli import main
    strategy = nts.compile(EXAMPLES / "ema_cross.nts")
    journal = run_journaled(tmp_path, strategy, lean_daily("spy", last=300), paper=False)
    result = CliRunner().invoke(main, ["replay", str(journal)])
    assert result.exit_code == 0, result.output
    import re
    found = re.match(r"identical: ([\d,]+) inputs, (\d+) orders, 0 cancels", result.output)
    assert found and int(found.group(2)) > 0, result.output
    missing = CliRunner().invoke(main, ["replay", str(tmp_path)])
    assert missing.exit_code == 1 and "not a journal" in missing.output


def test_bars_of_one_time_are_fed_in_stream_order_and_a_missing_one_stalls_nothing():
    def bar(t):
        return bars([100.0], start_ns=t, step_ns=0)[0]  # closing at t

    aligner = BarAligner([[0, 2]], wait_s=3.0)
    assert not aligner.aligns(1)
    assert aligner.push(2, bar(60), now=0.0) == []  # stream 0's bar of that time has not come
    assert [(i, int(b["ts_event"])) for i, b in aligner.push(0, bar(60), now=0.1)] == [(0, 60), (2, 60)]
    assert aligner.push(0, bar(120), now=1.0) == []
    assert aligner.due(now=3.9) == []
    assert [(i, int(b["ts_event"])) for i, b in aligner.due(now=4.0)] == [(0, 120)]  # stream 2's never came
    assert [(i, int(b["ts_event"])) for i, b in aligner.push(2, bar(180), now=5.0)] == []
    assert [(i, int(b["ts_event"])) for i, b in aligner.push(0, bar(180), now=5.1)] == [(0, 180), (2, 180)]
