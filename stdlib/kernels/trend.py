"""Kernels of the trend family (signatures: nts.stdlib.trend; aroon's signature is in nts.stdlib.oscillator).

Kernels of `bars` arguments take (high, low, close) as inputs, whether or not they read all three, so that every
bars kernel is called the same way.
"""

import math


from ...runtime.jit import hot

from .ring import ring_count, ring_get, ring_push, ring_reset, ring_size
from .volatility import atr_reset, atr_size, atr_update
from .window import extreme_push, extreme_reset, extreme_size, window_push, window_reset, window_size

NAN = float("nan")


# highest / lowest: a counted window (window.py); na until `length` values are in (TA-Lib MAX / MIN).
@hot
def highest_size(length):
    return extreme_size(length)


@hot
def highest_reset(st, o, length):
    extreme_reset(st, o, length)


@hot
def highest_update(st, o, x, length):
    return extreme_push(st, o, length, x, True)


lowest_size = highest_size
lowest_reset = highest_reset


@hot
def lowest_update(st, o, x, length):
    return extreme_push(st, o, length, x, False)


# --- linreg / linreg_slope --------------------------------------------------------------------------------------
# [sum_y, sum_ago_y, ring(length)], where ago = 0 for the newest value. On each push every value already in the
# window ages by one, so sum_ago_y grows by the sum of the values kept, and the value that leaves takes
# (length - 1) * old out of it: O(1). Both sums are recomputed from the window each time the ring wraps (O(length)
# every `length` updates), which bounds the rounding drift of the sliding sums to one window (and makes an na
# value's trace go away at the first wrap after it has left the window: until then the result is na).
# As TA-Lib LINEARREG / LINEARREG_SLOPE: x runs forward in time, slope = (n Sxy - Sx Sy) / (n Sxx - Sx^2), and the
# value is the line at the newest point. With x = n - 1 - ago: n Sxy - Sx Sy = Sx Sy - n S_ago_y.
# Length 1 (TA-Lib refuses it): the line through one point is flat, so slope 0 and value = the point.
@hot
def linreg_size(length):
    return 2 + ring_size(length)


@hot
def linreg_reset(st, o, length):
    st[o] = 0.0
    st[o + 1] = 0.0
    ring_reset(st, o + 2, length)


@hot
def _linreg_fit(st, o, x, length):
    """Push `x`; returns (slope, mean of y), or NaNs during warm-up."""
    r = o + 2
    filling = ring_count(st, r) < length
    old = ring_push(st, r, length, x)
    if filling:  # the window only grows
        st[o + 1] += st[o]
        st[o] += x
    elif int(st[r + 1]) == 0:  # the ring wrapped: recompute both sums exactly
        sy = 0.0
        say = 0.0
        for ago in range(length):
            y = ring_get(st, r, length, ago)
            sy += y
            say += ago * y
        st[o] = sy
        st[o + 1] = say
    else:
        kept = st[o] - old
        st[o + 1] += kept - (length - 1) * old
        st[o] = kept + x
    if ring_count(st, r) < length:
        return NAN, NAN
    n = float(length)
    sy = st[o]
    if length == 1:
        return 0.0, sy
    sx = n * (n - 1) * 0.5
    sxx = n * (n - 1) * (2 * n - 1) / 6.0
    slope = (sx * sy - n * st[o + 1]) / (n * sxx - sx * sx)
    return slope, sy / n


@hot
def linreg_update(st, o, x, length):
    slope, mean = _linreg_fit(st, o, x, length)
    # The line passes through (mean x, mean y) = ((n - 1) / 2, mean); the newest point is at x = n - 1.
    return mean + slope * (length - 1) * 0.5


linreg_slope_size = linreg_size
linreg_slope_reset = linreg_reset


@hot
def linreg_slope_update(st, o, x, length):
    slope, _ = _linreg_fit(st, o, x, length)
    return slope


# --- dmi / adx (Wilder), as TA-Lib PLUS_DI, MINUS_DI and ADX ------------------------------------------------------
# [count, prev_high, prev_low, prev_close, plus_dm, minus_dm, tr, adx (the sum of DX while it is seeded)]
# Bar 0 only sets the previous bar. Bars 1 .. length - 1 sum +DM, -DM and TR; from bar `length` on they are smoothed
# as s - s / length + today's, and +DI / -DI = 100 * DM / TR come out (na before: warm-up `length`). DX comes out
# from bar `length` too; ADX is the mean of the first `length` DX (at bar 2 * length - 1, warm-up 2 * length - 1),
# then Wilder's average of DX. As TA-Lib: a smoothed TR of 0 gives DI 0, and then (or when +DI + -DI is 0) DX is
# skipped: not added to the seed sum (which is still divided by `length`) and ADX keeps its last value. The zero
# tests are exact, as in the TA-Lib we test against (0.8); TA-Lib 0.4 read |x| < 1e-8 as zero, which also zeroed
# the DI of instruments quoted in tiny units and of long flat stretches (where the smoothed TR decays
# geometrically).
# Length 1 is Wilder's formula with no smoothing (TA-Lib's own length-1 +DI / -DI leave out the factor 100).
@hot
def dmi_size(length):
    return 8


