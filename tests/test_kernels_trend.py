"""The trend kernels against TA-Lib (and supertrend against a plain reference), on real daily bars: SPY and AAPL.

The harness is the one of test_kernels.py: one update per bar over the kernel's own state block; after warm-up the
kernel must equal the reference to 1e-9 relative, and it must be na during the same warm-up.
"""

from __future__ import annotations

import numpy as np
import pytest
import talib
from test_kernels import assert_matches, load_daily, run

from nts.stdlib.kernels import trend as tr

BARS = {"spy": load_daily("spy")[1:4], "aapl": load_daily("aapl")[1:4]}


def kernel(name):
    return [getattr(tr, f"{name}_{part}") for part in ("size", "reset", "update")]


def ties(bars):
    """Prices rounded to whole units: many equal highs, lows and closes, and some flat bars (TR 0)."""
    return tuple(np.round(x) for x in bars)


@pytest.mark.parametrize("symbol", BARS)
@pytest.mark.parametrize("length", [1, 2, 14, 50, 200])
def test_highest_lowest(symbol, length):
    h, l, c = BARS[symbol]
    for source in (c, h, l, ties(BARS[symbol])[2]):
        # TA-Lib refuses length 1 for MAX and MIN; the extreme of one value is that value.
        highest = talib.MAX(source, timeperiod=length) if length > 1 else source
        lowest = talib.MIN(source, timeperiod=length) if length > 1 else source
        assert_matches(run(*kernel("highest"), [source], length), highest)
        assert_matches(run(*kernel("lowest"), [source], length), lowest)


@pytest.mark.parametrize("length", [1, 3, 20])
def test_highest_lowest_with_na(length):
    # An na in the window makes the extreme na (as numpy's max); it is right again once the na has left.
    c = BARS["spy"][2][:600].copy()
    c[:7] = np.nan  # a source still warming up
    c[[100, 101, 250, 400]] = np.nan
    windows = np.lib.stride_tricks.sliding_window_view(c, length)
    expected_high = np.r_[np.full(length - 1, np.nan), windows.max(axis=1)]
    expected_low = np.r_[np.full(length - 1, np.nan), windows.min(axis=1)]
    assert_matches(run(*kernel("highest"), [c], length), expected_high)
    assert_matches(run(*kernel("lowest"), [c], length), expected_low)


@pytest.mark.parametrize("symbol", BARS)
@pytest.mark.parametrize("length", [2, 3, 14, 50, 200])
def test_linreg(symbol, length):
    c = BARS[symbol][2]
    assert_matches(run(*kernel("linreg"), [c], length), talib.LINEARREG(c, timeperiod=length))
    assert_matches(run(*kernel("linreg_slope"), [c], length), talib.LINEARREG_SLOPE(c, timeperiod=length))


def test_linreg_length_1():
    # TA-Lib refuses length 1 (its formula divides by zero); the least-squares line through one point is flat.
    c = BARS["spy"][2]
    assert_matches(run(*kernel("linreg"), [c], 1), c)
    assert_matches(run(*kernel("linreg_slope"), [c], 1), np.zeros_like(c))


@pytest.mark.parametrize("symbol", BARS)
@pytest.mark.parametrize("length", [2, 3, 14, 30])
@pytest.mark.parametrize("rounded", [False, True])
def test_dmi_adx(symbol, length, rounded):
    h, l, c = ties(BARS[symbol]) if rounded else BARS[symbol]
    ours = run(*kernel("dmi"), [h, l, c], length, outputs=3)
    # +DI and -DI come out from bar `length`, ADX from bar 2 * length - 1, as TA-Lib's own functions.
    assert_matches(ours[:, 0], talib.PLUS_DI(h, l, c, timeperiod=length))
    assert_matches(ours[:, 1], talib.MINUS_DI(h, l, c, timeperiod=length))
    assert_matches(ours[:, 2], talib.ADX(h, l, c, timeperiod=length))
    assert_matches(run(*kernel("adx"), [h, l, c], length), talib.ADX(h, l, c, timeperiod=length))


