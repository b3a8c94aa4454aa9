"""Oscillator, volume and the remaining moving-average kernels against TA-Lib (SPY daily bars), or, where TA-Lib has
no equivalent, against a plain numpy implementation written here. Same rule as test_kernels.py: the same na warm-up,
then equal to 1e-9.
"""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pytest
import talib

from nts.stdlib.kernels import moving_average as ma
from nts.stdlib.kernels import oscillator as osc
from nts.stdlib.kernels import volume as vol
from test_kernels import ROOT, C, H, L, V, assert_matches, run


def kernel(module, name):
    return [getattr(module, f"{name}_{part}") for part in ("size", "reset", "update")]


def with_flat_stretches():
    """SPY bars with stretches where nothing moves (flat high/low/close, zero volume), to reach the branches TA-Lib
    takes on a flat window (a zero range, a zero deviation, a window without money flow)."""
    h, l, c, v = H[:600].copy(), L[:600].copy(), C[:600].copy(), V[:600].copy()
    for start, stop in ((100, 160), (300, 305), (400, 470)):
        h[start:stop] = l[start:stop] = c[start:stop] = c[start]
        v[start:stop] = 0.0
    return h, l, c, v


def jumpy_with_flat_stretches(n=3000, seed=7):
    """Prices whose moves span five orders of magnitude, with frequent flat stretches: running sums of such moves
    keep a rounding residue when a window goes flat, which is where an exact zero has to be recognised structurally
    (KAMA, MFI) or with a scale-relative band (CCI, STOCH, WILLR)."""
    rng = np.random.default_rng(seed)
    moves = np.round(rng.normal(size=n) * 10.0 ** rng.integers(-2, 3, size=n), 3)
    c = 1000.0 + np.cumsum(moves)
    for start in rng.integers(0, n - 40, size=60):
        c[start: start + rng.integers(2, 40)] = c[start]
    spread = np.abs(np.round(rng.normal(size=n), 2)) * (np.diff(c, prepend=c[0]) != 0)
    v = np.round(rng.uniform(0, 1e6, size=n)) * (spread > 0)
    return c + spread, c - spread, c, v


FLAT = with_flat_stretches()
DATASETS = {"spy": (H, L, C, V), "flat": FLAT, "jumpy": jumpy_with_flat_stretches()}


# --- oscillators -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fast, slow, signal", [(12, 26, 9), (5, 35, 5), (2, 3, 1), (3, 2, 4), (26, 12, 9), (10, 10, 3)])
def test_macd(fast, slow, signal):
    # (3, 2, ...) and (26, 12, ...): a slow period shorter than the fast one is swapped, as TA-Lib does.
    ours = run(*kernel(osc, "macd"), [C], fast, slow, signal, outputs=3)
    for k, ref in enumerate(talib.MACD(C, fastperiod=fast, slowperiod=slow, signalperiod=signal)):
        assert_matches(ours[:, k], ref)


@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("length", [2, 14, 20, 50])
def test_cci(data, length):
    h, l, c, _ = DATASETS[data]
    assert_matches(run(*kernel(osc, "cci"), [h, l, c], length), talib.CCI(h, l, c, timeperiod=length))


@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("k, smooth, d", [(14, 3, 3), (5, 3, 3), (1, 1, 1), (9, 1, 4), (30, 5, 2)])
def test_stoch(data, k, smooth, d):
    h, l, c, _ = DATASETS[data]
    ours = run(*kernel(osc, "stoch"), [h, l, c], k, smooth, d, outputs=2)
    ref = talib.STOCH(h, l, c, fastk_period=k, slowk_period=smooth, slowk_matype=0, slowd_period=d, slowd_matype=0)
    for j in range(2):
        assert_matches(ours[:, j], ref[j])


@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("length, k, d", [(14, 5, 3), (14, 14, 1), (2, 1, 1), (30, 10, 5), (5, 20, 3)])
def test_stochrsi(data, length, k, d):
    # `k` is TA-Lib's fastk_period (the raw %K of the RSI, not smoothed), `d` its fastd_period (SMA).
    c = DATASETS[data][2]
    ours = run(*kernel(osc, "stochrsi"), [c], length, k, d, outputs=2)
    # The stochastic stage, exactly: TA-Lib's STOCHF over our own RSI, with the RSI's warm-up in front.
    rsi = run(*kernel(osc, "rsi"), [c], length)
    stage = talib.STOCHF(rsi[length:], rsi[length:], rsi[length:], fastk_period=k, fastd_period=d, fastd_matype=0)
    end_to_end = talib.STOCHRSI(c, timeperiod=length, fastk_period=k, fastd_period=d, fastd_matype=0)
    for j in range(2):
        assert_matches(ours[length:, j], stage[j])
        if data == "jumpy":
            # Our RSI and TA-Lib's agree to an ulp or so, not bit for bit, and %K divides that ulp (~1e-14) by the
            # window's range, which on this data gets down to ~1e-3 RSI points: a near-flat RSI window amplifies it
            # to ~1e-9. Same warm-up, and equal to the conditioning of the indicator.
            np.testing.assert_array_equal(np.isnan(ours[:, j]), np.isnan(end_to_end[j]))
            np.testing.assert_allclose(ours[:, j], end_to_end[j], rtol=1e-9, atol=1e-7)
        else:
            assert_matches(ours[:, j], end_to_end[j])


