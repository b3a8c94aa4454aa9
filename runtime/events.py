"""Event records: what the schedulers feed a compiled strategy, in backtest and live alike.

Every event is one record of a numpy structured dtype. All start with `ts_event` (when it happened at the venue;
for a bar, the bar's close time) and `ts_recv` (when it reached us), int64 nanoseconds UTC. A compiled handler is
called with an array of records and the index of the one to handle: `handler(events, i, state, ctx, out)`.

Strings never travel in an event: a tag is an index into the strategy's tag table (NO_ID when untagged), an order
event's reason an index into `ORDER_REASONS`.
"""

from __future__ import annotations

import numpy as np

_HEAD = [("ts_event", np.int64), ("ts_recv", np.int64), ("instrument", np.int32)]

BAR_DTYPE = np.dtype(_HEAD + [("open", np.float64), ("high", np.float64), ("low", np.float64),
                              ("close", np.float64), ("volume", np.float64)])

QUOTE_DTYPE = np.dtype(_HEAD + [("bid", np.float64), ("ask", np.float64), ("bid_size", np.float64),
                                ("ask_size", np.float64)])

# aggressor: 1 buyer, -1 seller, 0 unknown.
TRADE_DTYPE = np.dtype(_HEAD + [("price", np.float64), ("size", np.float64), ("aggressor", np.int8)])

# An L3 (`book mbo`) subscription is read through the same level view, aggregated to this many levels.
MBO_LEVELS = 50


def book_dtype(depth: int) -> np.dtype:
    """An order book snapshot of `depth` levels a side, best first; `levels` is how many are filled."""
    return np.dtype(_HEAD + [("levels", np.int32)] + [
        (f"{side}_{what}", np.float64, (depth,)) for side in ("bid", "ask") for what in ("price", "size", "orders")])


# One L3 (market-by-order) book event as a venue sends it. action: ord() of Databento's letter (A add, C cancel,
# M modify, R clear, T trade, F fill); side: 1 bid, -1 ask, 0 none. MBO events are in `ts_recv` order.
MBO_DTYPE = np.dtype(_HEAD + [("order_id", np.uint64), ("price", np.float64), ("size", np.float64),
                              ("action", np.int8), ("side", np.int8), ("flags", np.uint8)])

# A change of an instrument's trading status (Databento's status schema: action and reason codes, is_trading
# 1 yes, 0 no, -1 not stated).
STATUS_DTYPE = np.dtype(_HEAD + [("action", np.int16), ("reason", np.int16), ("is_trading", np.int8)])


# side: 1 buy, -1 sell. `seq` is the client order id sequence of the order that filled. Price and fee are in the
# instrument's currency; `rate` is what one unit of it was worth in the account's base currency at the fill.
FILL_DTYPE = np.dtype(_HEAD + [("side", np.int8), ("qty", np.float64), ("price", np.float64), ("fee", np.float64),
                               ("tag", np.int32), ("is_maker", np.bool_), ("seq", np.int64), ("rate", np.float64)])

ORDER_ACCEPTED = 0
ORDER_REJECTED = 1
ORDER_DENIED = 2
ORDER_CANCELED = 3
ORDER_EXPIRED = 4
ORDER_EVENT_KINDS = {"accepted": ORDER_ACCEPTED, "rejected": ORDER_REJECTED, "denied": ORDER_DENIED,
                     "canceled": ORDER_CANCELED, "expired": ORDER_EXPIRED}
# The rest of an order's life, in the run's order event log (a strategy reacts to these through `on fill`).
ORDER_SUBMITTED = 5
ORDER_TRIGGERED = 6
ORDER_PARTIALLY_FILLED = 7
ORDER_FILLED = 8
ORDER_PENDING_CANCEL = 9  # live: a cancel is on its way to the venue (the venue's answer ends the order)
ORDER_PENDING_MODIFY = 10  # live: the venue is to be told of a new quantity or price (a modify, a bracket leg resized)
ORDER_EVENT_NAMES = ("accepted", "rejected", "denied", "canceled", "expired", "submitted", "triggered",
                     "partially_filled", "filled", "pending_cancel", "pending_modify")

ORDER_DTYPE = np.dtype(_HEAD + [("kind", np.int8), ("side", np.int8), ("qty", np.float64), ("filled_qty", np.float64),
                                ("price", np.float64), ("tag", np.int32), ("reason", np.int16), ("seq", np.int64)])

# Timers, `on start` and `on stop`: only the time matters; `timer` is the index of the strategy's timer.
TIMER_DTYPE = np.dtype(_HEAD + [("timer", np.int32)])

# Why the risk engine or the venue refused an order: `order.reason` compares with these names.
ORDER_REASONS = (
    "max_order_qty", "max_order_notional", "max_position", "max_open_orders", "max_submit_rate", "price_band",
    "halted", "reducing_only", "max_daily_loss", "max_drawdown", "insufficient_margin", "min_qty", "min_notional",
    "tick_size", "lot_size", "post_only_would_cross", "reduce_only_would_increase", "venue",
)
NO_REASON = -1
REASON = {name: code for code, name in enumerate(ORDER_REASONS)}


def dtype_of(data: str, depth: int | None = None, mbo: bool = False) -> np.dtype:
    """The record dtype of a data subscription's events."""
    if data == "book":
        return book_dtype(MBO_LEVELS if mbo else int(depth))
    return {"bars": BAR_DTYPE, "quotes": QUOTE_DTYPE, "trades": TRADE_DTYPE}[data]


def events(dtype: np.dtype, n: int) -> np.ndarray:
    return np.zeros(n, dtype=dtype)
