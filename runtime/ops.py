"""The operations generated strategy code calls, where an operator alone would not give the language's semantics.

Values in compiled code: float, int and bool numbers are float64 (ints are exact to 2**53; an int is never na),
bools are Python bools, timestamps and durations are int64 nanoseconds, strings are int ids (a tag, a choice, an
order reason). na is NaN.

Defined results instead of crashes (docs/language.md, "Run-time semantics"):
- `/`, `//`, `%` by zero: na for a float result, 0 for an int or duration result; each counts a DIV_ZERO warning.
- an int made from na or an infinity (`floor`, `ceil`, `int`, a history read of an int series): 0, NA_TO_INT warning.
- a var array index outside the array: the read is na (0 for ints, false for bools), the write is dropped,
  INDEX_RANGE warning.
- an order whose quantity or a price is na: not sent, NA_ORDER warning.
- `sqrt`/`log` outside their domain, `**` with a negative base and a fractional exponent: na.

A warning is counted in the `counters` state array with the site of its first occurrence; the loader reports it at
the .nts line and column (the manifest's `sites`).
"""

from __future__ import annotations

import math

import numpy as np

from .jit import hot

NAN = float("nan")
INF = float("inf")

# counters[]: the next client order sequence number, the number of log rows written since the runtime last
# drained them, then per warning kind a count and the site of its first occurrence.
SEQ = 0
LOG_COUNT = 1
WARN_BASE = 2
DIV_ZERO = 0
NA_TO_INT = 1
INDEX_RANGE = 2
NA_ORDER = 3
LOG_FULL = 4
WARNING_KINDS = ("division by zero", "na or infinity converted to int", "array index out of range",
                 "order with an na quantity or price not sent", "log buffer full, message dropped")
N_COUNTERS = WARN_BASE + 2 * len(WARNING_KINDS)

EXP_MAX = 709.782712893384  # math.exp overflows above this


@hot
def warn(counters, kind, site):
    j = WARN_BASE + 2 * kind
    counters[j] += 1
    if counters[j] == 1:
        counters[j + 1] = site


# ---------------------------------------------------------------- arithmetic
@hot
def div(a, b, counters, site):
    """`a / b` with a float result."""
    if b == 0:
        warn(counters, DIV_ZERO, site)
        return NAN
    return a / b


@hot
def floordiv(a, b, counters, site):
    """`a // b` of numbers; ints are float64 here, and an int result of a division by zero is 0."""
    if b == 0:
        warn(counters, DIV_ZERO, site)
        return NAN
    return a // b


@hot
def floordiv_int(a, b, counters, site):
    if b == 0:
        warn(counters, DIV_ZERO, site)
        return 0.0
    return a // b


@hot
def mod(a, b, counters, site):
    if b == 0:
        warn(counters, DIV_ZERO, site)
        return NAN
    return a % b


@hot
def mod_int(a, b, counters, site):
    if b == 0:
        warn(counters, DIV_ZERO, site)
        return 0.0
    return a % b


@hot
def power(a, b):
    """`a ** b` as IEEE pow, without Python's complex results and overflow errors."""
    if a != a or b != b:
        return NAN
    if a < 0 and b != math.floor(b):
        return NAN
    if a == 0 and b < 0:
        return INF
    if a != 0 and abs(a) != INF and abs(b) != INF and b * math.log(abs(a)) > EXP_MAX:
        odd = a < 0 and b % 2 == 1
        return -INF if odd else INF
    return math.pow(a, b)


# ---------------------------------------------------------------- durations (int64 ns)
@hot
def whole_ns(v):
    """A float number of nanoseconds as a duration, truncated towards zero (0 for na or out of range)."""
    if v != v or abs(v) > 9.2e18:
        return np.int64(0)
    return np.int64(int(v))


@hot
def dur_scale(d, x):
    """A duration times a number."""
    return whole_ns(float(d) * x)


@hot
def dur_div(d, x, counters, site):
    """A duration divided by a number."""
    if x == 0:
        warn(counters, DIV_ZERO, site)
        return np.int64(0)
    return whole_ns(float(d) / x)


@hot
def dur_ratio(a, b, counters, site):
    """duration / duration: a float."""
    if b == 0:
        warn(counters, DIV_ZERO, site)
        return NAN
    return float(a) / float(b)


