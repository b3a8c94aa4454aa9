"""The context array: what the engine knows and a handler may ask (`equity`, `position(btc)`, ...).

The engine (backtest portfolio or live account) writes it before each handler call; compiled handlers only read it.
Layout: float64[CTX_HEADER + INSTRUMENT_SLOTS * n_instruments].
"""

from __future__ import annotations

import numpy as np

EQUITY = 0
CASH = 1
CTX_HEADER = 2

# Per instrument, at CTX_HEADER + INSTRUMENT_SLOTS * instrument + k:
POSITION = 0
AVG_PRICE = 1
UNREALIZED_PNL = 2
REALIZED_PNL = 3
OPEN_ORDERS = 4
INSTRUMENT_SLOTS = 5

QUERIES = {"position": POSITION, "avg_price": AVG_PRICE, "unrealized_pnl": UNREALIZED_PNL,
           "realized_pnl": REALIZED_PNL, "open_orders": OPEN_ORDERS}


def context_array(n_instruments: int, equity: float = 0.0, cash: float = 0.0) -> np.ndarray:
    ctx = np.zeros(CTX_HEADER + INSTRUMENT_SLOTS * n_instruments)
    ctx[EQUITY] = equity
    ctx[CASH] = cash
    for i in range(n_instruments):
        ctx[CTX_HEADER + INSTRUMENT_SLOTS * i + AVG_PRICE] = np.nan  # flat
    return ctx
