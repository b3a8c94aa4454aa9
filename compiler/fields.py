"""The fields a data stream or an event offers, by kind. The checker resolves `btc.close` and `fill.price`
here, and the editor completes from the same tables."""

from __future__ import annotations

from .types import BOOL, FLOAT, INSTRUMENT, INT, STRING, TIMESTAMP, Type

DATA_FIELDS: dict[str, dict[str, Type]] = {
    "bars": {"open": FLOAT, "high": FLOAT, "low": FLOAT, "close": FLOAT, "volume": FLOAT, "time": TIMESTAMP},
    "quotes": {"bid": FLOAT, "ask": FLOAT, "bid_size": FLOAT, "ask_size": FLOAT, "mid": FLOAT, "spread": FLOAT,
               "time": TIMESTAMP},
    "trades": {"price": FLOAT, "size": FLOAT, "aggressor": INT, "time": TIMESTAMP},
    "book": {"time": TIMESTAMP, "levels": INT},
}

# Book levels are read with a level number, 0 = best: `btc.bid_price(0)`.
BOOK_LEVEL_FIELDS: dict[str, Type] = {"bid_price": FLOAT, "ask_price": FLOAT, "bid_size": FLOAT, "ask_size": FLOAT,
                                      "bid_orders": INT, "ask_orders": INT}

FIELD_DOCS: dict[str, str] = {
    "open": "Bar open price.", "high": "Bar high price.", "low": "Bar low price.", "close": "Bar close price.",
    "volume": "Bar volume.", "time": "Event timestamp (bars: the bar's close time), UTC nanoseconds.",
    "bid": "Best bid price.", "ask": "Best ask price.", "bid_size": "Size at the best bid.",
    "ask_size": "Size at the best ask.", "mid": "(bid + ask) / 2.", "spread": "ask - bid.",
    "price": "Trade price.", "size": "Trade size.", "aggressor": "Aggressor side: 1 buyer, -1 seller, 0 unknown.",
    "levels": "Number of book levels subscribed.",
    "bid_price": "Bid price at a level (0 = best).", "ask_price": "Ask price at a level (0 = best).",
    "bid_orders": "Number of orders at a bid level.", "ask_orders": "Number of orders at an ask level.",
}

EVENT_FIELDS: dict[str, dict[str, Type]] = {
    "fill": {"price": FLOAT, "qty": FLOAT, "side": INT, "instrument": INSTRUMENT, "tag": STRING, "fee": FLOAT,
             "time": TIMESTAMP, "is_maker": BOOL},
    "order": {"tag": STRING, "instrument": INSTRUMENT, "side": INT, "qty": FLOAT, "filled_qty": FLOAT,
              "price": FLOAT, "reason": STRING, "time": TIMESTAMP},
}