@hot
def dmi_reset(st, o, length):
    st[o] = 0.0
    for i in range(1, 8):
        st[o + i] = NAN if i <= 3 else 0.0


@hot
def dmi_update(st, o, high, low, close, length):
    count = int(st[o])
    st[o] = count + 1
    prev_high, prev_low, prev_close = st[o + 1], st[o + 2], st[o + 3]
    st[o + 1], st[o + 2], st[o + 3] = high, low, close
    if count == 0:
        return NAN, NAN, NAN
    up = high - prev_high
    down = prev_low - low
    plus = up if up > 0 and up > down else 0.0
    minus = down if down > 0 and down > up else 0.0
    tr = max(high, prev_close) - min(low, prev_close)
    if count < length:  # seeding: plain sums
        st[o + 4] += plus
        st[o + 5] += minus
        st[o + 6] += tr
        return NAN, NAN, NAN
    st[o + 4] = st[o + 4] - st[o + 4] / length + plus
    st[o + 5] = st[o + 5] - st[o + 5] / length + minus
    st[o + 6] = st[o + 6] - st[o + 6] / length + tr
    tr_sum = st[o + 6]
    plus_di = 0.0
    minus_di = 0.0
    dx = NAN
    if tr_sum != 0.0:
        plus_di = 100.0 * (st[o + 4] / tr_sum)
        minus_di = 100.0 * (st[o + 5] / tr_sum)
        di_sum = plus_di + minus_di
        if di_sum != 0.0:
            dx = 100.0 * (abs(minus_di - plus_di) / di_sum)
    if count < 2 * length - 1:  # seeding ADX: sum the DX
        if not math.isnan(dx):
            st[o + 7] += dx
        return plus_di, minus_di, NAN
    if count == 2 * length - 1:
        if not math.isnan(dx):
            st[o + 7] += dx
        st[o + 7] = st[o + 7] / length
    elif not math.isnan(dx):
        st[o + 7] = (st[o + 7] * (length - 1) + dx) / length
    return plus_di, minus_di, st[o + 7]


adx_size = dmi_size
adx_reset = dmi_reset


@hot
def adx_update(st, o, high, low, close, length):
    return dmi_update(st, o, high, low, close, length)[2]


# --- aroon, as TA-Lib AROON (which returns (down, up)) ---------------------------------------------------------
# [count, deque of highs(length + 1), deque of lows(length + 1)]. The window is the last length + 1 bars;
# up = 100 / length * (length - bars since the highest high), down likewise from the lowest low, the most recent
# extreme winning ties. Warm-up `length`.
@hot
def aroon_size(length):
    return 1 + 2 * window_size(length + 1)


@hot
def aroon_reset(st, o, length):
    st[o] = 0.0
    window_reset(st, o + 1, length + 1)
    window_reset(st, o + 1 + window_size(length + 1), length + 1)


@hot
def aroon_update(st, o, high, low, close, length):
    seq = st[o]
    st[o] = seq + 1
    _, high_seq = window_push(st, o + 1, length + 1, high, seq, True)
    _, low_seq = window_push(st, o + 1 + window_size(length + 1), length + 1, low, seq, False)
    if seq < length:
        return NAN, NAN
    factor = 100.0 / length
    return factor * (length - (seq - high_seq)), factor * (length - (seq - low_seq))


# --- psar, as TA-Lib SAR / SAREXT -------------------------------------------------------------------------------
# [count, is_long, sar, ep, af, prev_high, prev_low]. The acceleration starts at `start`, grows by `step` at each
# new extreme, up to `max` (named `cap` here, `max` being Python's). TA-Lib SAR has one `acceleration` for both
# start and step (SAR(h, l, a, m) is psar(start=a, step=a, max=m)); SAREXT has them apart. Warm-up 1: the first
# direction is taken from bars 0 and 1 (short when bar 1 has a positive -DM, as TA-Lib), with the SAR at bar 0's
# low (long) or high (short) and the extreme at bar 1's high or low. The value returned at a bar is the SAR for that
# bar (the stop in force during it); then the SAR for the next bar is computed, never inside this bar's or the
# previous bar's range.
@hot
def psar_size():
    return 7


