"""Kernels of the moving averages (signatures: nts.stdlib.moving_average)."""

import math


from ...runtime.jit import hot

from .ring import ring_count, ring_get, ring_push, ring_reset, ring_size

NAN = float("nan")


# sma: [sum, ring(length)]
@hot
def sma_size(length):
    return 1 + ring_size(length)


@hot
def sma_reset(st, o, length):
    st[o] = 0.0
    ring_reset(st, o + 1, length)


@hot
def sma_update(st, o, x, length):
    old = ring_push(st, o + 1, length, x)
    st[o] += x if math.isnan(old) else x - old
    return st[o] / length if ring_count(st, o + 1) >= length else NAN


# ema: [count, seed_sum, value, alpha, length]; seeded with the SMA of the first `length` values, as TA-Lib. The
# smoothing factor and the length as a float are worked out once, at reset: a division or int-to-float conversions
# on every update would cost more than the rest of it.
@hot
def ema_size(length):
    return 5


@hot
def _smoothed_reset(st, o, alpha, length):
    st[o] = 0.0
    st[o + 1] = 0.0
    st[o + 2] = NAN
    st[o + 3] = alpha
    st[o + 4] = length


@hot
def ema_reset(st, o, length):
    _smoothed_reset(st, o, 2.0 / (length + 1), length)


@hot
def ema_update(st, o, x, length):
    count = st[o]
    if count >= st[o + 4]:  # warmed up: the count stays where it is
        value = st[o + 2] + st[o + 3] * (x - st[o + 2])
        st[o + 2] = value
        return value
    count += 1
    st[o] = count
    if count < st[o + 4]:
        st[o + 1] += x
        return NAN
    st[o + 2] = (st[o + 1] + x) / st[o + 4]
    return st[o + 2]


# rma (Wilder): the ema's block and update, alpha = 1 / length.
rma_size = ema_size
rma_update = ema_update


@hot
def rma_reset(st, o, length):
    _smoothed_reset(st, o, 1.0 / length, length)


# wma: [weighted_sum, plain_sum, ring(length)], updated in O(1):
# new weighted = old weighted + length * x - old plain sum.
@hot
def wma_size(length):
    return 2 + ring_size(length)


@hot
def wma_reset(st, o, length):
    st[o] = 0.0
    st[o + 1] = 0.0
    ring_reset(st, o + 2, length)


@hot
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
@hot
def dema_size(length):
    return 2 * ema_size(length)


@hot
def dema_reset(st, o, length):
    ema_reset(st, o, length)
    ema_reset(st, o + ema_size(length), length)


@hot
def dema_update(st, o, x, length):
    e1 = ema_update(st, o, x, length)
    if math.isnan(e1):
        return NAN
    e2 = ema_update(st, o + ema_size(length), e1, length)
    return 2.0 * e1 - e2


@hot
def tema_size(length):
    return 3 * ema_size(length)


@hot
def tema_reset(st, o, length):
    for k in range(3):
        ema_reset(st, o + k * ema_size(length), length)


@hot
def tema_update(st, o, x, length):
    e1 = ema_update(st, o, x, length)
    if math.isnan(e1):
        return NAN
    e2 = ema_update(st, o + ema_size(length), e1, length)
    if math.isnan(e2):
        return NAN
    e3 = ema_update(st, o + 2 * ema_size(length), e2, length)
    return 3.0 * e1 - 3.0 * e2 + e3


# hma (Hull): [wma(length // 2), wma(length), wma(floor(sqrt(length)))] over 2 * wma(half) - wma(length).
# Half and root are floored, and at least 1 (length 1 is then the identity, as TA-Lib's HMA). First value at
# length + floor(sqrt(length)) - 2.
@hot
def _hma_periods(length):
    return max(length // 2, 1), max(int(math.sqrt(length)), 1)


@hot
def hma_size(length):
    half, root = _hma_periods(length)
    return wma_size(half) + wma_size(length) + wma_size(root)


@hot
def hma_reset(st, o, length):
    half, root = _hma_periods(length)
    wma_reset(st, o, half)
    wma_reset(st, o + wma_size(half), length)
    wma_reset(st, o + wma_size(half) + wma_size(length), root)


@hot
def hma_update(st, o, x, length):
    half, root = _hma_periods(length)
    a = wma_update(st, o, x, half)
    b = wma_update(st, o + wma_size(half), x, length)
    if math.isnan(b):  # half <= length: a exists whenever b does
        return NAN
    return wma_update(st, o + wma_size(half) + wma_size(length), 2.0 * a - b, root)


# kama (Kaufman): [sum of |changes|, kama, null run, ring(length + 1)], as TA-Lib's KAMA, which fixes fast = 2 and
# slow = 30: efficiency ratio er = |x - x[length]| / sum(|changes| over length), 1 when the sum is not above the signed
# change (a flat window included); sc = (er * (2/(fast+1) - 2/(slow+1)) + 2/(slow+1))^2; kama += (x - kama) * sc.
# The first value comes at index `length`, from kama = the previous value. The sum of changes is kept by TA-Lib's
# running subtract-then-add, in its order, and, as TA-Lib 0.8 does, set to an exact 0 once `length` changes in a row
# were 0: the running sum would otherwise keep a rounding residue on a flat window and read er = 0 instead of 1.
# Length 1 is the identity with no warm-up, as TA-Lib. (The TA-Lib 0.8.1 wheel's build fuses the last step into one
# multiply-add, so its values can differ from these in the last bit.)
@hot
def kama_size(length, fast, slow):
    return 3 + ring_size(length + 1)


@hot
def kama_reset(st, o, length, fast, slow):
    st[o] = 0.0
    st[o + 1] = NAN
    st[o + 2] = 0.0
    ring_reset(st, o + 3, length + 1)


@hot
def kama_update(st, o, x, length, fast, slow):
    if length == 1:
        return x
    r = o + 3
    n = length + 1
    trailing = ring_push(st, r, n, x)  # x[t - length - 1] once the window is full
    count = ring_count(st, r)
    if count == 1:
        return NAN
    prev = ring_get(st, r, n, 1)
    step = abs(x - prev)
    if count < n or math.isnan(trailing):  # filling, and the first value: add the change only
        st[o] += step
        kama = prev  # TA-Lib seeds with the value before the first output
    else:
        st[o] -= abs(trailing - ring_get(st, r, n, length))
        st[o] += step
        kama = st[o + 1]
    null_run = st[o + 2] + 1.0 if step == 0.0 else 0.0
    if null_run >= length:
        null_run = length
        st[o] = 0.0
    st[o + 2] = null_run
    if count < n:
        return NAN
    total = st[o]
    change = x - ring_get(st, r, n, length)
    er = 1.0 if total <= change else abs(change / total)
    slowest = 2.0 / (slow + 1.0)
    sc = er * (2.0 / (fast + 1.0) - slowest) + slowest
    sc *= sc
    kama = (x - kama) * sc + kama
    st[o + 1] = kama
    return kama
