"""The example strategies on bars, live against the local Binance simulator in bar mode (adapters/binance_sim.py
`--bars`: the examples' own bar files served as klines, one close every `--bar-gap` seconds, orders matched on the
bars as a backtest matches them), driven by the real ccxt client: each run trades at the venue, its journal replays
identically, and a backtest over the bars the simulator served makes the live run's fills (reverse parity).

Params and windows are chosen so that each run trades a few times in 15 to 25 s. Three quarters of the gap between
two bars (60 ms or more) is the time a run has to send a bar's orders before the next bar matches them: a run that
misses it trades one bar later, a difference these tests would report.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time

import numpy as np
import pytest

import nts
from example_data import EXAMPLES
from live_sim import Simulator, live, log_events, replay, stop_when_done
from nts.adapters.binance_sim import window
from nts.adapters.files import read_events
from nts.runtime.backtest import run_engine
from nts.runtime.instruments import Instrument
from nts.runtime.journal import read_header

LEAN = EXAMPLES / "data" / "lean"
SPY = LEAN / "equity" / "usa" / "daily" / "spy.zip"
AAPL = LEAN / "equity" / "usa" / "daily" / "aapl.zip"
BTC = LEAN / "crypto" / "coinbase" / "minute" / "btcusd" / "20170903_trade.zip"

# example file: (the markets served {strategy instrument: (simulator market, bar file)}, the simulator's other
#               options, the strategy's params)
CASES = {
    "ema_cross.nts": ({"spy": ("SPY", SPY)}, ["--interval", "1d", "--from", "2018-01-01", "--to", "2018-07-01",
                                              "--bar-gap", "0.1"], {"fast": 5, "slow": 20}),
    # limit entries with both exits, sent as OTOCO order lists; a stop is hit on its entry's own bar
    "rsi_bracket.nts": ({"spy": ("SPY", SPY)}, ["--interval", "1d", "--from", "2015-07-01", "--to", "2016-01-01",
                                                "--bar-gap", "0.1"], {}),
    # market entries with a stop-loss: the stop is sent when the entry's fill comes back
    "rsi_reversion.nts.yaml": ({"spy": ("SPY", SPY)}, ["--interval", "1d", "--from", "2018-07-01",
                                                       "--to", "2019-01-01", "--bar-gap", "0.1"], {}),
    "pairs_spy_aapl.nts": ({"spy": ("SPY", SPY), "aapl": ("AAPL", AAPL)},
                       ["--interval", "1d", "--from", "2019-02-01", "--to", "2019-05-01", "--bar-gap", "0.1",
                        "--balance", "SPY=1000", "--balance", "AAPL=1000"],  # shares to sell short on a spot venue
                       {"lookback": 20}),
    "btc_breakout.nts": ({"btc": ("BTC/USD", BTC)}, ["--interval", "1m", "--from", "2017-09-03T03:00",
                                                     "--to", "2017-09-03T07:30", "--bar-gap", "0.08", "--balance",
                                                     "BTC=1"], {"trend_len": 3, "channel": 10}),
}


def served(markets: dict, options: list[str]) -> dict[str, np.ndarray]:
    """The bars the simulator serves (its --from/--to window of each file), by strategy instrument."""
    start, end = options[options.index("--from") + 1], options[options.index("--to") + 1]
    return {name: window(read_events(path, "bars"), start, end) for name, (_, path) in markets.items()}


@pytest.mark.parametrize("paper", [False, True], ids=["live", "paper"])
@pytest.mark.parametrize("example", list(CASES))
def test_an_example_trades_on_bars_replays_identically_and_matches_a_backtest(example, paper, tmp_path):
    markets, options, params = CASES[example]
    bars = [a for _, (market, path) in markets.items() for a in ("--bars", f"{market}={path}")]
    sim = Simulator(*bars, *options)
    try:
        folder = tmp_path / example
        param_args = [a for k, v in params.items() for a in ("--param", f"{k}={v}")]
        proc = live(sim, folder, *param_args, paper=paper, wait=False, strategy=EXAMPLES / example)
        events = stop_when_done(sim, folder, proc)
        venue = sim.state()
    finally:
        sim.close()
    sent = [e for e in events if e["event"] == "order"]
    fills = [e for e in events if e["event"] == "fill"]
    assert len(fills) >= 4
    if paper:  # fills from the engine's own simulated venue: nothing reaches the real one
        assert venue["orders"] == []
    else:
        assert sorted(o["clientOrderId"] for o in venue["orders"]) == sorted(e["client_id"] for e in sent)
        assert {e["client_id"] for e in events if e["event"] == "cancel"} <= {e["client_id"] for e in sent}
        assert not [e for e in events if e["event"] in ("order_rejected", "modify_failed")]
        assert len(fills) == len(venue["trades"])
    result = replay(folder)
    assert result.returncode == 0 and result.stdout.startswith("identical"), result.stdout + result.stderr

    # The other way round: a backtest over the bars the simulator served makes the same fills; the instruments are
    # the venue's (as the live run loaded them).
    strategy = nts.compile(EXAMPLES / example)
    header = read_header(folder / "journal")
    names = [i.name for i in strategy.manifest.instruments]
    backtest = run_engine(strategy, served(markets, options), params=params, cash=header["cash"],
                          currency=header["currency"],
                          instruments={n: Instrument(**spec) for n, spec in zip(names, header["instruments"])})
    expected = [(int(f["seq"]), int(f["side"]), float(f["qty"]), round(float(f["price"]), 8)) for f in backtest.fills]
    got = [(e["seq"], e["side"], e["qty"], round(e["price"], 8)) for e in fills]  # the venue writes 8 digits
    if paper or example != "rsi_reversion.nts.yaml":
        assert sorted(got) == sorted(expected)
        assert sum(e["fee"] for e in fills) == pytest.approx(float(backtest.fills["fee"].sum()), rel=1e-6)
        return
    # Live, the exits of a market entry are sent when its fill comes back, so they work from the next bar on; in a
    # backtest (and on paper) from the fill on, the rest of the entry's bar included (docs/live.md). The runs agree
    # until the first exit the backtest took on its entry's own bar, and may go different ways from there.
    agree = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
    first_fill: dict[int, int] = {}
    for f in backtest.fills:
        first_fill.setdefault(int(f["seq"]), int(f["ts_event"]))
    parent = {int(o["seq"]): int(o["parent"]) for o in backtest.orders}
    in_entry_bar = [i for i, f in enumerate(backtest.fills)
                    if first_fill.get(parent[int(f["seq"])]) == int(f["ts_event"])]
    assert agree > 0
    if got != expected:
        assert in_entry_bar and in_entry_bar[0] <= agree, (got, expected)


def test_a_restart_while_an_order_lists_exits_rest_sends_nothing_twice(tmp_path):
    """SIGKILL while a bracket's exits rest at the venue (placed by it when the entry filled), then a restart: the
    exits are not sent again, their reports still reach the engine's orders, and the venue, the state and the
    engine agree on the orders and the position."""
    sim = Simulator("--bars", f"SPY={SPY}", "--interval", "1d", "--from", "2018-07-01", "--to", "2019-01-01",
                    "--bar-gap", "0.2")
    folder = tmp_path / "run"
    try:
        proc = live(sim, folder, wait=False, strategy=EXAMPLES / "rsi_bracket.nts")
        deadline = time.time() + 90
        while not resting_exits(folder):
            assert time.time() < deadline and not sim.state()["done"], "no bracket's exits rested"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc = live(sim, folder, wait=False, strategy=EXAMPLES / "rsi_bracket.nts")
        events = stop_when_done(sim, folder, proc)
        venue = sim.state()
    finally:
        sim.close()
    client_ids = [o["clientOrderId"] for o in venue["orders"]]
    assert len(client_ids) == len(set(client_ids)), "an order was sent twice"
    assert any(cid.endswith("-sl") for cid in client_ids)
    assert not [e for e in events if e["event"] == "reconcile" and "sent again" in e["difference"]]
    db = sqlite3.connect(folder / "state.db")
    stored = {row[0]: json.loads(row[1]) for row in db.execute("SELECT client_id, fields FROM orders")}
    assert set(stored) == set(client_ids), "the state and the venue disagree on the orders"
    fills = [json.loads(row[0]) for row in db.execute("SELECT fields FROM fills")]
    assert len(fills) == len(venue["trades"]) >= 2
    position = sum(f["qty"] * (1 if stored[f["client_id"]]["side"] > 0 else -1) for f in fills)
    assert venue["balances"]["SPY"] == pytest.approx(position)
    assert events[-1]["event"] == "stopped" and events[-1]["positions"]["SPY.ARCA"] == pytest.approx(position)
    assert sum(1 for e in events if e["event"] == "recovered") == 1


def resting_exits(folder) -> set[str]:
    """The exits of order lists the run has opened and not yet seen filled or canceled (by its log)."""
    if not (folder / "live.log").exists():
        return set()
    events = log_events(folder)
    exits = {e["seq"]: e["client_id"] for e in events if e["event"] == "order" and "list_parent" in e}
    entries = {e["list_parent"] for e in events if e["event"] == "order" and "list_parent" in e}
    ended = {exits.get(e["seq"]) for e in events if e["event"] == "fill"} | \
        {e["client_id"] for e in events if e["event"] == "cancel"}
    done = {cid.rpartition("-")[0] for cid in ended if cid}  # an exit's fill or cancel ends its sibling too
    return {cid for cid in exits.values() if cid.rpartition("-")[0] not in done} if entries else set()