@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("length", [2, 14, 50])
def test_willr(data, length):
    h, l, c, _ = DATASETS[data]
    assert_matches(run(*kernel(osc, "willr"), [h, l, c], length), talib.WILLR(h, l, c, timeperiod=length))


@pytest.mark.parametrize("n", [1, 2, 5, 37])
def test_window_extreme_helper(n):
    # The monotonic deque (stdlib/kernels/window.py) against a plain window max/min, including ties (rounded prices
    # repeat often).
    from nts.stdlib.kernels import window as win
    x = np.round(C[:800])
    size = win.window_size(n)
    st = np.zeros(size * 2)
    win.window_reset(st, 0, n)
    win.window_reset(st, size, n)
    for i in range(len(x)):
        window = x[max(0, i - n + 1): i + 1]
        assert win.window_push(st, 0, n, x[i], i, True)[0] == window.max()
        assert win.window_push(st, size, n, x[i], i, False)[0] == window.min()


# --- volume ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", DATASETS)
def test_obv(data):
    h, l, c, v = DATASETS[data]
    assert_matches(run(*kernel(vol, "obv"), [h, l, c, v]), talib.OBV(c, v))


@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("length", [2, 14, 50])
def test_mfi(data, length):
    h, l, c, v = DATASETS[data]
    assert_matches(run(*kernel(vol, "mfi"), [h, l, c, v], length), talib.MFI(h, l, c, v, timeperiod=length))


def load_minute_btc():
    """Coinbase BTCUSD minute trade bars of 2017-09-03 (UTC): times in ns since the epoch, high, low, close, volume."""
    path = ROOT / "examples" / "data" / "lean" / "crypto" / "coinbase" / "minute" / "btcusd" / "20170903_trade.zip"
    with zipfile.ZipFile(path) as z:
        rows = np.loadtxt(io.StringIO(z.read(z.namelist()[0]).decode()), delimiter=",")
    midnight = np.datetime64("2017-09-03", "ns").astype(np.int64)
    return midnight + rows[:, 0].astype(np.int64) * 1_000_000, rows[:, 2], rows[:, 3], rows[:, 4], rows[:, 5]


def load_daily_times():
    with zipfile.ZipFile(ROOT / "examples" / "data" / "lean" / "equity" / "usa" / "daily" / "spy.zip") as z:
        lines = z.read(z.namelist()[0]).decode().split()
    days = [f"{d[:4]}-{d[4:6]}-{d[6:8]}" for d in lines[::2]]  # "19980102 00:00,..." splits into date and time
    return np.array(days, dtype="datetime64[ns]").astype(np.int64)


def vwap_reference(t, h, l, c, v, session):
    """Group the bars by session number (floor of time / session), then cumulative sums inside each group."""
    tp = (h + l + c) / 3.0
    group = t // session
    out = np.full(len(t), np.nan)
    for g in np.unique(group):
        m = group == g
        with np.errstate(invalid="ignore", divide="ignore"):
            out[m] = np.cumsum(tp[m] * v[m]) / np.cumsum(v[m])
    out[np.isinf(out)] = np.nan
    return out


HOUR, DAY = 3_600 * 10**9, 86_400 * 10**9


@pytest.mark.parametrize("session", [15 * 60 * 10**9, HOUR, 4 * HOUR, DAY])
def test_vwap_minute_bars(session):
    t, h, l, c, v = load_minute_btc()
    ref = vwap_reference(t, h, l, c, v, session)
    assert_matches(run(*kernel(vol, "vwap"), [h, l, c, v, t], session), ref)
    # A float time (as a float64 series would pass it) is floored to the same session.
    assert_matches(run(*kernel(vol, "vwap"), [h, l, c, v, t.astype(np.float64)], session), ref)
    if session == DAY:  # one UTC day of data: one session, the plain cumulative VWAP
        assert_matches(run(*kernel(vol, "vwap"), [h, l, c, v, t], session), talib.VWAP(h, l, c, v))


