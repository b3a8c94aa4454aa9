"""Validation's compiled pass (adapters/scan.py) against numpy, rule by rule: the first row breaking each."""

import numpy as np
import pytest

from nts.adapters.scan import BACK, NONFINITE, REPEAT, first_bad_rows
from nts.runtime.events import BAR_DTYPE, QUOTE_DTYPE


def first(mask: np.ndarray) -> int:
    rows = np.flatnonzero(mask)
    return int(rows[0]) if len(rows) else -1


def reference(events: np.ndarray, prices: tuple, sizes: tuple, row_rule) -> list[int]:
    ts = events["ts_event"]
    out = [first(np.r_[False, ts[1:] < ts[:-1]]), first(np.r_[False, ts[1:] == ts[:-1]])]
    out += [first(~np.isfinite(events[f])) for f in prices + sizes]
    out += [first(events[f] <= 0) for f in prices] + [first(events[f] < 0) for f in sizes]
    return out + [first(row_rule(events))]


def spoil(events: np.ndarray, rng, fields: tuple) -> None:
    """A few random faults at random rows: times out of order or repeated, NaN, inf, zero and negative values."""
    n = len(events)
    for _ in range(rng.integers(0, 6)):
        i = int(rng.integers(1, n))
        what = rng.integers(0, 6)
        if what == 0:
            events["ts_event"][i] = events["ts_event"][i - 1] - 1
        elif what == 1:
            events["ts_event"][i] = events["ts_event"][i - 1]
        else:
            events[fields[rng.integers(0, len(fields))]][i] = (np.nan, np.inf, 0.0, -1.0)[what - 2]


@pytest.mark.parametrize("seed", range(40))
def test_bars_each_rule_first_row(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    bars = np.zeros(n, BAR_DTYPE)
    bars["ts_event"] = np.arange(n) * 60
    bars["close"] = 100 + rng.normal(0, 1, n).cumsum()
    bars["open"] = bars["close"] + rng.normal(0, 0.5, n)
    bars["high"] = np.maximum(bars["open"], bars["close"]) + rng.uniform(-0.05, 1, n)  # sometimes below
    bars["low"] = np.minimum(bars["open"], bars["close"]) - rng.uniform(-0.05, 1, n)
    bars["volume"] = rng.uniform(0, 10, n)
    prices, sizes = ("open", "high", "low", "close"), ("volume",)
    spoil(bars, rng, prices + sizes)

    def ohlc(b):
        return ((b["high"] < b["low"]) | (b["high"] < b["open"]) | (b["high"] < b["close"]) | (b["low"] > b["open"])
                | (b["low"] > b["close"]))

    got = first_bad_rows(bars["ts_event"], [bars[f] for f in prices + sizes], len(prices), ohlc=True)
    assert got.tolist() == reference(bars, prices, sizes, ohlc)


@pytest.mark.parametrize("seed", range(20))
def test_quotes_each_rule_first_row(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 300))
    quotes = np.zeros(n, QUOTE_DTYPE)
    quotes["ts_event"] = np.arange(n)
    mid = 50 + rng.normal(0, 1, n).cumsum()
    quotes["bid"], quotes["ask"] = mid - rng.uniform(-0.01, 0.5, n), mid + rng.uniform(0, 0.5, n)
    quotes["bid_size"], quotes["ask_size"] = rng.uniform(0, 5, n), rng.uniform(0, 5, n)
    prices, sizes = ("bid", "ask"), ("bid_size", "ask_size")
    spoil(quotes, rng, prices + sizes)
    got = first_bad_rows(quotes["ts_event"], [quotes[f] for f in prices + sizes], len(prices), crossed=True)
    assert got.tolist() == reference(quotes, prices, sizes, lambda q: q["bid"] > q["ask"])


def test_events_without_value_columns_check_only_their_times():
    ts = np.array([1, 2, 2, 1, 5], np.int64)
    got = first_bad_rows(ts, [], 0)
    assert got[BACK] == 3 and got[REPEAT] == 2 and (got[NONFINITE:] == -1).all()