def test_dmi_length_1():
    # TA-Lib's length-1 +DI / -DI return DM / TR without the factor 100 (a special case in its source), and its ADX
    # refuses length 1. Ours is the general formula with no smoothing: 100 * DM / TR, and ADX = DX.
    h, l, c = BARS["spy"]
    ours = run(*kernel("dmi"), [h, l, c], 1, outputs=3)
    plus, minus = 100 * talib.PLUS_DI(h, l, c, timeperiod=1), 100 * talib.MINUS_DI(h, l, c, timeperiod=1)
    assert_matches(ours[:, 0], plus)
    assert_matches(ours[:, 1], minus)
    total = plus + minus
    dx = np.where(total > 0, 100 * np.abs(plus - minus) / np.where(total > 0, total, 1), np.nan)
    # A bar with no directional movement has no DX: ADX keeps the previous value (TA-Lib's rule at every length).
    expected = dx.copy()
    for i in range(2, len(expected)):
        if np.isnan(expected[i]):
            expected[i] = expected[i - 1]
    assert_matches(ours[:, 2], expected)


@pytest.mark.parametrize("symbol", BARS)
@pytest.mark.parametrize("length", [2, 3, 14, 25])
@pytest.mark.parametrize("rounded", [False, True])
def test_aroon(symbol, length, rounded):
    h, l, c = ties(BARS[symbol]) if rounded else BARS[symbol]
    down, up = talib.AROON(h, l, timeperiod=length)  # TA-Lib's order is (down, up)
    ours = run(*kernel("aroon"), [h, l, c], length, outputs=2)
    assert_matches(ours[:, 0], up)
    assert_matches(ours[:, 1], down)


def test_aroon_length_1():
    # TA-Lib refuses length 1. Over 2 bars: 100 when the newest bar holds the extreme (ties go to it), else 0.
    h, l, c = ties(BARS["spy"])
    ours = run(*kernel("aroon"), [h, l, c], 1, outputs=2)
    up = np.r_[np.nan, np.where(h[1:] >= h[:-1], 100.0, 0.0)]
    down = np.r_[np.nan, np.where(l[1:] <= l[:-1], 100.0, 0.0)]
    assert_matches(ours[:, 0], up)
    assert_matches(ours[:, 1], down)


@pytest.mark.parametrize("symbol", BARS)
@pytest.mark.parametrize("accel, cap", [(0.02, 0.2), (0.01, 0.1), (0.05, 0.5), (0.3, 0.2)])
def test_psar_is_talib_sar(symbol, accel, cap):
    # TA-Lib SAR's one `acceleration` is both the initial factor and its step. (0.3, 0.2): both capped at 0.2.
    h, l, c = BARS[symbol]
    ours = run(*kernel("psar"), [h, l, c], accel, accel, cap, sized_by=0)
    assert_matches(ours, talib.SAR(h, l, acceleration=accel, maximum=cap))


@pytest.mark.parametrize("symbol", BARS)
@pytest.mark.parametrize("start, step, cap", [(0.01, 0.02, 0.2), (0.04, 0.01, 0.15), (0.02, 0.02, 0.2)])
def test_psar_start_and_step_apart(symbol, start, step, cap):
    # SAREXT takes the initial factor and the step apart (per side); it returns the SAR negated while short.
    h, l, c = BARS[symbol]
    ours = run(*kernel("psar"), [h, l, c], start, step, cap, sized_by=0)
    ext = talib.SAREXT(h, l, startvalue=0, offsetonreverse=0,
                       accelerationinitlong=start, accelerationlong=step, accelerationmaxlong=cap,
                       accelerationinitshort=start, accelerationshort=step, accelerationmaxshort=cap)
    assert_matches(ours, np.abs(ext))


