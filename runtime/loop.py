"""What a strategy's generated backtest driver (runtime/driver.py) calls per event.

Per market event the driver: matches instrument k's working orders against it (`match_bar`, `match_l1`; only when
there are orders), marks k (`mark`), delivers the fills and order events that are due (`next_delivery`, only when
some are queued), runs the stream's handler, sends what it wrote (`after_handler`, only when it wrote something) and
samples equity (`sample`).

The functions marked `boundary` are the engine's entry points: compiled once per install and called by symbol
(runtime/jit.py), so a strategy's driver does not compile the engine again. The small ones run on every event and
are linked into the driver instead, where they cost no call.
"""

from __future__ import annotations

from . import matching, orders, portfolio, venue
from .engine_state import (E_EQ, E_EVENTS, E_FILLS, E_IV, E_LOG_TS, E_LOGS, I_CASCADE, I_CASCADE_AT, I_DONE_ROWS,
                           I_LOGS_DROPPED, I_N_EQ, I_N_EVENTS, I_N_FILLS, I_N_LOG, I_N_ROWS, I_Q_TAIL, I_STATUS,
                           MAX_CASCADE, STATUS_RUNAWAY)
from .jit import hot
from .ops import LOG_COUNT


# ---------------------------------------------------------------- entry points, called by symbol
@hot(boundary=True)
def match_bar(eng, ctx, k, open_, high, low, close, t):
    matching.match_bar(eng, ctx, k, open_, high, low, close, t)
    tidy(eng)


@hot(boundary=True)
def match_l1(eng, ctx, k, bid, ask, bid_size, ask_size, t):
    matching.match_l1(eng, ctx, k, bid, ask, bid_size, ask_size, t, -1, False)
    tidy(eng)


@hot(inline="always")
def tidy(eng):
    """Drops finished orders, so that the driver's `iv[I_N_ORDERS] > 0` means open orders."""
    if eng[E_IV][I_DONE_ROWS] > 0:
        orders.compact(eng)


@hot(boundary=True)
def margin_call(eng, ctx, t):
    venue.margin_call(eng, ctx, t)


@hot(boundary=True)
def after_handler(eng, ctx, out, n, logs, counters, t):
    """Keeps the log messages the handler wrote and sends its intents."""
    m = counters[LOG_COUNT]
    if m > 0:
        keep_logs(eng, logs, m, t)
        counters[LOG_COUNT] = 0
    if n > 0:
        venue.submit_intents(eng, ctx, out, n, t)
    tidy(eng)


@hot(boundary=True)
def next_delivery(eng, t):
    return orders.next_delivery(eng, t)


@hot(boundary=True)
def advance(eng, ctx, t):
    venue.advance(eng, ctx, t)


# ---------------------------------------------------------------- small, linked into the driver
@hot(inline="always")
def mark(eng, ctx, k, price, t):
    if venue.mark(eng, ctx, k, price, t):
        margin_call(eng, ctx, t)


@hot(inline="always")
def quote(eng, k, bid, ask, bid_size, ask_size):
    venue.quote(eng, k, bid, ask, bid_size, ask_size)


@hot(inline="always")
def sample(eng, ctx, records, t):
    portfolio.sample(eng, ctx, records, t)


@hot(inline="always")
def queued(eng):
    return eng[E_IV][I_Q_TAIL] > 0


@hot(inline="always")
def cascade(eng, t):
    """Counts a handler call made in answer to a fill or order event; True once a run has made MAX_CASCADE of them
    at one instant (a strategy answering its own events forever)."""
    iv = eng[E_IV]
    if iv[I_CASCADE_AT] != t:
        iv[I_CASCADE_AT] = t
        iv[I_CASCADE] = 0
    iv[I_CASCADE] += 1
    if iv[I_CASCADE] > MAX_CASCADE:
        iv[I_STATUS] = STATUS_RUNAWAY
        return True
    return False


@hot(inline="always")
def buffers_full(eng):
    """True when the output buffers should be drained before the next event (and the delivery queue is empty, so
    no queued item points into them)."""
    iv = eng[E_IV]
    if iv[I_Q_TAIL] > 0:
        return False
    half = eng[E_FILLS].shape[0] // 2
    return (iv[I_N_FILLS] > half or iv[I_N_EVENTS] > eng[E_EVENTS].shape[0] // 2 or iv[I_N_ROWS] > half
            or iv[I_N_EQ] >= eng[E_EQ].shape[0] - 2 or iv[I_N_LOG] > eng[E_LOGS].shape[0] // 2)


@hot
def keep_logs(eng, logs, m, t):
    iv = eng[E_IV]
    kept = eng[E_LOGS]
    times = eng[E_LOG_TS]
    for r in range(m):
        at = iv[I_N_LOG]
        if at >= kept.shape[0]:
            iv[I_LOGS_DROPPED] += m - r
            return
        times[at] = t
        for c in range(min(logs.shape[1], kept.shape[1])):
            kept[at, c] = logs[r, c]
        iv[I_N_LOG] = at + 1


def preload(state, ctx, out, eng, counters_index: int, logs_index: int) -> None:
    """Loads (or compiles) the entry points for these argument types before a driver runs: its cached machine code
    calls them by symbol."""
    from numba import typeof, types

    i64, f64 = types.int64, types.float64
    e, c, o = typeof(eng), typeof(ctx), typeof(out)
    state_t = typeof(state)
    match_bar.compile((e, c, i64, f64, f64, f64, f64, i64))
    match_l1.compile((e, c, i64, f64, f64, f64, f64, i64))
    margin_call.compile((e, c, i64))
    after_handler.compile((e, c, o, i64, state_t[logs_index], state_t[counters_index], i64))
    next_delivery.compile((e, i64))
    advance.compile((e, c, i64))
