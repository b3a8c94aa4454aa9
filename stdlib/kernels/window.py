"""The extreme of a sliding window in amortised O(1), laid out in a state block: the one mechanism behind
highest, lowest, donchian, stoch, stochrsi, willr and aroon."""

import math


from ...runtime.jit import hot

NAN = float("nan")


# A monotonic deque, [head, size, values(cap), seqs(cap)]: a ring of (value, sequence number) pairs, oldest
# first. Each pushed value drops the pairs at the back that it dominates, so the values run strictly down (max) or
# up (min) from the front, and the front is the window's extreme; among equal values only the newest stays (TA-Lib
# AROON counts from the most recent extreme). Each value is pushed and popped at most once. An na (NaN) dominates
# everything, so the extreme is na while an na is in the window, and right again once it leaves (a NaN that
# nothing could pop would otherwise shield older values from newer, larger ones, and give a wrong extreme).
@hot
def window_size(cap):
    return 2 + 2 * cap


@hot
def window_reset(st, o, cap):
    for i in range(window_size(cap)):
        st[o + i] = 0.0


@hot
def window_push(st, o, cap, x, seq, is_max):
    """Push `x`, numbered `seq` (one more than the last push), into a window of the last `cap` pushes; returns the
    window's extreme and its sequence number."""
    head = int(st[o])
    size = int(st[o + 1])
    values = o + 2
    seqs = o + 2 + cap
    # Sequence numbers grow by one per push, so at most the front one leaves the window, and then there is room.
    if size > 0 and st[seqs + head] <= seq - cap:
        head = (head + 1) % cap
        size -= 1
    while size > 0:
        back = (head + size - 1) % cap
        if math.isnan(x) or ((st[values + back] <= x) if is_max else (st[values + back] >= x)):
            size -= 1
        else:
            break
    tail = (head + size) % cap
    st[values + tail] = x
    st[seqs + tail] = seq
    st[o] = head
    st[o + 1] = size + 1
    return st[values + head], st[seqs + head]


# A counted window: [count, window(n)]; its extreme is na until `n` values are in (TA-Lib MAX / MIN).
@hot
def extreme_size(n):
    return 1 + window_size(n)


@hot
def extreme_reset(st, o, n):
    st[o] = 0.0
    window_reset(st, o + 1, n)


@hot
def extreme_count(st, o):
    return st[o]


@hot
def extreme_push(st, o, n, x, is_max):
    """Push `x`; returns the highest (is_max) or lowest of the last `n` values, na before `n` values."""
    seq = st[o]
    st[o] = seq + 1
    value, _ = window_push(st, o + 1, n, x, seq, is_max)
    return value if seq + 1 >= n else NAN
