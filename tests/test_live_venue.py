"""`ntc live` against the local Binance simulator (adapters/binance_sim.py), driven by the real ccxt client: paper
and live runs, replay parity, credentials kept out of every output, and restarts after SIGKILL with no order lost
or sent twice.

The simulator runs in its own process and replays the recorded BTCUSDT feed 30 times faster than it was recorded
(examples/data/binance: about 12 s), so each test takes seconds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from example_data import EXAMPLES
from live_sim import (KEY, SECRET, STRATEGY, Simulator, live, log_events, replay, settle, stop_when_done,
                      wait_done)


def test_live_run_trades_at_the_venue_and_replays_identically(sim, tmp_path):
    folder = tmp_path / "run"
    proc = live(sim, folder, wait=False)
    wait_done(sim)
    settle(sim, folder)
    time.sleep(1.0)  # the last reports reach the strategy
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    venue = sim.state()
    sent = [e for e in log_events(folder) if e["event"] == "order"]
    assert len(sent) >= 2  # fewer on a busy machine: ccxt keeps the latest quote, so a slow reader sees fewer crosses
    client_ids = [o["clientOrderId"] for o in venue["orders"]]
    assert sorted(client_ids) == sorted(e["client_id"] for e in sent)  # every order reached the venue, once
    # market orders fill at the best bid or offer, its size at most; one sent on the feed's last quotes may wait
    assert all(o["status"] == "FILLED" for o in venue["orders"][:-1])
    position = sum((1 if e["side"] > 0 else -1) * e["qty"] for e in log_events(folder) if e["event"] == "fill")
    assert venue["balances"]["BTC"] == pytest.approx(position, abs=1e-9)
    assert log_events(folder)[-1]["positions"]["BTCUSDT.BINANCE"] == pytest.approx(position, abs=1e-9)
    result = replay(folder)
    assert result.returncode == 0 and result.stdout.startswith("identical"), result.stdout + result.stderr
    # the planted key and secret appear in no output: logs, journal, state, the console
    outputs = [p.read_bytes() for p in folder.rglob("*") if p.is_file()] + [out.encode(), err.encode()]
    for secret in (KEY, SECRET):
        assert not any(secret.encode() in blob for blob in outputs), secret


def test_paper_run_sends_nothing_and_replays_identically(sim, tmp_path):
    folder = tmp_path / "paper"
    code, out, err = live(sim, folder, paper=True, duration=8)
    assert code == 0, err[-2000:]
    assert sim.state()["orders"] == []
    fills = [e for e in log_events(folder) if e["event"] == "fill"]
    assert fills, "the strategy traded on the simulated venue"
    result = replay(folder)
    assert result.returncode == 0 and result.stdout.startswith("identical"), result.stdout + result.stderr
    # and the other way round: a backtest over the quotes the live run saw makes the same fills
    assert backtest_fills(STRATEGY, "btc.quotes", folder) == [(e["seq"], e["side"], e["qty"], e["price"])
                                                              for e in fills]


def backtest_fills(strategy_path: Path, stream: str, folder: Path) -> list[tuple]:
    """The fills of a backtest over the market events a paper run journaled (its one stream): (seq, side, qty,
    price) as the run's log gives them."""
    import nts
    from nts.runtime.backtest import run_engine
    from nts.runtime.instruments import Instrument
    from nts.runtime.journal import MARKET, read_header, read_rows
    header = read_header(folder / "journal")
    strategy = nts.compile(strategy_path)
    dtype = strategy.event_dtype("step:" + stream)
    events = np.concatenate([np.frombuffer(data, dtype) for _, kind, _, _, data in read_rows(folder / "journal")
                             if kind == MARKET])
    backtest = run_engine(strategy, {"btc": events}, cash=header["cash"], currency=header["currency"],
                          instruments={"btc": Instrument(**header["instruments"][0])})
    return [(int(f["seq"]), int(f["side"]), float(f["qty"]), float(f["price"])) for f in backtest.fills]


def test_a_run_continues_only_with_the_params_it_started_with(sim, tmp_path):
    folder = tmp_path / "p"
    code, _, err = live(sim, folder, paper=True, duration=2)
    assert code == 0, err[-2000:]
    code, _, err = live(sim, folder, "--param", "fast=7", paper=True, duration=2)
    assert code == 1 and "give another --journal" in err


