"""The HTML report: self-contained (nothing fetched), complete (statistics, curves, one marker per fill, monthly
returns, record series), and its numbers checked by hand."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nts
from nts.adapters.files import read_events
from nts.runtime.report import COLUMNS, _thin, monthly_returns

ROOT = Path(__file__).resolve().parent.parent
SPY = ROOT / "examples" / "data" / "lean" / "equity" / "usa" / "daily" / "spy.zip"


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    shutil.copy(ROOT / "examples" / "ema_cross.nts", folder / "ema_cross.nts")
    bars = read_events(SPY, "bars")
    return nts.backtest(folder / "ema_cross.nts", {"spy": bars}, params={"fast": 10, "slow": 30}), bars


def test_the_report_is_self_contained_and_complete(result, tmp_path):
    run, _ = result
    page = run.plot().save(tmp_path / "report.html").read_text()
    assert run.plot()._repr_html_() == page
    # nothing to fetch: no script, no link, no source other than the page itself
    assert "<script" not in page and "href=" not in page and "src=" not in page and "@import" not in page
    assert re.findall(r"https?://[^'\"]+", page) == ["http://www.w3.org/2000/svg"] * page.count("<svg")
    for heading in ("Statistics", "Equity", "Drawdown", "Trades on spy", "Monthly returns", "record spread",
                    "record regime"):
        assert f"<h2>{heading}</h2>" in page, heading
    assert "Sharpe" in page and "orders on bars fill at the next bar&#x27;s open" in page
    assert page.count("<polygon") == len(run.fills)  # one marker per fill
    years = run.equity.index.year
    assert page.count("<tr><td>") >= years.nunique()


def test_the_equity_price_column_is_the_sampled_instruments_mark(result):
    run, bars = result
    assert run.primary_instrument == "spy"
    assert np.array_equal(run.equity["price"].to_numpy(), bars["close"])


def test_monthly_returns_by_hand():
    index = pd.to_datetime(["2020-01-10", "2020-01-31", "2020-02-15", "2020-03-31", "2021-01-05"], utc=True)
    equity = pd.Series([101.0, 110.0, 99.0, 121.0, 133.1], index=index)
    table = monthly_returns(equity, 100.0)
    assert table.loc[2020, "Jan"] == pytest.approx(0.10)
    assert table.loc[2020, "Feb"] == pytest.approx(99 / 110 - 1)
    assert table.loc[2020, "Mar"] == pytest.approx(121 / 99 - 1)
    assert np.isnan(table.loc[2020, "Apr"]) and table.loc[2021, "Jan"] == pytest.approx(0.10)
    assert table.loc[2020, "Year"] == pytest.approx(0.21) and table.loc[2021, "Year"] == pytest.approx(0.10)


def test_thinning_keeps_each_columns_extremes():
    rng = np.random.default_rng(3)
    t = np.arange(1_000_000, dtype=np.int64) * 60 * 10**9
    v = np.cumsum(rng.normal(size=len(t)))
    v[123_456] = np.nan
    keep = _thin(t, v)
    assert len(keep) <= 4 * COLUMNS
    assert {0, len(t) - 1, int(np.nanargmin(v)), int(np.nanargmax(v))} <= set(keep.tolist())
    assert np.all(np.diff(keep) > 0)