@pytest.mark.parametrize("session", [DAY, 7 * DAY, 30 * DAY])
def test_vwap_daily_bars(session):
    t = load_daily_times()
    assert len(t) == len(C)
    ref = vwap_reference(t, H, L, C, V, session)
    if session == DAY:  # each daily bar is its own session: the typical price
        np.testing.assert_allclose(ref, (H + L + C) / 3.0, rtol=1e-12)
    assert_matches(run(*kernel(vol, "vwap"), [H, L, C, V, t], session), ref)


# --- moving averages: hma, kama ----------------------------------------------------------------------------------

def wma_reference(x, n):
    w = np.arange(1, n + 1, dtype=np.float64)
    out = np.full(len(x), np.nan)
    for i in range(n - 1, len(x)):
        out[i] = np.dot(x[i - n + 1: i + 1], w) / w.sum()  # na in the window stays na
    return out


def hma_reference(x, n):
    half, root = max(n // 2, 1), max(math.isqrt(n), 1)
    return wma_reference(2.0 * wma_reference(x, half) - wma_reference(x, n), root)


@pytest.mark.parametrize("length", [1, 2, 3, 4, 9, 16, 20, 55])
def test_hma(length):
    ours = run(*kernel(ma, "hma"), [C], length)
    assert_matches(ours, hma_reference(C, length))
    assert_matches(ours, talib.HMA(C, timeperiod=length))  # TA-Lib 0.8 has one too: the same definition


def kama_reference(x, n, fast, slow):
    """Kaufman's definition, with the sum of |changes| recomputed from the window each bar."""
    out = np.full(len(x), np.nan)
    slowest, fastest = 2.0 / (slow + 1.0), 2.0 / (fast + 1.0)
    k = x[n - 1]
    for t in range(n, len(x)):
        total = np.abs(np.diff(x[t - n: t + 1])).sum()
        change = x[t] - x[t - n]
        er = 1.0 if total <= change or total == 0.0 else abs(change / total)
        k += (x[t] - k) * (er * (fastest - slowest) + slowest) ** 2
        out[t] = k
    return out


@pytest.mark.parametrize("data", DATASETS)
@pytest.mark.parametrize("length", [1, 2, 3, 10, 30, 100])
def test_kama_talib(data, length):
    # TA-Lib's KAMA fixes fast = 2, slow = 30: the defaults.
    c = DATASETS[data][2]
    assert_matches(run(*kernel(ma, "kama"), [c], length, 2, 30), talib.KAMA(c, timeperiod=length))


@pytest.mark.parametrize("length, fast, slow", [(10, 2, 30), (10, 5, 50), (20, 3, 10)])
def test_kama_other_constants(length, fast, slow):
    assert_matches(run(*kernel(ma, "kama"), [C], length, fast, slow), kama_reference(C, length, fast, slow))


def test_kernels_compose_inside_compiled_code():
    """Generated strategy code calls the kernels from one jitted loop over one state block; the Python-driven runs
    above go through the same functions one call at a time. Check the jitted path gives the same numbers."""
    import numba as nb

    sizes = [osc.macd_size(12, 26, 9), osc.stoch_size(14, 3, 3), vol.vwap_size(HOUR), ma.kama_size(10, 2, 30)]
    offsets = np.cumsum([0] + sizes)

    @nb.njit
    def loop(st, h, l, c, v, t, out):
        osc.macd_reset(st, offsets[0], 12, 26, 9)
        osc.stoch_reset(st, offsets[1], 14, 3, 3)
        vol.vwap_reset(st, offsets[2], HOUR)
        ma.kama_reset(st, offsets[3], 10, 2, 30)
        for i in range(len(c)):
            out[i, 0] = osc.macd_update(st, offsets[0], c[i], 12, 26, 9)[2]
            out[i, 1] = osc.stoch_update(st, offsets[1], h[i], l[i], c[i], 14, 3, 3)[1]
            out[i, 2] = vol.vwap_update(st, offsets[2], h[i], l[i], c[i], v[i], t[i], HOUR)
            out[i, 3] = ma.kama_update(st, offsets[3], c[i], 10, 2, 30)

    t, h, l, c, v = load_minute_btc()
    out = np.full((len(c), 4), np.nan)
    loop(np.zeros(offsets[-1]), h, l, c, v, t, out)
    assert_matches(out[:, 0], talib.MACD(c, 12, 26, 9)[2])
    assert_matches(out[:, 1], talib.STOCH(h, l, c, 14, 3, 0, 3, 0)[1])
    assert_matches(out[:, 2], vwap_reference(t, h, l, c, v, HOUR))
    assert_matches(out[:, 3], talib.KAMA(c, 10))
