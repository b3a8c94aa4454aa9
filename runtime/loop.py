"""What a strategy's generated backtest driver (runtime/driver.py) calls per event: the engine behind one call each.

For each market event the driver calls `on_bar`/`on_quote`/`on_trade`/`on_book` (the venue matches instrument k's
orders against it when this stream is k's matching stream, then marks k), then the strategy's step, then
`after_handler` with what the handler wrote (its log messages kept, its intents sent), then delivers the fills and
order events that are due to the strategy's handlers (`next_delivery`).
"""

from __future__ import annotations

from .engine_state import (E_EQ, E_EVENTS, E_FILLS, E_IV, E_LOG_TS, E_LOGS, I_CASCADE, I_CASCADE_AT,
                           I_LOGS_DROPPED, I_N_EQ, I_N_EVENTS, I_N_LOG, I_N_FILLS, I_N_ORDERS, I_N_ROWS, I_Q_TAIL, I_STATUS, MAX_CASCADE,
                           STATUS_RUNAWAY)
from .jit import hot
from .matching import match_bar, match_l1
from .ops import LOG_COUNT
from .orders import next_delivery
from .portfolio import sample
from .venue import advance, mark, quote, submit_intents

__all__ = ["on_bar", "on_quote", "on_trade", "on_book", "after_handler", "cascade", "buffers_full", "next_delivery",
           "sample", "advance"]


@hot
def on_bar(eng, ctx, k, ev, j, matches, t):
    if matches and eng[E_IV][I_N_ORDERS] > 0:
        match_bar(eng, ctx, k, ev[j]["open"], ev[j]["high"], ev[j]["low"], ev[j]["close"], t)
    mark(eng, ctx, k, ev[j]["close"], t)


@hot
def on_quote(eng, ctx, k, ev, j, matches, t):
    bid, ask = ev[j]["bid"], ev[j]["ask"]
    if matches:
        quote(eng, k, bid, ask, ev[j]["bid_size"], ev[j]["ask_size"])
        if eng[E_IV][I_N_ORDERS] > 0:
            match_l1(eng, ctx, k, bid, ask, ev[j]["bid_size"], ev[j]["ask_size"], t, -1, False)
    mark(eng, ctx, k, 0.5 * (bid + ask), t)


@hot
def on_trade(eng, ctx, k, ev, j, matches, t):
    p, size = ev[j]["price"], ev[j]["size"]
    if matches:
        quote(eng, k, p, p, size, size)
        if eng[E_IV][I_N_ORDERS] > 0:
            match_l1(eng, ctx, k, p, p, size, size, t, -1, False)
    mark(eng, ctx, k, p, t)


@hot
def on_book(eng, ctx, k, ev, j, matches, t):
    """A book update, matched at its top level (L1) until the venue models depth."""
    bid, ask = ev[j]["bid_price"][0], ev[j]["ask_price"][0]
    if matches:
        quote(eng, k, bid, ask, ev[j]["bid_size"][0], ev[j]["ask_size"][0])
        if eng[E_IV][I_N_ORDERS] > 0:
            match_l1(eng, ctx, k, bid, ask, ev[j]["bid_size"][0], ev[j]["ask_size"][0], t, -1, False)
    mark(eng, ctx, k, 0.5 * (bid + ask), t)


@hot
def after_handler(eng, ctx, out, n, logs, counters, t):
    """Keeps the log messages the handler wrote and sends its intents."""
    m = counters[LOG_COUNT]
    if m > 0:
        keep_logs(eng, logs, m, t)
        counters[LOG_COUNT] = 0
    if n > 0:
        submit_intents(eng, ctx, out, n, t)


@hot
def keep_logs(eng, logs, m, t):
    iv = eng[E_IV]
    kept = eng[E_LOGS]
    times = eng[E_LOG_TS]
    # The log count shares the equity sample count's chunk; messages past a full chunk are dropped, and counted.
    for r in range(m):
        at = iv[I_N_LOG]
        if at >= kept.shape[0]:
            iv[I_LOGS_DROPPED] += m - r
            return
        times[at] = t
        for c in range(min(logs.shape[1], kept.shape[1])):
            kept[at, c] = logs[r, c]
        iv[I_N_LOG] = at + 1


@hot
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


@hot
def buffers_full(eng):
    """True when the output buffers should be drained before the next event (and the delivery queue is empty, so
    no queued item points into them)."""
    iv = eng[E_IV]
    if iv[I_Q_TAIL] > 0:
        return False
    half = eng[E_FILLS].shape[0] // 2
    return (iv[I_N_FILLS] > half or iv[I_N_EVENTS] > eng[E_EVENTS].shape[0] // 2 or iv[I_N_ROWS] > half
            or iv[I_N_EQ] >= eng[E_EQ].shape[0] - 2 or iv[I_N_LOG] > eng[E_LOGS].shape[0] // 2)