@hot
def dur_floordiv(a, b, counters, site):
    """duration // duration: an int (float64 here)."""
    if b == 0:
        warn(counters, DIV_ZERO, site)
        return 0.0
    return float(a // b)


@hot
def dur_mod(a, b, counters, site):
    if b == 0:
        warn(counters, DIV_ZERO, site)
        return np.int64(0)
    return a % b


# ---------------------------------------------------------------- conversions
@hot
def int_of(x, counters, site):
    """A value read into an int: na and infinities become 0 (ints have no na)."""
    if x != x or x == INF or x == -INF:
        warn(counters, NA_TO_INT, site)
        return 0.0
    return x


@hot
def trunc(x, counters, site):
    """`int(x)`: truncated towards zero; 0 for na."""
    return np.trunc(int_of(x, counters, site))


@hot
def floor(x, counters, site):
    # np.floor stays a float: math.floor would go through an int64, which overflows past 2**63.
    return np.floor(int_of(x, counters, site))


@hot
def ceil(x, counters, site):
    return np.ceil(int_of(x, counters, site))


@hot
def int_or_zero(x):
    """An int read from state that may not be written yet (NaN): 0. Not a warning: history before the data."""
    return x if x == x else 0.0


# ---------------------------------------------------------------- pure stdlib math
@hot
def minimum(a, b):
    if a != a or b != b:
        return NAN
    return a if a <= b else b


@hot
def maximum(a, b):
    if a != a or b != b:
        return NAN
    return a if a >= b else b


@hot
def clamp(x, lo, hi):
    return minimum(maximum(x, lo), hi)


@hot
def sign(x):
    if x != x:
        return NAN
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


@hot
def sqrt(x):
    return math.sqrt(x) if x >= 0 else NAN


@hot
def ln(x):
    return math.log(x) if x > 0 else NAN


@hot
def log10(x):
    return math.log10(x) if x > 0 else NAN


@hot
def exp(x):
    if x != x:
        return NAN
    return INF if x > EXP_MAX else math.exp(x)


@hot
def round_half_away(x, decimals):
    if x != x or abs(x) == INF:
        return x
    m = 10.0 ** decimals
    r = math.floor(abs(x) * m + 0.5) / m
    return -r if x < 0 else r


@hot
def round_to(x, increment):
    if increment == 0 or increment != increment:
        return x
    return round_half_away(x / increment, 0) * increment


@hot
def nz(x, replacement):
    return replacement if x != x else x


# ---------------------------------------------------------------- state: rings and arrays
@hot
def ring_push(arr, ring_pos, r, base, size, v):
    p = ring_pos[r] + 1
    if p == size:
        p = 0
    ring_pos[r] = p
    arr[base + p] = v


@hot
def ring_get(arr, ring_pos, r, base, size, k, missing, counters, site):
    """The value `k` updates back, for a `k` computed at run time (its static bound is below `size`)."""
    j = int(k)
    if j < 0 or j >= size:
        warn(counters, INDEX_RANGE, site)
        return missing
    return arr[base + (ring_pos[r] - j) % size]


@hot
def element(arr, base, size, k, missing, counters, site):
    """`buf[k]` of a var array."""
    j = int(k) if k == k else -1
    if j < 0 or j >= size:
        warn(counters, INDEX_RANGE, site)
        return missing
    return arr[base + j]


@hot
def set_element(arr, base, size, k, v, counters, site):
    j = int(k) if k == k else -1
    if j < 0 or j >= size:
        warn(counters, INDEX_RANGE, site)
        return
    arr[base + j] = v


@hot
def fill(arr, base, size, v):
    for j in range(size):
        arr[base + j] = v


@hot
def copy_levels(arr, base, depth, levels, filled):
    """A book side's level values into the latest-data slots; levels past `filled` are na."""
    n = min(int(filled), depth, levels.shape[0])
    for j in range(depth):
        arr[base + j] = levels[j] if j < n else NAN


@hot
def level(arr, base, depth, k, counters, site):
    """A book level read with a level computed at run time; beyond the subscribed depth it is na."""
    j = int(k) if k == k else -1
    if j < 0 or j >= depth:
        return NAN
    return arr[base + j]


# ---------------------------------------------------------------- intents and logs
@hot
def emit(out, k, counters, site, need, line, action=0, instrument=-1, side=0, qty=NAN, order_type=0, price=NAN,
         trigger=NAN, trail=NAN, trail_unit=0, tif=0, expire_after=0, flags=0, stop_loss=NAN, take_profit=NAN,
         tag=-1, oco=-1):
    """Writes intent `k` and returns the next free index. `need` says which values the intent must have: an intent
    with an na quantity or price (bits: 1 qty, 2 price, 4 trigger, 8 trail, 16 stop loss, 32 take profit) is not
    written, and counts an NA_ORDER warning."""
    if (need & 1 and qty != qty) or (need & 2 and price != price) or (need & 4 and trigger != trigger) \
            or (need & 8 and trail != trail) or (need & 16 and stop_loss != stop_loss) \
            or (need & 32 and take_profit != take_profit):
        warn(counters, NA_ORDER, site)
        return k
    rec = out[k]
    rec["action"] = action
    rec["instrument"] = instrument
    rec["side"] = side
    rec["qty"] = qty
    rec["order_type"] = order_type
    rec["price"] = price
    rec["trigger"] = trigger
    rec["trail"] = trail
    rec["trail_unit"] = trail_unit
    rec["tif"] = tif
    rec["expire_after"] = expire_after
    rec["flags"] = flags
    rec["stop_loss"] = stop_loss
    rec["take_profit"] = take_profit
    rec["tag"] = tag
    rec["oco"] = oco
    rec["seq"] = counters[SEQ]
    rec["source_line"] = line
    counters[SEQ] += 1
    return k + 1


@hot
def log_row(logs, counters, template, site):
    """The row of a new log message (template id in column 0), or -1 when the buffer is full."""
    j = counters[LOG_COUNT]
    if j >= logs.shape[0]:
        warn(counters, LOG_FULL, site)
        return -1
    counters[LOG_COUNT] = j + 1
    logs[j, 0] = template
    return j


# ---------------------------------------------------------------- calendar
NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND


@hot
def local_time(t, transitions, offsets):
    """`t` (UTC ns) shifted to local time by a zone's table: offsets[i] applies from transitions[i] on."""
    if transitions.shape[0] == 0:
        return t
    i = np.searchsorted(transitions, t, side="right") - 1
    if i < 0:
        i = 0
    return t + offsets[i]


@hot
def civil(t):
    """(year, month, day) of a local ns timestamp (Howard Hinnant's days-to-civil algorithm)."""
    z = t // NS_PER_DAY + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


@hot
def year(t):
    return float(civil(t)[0])


@hot
def month(t):
    return float(civil(t)[1])


@hot
def dayofmonth(t):
    return float(civil(t)[2])


@hot
def dayofweek(t):
    """0 = Monday; 1970-01-01 was a Thursday."""
    return float((t // NS_PER_DAY + 3) % 7)


@hot
def time_of_day(t):
    return t % NS_PER_DAY


@hot
def hour(t):
    return float(time_of_day(t) // (3600 * NS_PER_SECOND))


@hot
def minute(t):
    return float(time_of_day(t) // (60 * NS_PER_SECOND) % 60)


@hot
def second(t):
    return float(time_of_day(t) // NS_PER_SECOND % 60)


def zone_table(name: str, first_year: int = 1970, last_year: int = 2100) -> tuple[np.ndarray, np.ndarray]:
    """A zone's UTC offsets as (transition instants, offsets), both int64 ns, for `local_time`. Built once at compile
    time from the IANA database; UTC gives empty arrays."""
    if name in ("UTC", "Etc/UTC", ""):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(name)

    def offset(seconds: int) -> int:
        return int(datetime.fromtimestamp(seconds, tz=timezone.utc).astimezone(zone).utcoffset().total_seconds())

    start = int(datetime(first_year, 1, 1, tzinfo=timezone.utc).timestamp())
    end = int(datetime(last_year, 1, 1, tzinfo=timezone.utc).timestamp())
    instants, offsets = [start], [offset(start)]
    step = 86400  # zones change offset a few times a year at most, never twice within a day
    t = start
    while t < end:
        nxt = t + step
        if offset(nxt) != offsets[-1]:
            lo, hi = t, nxt  # offset(lo) == current, offset(hi) != current: find the first second that differs
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(mid) == offsets[-1]:
                    lo = mid
                else:
                    hi = mid
            instants.append(hi)
            offsets.append(offset(hi))
        t = nxt
    instants[0] = -(2**62) // NS_PER_SECOND  # the first offset applies to everything before too
    return (np.array(instants, np.int64) * NS_PER_SECOND, np.array(offsets, np.int64) * NS_PER_SECOND)
