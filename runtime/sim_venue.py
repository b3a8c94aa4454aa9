"""The backtest's matching engine as a stand-alone venue: the local venue simulator (adapters/binance_sim.py) keeps
its order book of client orders in an engine's order table and matches them with runtime/matching.py against the
market data it replays, so a live run against the simulator fills as a backtest fills.

Each function is one venue action at time t on instrument k; what it did is in the engine's logs (fills, order
events), which the simulator reads and turns into its wire protocol's reports.
"""

from __future__ import annotations

import math

import numpy as np

from . import engine_state as es
from .engine_state import E_IV, I_DONE_ROWS
from .events import NO_REASON, ORDER_SUBMITTED
from .execution import row_of
from .intents import NO_ID
from .engine_ref import by_ref
from .jit import hot
from .matching import match_bar, match_book
from .orders import canceled, compact, log_event, new_row, next_action, open_count
from .venue import arrive, mark, quote


@hot
def submit(eng, ctx, k, side, qty, order_type, price, trigger, trail, trail_unit, tif, flags, seq, t,
           stop_loss=math.nan, take_profit=math.nan):
    """A new order reaches the venue: accepted (or rejected), and matched at once against the current book.
    `trail`, `trail_unit`: a trailing stop's distance (NaN for other orders). `stop_loss`, `take_profit`: the exits
    the order opens when it fills, one cancelling the other (an order list's pending orders; NaN: none). Returns
    its row, or -1 when the order table is full."""
    ep = by_ref(eng)
    j = new_row(ep, seq, k, side, qty, order_type, price, trigger, trail, trail_unit, tif, es.NO_TIME, flags, NO_ID,
                NO_ID, -1, stop_loss, take_profit, -1, t)
    if j < 0:
        return -1
    open_count(ctx, k, 1.0)
    log_event(ep, j, ORDER_SUBMITTED, NO_REASON, t)
    arrive(ep, ctx, j, t)
    if eng[E_IV][I_DONE_ROWS] > 0:
        compact(ep)
    return j


@hot
def cancel(eng, ctx, seq, t):
    """Cancels open order `seq`; False when there is none (unknown, or already filled or canceled)."""
    ep = by_ref(eng)
    j = row_of(eng, seq)
    if j < 0:
        return False
    canceled(ep, ctx, j, NO_REASON, t)
    compact(ep)
    return True


@hot
def book(eng, ctx, k, bid, bid_size, ask, ask_size, t):
    """The best bid and offer of instrument k changed: resting orders that cross them fill."""
    ep = by_ref(eng)
    quote(eng, k, bid, ask, bid_size, ask_size)
    mark(eng, ctx, k, 0.5 * (bid + ask), t)
    if eng[E_IV][es.I_N_ORDERS] > 0:
        match_book(ep, ctx, k, t, -1, False)
        if eng[E_IV][I_DONE_ROWS] > 0:
            compact(ep)
    next_action(ep)


@hot
def bar(eng, ctx, k, open_, high, low, close, t):
    """Instrument k's bar closed: resting orders are walked along its path (runtime/matching.py), as a backtest
    walks them, and the bar's close marks k. An order arriving until the next bar waits for it."""
    ep = by_ref(eng)
    if eng[E_IV][es.I_N_ORDERS] > 0:
        match_bar(ep, ctx, k, open_, high, low, close, t)
        if eng[E_IV][I_DONE_ROWS] > 0:
            compact(ep)
    mark(eng, ctx, k, close, t)
    next_action(ep)


def new_venue(spec_rows: np.ndarray, max_orders: int = 1 << 14, bars: np.ndarray | None = None) -> tuple:
    """An engine for the simulator: every instrument matched on its quotes (or on its bars where `bars[k]`),
    sizes respected, prices and quantities checked against the grid (not rounded: a real venue rejects them)."""
    n = spec_rows.shape[0]
    modes = np.full(n, es.MODE_QUOTES, np.float64)
    if bars is not None:
        modes[np.asarray(bars, bool)] = es.MODE_BARS
    cfg = np.zeros(es.CFG_COLS)
    cfg[es.C_TOUCH_PROB] = 1.0
    cfg[es.C_L1_SIZE] = 1.0
    limits = np.zeros(es.LIMIT_COLS)
    from .ops import zone_table
    return es.new_engine(spec_rows, modes, cfg, limits, zone_table("UTC"), 0, 2, 0,
                         chunk=1 << 12, max_orders=max_orders)
