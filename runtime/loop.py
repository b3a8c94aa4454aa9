"""What a strategy's generated backtest driver (runtime/driver.py) calls per event.

Per market event the driver: matches instrument k's working orders against it (`engine(OP_MATCH_BAR, ...)` or
`OP_MATCH_BOOK` after `quote` and, for an order book, `levels`; only when there are orders), marks k (`mark`), delivers the fills and order events that are due
(`OP_NEXT_DELIVERY`, only when some are queued), runs the stream's handler, sends what it wrote
(`OP_AFTER_HANDLER`, only when it wrote something) and samples equity (`sample`).

`engine` is the one entry point: compiled once per install and called by symbol (runtime/jit.py), so a strategy's
driver does not compile the engine again. The small functions below it run on every event and are inlined into the
driver instead, where they cost no call.
"""

from __future__ import annotations

from . import execution, matching, orders, portfolio, venue
from .engine_state import (C_LIVE, E_CFG, E_EQ, E_EVENTS, E_FILLS, E_IV, E_LOG_TS, E_LOGS, I_CASCADE, I_CASCADE_AT, I_DONE_ROWS,
                           I_LOGS_DROPPED, I_N_EQ, I_N_EVENTS, I_N_FILLS, I_N_LOG, I_N_ROWS, I_Q_TAIL, I_STATUS,
                           MAX_CASCADE, STATUS_RUNAWAY)
from .engine_ref import load
from .jit import hot
from .ops import LOG_COUNT


# ---------------------------------------------------------------- the entry point, called by symbol
OP_MATCH_BAR = 0      # k; a, b, c, d = open, high, low, close
OP_MATCH_BOOK = 1     # k: against its book (E_BOOK), which `quote` and `levels` have set
OP_MARGIN_CALL = 2
OP_AFTER_HANDLER = 3  # n intents in `out`, log messages in `logs`
OP_NEXT_DELIVERY = 4  # returns the next due item, or -1
OP_ADVANCE = 5
OP_VENUE_REPORT = 6   # live: n the report's kind, k the order's seq, a..d its values (runtime/execution.py)


@hot(boundary=True)
def engine(op, ep, ctx, out, n, logs, counters, k, a, b, c, d, t):
    """Everything the driver asks of the engine that is more than a few instructions, behind one function: it is
    compiled once (per install) and called by symbol, so the engine's code exists once however many paths use it.
    `ep`: the engine by reference (runtime/engine_ref.py)."""
    eng = load(ep)
    if op <= OP_MATCH_BOOK and eng[E_CFG][C_LIVE] == 1.0:
        return 0  # live, a real venue matches the orders
    if op == OP_MATCH_BAR:
        matching.match_bar(ep, ctx, k, a, b, c, d, t)
    elif op == OP_MATCH_BOOK:
        matching.match_book(ep, ctx, k, t, -1, False)
    elif op == OP_MARGIN_CALL:
        venue.margin_call(ep, ctx, t)
    elif op == OP_AFTER_HANDLER:
        m = counters[LOG_COUNT]
        if m > 0:
            keep_logs(ep, logs, m, t)
            counters[LOG_COUNT] = 0
        if n > 0:
            venue.submit_intents(ep, ctx, out, n, t)
    elif op == OP_NEXT_DELIVERY:
        return orders.next_delivery(ep, t)
    elif op == OP_ADVANCE:
        venue.advance(ep, ctx, t)
    elif op == OP_VENUE_REPORT:
        return execution.report(ep, ctx, n, k, a, b, c, d, t)
    if eng[E_IV][I_DONE_ROWS] > 0:  # drop finished orders: `iv[I_N_ORDERS] > 0` then means open orders
        orders.compact(ep)
    return 0


# ---------------------------------------------------------------- small, linked into the driver
@hot(inline="always")
def mark(eng, ctx, k, price, t):
    """Marks instrument k; True when it is traded on margin and the driver must ask for OP_MARGIN_CALL."""
    return venue.mark(eng, ctx, k, price, t)


@hot(inline="always")
def quote(eng, k, bid, ask, bid_size, ask_size):
    venue.quote(eng, k, bid, ask, bid_size, ask_size)


@hot(inline="always")
def levels(eng, k, bid, bid_size, ask, ask_size):
    venue.levels(eng, k, bid, bid_size, ask, ask_size)


@hot(inline="always")
def sample(eng, ctx, records, k, t):
    portfolio.sample(eng, ctx, records, k, t)


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
def keep_logs(ep, logs, m, t):
    eng = load(ep)
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


def preload(state, ctx, out, eng, counters_index: int, logs_index: int) -> str:
    """Loads (or compiles) the engine for these argument types before a driver runs, and returns the symbol the
    driver's machine code calls it by: a driver cached against another symbol (the engine's cache was rewritten,
    say by another process compiling it) must be compiled again (runtime/driver.py keys it by the symbol)."""
    from numba import typeof, types

    i64, f64 = types.int64, types.float64
    state_t = typeof(state)
    signature = (i64, types.CPointer(typeof(eng)), typeof(ctx), typeof(out), i64, state_t[logs_index], state_t[counters_index],
                 i64, f64, f64, f64, f64, i64)
    engine.compile(signature)
    return engine.overloads[signature].fndesc.mangled_name
