"""L3 to levels: a market-by-order (MBO) event stream replayed into an order book, and the book's levels read after
each venue event, as a `book mbo` stream sees them (runtime/events.py: MBO_LEVELS levels a side).

Databento's MBO actions: A adds an order; C cancels `size` of it (all of it removes it); M modifies it (its new price
and size); R clears the book; T and F report trades and fills, which change nothing here: the venue follows a fill
with the cancel or modify that takes it out of the book. A venue event may span several records; the book is read
after its last one (flag F_LAST), at its receive time. A cancel or modify of an order the book never saw added (it
rested before the data starts) is ignored.

`MboBook` keeps the orders and levels between calls, so a catalog run feeds it one window after another. This is
preparation, run once per window before the event loop, so it may allocate (the order map is a Numba typed dict).
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numba import types
from numba.typed import Dict

from .events import MBO_LEVELS, book_dtype

F_LAST = 128
ADD, CANCEL, MODIFY, CLEAR = ord("A"), ord("C"), ord("M"), ord("R")


class MboBook:
    """The order book of one instrument, built from its MBO events."""

    def __init__(self, depth: int = MBO_LEVELS, room: int = 1024):
        self.depth = depth
        self.orders = Dict.empty(key_type=types.uint64, value_type=types.float64[:])  # id -> [side, price, size]
        # per side (0 bid, 1 ask): price levels best first, each with its total size and order count
        self.levels = np.zeros((2, room, 3))
        self.n = np.zeros(2, np.int64)

    def snapshots(self, events: np.ndarray) -> np.ndarray:
        """The book after each venue event of `events` (MBO_DTYPE, in receive-time order)."""
        out = np.zeros(int(np.count_nonzero(events["flags"] & F_LAST)), book_dtype(self.depth))
        i = k = 0
        while i < len(events):
            i, k = _replay(events, i, k, self.orders, self.levels, self.n, out)
            if i < len(events):  # out of room for price levels: twice the room, and on from record i
                grown = np.zeros((2, 2 * self.levels.shape[1], 3))
                grown[:, :self.levels.shape[1]] = self.levels
                self.levels = grown
        out["ts_recv"] = out["ts_event"]
        return out


@nb.njit(cache=True)
def _replay(events, i, k, orders, levels, n, out):
    """Applies events[i:] and writes a snapshot at each F_LAST; returns where it stopped (len(events), or a record
    that could need a new level when there is no room left) and the snapshots written."""
    room = levels.shape[1]
    depth = out["bid_price"].shape[1]
    for i in range(i, len(events)):
        r = events[i]
        action = r["action"]
        oid = np.uint64(r["order_id"])
        if (action == ADD or action == MODIFY) and (n[0] >= room or n[1] >= room):
            return i, k
        if action == ADD and r["side"] != 0:
            order = np.empty(3)
            order[0] = 0.0 if r["side"] > 0 else 1.0
            order[1] = r["price"]
            order[2] = r["size"]
            orders[oid] = order
            _add(levels, n, int(order[0]), order[1], order[2], 1.0)
        elif action == CANCEL and oid in orders:
            order = orders[oid]
            q = min(r["size"], order[2])
            order[2] -= q
            _add(levels, n, int(order[0]), order[1], -q, -1.0 if order[2] <= 0.0 else 0.0)
            if order[2] <= 0.0:
                del orders[oid]
        elif action == MODIFY and oid in orders:
            order = orders[oid]
            _add(levels, n, int(order[0]), order[1], -order[2], -1.0)
            order[1] = r["price"]
            order[2] = r["size"]
            _add(levels, n, int(order[0]), order[1], order[2], 1.0)
        elif action == CLEAR:
            orders.clear()
            n[0] = 0
            n[1] = 0
        if r["flags"] & 128:
            snap = out[k]
            snap["ts_event"] = r["ts_recv"]
            snap["levels"] = max(min(n[0], depth), min(n[1], depth))
            for m in range(min(n[0], depth)):
                snap["bid_price"][m] = levels[0, m, 0]
                snap["bid_size"][m] = levels[0, m, 1]
                snap["bid_orders"][m] = levels[0, m, 2]
            for m in range(min(n[1], depth)):
                snap["ask_price"][m] = levels[1, m, 0]
                snap["ask_size"][m] = levels[1, m, 1]
                snap["ask_orders"][m] = levels[1, m, 2]
            k += 1
    return len(events), k


@nb.njit(cache=True)
def _add(levels, n, side, price, size, orders):
    """Adds size and orders to the level at `price` of `side` (made, best first, when new; dropped when empty)."""
    book = levels[side]
    better = -1.0 if side == 0 else 1.0  # bids best highest, asks best lowest
    lo, hi = 0, n[side]
    while lo < hi:  # the first level not better than `price`
        mid = (lo + hi) // 2
        if better * book[mid, 0] < better * price:
            lo = mid + 1
        else:
            hi = mid
    if lo < n[side] and book[lo, 0] == price:
        book[lo, 1] += size
        book[lo, 2] += orders
        if book[lo, 2] <= 0.0 or book[lo, 1] <= 0.0:
            for m in range(lo, n[side] - 1):
                book[m] = book[m + 1]
            n[side] -= 1
    elif size > 0.0:
        for m in range(n[side], lo, -1):
            book[m] = book[m - 1]
        book[lo, 0] = price
        book[lo, 1] = size
        book[lo, 2] = orders
        n[side] += 1
