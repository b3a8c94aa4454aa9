"""Kernels of the series helpers (signatures: nts.stdlib.series_helpers).

Bool results (crossover, crossunder, rising, falling) come back as float64 1.0 (true) / 0.0 (false), never NaN: a bool
has no na, and every comparison with na is false (as the language's `<`, `>`, and Pine's ta.crossover). So during
their declared warm-up these return 0.0 (false), not na: the warm-up count is the number of leading updates on which
they cannot be true.

Bool inputs (`cond`) may come as bool or as float64 1.0/0.0; an na (NaN) condition counts as false.
"""

import math


from ...runtime.jit import hot

from .ring import ring_count, ring_get, ring_push, ring_reset, ring_size

NAN = float("nan")


@hot
def _truthy(c):
    # `c == c` is false for NaN only, so an na condition is false; works for bool and float alike (a bare
    # `if c:` would take NaN as true).
    return c == c and c != 0


# crossover / crossunder: [previous a, previous b]
@hot
def crossover_size():
    return 2


@hot
def crossover_reset(st, o):
    st[o] = NAN
    st[o + 1] = NAN


@hot
def crossover_update(st, o, a, b):
    pa, pb = st[o], st[o + 1]
    st[o], st[o + 1] = a, b
    # Any NaN makes a comparison false, so na now or before (the first update included) gives false.
    return 1.0 if (a > b and pa <= pb) else 0.0


crossunder_size = crossover_size
crossunder_reset = crossover_reset


@hot
def crossunder_update(st, o, a, b):
    pa, pb = st[o], st[o + 1]
    st[o], st[o + 1] = a, b
    return 1.0 if (a < b and pa >= pb) else 0.0


# change: ring(length) of the last `length` values; the value pushed out is source[length].
@hot
def change_size(length):
    return ring_size(length)


@hot
def change_reset(st, o, length):
    ring_reset(st, o, length)


@hot
def change_update(st, o, x, length):
    old = ring_push(st, o, length, x)  # NaN while the ring fills: na for the first `length` updates
    return x - old  # na in either gives na


# cum: [sum]. na values are skipped, so the sum before any value is 0 (the empty sum), not na: warm-up 0.
@hot
def cum_size():
    return 1


@hot
def cum_reset(st, o):
    st[o] = 0.0


@hot
def cum_update(st, o, x):
    if not math.isnan(x):
        st[o] += x
    return st[o]


# rising / falling: [previous, run], where run counts the consecutive updates on which the source rose (fell)
# strictly. True when run >= length: x > x[1] > ... > x[length]. An na (now or before) breaks the run, so after an
# na it takes `length` further updates with real rises to be true again. Note: Pine's ta.rising compares x only with
# each of x[1..length] (x > max of them); this follows the NTS doc, a rise on each update.
@hot
def rising_size(length):
    return 2


@hot
def rising_reset(st, o, length):
    st[o] = NAN
    st[o + 1] = 0.0


@hot
def rising_update(st, o, x, length):
    prev = st[o]
    st[o] = x
    st[o + 1] = st[o + 1] + 1.0 if x > prev else 0.0
    return 1.0 if st[o + 1] >= length else 0.0


falling_size = rising_size
falling_reset = rising_reset


@hot
def falling_update(st, o, x, length):
    prev = st[o]
    st[o] = x
    st[o + 1] = st[o + 1] + 1.0 if x < prev else 0.0
    return 1.0 if st[o + 1] >= length else 0.0


# barssince: [updates since cond was last true, -1 while never]
@hot
def barssince_size():
    return 1


@hot
def barssince_reset(st, o):
    st[o] = -1.0


@hot
def barssince_update(st, o, cond):
    if _truthy(cond):
        st[o] = 0.0
    elif st[o] >= 0.0:
        st[o] += 1.0
    return st[o]


# valuewhen: ring(occurrence + 1) of the source's values on the updates where cond was true. The current update
# counts (occurrence 0 on a true update is the current source), as Pine's ta.valuewhen. An na source on a true
# update is remembered as na.
@hot
def valuewhen_size(occurrence):
    return ring_size(occurrence + 1)


@hot
def valuewhen_reset(st, o, occurrence):
    ring_reset(st, o, occurrence + 1)


@hot
def valuewhen_update(st, o, cond, source, occurrence):
    n = occurrence + 1
    if _truthy(cond):
        ring_push(st, o, n, source)
    if ring_count(st, o) < n:
        return NAN  # fewer than occurrence + 1 true updates so far
    return ring_get(st, o, n, occurrence)
