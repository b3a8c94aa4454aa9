"""Kernels of the moving averages (signatures: nts.stdlib.moving_average)."""

import math

import numba as nb

from .ring import ring_count, ring_push, ring_reset, ring_size

NAN = float("nan")


# sma: [sum, ring(length)]
@nb.njit(cache=True)
def sma_size(length):
    return 1 + ring_size(length)


@nb.njit(cache=True)
def sma_reset(st, o, length):
    st[o] = 0.0
    ring_reset(st, o + 1, length)


@nb.njit(cache=True)
def sma_update(st, o, x, length):
    old = ring_push(st, o + 1, length, x)
    st[o] += x if math.isnan(old) else x - old
    return st[o] / length if ring_count(st, o + 1) >= length else NAN


# ema: [count, seed_sum, value]; seeded with the SMA of the first `length` values, as TA-Lib.
@nb.njit(cache=True)
def ema_size(length):
    return 3


@nb.njit(cache=True)
def ema_reset(st, o, length):
    st[o] = 0.0
    st[o + 1] = 0.0
    st[o + 2] = NAN


@nb.njit(cache=True)
def _smoothed(st, o, x, length, alpha):
    count = st[o] + 1
    st[o] = count
    if count < length:
        st[o + 1] += x
        return NAN
    if count == length:
        st[o + 2] = (st[o + 1] + x) / length
    else:
        st[o + 2] += alpha * (x - st[o + 2])
    return st[o + 2]


@nb.njit(cache=True)
def ema_update(st, o, x, length):
    return _smoothed(st, o, x, length, 2.0 / (length + 1))


# rma (Wilder): same block as ema, alpha = 1 / length.
rma_size = ema_size
rma_reset = ema_reset


@nb.njit(cache=True)
def rma_update(st, o, x, length):
    return _smoothed(st, o, x, length, 1.0 / length)


# wma: [weighted_sum, plain_sum, ring(length)], updated in O(1):
# new weighted = old weighted + length * x - old plain sum.
@nb.njit(cache=True)
def wma_size(length):
    return 2 + ring_size(length)


@nb.njit(cache=True)
def wma_reset(st, o, length):
    st[o] = 0.0
    st[o + 1] = 0.0
    ring_reset(st, o + 2, length)


@nb.njit(cache=True)
def wma_update(st, o, x, length):
    r = o + 2
    count = ring_count(st, r)
    if count < length:
        st[o] += (count + 1) * x
        st[o + 1] += x
        ring_push(st, r, length, x)
        if count + 1 < length:
            return NAN
    else:
        old = ring_push(st, r, length, x)
        st[o] += length * x - st[o + 1]
        st[o + 1] += x - old
    return st[o] / (length * (length + 1) / 2.0)


# dema: two chained emas; tema: three.
@nb.njit(cache=True)
def dema_size(length):
    return 2 * ema_size(length)


@nb.njit(cache=True)
def dema_reset(st, o, length):
    ema_reset(st, o, length)
    ema_reset(st, o + 3, length)


@nb.njit(cache=True)
def dema_update(st, o, x, length):
    e1 = ema_update(st, o, x, length)
    if math.isnan(e1):
        return NAN
    e2 = ema_update(st, o + 3, e1, length)
    return 2.0 * e1 - e2


@nb.njit(cache=True)
def tema_size(length):
    return 3 * ema_size(length)


@nb.njit(cache=True)
def tema_reset(st, o, length):
    for k in range(3):
        ema_reset(st, o + 3 * k, length)


@nb.njit(cache=True)
def tema_update(st, o, x, length):
    e1 = ema_update(st, o, x, length)
    if math.isnan(e1):
        return NAN
    e2 = ema_update(st, o + 3, e1, length)
    if math.isnan(e2):
        return NAN
    e3 = ema_update(st, o + 6, e2, length)
    return 3.0 * e1 - 3.0 * e2 + e3

