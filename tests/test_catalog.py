"""The data catalog: Databento DBN and Lean imports checked against independent readers, the Parquet layout, overlap
rules, and runs fed window by window that equal runs over whole arrays."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import databento
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import nts
from nts.adapters.catalog import AlreadyInCatalog, Catalog, bars_type, partition_unit
from nts.adapters.data_import import import_file
from nts.adapters.dbn import SCHEMAS, read_dbn
from nts.adapters.files import MissingData, UnknownInstrument, WrongSchema, read_events
from nts.compiler.cli import main
from nts.runtime.backtest import run_engine
from nts.runtime.catalog_feed import CatalogFeed
from nts.runtime.events import BAR_DTYPE
from nts.runtime.resample import resample_bars

ROOT = Path(__file__).resolve().parent.parent
DBN = ROOT / "tests" / "data" / "databento"  # real files; their sources and licenses in its README.md
GLBX = DBN / "GLBX.MDP3"
FUTURES = DBN / "nautilus"
OHLCV = FUTURES / "futures_ohlcv-1m_2024-07-01T23-40_2024-07-02T00-10.dbn.zst"
MBP1 = FUTURES / "futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst"
DEFINITION = FUTURES / "futures_definition.dbn.zst"
SPY = ROOT / "examples" / "data" / "lean" / "equity" / "usa" / "daily" / "spy.zip"
MIN = 60 * 10**9


def ntc(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_dbn_bars_match_databentos_own_dataframe(tmp_path):
    catalog = Catalog(tmp_path / "c", create=True)
    done = import_file(catalog, OHLCV)
    assert sorted(done.series) == [("bars-1m", "ESU4.GLBX", 30), ("bars-1m", "NQU4.GLBX", 30)]
    reference = databento.DBNStore.from_file(OHLCV).to_df(price_type="float", map_symbols=True)
    for symbol in ("ESU4", "NQU4"):
        ref = reference[reference["symbol"] == symbol]
        bars = catalog.read("bars-1m", f"{symbol}.GLBX")
        # Databento stamps a bar with its open; NTS with its close
        assert np.array_equal(bars["ts_event"], ref.index.asi8 + MIN)
        for field in ("open", "high", "low", "close", "volume"):
            assert np.allclose(bars[field], ref[field].to_numpy()), field


def test_dbn_definitions_become_instruments(tmp_path):
    catalog = Catalog(tmp_path / "c", create=True)
    import_file(catalog, DEFINITION)
    es, nq = catalog.instrument("ESU4.GLBX"), catalog.instrument("NQU4.GLBX")
    assert (es.kind, es.tick_size, es.multiplier, es.currency) == ("future", 0.25, 50.0, "USD")
    assert (nq.tick_size, nq.multiplier) == (0.25, 20.0)


@pytest.mark.parametrize("schema", ["ohlcv-1s", "ohlcv-1m", "ohlcv-1h", "ohlcv-1d", "trades", "tbbo", "mbp-1",
                                    "bbo-1s", "bbo-1m", "mbp-10", "mbo", "status"])
def test_every_dbn_schema_imports_with_its_values(schema):
    path = GLBX / f"test_data.{schema}.dbn.zst"
    series, _ = read_dbn(path)
    ref = databento.DBNStore.from_file(path).to_df(price_type="float", pretty_ts=False)
    assert {s for _, s, _ in series} == {"ESH1.GLBX"}
    for data_type, _, events in series:
        assert len(events) == len(ref)
        if data_type.startswith("bars-"):
            assert np.allclose(events["close"], ref["close"])
        elif data_type == "quotes":
            assert np.allclose(events["bid"], ref["bid_px_00"]) and np.allclose(events["ask_size"], ref["ask_sz_00"])
        elif data_type == "trades":
            assert np.allclose(events["price"], ref["price"])
            assert list(events["aggressor"]) == [{"B": 1, "A": -1}.get(s, 0) for s in ref["side"]]
        elif data_type == "book-10":
            assert np.allclose(events["ask_price"][:, 9], ref["ask_px_09"])
            assert np.array_equal(events["bid_orders"][:, 3], ref["bid_ct_03"])
        elif data_type == "mbo":
            assert np.array_equal(events["order_id"], ref["order_id"].to_numpy(np.uint64))
            assert [chr(a) for a in events["action"]] == list(ref["action"])
        elif data_type == "status":
            assert np.array_equal(events["reason"], ref["reason"])


def test_unreadable_schemas_and_files_are_named():
    with pytest.raises(WrongSchema, match="statistics is not imported"):
        read_dbn(GLBX / "test_data.statistics.dbn.zst")
    assert "statistics" not in SCHEMAS


def test_a_catalog_round_trips_lean_bars_by_year(tmp_path):
    catalog = Catalog(tmp_path / "c", create=True)
    bars = read_events(SPY, "bars")
    written = catalog.write("bars-1d", "SPY.ARCA", bars)
    assert partition_unit("bars-1d") == "Y" and len(written) == 24  # 1998..2021
    assert written[0].parent.name == "date=1998"
    assert np.array_equal(catalog.read("bars-1d", "SPY.ARCA"), bars)
    # pandas reads it as one hive-partitioned dataset, times as UTC timestamps
    frame = pd.read_parquet(tmp_path / "c")
    assert len(frame) == len(bars) and str(frame["ts_event"].dtype) == "datetime64[ns, UTC]"
    # times read back cut to a range
    cut = catalog.read("bars-1d", "SPY.ARCA", start=int(bars["ts_event"][100]), end=int(bars["ts_event"][199]))
    assert np.array_equal(cut, bars[100:200])


def test_overlapping_imports_are_refused_unless_replaced(tmp_path):
    catalog = Catalog(tmp_path / "c", create=True)
    bars = read_events(SPY, "bars")
    catalog.write("bars-1d", "SPY.ARCA", bars[:3000])
    with pytest.raises(AlreadyInCatalog, match="use --replace"):
        catalog.write("bars-1d", "SPY.ARCA", bars[2990:3100])
    catalog.write("bars-1d", "SPY.ARCA", bars[3000:])  # later times of the same year merge in
    assert np.array_equal(catalog.read("bars-1d", "SPY.ARCA"), bars)
    changed = bars[2990:3100].copy()
    changed["volume"] += 1
    catalog.write("bars-1d", "SPY.ARCA", changed, replace=True)
    again = catalog.read("bars-1d", "SPY.ARCA")
    assert len(again) == len(bars) and np.array_equal(again["volume"][2990:3100], changed["volume"])
    assert np.array_equal(again[:2990], bars[:2990]) and np.array_equal(again[3100:], bars[3100:])


def test_not_a_catalog_and_bad_symbols(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "file").write_text("")
    with pytest.raises(Exception, match="not empty and not a catalog"):
        Catalog(tmp_path / "x", create=True)
    with pytest.raises(Exception, match="not a data catalog"):
        Catalog(tmp_path / "y")
    catalog = Catalog(tmp_path / "c", create=True)
    with pytest.raises(Exception, match="bad instrument symbol"):
        catalog.write("bars-1d", "BTC/USD", read_events(SPY, "bars")[:5])


def random_walk_minutes(days: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = days * 1440
    close = 4000 * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))
    open_ = np.r_[close[0], close[:-1]]
    spread = np.abs(rng.normal(0, 0.0005, n)) * close
    bars = np.zeros(n, BAR_DTYPE)
    bars["ts_event"] = np.datetime64("2017-09-28", "ns").astype(np.int64) + MIN * np.arange(1, n + 1)
    bars["ts_recv"] = bars["ts_event"]
    bars["open"], bars["close"] = open_, close
    bars["high"] = np.maximum(open_, close) + spread
    bars["low"] = np.minimum(open_, close) - spread
    bars["volume"] = 1.0
    return bars


@pytest.fixture(scope="module")
def breakout(tmp_path_factory):
    folder = tmp_path_factory.mktemp("breakout")
    return nts.compile(ROOT / "examples" / "btc_breakout.nts", folder / "btc_breakout")


def test_a_run_fed_month_by_month_equals_one_pass(breakout, tmp_path):
    """1m bars over three month files, the hourly stream resampled across the month boundaries by the feed: the
    same fills and equity as one pass over the whole array (the engine resampling the declared 1m stream)."""
    bars = random_walk_minutes(40)
    catalog = Catalog(tmp_path / "c", create=True)
    assert len(catalog.write("bars-1m", "BTCUSD.COINBASE", bars)) == 3  # September, October, November
    params = {"channel": 20, "trail_pct": 0.2, "qty": 1.0}
    whole = run_engine(breakout, {"btc": bars}, params=dict(params))
    feed = CatalogFeed(catalog, window_rows=1)  # a window per file
    windowed = run_engine(breakout, feed, params=dict(params))
    assert len(whole.fills) > 20
    assert np.array_equal(whole.fills, windowed.fills)
    # the curve in memory takes its times and prices from the array; from the catalog, the engine samples them
    assert np.array_equal(whole.equity, windowed.equity) and np.array_equal(whole.equity_ts, windowed.equity_ts)
    assert np.array_equal(whole.price, windowed.price)
    # a cut inside the data: the same as cutting the arrays
    start, end = int(bars["ts_event"][20_000]), int(bars["ts_event"][50_000])
    cut = run_engine(breakout, CatalogFeed(catalog, window_rows=1), params=dict(params), start=start, end=end)
    ref = run_engine(breakout, {"btc": bars}, params=dict(params), start=start, end=end)
    assert np.array_equal(cut.fills, ref.fills) and cut.timings["events"] == ref.timings["events"]


def test_dbn_quotes_run_day_by_day_with_the_catalogs_instrument(tmp_path):
    catalog = Catalog(tmp_path / "c", create=True)
    import_file(catalog, MBP1)
    import_file(catalog, DEFINITION)
    strategy = nts.compile(ROOT / "tests" / "strategies" / "quote_script.nts", tmp_path / "q")
    quotes = catalog.read("quotes", "ESU4.GLBX")
    before_midnight = int(np.searchsorted(quotes["ts_event"], np.datetime64("2024-07-02", "ns").astype(np.int64))) - 1
    high = float(quotes["bid"][before_midnight + 1:].max())  # a resting sell limit there fills after midnight
    assert high > quotes["bid"][before_midnight]
    params = {"mode": 2, "at_bar": before_midnight, "qty": 2.0, "p1": high}
    feed = CatalogFeed(catalog, window_rows=1)
    windowed = run_engine(strategy, feed, params=dict(params), instruments={"x": "ESU4.GLBX"}, cash=2e6)
    whole = run_engine(strategy, {"x": quotes}, params=dict(params), cash=2e6,
                       instruments={"x": catalog.instrument("ESU4.GLBX")})
    assert windowed.instruments[0].multiplier == 50.0 and windowed.instruments[0].tick_size == 0.25
    assert len(windowed.fills) >= 1 and windowed.fills["ts_event"][0] >= np.datetime64("2024-07-02", "ns").astype(np.int64)
    assert np.array_equal(whole.fills, windowed.fills) and np.array_equal(whole.equity, windowed.equity)
    assert np.array_equal(whole.equity_ts, windowed.equity_ts) and np.array_equal(whole.price, windowed.price)


def test_missing_instruments_and_series_are_named(breakout, tmp_path):
    catalog = Catalog(tmp_path / "c", create=True)
    with pytest.raises(UnknownInstrument, match="no data for BTCUSD.COINBASE .*holds nothing"):
        run_engine(breakout, CatalogFeed(catalog))
    bars = random_walk_minutes(1)
    catalog.write(bars_type(3600 * 10**9), "BTCUSD.COINBASE", resample_bars(bars, MIN, 3600 * 10**9))
    with pytest.raises(MissingData, match="has no data for `btc.bars` .*bars-1m or finer.* holds bars-1h"):
        run_engine(breakout, CatalogFeed(catalog))


def test_ntc_data_import_ls_and_run(tmp_path):
    catalog = tmp_path / "catalog"
    r = ntc("data", "import", "--catalog", catalog, SPY, "--symbol", "SPY.ARCA")
    assert r.exit_code == 0 and "5,849 bars-1d of SPY.ARCA" in r.output, r.output
    r = ntc("data", "import", "--catalog", catalog, SPY, "--symbol", "SPY.ARCA")
    assert r.exit_code == 1 and "already in the catalog" in r.output and "use --replace" in r.output
    r = ntc("data", "import", "--catalog", catalog, SPY)
    assert r.exit_code == 1 and "give --symbol" in r.output
    listed = json.loads(ntc("data", "ls", catalog, "--json").output)
    assert [(e["symbol"], e["data_type"], e["rows"], e["files"]) for e in listed] == [("SPY.ARCA", "bars-1d", 5849, 24)]
    assert listed[0]["first"] == "1998-01-02T21:00:00Z"
    assert "SPY.ARCA" in ntc("data", "ls", catalog).output
    ema = tmp_path / "ema_cross.nts"
    shutil.copy(ROOT / "examples" / "ema_cross.nts", ema)
    out_catalog, out_file = tmp_path / "a", tmp_path / "b"
    r = ntc("run", ema, "--data", catalog, "--out", out_catalog, "--from", "2005-01-01")
    assert r.exit_code == 0, r.output
    r = ntc("run", ema, "--data", f"spy={SPY}", "--out", out_file, "--from", "2005-01-01")
    assert r.exit_code == 0, r.output
    assert pd.read_parquet(out_catalog / "fills.parquet").equals(pd.read_parquet(out_file / "fills.parquet"))
    r = ntc("run", ema, "--data", catalog, "--instrument", "spy=QQQ.NASDAQ")
    assert r.exit_code == 1 and "unknown instrument: no data for QQQ.NASDAQ" in r.output
    r = ntc("data", "ls", tmp_path / "nothing")
    assert r.exit_code == 1 and "not a data catalog" in r.output