def supertrend_reference(h, l, c, length, mult):
    """TradingView's ta.supertrend, written as its Pine source, with TA-Lib's ATR; TradingView's direction is -1
    up / 1 down, ours is 1 up / -1 down. One change: Pine tells the previous trend by `superTrend[1] ==
    upperBand[1]`, which reads an up trend as down when the two bands are equal (a flat market, where mult * atr
    falls under half an ulp of the price); we look at the previous direction instead, which is the same otherwise."""
    atr = talib.ATR(h, l, c, timeperiod=length)
    src = (h + l) / 2
    n = len(c)
    upper, lower = src + mult * atr, src - mult * atr
    line, tv_direction = np.full(n, np.nan), np.full(n, np.nan)
    for i in range(n):
        if np.isnan(atr[i]):
            continue
        prev_lower = 0.0 if np.isnan(lower[i - 1]) else lower[i - 1]  # nz()
        prev_upper = 0.0 if np.isnan(upper[i - 1]) else upper[i - 1]
        if not (lower[i] > prev_lower or c[i - 1] < prev_lower):
            lower[i] = prev_lower
        if not (upper[i] < prev_upper or c[i - 1] > prev_upper):
            upper[i] = prev_upper
        if np.isnan(atr[i - 1]):
            tv_direction[i] = 1
        elif tv_direction[i - 1] == 1:
            tv_direction[i] = -1 if c[i] > upper[i] else 1
        else:
            tv_direction[i] = 1 if c[i] < lower[i] else -1
        line[i] = lower[i] if tv_direction[i] == -1 else upper[i]
    return line, -tv_direction


@pytest.mark.parametrize("symbol", BARS)
@pytest.mark.parametrize("length, mult", [(1, 1.0), (7, 2.0), (10, 3.0), (14, 1.5), (50, 3.0)])
def test_supertrend(symbol, length, mult):
    h, l, c = BARS[symbol]
    line, direction = supertrend_reference(h, l, c, length, mult)
    ours = run(*kernel("supertrend"), [h, l, c], length, mult, outputs=2, sized_by=1)
    assert_matches(ours[:, 0], line)
    assert_matches(ours[:, 1], direction)
    assert (direction[length:] == 1).any() and (direction[length:] == -1).any()  # both branches are exercised


def flat_stretches():
    """SPY bars after 40 flat bars (high = low = close: TR and DM exactly 0, so DI 0 and no DX) and 30 equal bars
    (TR 2 but DM 0: +DI + -DI = 0, no DX), with 700 flat bars in the middle (the smoothed TR decays geometrically,
    far under 1e-8, yet stays above 0). The SAR, the extremes and the bands meet equal prices."""
    h, l, c = BARS["spy"]
    start = [np.r_[np.full(40, 100.0), np.full(30, x)] for x in (101.0, 99.0, 100.0)]
    flat = np.full(700, c[1999])
    return tuple(np.r_[s, x[:2000], flat, x[2000:3000]] for s, x in zip(start, (h, l, c)))


@pytest.mark.parametrize("length", [2, 14])
def test_flat_bars(length):
    h, l, c = flat_stretches()
    ours = run(*kernel("dmi"), [h, l, c], length, outputs=3)
    # The first +DI / -DI are 0; the ADX seed skips the DX of the bars with no TR or no DM.
    assert_matches(ours[:, 0], talib.PLUS_DI(h, l, c, timeperiod=length))
    assert_matches(ours[:, 1], talib.MINUS_DI(h, l, c, timeperiod=length))
    assert_matches(ours[:, 2], talib.ADX(h, l, c, timeperiod=length))
    down, up = talib.AROON(h, l, timeperiod=length)
    assert_matches(run(*kernel("aroon"), [h, l, c], length, outputs=2), np.c_[up, down])
    assert_matches(run(*kernel("highest"), [h], length), talib.MAX(h, timeperiod=length))
    assert_matches(run(*kernel("lowest"), [l], length), talib.MIN(l, timeperiod=length))
    assert_matches(run(*kernel("linreg"), [c], length), talib.LINEARREG(c, timeperiod=length))
    assert_matches(run(*kernel("linreg_slope"), [c], length), talib.LINEARREG_SLOPE(c, timeperiod=length))
    assert_matches(run(*kernel("psar"), [h, l, c], 0.02, 0.02, 0.2, sized_by=0), talib.SAR(h, l))
    line, direction = supertrend_reference(h, l, c, length, 3.0)
    assert_matches(run(*kernel("supertrend"), [h, l, c], length, 3.0, outputs=2, sized_by=1), np.c_[line, direction])
