"""Kernels of the oscillators (signatures: nts.stdlib.oscillator)."""

import math


from ...runtime.jit import hot

from .moving_average import ema_reset, ema_size, ema_update, sma_reset, sma_size, sma_update
from .ring import RING_HEADER, ring_count, ring_get, ring_push, ring_reset, ring_size
from .window import extreme_count, extreme_push, extreme_reset, extreme_size

NAN = float("nan")


# rsi: [previous, count, gain_sum/avg, loss_sum/avg]; Wilder's averages seeded with the simple mean of the first
# `length` changes, as TA-Lib; the first value comes with the `length`-th change.
@hot
def rsi_size(length):
    return 4


@hot
def rsi_reset(st, o, length):
    st[o] = NAN
    st[o + 1] = 0.0
    st[o + 2] = 0.0
    st[o + 3] = 0.0


@hot
def rsi_update(st, o, x, length):
    prev = st[o]
    st[o] = x
    if math.isnan(prev):
        return NAN
    change = x - prev
    gain = change if change > 0 else 0.0
    loss = -change if change < 0 else 0.0
    count = st[o + 1] + 1
    st[o + 1] = count
    if count <= length:
        st[o + 2] += gain
        st[o + 3] += loss
        if count < length:
            return NAN
        st[o + 2] /= length
        st[o + 3] /= length
    else:
        st[o + 2] = (st[o + 2] * (length - 1) + gain) / length
        st[o + 3] = (st[o + 3] * (length - 1) + loss) / length
    total = st[o + 2] + st[o + 3]
    return 100.0 * st[o + 2] / total if total != 0.0 else 0.0


# mom and roc: the value `length` updates back, from a window of length + 1.
@hot
def mom_size(length):
    return ring_size(length + 1)


@hot
def mom_reset(st, o, length):
    ring_reset(st, o, length + 1)


@hot
def mom_update(st, o, x, length):
    ring_push(st, o, length + 1, x)
    if ring_count(st, o) <= length:
        return NAN
    return x - ring_get(st, o, length + 1, length)


roc_size = mom_size
roc_reset = mom_reset


@hot
def roc_update(st, o, x, length):
    ring_push(st, o, length + 1, x)
    if ring_count(st, o) <= length:
        return NAN
    then = ring_get(st, o, length + 1, length)
    return 100.0 * (x / then - 1.0) if then != 0.0 else 0.0


# --- macd: [count, fast ema, slow ema, signal ema] -> (line, signal, hist) -----------------------------------------
# As TA-Lib's MACD: both EMAs start on the same bar. The slow EMA is seeded with the SMA of the first `slow` values;
# the fast EMA is seeded on that same bar with the SMA of the `fast` values ending there, so it is fed only from value
# slow - fast + 1 on. The signal EMA is seeded with the SMA of the first `signal` lines. All three outputs are na until
# the signal exists (TA-Lib's lookback, slow + signal - 2), the line included. A `slow` shorter than `fast` is swapped,
# as TA-Lib does.
@hot
def macd_size(fast, slow, signal):
    return 1 + ema_size(fast) + ema_size(slow) + ema_size(signal)


@hot
def _macd_blocks(o, fast, slow):
    """(fast, slow) in TA-Lib's order, and the offsets of the three EMA blocks."""
    if slow < fast:
        fast, slow = slow, fast
    f = o + 1
    s = f + ema_size(fast)
    return fast, slow, f, s, s + ema_size(slow)


@hot
def macd_reset(st, o, fast, slow, signal):
    fast, slow, f, s, g = _macd_blocks(o, fast, slow)
    st[o] = 0.0
    ema_reset(st, f, fast)
    ema_reset(st, s, slow)
    ema_reset(st, g, signal)


@hot
def macd_update(st, o, x, fast, slow, signal):
    fast, slow, f, s, g = _macd_blocks(o, fast, slow)
    count = st[o]
    if count <= slow:  # only the warm-up needs the count; it stops growing after
        count += 1.0
        st[o] = count
    fast_v = NAN
    if count > slow - fast:
        fast_v = ema_update(st, f, x, fast)
    slow_v = ema_update(st, s, x, slow)
    if math.isnan(slow_v):
        return NAN, NAN, NAN
    line = fast_v - slow_v
    sig = ema_update(st, g, line, signal)
    if math.isnan(sig):
        return NAN, NAN, NAN
    return line, sig, line - sig


# --- cci: ring(length) of typical prices ------------------------------------------------------------------------
# The one O(length) kernel here, on purpose: the mean absolute deviation around a moving mean has no exact O(1) update
# (every |tp - mean| term changes when the mean moves); exact sub-linear schemes need an order-statistic tree, not worth
# it for the lengths used (TA-Lib's CCI is O(length) per bar too). The mean is summed from the window as well, over the
# ring's slots in slot order, which is exactly TA-Lib's circular-buffer order: bit-for-bit TA-Lib, no drift.
# A flat window gives 0, as TA-Lib 0.8 decides it: a deviation within 1e-14 of the mean's magnitude, or a summed
# absolute deviation within 1e-14 of length * |mean|, counts as zero (scale-relative, so a machine-flat window's
# rounding residue does not come out as a spurious +-66.7; measured against TA-Lib 0.8.1, which has no exact spec).
TA_EPSILON = 1e-14  # TA-Lib's TA_EPSILON


