"""Kernels of the volume indicators (signatures: nts.stdlib.volume).

A `bars` argument arrives as its inputs high, low, close, volume, in that order (obv and mfi read what they need).
"""

import math


from ...runtime.jit import hot

from .ring import ring_count, ring_push, ring_reset, ring_size

NAN = float("nan")
TA_EPSILON = 1e-14  # TA-Lib's zero band (TA_IS_ZERO, TA_IS_ZERO_SCALED)


# obv: [previous close, obv]. As TA-Lib OBV(close, volume): the first bar's value is its volume, then volume is added
# on an up close, subtracted on a down close, and nothing on an unchanged close.
@hot
def obv_size():
    return 2


@hot
def obv_reset(st, o):
    st[o] = NAN
    st[o + 1] = 0.0


@hot
def obv_update(st, o, high, low, close, volume):
    prev = st[o]
    st[o] = close
    if math.isnan(prev):
        st[o + 1] = volume
    elif close > prev:
        st[o + 1] += volume
    elif close < prev:
        st[o + 1] -= volume
    return st[o + 1]


# mfi: [previous typical price, positive sum, negative sum, null run, ring(length) of positive flows,
# ring(length) of negative flows]. As TA-Lib MFI (0.8): a bar's money flow tp * volume counts as positive when tp
# rose, negative when it fell, and as nothing when the change is within TA-Lib's scaled zero band; the sums are kept
# by subtract-then-add as TA-Lib does, reset to exact zeros after `length` bars without flow, and the ratio is
# clamped to 0..100 (0 for an empty window). The first value comes with the `length`-th change.
@hot
def mfi_size(length):
    return 4 + 2 * ring_size(length)


@hot
def mfi_reset(st, o, length):
    st[o] = NAN
    st[o + 1] = 0.0
    st[o + 2] = 0.0
    st[o + 3] = 0.0
    ring_reset(st, o + 4, length)
    ring_reset(st, o + 4 + ring_size(length), length)


@hot
def mfi_update(st, o, high, low, close, volume, length):
    tp = (high + low + close) / 3.0
    prev = st[o]
    st[o] = tp
    if math.isnan(prev):
        return NAN
    change = tp - prev
    flow = 0.0 if abs(change) <= TA_EPSILON * (abs(tp) + abs(prev)) else tp * volume
    pos = 0.0 if change < 0.0 else flow
    neg = flow if change < 0.0 else 0.0
    rp = o + 4
    rn = rp + ring_size(length)
    old_pos = ring_push(st, rp, length, pos)
    old_neg = ring_push(st, rn, length, neg)
    pos_sum, neg_sum = st[o + 1], st[o + 2]
    if not math.isnan(old_pos):
        pos_sum -= old_pos
        neg_sum -= old_neg
    pos_sum += pos
    neg_sum += neg
    null_run = st[o + 3] + 1.0 if flow == 0.0 else 0.0
    if null_run >= length:  # a whole window without flow: the sums are exactly 0, drop the rounding residue
        null_run = length
        pos_sum = 0.0
        neg_sum = 0.0
    st[o + 1], st[o + 2], st[o + 3] = pos_sum, neg_sum, null_run
    if ring_count(st, rp) < length:
        return NAN
    total = pos_sum + neg_sum
    if total <= 0.0:
        return 0.0
    clamped = 0.0 if pos_sum < 0.0 else min(pos_sum, total)
    return 100.0 * (clamped / total)


# vwap: [session number, sum of tp * volume, sum of volume]. Anchored: the sums restart on the first bar of each
# session, session k being the times in [k * session, (k + 1) * session) ns since the epoch (UTC; a strategy
# `timezone` is applied by shifting `time` before the call). `time` is the bar's time in ns (int64 keeps it exact; a
# float is floored to an int first). tp = (high + low + close) / 3. na while the session has seen no volume.
@hot
def vwap_size(session):
    return 3


@hot
def vwap_reset(st, o, session):
    st[o] = NAN
    st[o + 1] = 0.0
    st[o + 2] = 0.0


@hot
def vwap_update(st, o, high, low, close, volume, time, session):
    k = float(int(time) // int(session))  # floor division: a time before the epoch still falls in its own session
    if k != st[o]:
        st[o] = k
        st[o + 1] = 0.0
        st[o + 2] = 0.0
    st[o + 1] += (high + low + close) / 3.0 * volume
    st[o + 2] += volume
    return st[o + 1] / st[o + 2] if st[o + 2] > 0.0 else NAN
