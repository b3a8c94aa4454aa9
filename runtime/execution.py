"""What a real venue reports about the strategy's orders, applied to the engine: the live counterpart of the
simulated venue (runtime/venue.py), compiled and reached through the engine's entry point (runtime/loop.py).

Live, the engine decides and the venue executes: an order that passed the risk engine waits in the table
(ST_PENDING) while the scheduler sends it, and a cancel is a request (an `pending_cancel` event). From then on the
venue's word is the truth: its acknowledgement, its fills at its prices and fees, its cancel or rejection change the
order table, the portfolio and the logs through the same functions the simulated venue uses, and queue the same
fill and order events for the strategy's handlers.
"""

from __future__ import annotations

from .engine_state import E_IV, E_ORDERS, I_DONE_ROWS, I_N_ORDERS, ST_DONE, ST_PENDING, ST_WORKING
from .events import NO_REASON, ORDER_ACCEPTED, ORDER_EXPIRED, ORDER_REJECTED
from .engine_ref import load
from .jit import hot
from .orders import book_fill, canceled, compact, finish, log_event, next_action

REPORT_ACCEPTED = 0
REPORT_REJECTED = 1  # d: the reason code (events.REASON), `venue` when the venue gave none we know
REPORT_FILL = 2      # a: quantity, b: price, c: fee (in the instrument's currency), d: 1 when the order was maker
REPORT_CANCELED = 3
REPORT_EXPIRED = 4
REPORT_NAMES = ("accepted", "rejected", "fill", "canceled", "expired")


@hot(inline="always")
def row_of(eng, seq):
    """The open order row with this sequence number, or -1."""
    orders = eng[E_ORDERS]
    for j in range(eng[E_IV][I_N_ORDERS]):
        if orders[j]["seq"] == seq and orders[j]["status"] != ST_DONE:
            return j
    return -1


@hot
def report(ep, ctx, kind, seq, a, b, c, d, t):
    """Applies one report of the venue about order `seq` at time t. Returns the order's row, or -1 when no open
    order has that number (the scheduler tells the user: a report about an order this run did not send, or one
    already finished)."""
    eng = load(ep)
    j = row_of(eng, seq)
    if j < 0:
        return -1
    o = eng[E_ORDERS][j]
    if kind == REPORT_REJECTED:
        finish(eng, ctx, j)
        log_event(ep, j, ORDER_REJECTED, int(d), t)
    elif kind == REPORT_CANCELED:
        canceled(ep, ctx, j, NO_REASON, t)
    elif kind == REPORT_EXPIRED:
        finish(eng, ctx, j)
        log_event(ep, j, ORDER_EXPIRED, NO_REASON, t)
    else:
        if o["status"] == ST_PENDING:  # a fill may be the first the venue says of an order
            o["status"] = ST_WORKING
            o["ts_active"] = t
            log_event(ep, j, ORDER_ACCEPTED, NO_REASON, t)
        if kind == REPORT_FILL and a > 0.0:
            book_fill(ep, ctx, j, a, b, c, d == 1.0, t)
    if eng[E_IV][I_DONE_ROWS] > 0:
        compact(ep)
    next_action(ep)
    return j