@hot
def psar_reset(st, o):
    st[o] = 0.0
    for i in range(1, 7):
        st[o + i] = NAN


@hot
def psar_update(st, o, high, low, close, start, step, cap):
    count = st[o]
    st[o] = count + 1
    if count == 0:
        st[o + 5], st[o + 6] = high, low
        return NAN
    # As TA-Lib: an initial acceleration or a step above the cap is the cap.
    start = min(start, cap)
    step = min(step, cap)
    if count == 1:
        down = st[o + 6] - low
        up = high - st[o + 5]
        is_long = not (down > 0 and up < down)
        if is_long:
            ep, sar = high, st[o + 6]
        else:
            ep, sar = low, st[o + 5]
        af = start
        prev_high, prev_low = high, low  # TA-Lib's first iteration uses bar 1 as its own previous bar
    else:
        is_long = st[o + 1] != 0.0
        sar, ep, af = st[o + 2], st[o + 3], st[o + 4]
        prev_high, prev_low = st[o + 5], st[o + 6]
    if is_long:
        if low <= sar:  # stopped out: reverse to short at the extreme, kept above both bars' highs
            is_long = False
            sar = max(ep, prev_high, high)
            out = sar
            af = start
            ep = low
            sar = max(sar + af * (ep - sar), prev_high, high)
        else:
            out = sar
            if high > ep:
                ep = high
                af = min(af + step, cap)
            sar = min(sar + af * (ep - sar), prev_low, low)
    else:
        if high >= sar:  # stopped out: reverse to long, kept below both bars' lows
            is_long = True
            sar = min(ep, prev_low, low)
            out = sar
            af = start
            ep = high
            sar = min(sar + af * (ep - sar), prev_low, low)
        else:
            out = sar
            if low < ep:
                ep = low
                af = min(af + step, cap)
            sar = max(sar + af * (ep - sar), prev_high, high)
    st[o + 1] = 1.0 if is_long else 0.0
    st[o + 2], st[o + 3], st[o + 4] = sar, ep, af
    st[o + 5], st[o + 6] = high, low
    return out


# --- supertrend (no TA-Lib equivalent; TradingView's ta.supertrend with its direction sign flipped) --------------
# [prev_close, upper, lower, direction, atr block]. With atr = Wilder's ATR(length) as TA-Lib (na for `length`
# bars: warm-up `length`) and hl2 = (high + low) / 2:
#   basic upper = hl2 + mult * atr, basic lower = hl2 - mult * atr;
#   upper = basic upper if it is below the previous upper or the previous close was above the previous upper,
#           else the previous upper (the band only tightens while price stays under it); lower mirrors it;
#   on the first bar with an atr the bands are the basic ones and the direction is -1 (down);
#   then, down (-1) turns up (1) when close > upper, up turns down when close < lower;
#   line = lower when up, upper when down.
# TradingView tells the previous trend by comparing the previous line with the previous upper band, which reads an
# up trend as down when the two bands are equal (flat prices, mult * atr under half an ulp of the price); we keep
# the direction instead: a flat market is no reversal. The two agree everywhere else.
@hot
def supertrend_size(length):
    return 4 + atr_size(length)


@hot
def supertrend_reset(st, o, length):
    for i in range(4):
        st[o + i] = NAN
    atr_reset(st, o + 4, length)


@hot
def supertrend_update(st, o, high, low, close, length, mult):
    atr = atr_update(st, o + 4, high, low, close, length)
    prev_close = st[o]
    st[o] = close
    if math.isnan(atr):
        return NAN, NAN
    hl2 = (high + low) / 2.0
    upper = hl2 + mult * atr
    lower = hl2 - mult * atr
    prev_upper, prev_lower, direction = st[o + 1], st[o + 2], st[o + 3]
    if math.isnan(direction):  # first bar with an atr
        direction = -1.0
    else:
        if not (upper < prev_upper or prev_close > prev_upper):
            upper = prev_upper
        if not (lower > prev_lower or prev_close < prev_lower):
            lower = prev_lower
        if direction < 0:
            direction = 1.0 if close > upper else -1.0
        else:
            direction = -1.0 if close < lower else 1.0
    st[o + 1], st[o + 2], st[o + 3] = upper, lower, direction
    return (lower if direction > 0 else upper), direction
