"""Kernels of the channels: donchian and keltner (signatures: nts.stdlib.volatility)."""

import math

import numba as nb

from .moving_average import ema_reset, ema_size, ema_update
from .volatility import atr_reset, atr_size, atr_update

NAN = float("nan")


# A sliding-window maximum over the last `n` updates: a monotonic deque laid out in a state block,
# [head, len, last_na, idx0 .. idx(n-1), val0 .. val(n-1)], a circular buffer of (update index, value) pairs whose
# values decrease from front to back. Each value enters and leaves once: O(1) amortised. For a minimum, push -x.
# An na value is not queued; the window reads na while it holds one (as np.max would), tracked by `last_na`.
WINDOW_HEADER = 3


@nb.njit(cache=True)
def window_max_size(n):
    return WINDOW_HEADER + 2 * n


@nb.njit(cache=True)
def window_max_reset(st, o, n):
    st[o] = 0.0
    st[o + 1] = 0.0
    st[o + 2] = -1.0 - n  # no na seen: far enough back to be out of every window
    for k in range(2 * n):
        st[o + WINDOW_HEADER + k] = 0.0


@nb.njit(cache=True)
def window_max_push(st, o, n, i, x):
    """Push the value of update `i` (0, 1, 2, ... in order); returns the maximum of updates i-n+1 .. i, or NaN
    while fewer than `n` updates have been seen or an na is among them."""
    idx = o + WINDOW_HEADER
    val = idx + n
    head, size = int(st[o]), int(st[o + 1])
    # Drop the front first when it has left the window, so at most n-1 entries remain and the push below fits.
    if size > 0 and st[idx + head] <= i - n:
        head = (head + 1) % n
        size -= 1
    if math.isnan(x):
        st[o + 2] = i
    else:
        # Drop from the back every value the new one dominates; ties go too (the newer one outlives them).
        while size > 0 and st[val + (head + size - 1) % n] <= x:
            size -= 1
        back = (head + size) % n
        st[idx + back] = i
        st[val + back] = x
        size += 1
    st[o], st[o + 1] = head, size
    if i < n - 1 or i - st[o + 2] < n or size == 0:
        return NAN
    return st[val + head]


# donchian: [count, window_max(length) of highs, window_max(length) of -lows] -> (upper, middle, lower).
@nb.njit(cache=True)
def donchian_size(length):
    return 1 + 2 * window_max_size(length)


@nb.njit(cache=True)
def donchian_reset(st, o, length):
    st[o] = 0.0
    window_max_reset(st, o + 1, length)
    window_max_reset(st, o + 1 + window_max_size(length), length)


@nb.njit(cache=True)
def donchian_update(st, o, high, low, length):
    i = st[o]
    st[o] = i + 1.0
    upper = window_max_push(st, o + 1, length, i, high)
    lower = -window_max_push(st, o + 1 + window_max_size(length), length, i, -low)
    # Warm-up length - 1, as TA-Lib MAX/MIN; an na high (low) in the window makes upper (lower) and middle na.
    return upper, (upper + lower) / 2.0, lower


# keltner: [ema block, atr block] -> (upper, middle, lower). The EMA (TA-Lib seeded) is ready after length - 1
# updates, the ATR (TA-Lib: no true range on the first bar) after `length`. All three outputs stay na until both
# are ready, so that the channel appears at once and the declared warm-up `length` holds for each output.
@nb.njit(cache=True)
def keltner_size(length):
    return ema_size(length) + atr_size(length)


@nb.njit(cache=True)
def keltner_reset(st, o, length):
    ema_reset(st, o, length)
    atr_reset(st, o + ema_size(length), length)


@nb.njit(cache=True)
def keltner_update(st, o, high, low, close, length, mult):
    middle = ema_update(st, o, close, length)
    atr = atr_update(st, o + ema_size(length), high, low, close, length)
    if math.isnan(atr):
        return NAN, NAN, NAN
    return middle + mult * atr, middle, middle - mult * atr