@hot
def cci_size(length):
    return ring_size(length)


@hot
def cci_reset(st, o, length):
    ring_reset(st, o, length)


@hot
def cci_update(st, o, high, low, close, length):
    tp = (high + low + close) / 3
    ring_push(st, o, length, tp)
    if ring_count(st, o) < length:
        return NAN
    base = o + RING_HEADER
    mean = 0.0
    for j in range(length):
        mean += st[base + j]
    mean /= length
    mad = 0.0
    for j in range(length):
        mad += abs(st[base + j] - mean)
    dev = tp - mean
    if abs(dev) <= TA_EPSILON * abs(mean) or mad <= TA_EPSILON * length * abs(mean) or 0.015 * mad == 0.0:
        return 0.0
    return dev / (0.015 * (mad / length))


# --- stoch: [highest(k), lowest(k), sma(smooth), sma(d)] -> (k, d) ------------------------------------------------
# TA-Lib STOCH(fastk_period=k, slowk_period=smooth, slowd_period=d, both SMA). Fast %K as TA-Lib writes it:
# (close - lowest) / ((highest - lowest) / 100), and 0 on a flat window, flat meaning, as TA-Lib 0.8, a range within
# 1e-14 of |highest| + |lowest| (scale-relative). Both outputs are na until %D exists (k + smooth + d - 3), as TA-Lib.
@hot
def stoch_size(k, smooth, d):
    return 2 * extreme_size(k) + sma_size(smooth) + sma_size(d)


@hot
def stoch_reset(st, o, k, smooth, d):
    e = extreme_size(k)
    extreme_reset(st, o, k)
    extreme_reset(st, o + e, k)
    sma_reset(st, o + 2 * e, smooth)
    sma_reset(st, o + 2 * e + sma_size(smooth), d)


@hot
def _flat(hi, lo):
    return abs(hi - lo) <= TA_EPSILON * (abs(hi) + abs(lo))


@hot
def _fast_k(hi, lo, close):
    diff = (hi - lo) / 100.0
    return 0.0 if _flat(hi, lo) or diff == 0.0 else (close - lo) / diff


@hot
def stoch_update(st, o, high, low, close, k, smooth, d):
    e = extreme_size(k)
    hi = extreme_push(st, o, k, high, True)
    lo = extreme_push(st, o + e, k, low, False)
    if extreme_count(st, o) < k:
        return NAN, NAN
    slow_k = sma_update(st, o + 2 * e, _fast_k(hi, lo, close), smooth)
    if math.isnan(slow_k):
        return NAN, NAN
    slow_d = sma_update(st, o + 2 * e + sma_size(smooth), slow_k, d)
    if math.isnan(slow_d):
        return NAN, NAN
    return slow_k, slow_d


# --- stochrsi: [rsi, highest(k), lowest(k), sma(d)] -> (k, d) ------------------------------------------------------
# TA-Lib STOCHRSI(timeperiod=length, fastk_period=k, fastd_period=d, fastd_matype=SMA): a *fast* stochastic of the
# RSI, i.e. `k` here is TA-Lib's fastk, the raw (unsmoothed) %K of rsi over `k` values, and `d` its `d`-length SMA.
# Both are na until d exists (length + k + d - 2), as TA-Lib.
@hot
def stochrsi_size(length, k, d):
    return rsi_size(length) + 2 * extreme_size(k) + sma_size(d)


@hot
def stochrsi_reset(st, o, length, k, d):
    rsi_reset(st, o, length)
    a = o + rsi_size(length)
    e = extreme_size(k)
    extreme_reset(st, a, k)
    extreme_reset(st, a + e, k)
    sma_reset(st, a + 2 * e, d)


@hot
def stochrsi_update(st, o, x, length, k, d):
    r = rsi_update(st, o, x, length)
    if math.isnan(r):
        return NAN, NAN
    a = o + rsi_size(length)
    e = extreme_size(k)
    hi = extreme_push(st, a, k, r, True)
    lo = extreme_push(st, a + e, k, r, False)
    if extreme_count(st, a) < k:
        return NAN, NAN
    fast_k = _fast_k(hi, lo, r)
    fast_d = sma_update(st, a + 2 * e, fast_k, d)
    if math.isnan(fast_d):
        return NAN, NAN
    return fast_k, fast_d


# --- willr: [highest(length), lowest(length)] ------------------------------------------------------------------
# TA-Lib WILLR: (highest - close) / ((highest - lowest) / -100), 0 on a flat window (flat as in stoch).
@hot
def willr_size(length):
    return 2 * extreme_size(length)


@hot
def willr_reset(st, o, length):
    extreme_reset(st, o, length)
    extreme_reset(st, o + extreme_size(length), length)


@hot
def willr_update(st, o, high, low, close, length):
    hi = extreme_push(st, o, length, high, True)
    lo = extreme_push(st, o + extreme_size(length), length, low, False)
    if extreme_count(st, o) < length:
        return NAN
    diff = (hi - lo) / (0 - 100.0)
    return 0.0 if _flat(hi, lo) or diff == 0.0 else (hi - close) / diff
