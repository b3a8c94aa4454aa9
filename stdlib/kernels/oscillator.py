"""Kernels of the oscillators (signatures: nts.stdlib.oscillator)."""

import math

import numba as nb

from .ring import ring_count, ring_get, ring_push, ring_reset, ring_size

NAN = float("nan")


# rsi: [previous, count, gain_sum/avg, loss_sum/avg]; Wilder's averages seeded with the simple mean of the first
# `length` changes, as TA-Lib; the first value comes with the `length`-th change.
@nb.njit(cache=True)
def rsi_size(length):
    return 4


@nb.njit(cache=True)
def rsi_reset(st, o, length):
    st[o] = NAN
    st[o + 1] = 0.0
    st[o + 2] = 0.0
    st[o + 3] = 0.0


@nb.njit(cache=True)
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
@nb.njit(cache=True)
def mom_size(length):
    return ring_size(length + 1)


@nb.njit(cache=True)
def mom_reset(st, o, length):
    ring_reset(st, o, length + 1)


@nb.njit(cache=True)
def mom_update(st, o, x, length):
    ring_push(st, o, length + 1, x)
    if ring_count(st, o) <= length:
        return NAN
    return x - ring_get(st, o, length + 1, length)


roc_size = mom_size
roc_reset = mom_reset


@nb.njit(cache=True)
def roc_update(st, o, x, length):
    ring_push(st, o, length + 1, x)
    if ring_count(st, o) <= length:
        return NAN
    then = ring_get(st, o, length + 1, length)
    return 100.0 * (x / then - 1.0) if then != 0.0 else 0.0
