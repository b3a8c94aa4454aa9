"""`ntc run`, `nts.backtest`, the data files it reads (with their named errors) and the statistics it prints."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import nts
from nts.adapters.files import (CrossedQuote, DuplicateTimestamps, HighBelowLow, NonFiniteValue, NonPositivePrice,
                                UnsortedTimestamps, WrongSchema, read_events)
from nts.compiler.cli import main
from nts.runtime.stats import drawdown, max_drawdown_duration_days, round_trips, statistics
from nts.runtime.events import FILL_DTYPE

ROOT = Path(__file__).resolve().parent.parent
SPY = ROOT / "examples" / "data" / "lean" / "equity" / "usa" / "daily" / "spy.zip"
DAY = 86_400 * 10**9


@pytest.fixture(scope="module")
def ema(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ema")
    shutil.copy(ROOT / "examples" / "ema_cross.nts", folder / "ema_cross.nts")
    return folder / "ema_cross.nts"


def ntc(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_ntc_run_writes_the_runs_files(ema, tmp_path):
    out = tmp_path / "out"
    r = ntc("run", ema, "--data", f"spy={SPY}", "--param", "fast=10", "--param", "slow=30", "--out", out)
    assert r.exit_code == 0, r.output
    assert "Sharpe" in r.output and "Max drawdown" in r.output
    fills = pq.read_table(out / "fills.parquet").to_pandas()
    orders = pq.read_table(out / "orders.parquet").to_pandas()
    equity = pq.read_table(out / "equity.parquet").to_pandas()
    assert len(fills) > 50 and set(fills["side"]) == {1, -1}
    assert (orders["status"] == "filled").sum() == len(fills)
    assert len(equity) == 5849 and {"equity", "cash", "drawdown", "spread", "regime"} <= set(equity.columns)
    # the same run from Python gives the same fills
    result = nts.backtest(ema, {"spy": read_events(SPY, "bars")}, params={"fast": 10, "slow": 30})
    assert np.array_equal(result.fills["price"].to_numpy(), fills["price"].to_numpy())
    assert result.stats["fills"] == len(fills)


def test_ntc_run_usage_and_data_errors(ema, tmp_path):
    r = ntc("run", ema, "--data", f"spy={SPY}", "--param", "fats=10")
    assert r.exit_code == 2 and "no param 'fats'" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text("time,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,10\n2020-01-01,1,2,0.5,1.5,10\n")
    r = ntc("run", ema, "--data", f"spy={bad}")
    assert r.exit_code == 1 and f"{bad}:3: unsorted timestamps" in r.output
    r = ntc("run", ema, "--data", f"spy={tmp_path / 'missing.csv'}")
    assert r.exit_code == 2 and "no such file" in r.output
    r = ntc("run", ema, "--data", f"spy={SPY}", "--instrument", "qqq=QQQ.XNAS")
    assert r.exit_code == 2 and "no instrument 'qqq'" in r.output


def test_instrument_symbol_override_changes_the_account_rules(ema, tmp_path):
    # SPY.ARCA is an equity: buying moves the notional out of cash. Traded as a future (an XCME symbol), cash moves
    # by realized PnL only, so it never falls to a fraction of equity.
    for symbol, out in (("SPY.ARCA", tmp_path / "equity"), ("SP.XCME", tmp_path / "future")):
        r = ntc("run", ema, "--data", f"spy={SPY}", "--instrument", f"spy={symbol}", "--out", out, "-q")
        assert r.exit_code == 0, r.output
    low_cash = {name: pq.read_table(tmp_path / name / "equity.parquet").to_pandas()["cash"].min()
                for name in ("equity", "future")}
    assert low_cash["equity"] < 20_000 < 50_000 < low_cash["future"]


def _csv(tmp_path, body, header="time,open,high,low,close,volume"):
    path = tmp_path / "d.csv"
    path.write_text(header + "\n" + body)
    return path


@pytest.mark.parametrize("body, error, row", [
    ("2020-01-02,1,2,0.5,1.5,10\n2020-01-01,1,2,0.5,1.5,10\n", UnsortedTimestamps, 3),
    ("2020-01-01,1,2,0.5,1.5,10\n2020-01-01,1,2,0.5,1.6,10\n", DuplicateTimestamps, 3),
    ("2020-01-01,1,2,0.5,1.5,10\n2020-01-02,1,2,0.5,nan,10\n", NonFiniteValue, 3),
    ("2020-01-01,1,2,0.5,1.5,10\n2020-01-02,0,2,0,1.5,10\n", NonPositivePrice, 3),
    ("2020-01-01,1,0.9,0.5,0.8,10\n", HighBelowLow, 2),
])
def test_bad_bars_get_a_named_error_at_their_row(tmp_path, body, error, row):
    path = _csv(tmp_path, body)
    with pytest.raises(error) as info:
        read_events(path, "bars")
    assert info.value.row == row and str(info.value).startswith(f"{path}:{row}: ")


def test_arrays_given_to_nts_backtest_are_validated_too(ema):
    bars = read_events(SPY, "bars")[:50].copy()
    bars["high"][7] = bars["low"][7] - 1
    with pytest.raises(HighBelowLow, match=r"data\['spy'\]:7: high below low"):
        nts.backtest(ema, {"spy": bars})


def test_crossed_quotes_and_wrong_schema(tmp_path):
    path = _csv(tmp_path, "1577836800,100.2,100.1,1,1\n", header="ts,bid,ask,bid_size,ask_size")
    with pytest.raises(CrossedQuote, match=":2: crossed quote"):
        read_events(path, "quotes")
    with pytest.raises(WrongSchema, match="no column for `open`"):
        read_events(path, "bars")


def test_repair_sorts_and_drops_exact_duplicates_only(tmp_path):
    path = _csv(tmp_path, "2020-01-02,1,2,0.5,1.5,10\n2020-01-01,1,2,0.5,1.5,10\n2020-01-01,1,2,0.5,1.5,10\n")
    bars = read_events(path, "bars", repair=True)
    assert list(bars["ts_event"]) == [1577836800 * 10**9, 1577923200 * 10**9]


def test_times_in_a_time_zone_and_open_stamped_bars(tmp_path):
    path = _csv(tmp_path, "2020-01-02 09:30,1,2,0.5,1.5,10\n")
    bars = read_events(path, "bars", tz="America/New_York", bar_time="open", timeframe_ns=60 * 10**9)
    assert int(bars["ts_event"][0]) == (1577975400 + 60) * 10**9  # 14:30 UTC, plus the minute


# ---------------------------------------------------------------- statistics, by hand
def test_drawdown_and_its_duration():
    eq = np.array([100.0, 110.0, 99.0, 105.0, 111.0, 100.0])
    assert np.allclose(drawdown(eq), [0, 0, 0.1, 1 - 105 / 110, 0, 1 - 100 / 111])
    ts = np.arange(6) * DAY
    assert max_drawdown_duration_days(ts, eq) == 3.0  # from day 1's peak to day 4's new high


def test_round_trips_with_flips_and_fees():
    fills = np.zeros(4, FILL_DTYPE)
    fills[["ts_event", "side", "qty", "price", "fee"][0]] = [1, 2, 3, 4]
    fills["side"] = [1, -1, 1, -1]
    fills["qty"] = [10, 20, 5, 5]
    fills["price"] = [100, 110, 105, 100]
    fills["fee"] = [1, 2, 0, 0]
    fills["rate"] = 1.0  # the instrument is in the account's currency
    trades = round_trips(fills)
    # long 10: +100, minus the entry fee 1 and half the exit fee 1 -> 98; then short 10 at 110, covered 5 at 105
    # (+25) with the other half of the fee (-1), still open: only the closed one counts
    assert [round(t["pnl"], 9) for t in trades] == [98.0]
    # in another currency, each fill converted at its rate: bought 10 x 100 at 1.1 (1,100 + fee 1.1), sold 10 of
    # 20 x 110 at 1.2 (1,320 - half the fee, 1.2)
    fills["rate"] = [1.1, 1.2, 1.2, 1.2]
    assert [round(t["pnl"], 9) for t in round_trips(fills)] == [round(1320 - 1100 - 1.1 - 1.2, 9)]


def test_statistics_by_hand():
    ts = np.arange(4) * DAY
    eq = np.array([100.0, 110.0, 99.0, 121.0])
    s = statistics(ts, eq, np.ones(4), np.zeros(0, FILL_DTYPE), 100.0)
    assert s["total_return"] == pytest.approx(0.21)
    assert s["max_drawdown"] == pytest.approx(0.1)
    r = np.array([0.0, 0.1, -0.1, 121 / 99 - 1])  # the first day's from the starting equity
    per_year = 4 / (3 / 365.25)
    assert s["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(per_year))
    assert s["sortino"] == pytest.approx(r.mean() / math.sqrt(np.mean(np.minimum(r, 0) ** 2)) * math.sqrt(per_year))
    assert s["annual_return"] == pytest.approx(1.21 ** (365.25 / 3) - 1)
    assert s["exposure"] == 1.0 and s["trades"] == 0


def test_a_rerun_skips_the_front_end_until_the_source_changes(tmp_path):
    """A current artifact was checked when it was written: `ntc run` loads it without importing the parser and the
    checker (the re-run figure of bench/backtest.py); an edited source is checked again, errors and all."""
    import subprocess
    import sys
    strategy = tmp_path / "ema_cross.nts"
    shutil.copy(ROOT / "examples" / "ema_cross.nts", strategy)
    assert ntc("run", strategy, "--data", f"spy={SPY}", "-q").exit_code == 0
    probe = ("import sys; from nts.compiler.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
             "print('front end' if 'nts.compiler.frontend' in sys.modules else 'no front end', code)")
    args = [sys.executable, "-c", probe, "run", str(strategy), "--data", f"spy={SPY}", "-q"]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.stdout.split() == ["no", "front", "end", "0"], (done.returncode, done.stderr[-3000:])
    strategy.write_text(strategy.read_text().replace("series f = ema(spy.close, fast)", "series f = ema(spy.clos, fast)"))
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.stdout.splitlines()[-1].split() == ["front", "end", "1"] and "ema_cross.nts:13:20:" in done.stdout


def test_errors_after_a_repair_name_the_row_read(tmp_path):
    """--repair sorts; a later error still names the row of the file the bad value is on."""
    bad = tmp_path / "bad.csv"
    bad.write_text("time,open,high,low,close,volume\n2020-01-03,1,2,0.5,1.5,10\n2020-01-01,1,2,0.5,1.5,10\n"
                   "2020-01-02,1,2,0.5,nan,10\n2020-01-04,1,2,0.5,1.5,10\n")
    with pytest.raises(NonFiniteValue, match=r"bad.csv:4: .*close is nan"):
        read_events(bad, "bars", repair=True)
    with pytest.raises(UnsortedTimestamps, match=r"bad.csv:3: "):
        read_events(bad, "bars")