def test_bad_credentials_exit_with_the_venue_code(sim, tmp_path):
    env = dict(os.environ, NTS_API_KEY=KEY, NTS_API_SECRET="wrong")
    done = subprocess.run([sys.executable, "-m", "nts.compiler.cli", "live", str(STRATEGY), "--url", sim.url,
                           "--journal", str(tmp_path / "x"), "--duration", "4"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 4, done.stderr
    assert "Signature for this request is not valid" in done.stderr
    assert "wrong" not in done.stderr and SECRET not in done.stderr


def test_sigkill_and_restart_lose_no_order_and_send_none_twice(tmp_path):
    """The live process is killed with SIGKILL at random points while it trades, and restarted each time; then
    the venue's own records are checked: each client order id once, every order the journal says was sent is at
    the venue, and the venue's position equals the fills the state holds."""
    sim = Simulator(speed=6.0)  # a 60 s feed: time for several starts that trade, even on a busy machine
    try:
        kill_and_restart(sim, tmp_path / "killed", random.Random(7))
    finally:
        sim.close()


def kill_and_restart(sim, folder: Path, rng: random.Random) -> None:
    kills = 0
    proc = live(sim, folder, wait=False)
    deadline = time.time() + 180
    while not sim.state()["done"]:
        assert time.time() < deadline, "the simulator's feed did not end"
        time.sleep(rng.uniform(5.0, 9.0))
        if sim.state()["done"]:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        proc = live(sim, folder, wait=False)
    settle(sim, folder)
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-3000:]
    assert kills >= 3
    venue = sim.state()
    client_ids = [o["clientOrderId"] for o in venue["orders"]]
    assert len(client_ids) == len(set(client_ids)), "an order was sent twice"
    db = sqlite3.connect(folder / "state.db")
    stored = {row[0]: json.loads(row[1]) for row in db.execute("SELECT client_id, fields FROM orders")}
    assert set(stored) == set(client_ids), "the state and the venue disagree on the orders sent"
    fills = [json.loads(row[0]) for row in db.execute("SELECT fields FROM fills")]
    trades = venue["trades"]
    assert len(fills) == len(trades)
    position = sum(f["qty"] * (1 if stored[f["client_id"]]["side"] > 0 else -1) for f in fills)
    assert venue["balances"]["BTC"] == pytest.approx(position, abs=1e-9)
    assert len(client_ids) >= 2
    events = log_events(folder)
    (engine_position,) = events[-1]["positions"].values()  # what the engine holds after all the restarts
    assert events[-1]["event"] == "stopped" and engine_position == pytest.approx(position, abs=1e-9)
    started = sum(1 for e in events if e["event"] == "started")
    assert 3 <= started <= kills + 1  # some kills land before a start has finished: random points, those too
    assert sum(1 for e in events if e["event"] == "recovered") >= 2


def test_the_run_survives_a_misbehaving_venue(tmp_path):
    """Websockets dropped, requests delayed, rate-limit answers (HTTP 429) and order rejections: the run
    reconnects and carries on trading, and the venue's records still agree with the engine's."""
    folder = tmp_path / "rough"
    sim = Simulator(speed=15.0)  # a 24 s feed: time to trade after the troubles, even on a busy machine
    try:
        misbehave(sim, folder)
    finally:
        sim.close()


def misbehave(sim, folder: Path) -> None:
    proc = live(sim, folder, wait=False)
    end = time.time() + 60
    while not sim.state()["orders"]:  # trading has begun
        assert time.time() < end and proc.poll() is None, "no order reached the venue"
        time.sleep(0.1)
    dropped = time.time_ns()
    sim.control(drop_ws=True)
    time.sleep(1.5)
    sim.control(rate_limit=2, delay_ms=50)
    time.sleep(1.5)
    sim.control(delay_ms=0, reject_orders=1)
    time.sleep(1.0)
    sim.control(drop_ws=True)
    events = stop_when_done(sim, folder, proc, linger=1.5)
    venue = sim.state()
    client_ids = [o["clientOrderId"] for o in venue["orders"]]
    assert len(client_ids) == len(set(client_ids))
    sent = [e for e in events if e["event"] == "order"]
    assert len(sent) >= 4
    assert any(e["ts"] > dropped + 2 * 10**9 for e in sent)  # the streams came back: it traded on
    # the order the venue was told to refuse; and, when the strategy turned while that buy was in flight, the
    # sell that counted on it (spot: no BTC to sell)
    for e in events:
        if e["event"] == "order_rejected":
            assert "reject_orders" in e["reason"] or "insufficient balance" in e["reason"], e
    position = sum((1 if e["side"] > 0 else -1) * e["qty"] for e in events if e["event"] == "fill")
    assert venue["balances"]["BTC"] == pytest.approx(position, abs=1e-9)
    assert events[-1]["positions"]["BTCUSDT.BINANCE"] == pytest.approx(position, abs=1e-9)


def test_market_data_comes_by_rest_while_the_websockets_are_down(sim, tmp_path):
    from nts.runtime.journal import MARKET, read_rows
    folder = tmp_path / "rest"
    proc = live(sim, folder, paper=True, wait=False, duration=9)
    time.sleep(4.0)
    down = time.time_ns()
    sim.control(ws_down_ms=3000)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    import nts
    dtype = nts.compile(STRATEGY).event_dtype("step:btc.quotes")
    received = [int(np.frombuffer(data, dtype)[0]["ts_recv"]) for _, kind, _, _, data in read_rows(folder / "journal")
                if kind == MARKET]
    during = [t for t in received if down + 5 * 10**8 < t < down + 29 * 10**8]
    assert len(during) >= 2, "no quotes while the websockets were down"
    assert any(t > down + 35 * 10**8 for t in received)  # and the websocket again afterwards


ON_START = """strategy StartBuy
instrument btc = "BTCUSDT.BINANCE"
data btc quotes
on start:
    buy btc 0.001 tag "start"
on quote btc:
    pass
"""


def test_orders_sent_by_on_start_are_journaled_and_sent(sim, tmp_path):
    strategy = tmp_path / "start_buy.nts"
    strategy.write_text(ON_START)
    env = dict(os.environ, NTS_API_KEY=KEY, NTS_API_SECRET=SECRET)
    done = subprocess.run([sys.executable, "-m", "nts.compiler.cli", "live", str(strategy), "--url", sim.url,
                           "--journal", str(tmp_path / "run"), "--duration", "4"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [o["clientOrderId"] for o in sim.state()["orders"]] == ["startbuy-0"]
    result = replay(tmp_path / "run")
    assert result.returncode == 0 and result.stdout.startswith("identical"), result.stdout + result.stderr


TRIGGERED = """strategy Triggered
instrument btc = "BTCUSDT.BINANCE"
data btc quotes
var bought: bool = false
var exiting: bool = false
on quote btc:
    if not bought:
        bought = true
        buy btc 0.01 tag "entry"
on fill:
    if fill.tag == "entry" and position(btc) > 0.0099 and not exiting:  # the whole entry: a spot sell needs it
        exiting = true
        sell btc 0.01 {exit} tag "exit"
"""


@pytest.mark.parametrize("exit_clause, venue_type, offset", [
    ("stop fill.price - 40", "STOP_LOSS", -40),
    ("market_if_touched fill.price + 10", "TAKE_PROFIT", 10),  # the feed opens near its high
    ("trailing percent 0.1", "STOP_LOSS", None),  # Binance: trailingDelta 10 basis points, no stopPrice
], ids=["stop", "market_if_touched", "trailing"])
def test_triggered_orders_trigger_at_the_venue(tmp_path, exit_clause, venue_type, offset):
    """A stop (if-touched, trailing) order sent through ccxt becomes Binance's STOP_LOSS (TAKE_PROFIT, STOP_LOSS
    with a trailingDelta); the simulator triggers it as the backtest's matching engine does when the price passes
    its trigger, and the fill comes back to the strategy."""
    strategy = tmp_path / "triggered.nts"
    strategy.write_text(TRIGGERED.replace("{exit}", exit_clause))
    sim = Simulator(loop=True)  # however late the entry comes (a busy machine), the price passes the trigger
    try:
        proc = live(sim, tmp_path / "run", wait=False, strategy=strategy)
        end = time.time() + 120
        while [(o["type"], o["status"]) for o in sim.state()["orders"]][1:] != [(venue_type, "FILLED")]:
            assert time.time() < end and proc.poll() is None, sim.state()["orders"]
            time.sleep(0.2)
        time.sleep(1.0)  # the stop's fill reaches the strategy
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        orders = sim.state()["orders"]
    finally:
        sim.close()
    assert [(o["type"], o["status"]) for o in orders] == [("MARKET", "FILLED"), (venue_type, "FILLED")]
    trigger = float(orders[1]["stopPrice"])
    if offset is None:
        assert trigger == 0.0 and orders[1]["trailingDelta"] == 10
    else:
        last_entry_fill = [e for e in log_events(tmp_path / "run") if e["event"] == "fill" and e["seq"] == 0][-1]
        assert trigger == pytest.approx(last_entry_fill["price"] + offset, abs=0.01)
    events = log_events(tmp_path / "run")
    assert events[-1]["positions"]["BTCUSDT.BINANCE"] == pytest.approx(0.0, abs=1e-12)
    result = replay(tmp_path / "run")
    assert result.returncode == 0 and result.stdout.startswith("identical"), result.stdout + result.stderr


def test_only_trailing_stops_by_whole_basis_points_are_sent():
    """Binance's trailingDelta is a whole number of basis points from the best price: a trailing stop by percent
    in steps of 0.01% is sent as one; by ticks, by price or by a finer percent it would be another order at the
    venue, so it is refused (with that reason, as a rejection the strategy sees) rather than approximated."""
    from nts.runtime.engine_state import ORDER_ROW_DTYPE
    from nts.runtime.intents import TRAIL_PERCENT, TRAIL_TICKS, TYPE_TRAILING
    from nts.runtime.live_scheduler import _trail_percent

    def row(trail, unit):
        r = np.zeros(1, ORDER_ROW_DTYPE)[0]
        r["order_type"], r["trail"], r["trail_unit"] = TYPE_TRAILING, trail, unit
        return r

    assert _trail_percent(row(0.1, TRAIL_PERCENT)) == 0.1
    assert _trail_percent(row(1.25, TRAIL_PERCENT)) == 1.25
    assert _trail_percent(row(0.125, TRAIL_PERCENT)) is None
    assert _trail_percent(row(5.0, TRAIL_TICKS)) is None


@pytest.mark.parametrize("paper", [False, True], ids=["live", "paper"])
def test_a_book_strategy_trades_on_the_venues_depth_and_replays_identically(sim, tmp_path, paper):
    """`data btc book depth 5` live: ccxt's order book (Binance's diff-depth stream applied to a REST snapshot) as
    the engine's book snapshots; the run trades (at the venue, or on paper against the same book), the venue
    agrees, and the replay decides the same."""
    folder = tmp_path / "book"
    proc = live(sim, folder, paper=paper, wait=False, strategy=EXAMPLES / "btc_book.nts")
    events = stop_when_done(sim, folder, proc)
    result = replay(folder)
    assert result.returncode == 0 and result.stdout.startswith("identical"), result.stdout + result.stderr
    if paper:
        fills = [(e["seq"], e["side"], e["qty"], e["price"]) for e in events if e["event"] == "fill"]
        assert len(fills) >= 4 and sim.state()["orders"] == []
        assert backtest_fills(EXAMPLES / "btc_book.nts", "btc.book", folder) == fills  # the backtest's L2 fills
        return
    venue = sim.state()
    assert len(venue["orders"]) >= 4
    assert sorted(o["clientOrderId"] for o in venue["orders"]) == sorted(
        e["client_id"] for e in events if e["event"] == "order")
    position = sum((1 if e["side"] > 0 else -1) * e["qty"] for e in events if e["event"] == "fill")
    assert venue["balances"]["BTC"] == pytest.approx(position, abs=1e-9)


AMEND = """strategy Amend
instrument btc = "BTCUSDT.BINANCE"
data btc quotes
var n: int = 0
on quote btc:
    n += 1
    if n == 1:
        buy btc 0.01 limit btc.bid - 1000 tag "rest"
    elif n == 60:
        modify "rest" limit btc.bid - 900 qty 0.02
    elif n == 120:
        modify "rest" limit btc.ask + 5
"""


def test_modify_changes_the_order_at_the_venue(sim, tmp_path):
    """`modify` live: the venue replaces the resting order (Binance's cancelReplace through ccxt's edit_order)
    under the same client id, with the new quantity and price; the last change crosses the spread and fills.
    The replaced orders' cancellations are not the strategy's: its order goes on. The replay sends the same
    changes."""
    strategy = tmp_path / "amend.nts"
    strategy.write_text(AMEND)
    folder = tmp_path / "amend"
    proc = live(sim, folder, wait=False, strategy=strategy)
    events = stop_when_done(sim, folder, proc)
    orders = sim.state()["orders"]
    assert [(o["clientOrderId"], o["status"], o["origQty"]) for o in orders] == [
        ("amend-0", "CANCELED", "0.01000000"), ("amend-0", "CANCELED", "0.02000000"),
        ("amend-0", "FILLED", "0.02000000")]
    changes = [e for e in events if e["event"] == "modify"]
    assert [e["qty"] for e in changes] == [0.02, 0.02]
    assert [float(o["price"]) for o in orders[1:]] == pytest.approx([e["price"] for e in changes], abs=0.01)
    assert sum(e["qty"] for e in events if e["event"] == "fill") == pytest.approx(0.02)
    assert not [e for e in events if e["event"] in ("modify_failed", "order_rejected")]
    assert events[-1]["positions"]["BTCUSDT.BINANCE"] == pytest.approx(0.02)
    assert sim.state()["balances"]["BTC"] == pytest.approx(0.02)
    result = replay(folder)
    assert result.returncode == 0 and result.stdout.startswith("identical"), result.stdout + result.stderr
