"""Order intents: what a compiled handler writes and the risk engine reads, in backtest and live alike.

One intent is one record of `INTENT_DTYPE`. A handler writes into a preallocated buffer of these and returns how
many it wrote; no Python object exists per intent. Codes are small ints so that compiled code can branch on them.
"""

from __future__ import annotations

import numpy as np

# What an intent asks for.
ACTION_ORDER = 0  # buy / sell
ACTION_TARGET = 1  # trade towards a signed position
ACTION_CLOSE = 2  # flatten one instrument (instrument >= 0) or all (instrument == -1)
ACTION_CANCEL = 3  # by instrument, by tag, or all
ACTION_MODIFY = 4  # the open orders with a tag

SIDE_BUY = 1
SIDE_SELL = -1

# Order types: the checker allows one per order.
TYPE_MARKET = 0
TYPE_LIMIT = 1
TYPE_STOP = 2
TYPE_STOP_LIMIT = 3
TYPE_MARKET_IF_TOUCHED = 4
TYPE_LIMIT_IF_TOUCHED = 5
TYPE_TRAILING = 6

TRAIL_TICKS = 0
TRAIL_PRICE = 1
TRAIL_PERCENT = 2

TIF_GTC = 0
TIF_IOC = 1
TIF_FOK = 2
TIF_DAY = 3
TIF_GTD = 4

FLAG_POST_ONLY = 1
FLAG_REDUCE_ONLY = 2
FLAG_CANCEL_SENT = 64  # the engine's own mark on a live order whose cancel is on its way to the venue

NO_ID = -1  # no tag, no OCO group, all instruments

INTENT_DTYPE = np.dtype([
    ("action", np.int8),
    ("instrument", np.int32),   # index into the strategy's instruments; NO_ID = all
    ("side", np.int8),
    ("qty", np.float64),        # unsigned for orders; signed target position for ACTION_TARGET
    ("order_type", np.int8),
    ("price", np.float64),      # limit price (limit, stop_limit's limit, limit_if_touched's limit)
    ("trigger", np.float64),    # stop / touch price
    ("trail", np.float64),      # trailing distance, in `trail_unit`
    ("trail_unit", np.int8),
    ("tif", np.int8),
    ("expire_after", np.int64), # gtd lifetime in ns, from the intent's event time
    ("flags", np.int32),
    ("stop_loss", np.float64),  # attached bracket legs; NaN when absent
    ("take_profit", np.float64),
    ("tag", np.int32),          # index into the strategy's tag table; NO_ID when untagged
    ("oco", np.int32),          # index into the OCO group table; NO_ID when none
    ("seq", np.int64),          # client order id sequence: unique and increasing per strategy instance
    ("source_line", np.int32),  # the .nts line of the action, for reports and run-time diagnostics
])


def intent_buffer(capacity: int) -> np.ndarray:
    """A buffer for one handler call; unused fields hold their 'absent' values."""
    buf = np.zeros(capacity, dtype=INTENT_DTYPE)
    for name in ("price", "trigger", "trail", "stop_loss", "take_profit"):
        buf[name] = np.nan
    for name in ("tag", "oco", "instrument"):
        buf[name] = NO_ID
    return buf
