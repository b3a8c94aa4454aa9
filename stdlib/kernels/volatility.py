"""Kernels of the volatility family (signatures: nts.stdlib.volatility)."""

import math


from ...runtime.jit import hot

from .moving_average import rma_reset, rma_size, rma_update, sma_reset, sma_size, sma_update
from .ring import RING_HEADER, ring_count, ring_push, ring_reset, ring_size

NAN = float("nan")
VARIANCE_FLOOR = 1e-8


# true_range: [previous close]
@hot
def true_range_size():
    return 1


@hot
def true_range_reset(st, o):
    st[o] = NAN


@hot
def true_range_update(st, o, high, low, close):
    prev = st[o]
    st[o] = close
    if math.isnan(prev):
        return NAN  # as TA-Lib: the first bar has no previous close
    return max(high, prev) - min(low, prev)


# atr: [true_range block, rma block]; TA-Lib seeds with the mean of the first `length` true ranges.
@hot
def atr_size(length):
    return true_range_size() + rma_size(length)


@hot
def atr_reset(st, o, length):
    true_range_reset(st, o)
    rma_reset(st, o + 1, length)


@hot
def atr_update(st, o, high, low, close, length):
    tr = true_range_update(st, o, high, low, close)
    if math.isnan(tr):
        return NAN
    return rma_update(st, o + 1, tr, length)


natr_size = atr_size
natr_reset = atr_reset


@hot
def natr_update(st, o, high, low, close, length):
    return 100.0 * atr_update(st, o, high, low, close, length) / close


# variance: [mean, m2, ring(length)], population variance. A sliding Welford update works on deviations from the
# mean, not on raw sums of squares (whose E[x^2] - E[x]^2 cancels catastrophically on flat prices), and the two
# moments are recomputed exactly from the window each time the ring wraps: O(1) amortised, drift bounded by one
# window. This agrees with the exact two-pass variance (and with TA-Lib) to about 1e-12.
@hot
def variance_size(length):
    return 2 + ring_size(length)


@hot
def variance_reset(st, o, length):
    st[o] = 0.0
    st[o + 1] = 0.0
    ring_reset(st, o + 2, length)


@hot
def variance_update(st, o, x, length):
    r = o + 2
    old = ring_push(st, r, length, x)
    count = ring_count(st, r)
    mean, m2 = st[o], st[o + 1]
    if math.isnan(old):  # the window is filling: add only
        delta = x - mean
        mean += delta / count
        m2 += delta * (x - mean)
    elif int(st[r + 1]) == 0:  # the ring wrapped: recompute both moments from the window
        total = 0.0
        for i in range(length):
            total += st[r + RING_HEADER + i]
        mean = total / length
        m2 = 0.0
        for i in range(length):
            d = st[r + RING_HEADER + i] - mean
            m2 += d * d
    else:
        new_mean = mean + (x - old) / length
        m2 += (x - old) * (x - new_mean + old - mean)
        mean = new_mean
    st[o], st[o + 1] = mean, m2
    if count < length:
        return NAN
    return max(m2 / length, 0.0)


stddev_size = variance_size
stddev_reset = variance_reset


@hot
def stddev_update(st, o, x, length):
    v = variance_update(st, o, x, length)
    if math.isnan(v):
        return NAN
    # As TA-Lib: a variance under 1e-8 reads as a deviation of 0 (flat prices).
    return math.sqrt(v) if v >= VARIANCE_FLOOR else 0.0


# bbands: [sma block, variance block] -> (upper, middle, lower)
@hot
def bbands_size(length):
    return sma_size(length) + variance_size(length)


@hot
def bbands_reset(st, o, length):
    sma_reset(st, o, length)
    variance_reset(st, o + sma_size(length), length)


@hot
def bbands_update(st, o, x, length, mult):
    middle = sma_update(st, o, x, length)
    sd = stddev_update(st, o + sma_size(length), x, length)
    return middle + mult * sd, middle, middle - mult * sd
