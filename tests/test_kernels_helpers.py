"""The series-helper and channel kernels against plain whole-array references written here (and TA-Lib where it has
the indicator), on SPY daily bars and on small hand-made edge cases: ties, na inputs, never-true conditions,
occurrences beyond the history.

Bool results come back as 1.0 / 0.0, never na (see nts.stdlib.kernels.series_helpers).
"""

from __future__ import annotations

import numpy as np
import pytest
import talib
from numpy.lib.stride_tricks import sliding_window_view

from nts.stdlib.kernels import channels as ch
from nts.stdlib.kernels import series_helpers as sh
from test_kernels import C, H, L, assert_matches, run

NAN = np.nan


def kernel(module, name):
    return [getattr(module, f"{name}_{part}") for part in ("size", "reset", "update")]


def with_nans(x, every=97):
    """A copy of `x` with an na every `every` values (and the first one), to check that na propagates or is skipped."""
    y = np.array(x, dtype=float)
    y[::every] = NAN
    return y


# ---- references: whole-array, not incremental -------------------------------------------------------------------

def ref_cross(a, b, over=True):
    out = np.zeros(len(a))
    with np.errstate(invalid="ignore"):  # comparisons with NaN are False, as in the language
        if over:
            out[1:] = (a[1:] > b[1:]) & (a[:-1] <= b[:-1])
        else:
            out[1:] = (a[1:] < b[1:]) & (a[:-1] >= b[:-1])
    return out


def ref_change(x, length):
    out = np.full(len(x), NAN)
    out[length:] = x[length:] - x[:-length]
    return out


def ref_monotone(x, length, rising=True):
    """True where each of the last `length` steps x[i-k-1] -> x[i-k] rose (fell)."""
    step = (x[1:] > x[:-1]) if rising else (x[1:] < x[:-1])  # step[j]: x[j] -> x[j+1]
    out = np.zeros(len(x))
    if len(step) >= length:
        out[length:] = sliding_window_view(step, length).all(axis=1)
    return out


def ref_barssince(cond):
    out, last = np.full(len(cond), -1.0), None
    for i, c in enumerate(cond):
        if c == 1:  # NaN and 0 are false
            last = i
        if last is not None:
            out[i] = i - last
    return out


def ref_valuewhen(cond, source, occurrence):
    out, hits = np.full(len(cond), NAN), []
    for i, c in enumerate(cond):
        if c == 1:
            hits.append(source[i])
        if len(hits) > occurrence:
            out[i] = hits[-1 - occurrence]
    return out


def ref_window(x, length, fn):
    """fn (np.max / np.min) over the last `length` values including the current; NaN in the window gives NaN."""
    out = np.full(len(x), NAN)
    if len(x) >= length:
        out[length - 1:] = fn(sliding_window_view(x, length), axis=1)
    return out


# ---- crossover / crossunder --------------------------------------------------------------------------------------

@pytest.mark.parametrize("length", [5, 50])
def test_cross_on_spy(length):
    avg = talib.SMA(C, timeperiod=length)  # na during its warm-up: no cross there
    for name, over in (("crossover", True), ("crossunder", False)):
        ours = run(*kernel(sh, name), [C, avg])
        assert_matches(ours, ref_cross(C, avg, over))
        assert ours.sum() > 10  # the test means something
    # na inside the series: a cross into or out of an na update is false
    a = with_nans(C, 13)
    assert_matches(run(*kernel(sh, "crossover"), [a, avg]), ref_cross(a, avg, True))
    assert_matches(run(*kernel(sh, "crossunder"), [a, avg]), ref_cross(a, avg, False))


