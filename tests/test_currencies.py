"""An account in one base currency trading an instrument in another: cash kept per currency, valued at a rate that an
FX pair the strategy subscribes to moves; fills, fees and statistics converted at each fill's rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nts
from nts.runtime.backtest import BacktestError, run_engine
from nts.runtime.events import BAR_DTYPE
from nts.runtime.instruments import Instrument
from nts.runtime.result import BacktestResult
from nts.runtime.stats import round_trips

HERE = Path(__file__).resolve().parent
MIN = 60 * 10**9
INSTRUMENTS = {"x": Instrument(symbol="SAP.XETR", currency="EUR", tick_size=0.01, lot_size=1.0, taker_fee=0.001),
               "fx": Instrument(symbol="EURUSD.FXCM", kind="fx", currency="USD", tick_size=1e-5, lot_size=1.0)}


def bars(closes):
    out = np.zeros(len(closes), BAR_DTYPE)
    out["ts_event"] = out["ts_recv"] = MIN * np.arange(1, len(closes) + 1)
    out["close"] = closes
    out["open"] = np.r_[closes[0], closes[:-1]]
    out["high"] = np.maximum(out["open"], out["close"])
    out["low"] = np.minimum(out["open"], out["close"])
    return out


@pytest.fixture(scope="module")
def fx_script(tmp_path_factory):
    return nts.compile(HERE / "strategies" / "fx_script.nts", tmp_path_factory.mktemp("fx") / "fx_script")


def test_a_foreign_instrument_is_booked_in_its_currency_and_valued_at_the_pairs_rate(fx_script):
    data = {"x": bars([100.0, 101.0, 102.0, 103.0, 104.0]), "fx": bars([1.10, 1.12, 1.14, 1.16, 1.18])}
    r = run_engine(fx_script, data, params={"at_bar": 0, "qty": 10.0}, cash=1e6, instruments=INSTRUMENTS,
                   currency="USD", rates={"EUR": 1.0})
    # x's bar comes before the pair's at the same time: the buy fills at bar 2's open (100) at bar 1's rate, the
    # sell at bar 4's open (102) at bar 3's
    assert [(float(f["price"]), float(f["rate"])) for f in r.fills] == [(100.0, 1.10), (102.0, 1.14)]
    euros = -1000.0 - 1.0 + 1020.0 - 1.02  # the trades and their 0.1% fees, in EUR
    assert r.final_ctx[0] == pytest.approx(1e6 + euros * 1.18)  # the EUR left moves with the last rate
    assert r.final_ctx[1] == pytest.approx(1e6 + euros * 1.18)  # all of it cash
    # at bar 2, long 10 at 101 EUR with -1,001 EUR of cash, sampled before the pair's bar 2 (rate 1.10)
    assert r.equity[1, 0] == pytest.approx(1e6 + (-1001.0 + 1010.0) * 1.10)
    result = BacktestResult(fx_script, r, {})
    assert list(result.fills["currency"]) == ["EUR", "EUR"]
    assert result.stats["fees"] == pytest.approx(1.0 * 1.10 + 1.02 * 1.14)
    trades = round_trips(r.fills)
    assert trades[0]["pnl"] == pytest.approx(1020 * 1.14 - 1000 * 1.10 - 1.0 * 1.10 - 1.02 * 1.14)


def test_a_currency_without_a_rate_is_refused(fx_script):
    data = {"x": bars([100.0, 101.0]), "fx": bars([1.1, 1.1])}
    with pytest.raises(BacktestError, match=r"instruments in EUR and an account in USD need EUR's rate"):
        run_engine(fx_script, data, instruments=INSTRUMENTS, currency="USD")
    # an account in EUR needs USD's rate for the pair, and values x as it is
    with pytest.raises(BacktestError, match=r"need USD's rate"):
        run_engine(fx_script, data, instruments=INSTRUMENTS, currency="EUR")
    r = run_engine(fx_script, data, instruments=INSTRUMENTS, currency="EUR", rates={"USD": 0.9}, cash=1e6,
                   params={"at_bar": 0})
    assert [float(f["rate"]) for f in r.fills] == [1.0]
