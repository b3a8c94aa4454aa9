"""runtime/order_lists.py: which brackets go to the venue as one order list, and the mapping between the client
ids the list gives their exits and the engine's numbers for them (the live runs are in test_live_examples.py)."""

from __future__ import annotations

import math

import numpy as np

from nts.runtime.engine_state import ORDER_TABLE_DTYPE
from nts.runtime.intents import TIF_DAY, TIF_GTC, TIF_IOC, TYPE_LIMIT, TYPE_MARKET, TYPE_STOP
from nts.runtime.order_lists import OrderLists, exits_of


def entry(order_type=TYPE_LIMIT, tif=TIF_GTC, stop_loss=95.0, take_profit=110.0):
    row = np.zeros(1, ORDER_TABLE_DTYPE)[0]
    row["order_type"], row["tif"], row["stop_loss"], row["take_profit"] = order_type, tif, stop_loss, take_profit
    return row


def test_resting_limit_entries_go_with_their_exits():
    assert exits_of(entry()) == {"sl": 95.0, "tp": 110.0}
    assert exits_of(entry(tif=TIF_DAY, take_profit=math.nan)) == {"sl": 95.0}  # sent GTC, canceled at expiry
    assert exits_of(entry(order_type=TYPE_MARKET)) == {}  # a list's working order rests: LIMIT or LIMIT_MAKER
    assert exits_of(entry(tif=TIF_IOC)) == {}
    assert exits_of(entry(stop_loss=math.nan, take_profit=math.nan)) == {}  # no bracket


def test_exit_client_ids_map_to_the_engine_orders_and_early_reports_wait_for_them():
    lists = OrderLists("strat")
    lists.entry(7, {"sl": 95.0, "tp": 110.0})
    assert lists.seq("strat-7") == 7 and lists.cid(7) == "strat-7"
    assert lists.seq("strat-7-sl") is None  # the engine has not opened it: its entry's fill has not been fed
    assert lists.wait("strat-7-sl", "accepted") and not lists.wait("strat-8-sl", "x")  # 8 was no list
    assert not lists.wait("other-7-sl", "x") and lists.seq("other-7") is None
    assert lists.is_exit(7) and not lists.is_exit(8)
    cid, early = lists.open_exit(1 << 40, 7, TYPE_STOP)
    assert (cid, early) == ("strat-7-sl", ["accepted"])
    assert lists.open_exit((1 << 40) + 1, 7, TYPE_LIMIT) == ("strat-7-tp", [])
    assert lists.seq("strat-7-tp") == (1 << 40) + 1 and lists.cid(1 << 40) == "strat-7-sl"