def test_cross_edges():
    a = np.array([1.0, 1.0, 2.0, 2.0, 1.0, 0.5, NAN, 3.0, 0.0, 3.0])
    b = np.ones(len(a))
    # leaving a tie counts (1 -> 2, 1 -> 0.5); staying tied or moving onto a tie (2 -> 1) does not; nor does a move
    # out of an na (na -> 3)
    over = [0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    under = [0, 0, 0, 0, 0, 1, 0, 0, 1, 0]
    np.testing.assert_array_equal(run(*kernel(sh, "crossover"), [a, b]), over)
    np.testing.assert_array_equal(run(*kernel(sh, "crossunder"), [a, b]), under)
    np.testing.assert_array_equal(ref_cross(a, b, True), over)
    np.testing.assert_array_equal(ref_cross(a, b, False), under)


# ---- change, cum -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("length", [1, 2, 14, 200])
def test_change(length):
    assert_matches(run(*kernel(sh, "change"), [C], length), ref_change(C, length))
    assert_matches(run(*kernel(sh, "change"), [C], length), talib.MOM(C, timeperiod=length))
    x = with_nans(C)
    assert_matches(run(*kernel(sh, "change"), [x], length), ref_change(x, length))


def test_cum():
    assert_matches(run(*kernel(sh, "cum"), [C]), np.cumsum(C))
    x = with_nans(C)
    assert_matches(run(*kernel(sh, "cum"), [x]), np.nancumsum(x))
    # the first value na: the empty sum, 0, not na
    np.testing.assert_array_equal(run(*kernel(sh, "cum"), [np.array([NAN, NAN, 2.0, NAN, 3.0])]),
                                  [0.0, 0.0, 2.0, 2.0, 5.0])


# ---- rising / falling --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("length", [1, 2, 3, 5])
def test_rising_falling_on_spy(length):
    for name, up in (("rising", True), ("falling", False)):
        ours = run(*kernel(sh, name), [C], length)
        assert_matches(ours, ref_monotone(C, length, up))
        assert ours.sum() > 0
        x = with_nans(C, 11)
        assert_matches(run(*kernel(sh, name), [x], length), ref_monotone(x, length, up))


def test_rising_falling_edges():
    # ties are neither a rise nor a fall; an na breaks a run; never true during the warm-up
    x = np.array([1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0, NAN, 7.0, 8.0, 9.0, 8.0, 7.0, 6.0])
    np.testing.assert_array_equal(run(*kernel(sh, "rising"), [x], 2),
                                  [0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0])
    np.testing.assert_array_equal(run(*kernel(sh, "falling"), [x], 2),
                                  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    for up, name in ((True, "rising"), (False, "falling")):
        np.testing.assert_array_equal(run(*kernel(sh, name), [x], 2), ref_monotone(x, 2, up))
    flat = np.full(20, 5.0)
    assert run(*kernel(sh, "rising"), [flat], 1).sum() == 0
    assert run(*kernel(sh, "falling"), [flat], 1).sum() == 0


# ---- barssince / valuewhen ---------------------------------------------------------------------------------------

def conditions():
    """Conditions on SPY: often true, rarely true, with na, as bool, and never true."""
    avg = talib.SMA(C, timeperiod=50)
    with np.errstate(invalid="ignore"):
        above = (C > avg).astype(float)
    above[np.isnan(avg)] = NAN  # an na condition counts as false
    rare = (talib.ROC(C, timeperiod=1) < -4).astype(float)  # big down days
    return {"above": above, "rare": rare, "bool": C > np.roll(C, 1), "never": np.zeros(len(C))}


@pytest.mark.parametrize("cond", ["above", "rare", "bool", "never"])
def test_barssince(cond):
    c = conditions()[cond]
    ours = run(*kernel(sh, "barssince"), [c])
    np.testing.assert_array_equal(ours, ref_barssince(c))
    if cond == "never":
        assert (ours == -1).all()


@pytest.mark.parametrize("cond", ["above", "rare", "bool", "never"])
@pytest.mark.parametrize("occurrence", [0, 1, 5, 100])
def test_valuewhen(cond, occurrence):
    c = conditions()[cond]
    ours = run(*kernel(sh, "valuewhen"), [c, C], occurrence)
    assert_matches(ours, ref_valuewhen(c, C, occurrence))
    if cond == "never":
        assert np.isnan(ours).all()


def test_barssince_valuewhen_edges():
    cond = np.array([0.0, NAN, 1.0, 0.0, 0.0, 1.0, NAN, 1.0, 0.0])
    src = np.arange(10.0, 19.0)
    src[7] = NAN  # an na source on a true update is remembered as na
    np.testing.assert_array_equal(run(*kernel(sh, "barssince"), [cond]), [-1, -1, 0, 1, 2, 0, 1, 0, 1])
    assert_matches(run(*kernel(sh, "valuewhen"), [cond, src], 0), [NAN, NAN, 12, 12, 12, 15, 15, NAN, NAN])
    assert_matches(run(*kernel(sh, "valuewhen"), [cond, src], 1), [NAN] * 5 + [12, 12, 15, 15])
    assert_matches(run(*kernel(sh, "valuewhen"), [cond, src], 2), [NAN] * 7 + [12, 12])
    # an occurrence beyond the history stays na
    assert np.isnan(run(*kernel(sh, "valuewhen"), [cond, src], 3)).all()


# ---- donchian ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("length", [1, 2, 20, 55, 250])
def test_donchian_on_spy(length):
    upper, middle, lower = run(*kernel(ch, "donchian"), [H, L], length, outputs=3).T
    assert_matches(upper, talib.MAX(H, timeperiod=length) if length > 1 else H)  # TA-Lib refuses MAX(1)
    assert_matches(lower, talib.MIN(L, timeperiod=length) if length > 1 else L)
    assert_matches(upper, ref_window(H, length, np.max))
    assert_matches(lower, ref_window(L, length, np.min))
    assert_matches(middle, (ref_window(H, length, np.max) + ref_window(L, length, np.min)) / 2)
    assert np.isnan(upper[:length - 1]).all() and not np.isnan(upper[length - 1:]).any()  # warm-up length - 1


@pytest.mark.parametrize("length", [1, 3, 10])
def test_donchian_ties_and_na(length):
    rng = np.random.default_rng(7)
    # few distinct levels: many ties, and long flat stretches
    high = rng.integers(0, 4, 3000).astype(float)
    high[1000:1100] = 2.0
    low = high - rng.integers(0, 3, 3000)
    for h, l in ((high, low), (with_nans(high, 37), low), (high, with_nans(low, 53))):
        upper, middle, lower = run(*kernel(ch, "donchian"), [h, l], length, outputs=3).T
        assert_matches(upper, ref_window(h, length, np.max))
        assert_matches(lower, ref_window(l, length, np.min))
        assert_matches(middle, (ref_window(h, length, np.max) + ref_window(l, length, np.min)) / 2)


def test_blocks_sized_for_a_longer_length():
    # A param's range sizes the block from its upper bound; the run uses a shorter actual length in that block.
    for size, reset, update, args, ref in (
            (ch.donchian_size, ch.donchian_reset, ch.donchian_update, (H, L), ref_window(H, 20, np.max)),
            (sh.valuewhen_size, sh.valuewhen_reset, sh.valuewhen_update, (conditions()["rare"], C),
             ref_valuewhen(conditions()["rare"], C, 20))):
        st = np.full(size(200), -777.0)
        reset(st, 0, 20)
        out = np.array([np.atleast_1d(update(st, 0, *(x[i] for x in args), 20))[0] for i in range(len(C))])
        assert_matches(out, ref)


# ---- keltner -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("length", [1, 2, 20, 50])
def test_keltner(length):
    ours = run(*kernel(ch, "keltner"), [H, L, C], length, 1.5, outputs=3, sized_by=1)
    atr = talib.ATR(H, L, C, timeperiod=length)
    middle = talib.EMA(C, timeperiod=length)
    middle[np.isnan(atr)] = NAN  # the middle waits for the bands: one update after the EMA is ready
    for k, ref in enumerate((middle + 1.5 * atr, middle, middle - 1.5 * atr)):
        assert_matches(ours[:, k], ref)
    # the declared warm-up, `length`, is exact for every output
    assert np.isnan(ours[:length]).all() and not np.isnan(ours[length:]).any()
