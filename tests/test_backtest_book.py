"""Matching against order book levels (L2): hand-computed fills of market, marketable and resting limit and FOK
orders walking the levels, and a real Databento mbp-10 book fed from the catalog."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nts
from nts.adapters.catalog import Catalog
from nts.adapters.data_import import import_file
from nts.runtime.backtest import Venue
from nts.runtime.catalog_feed import CatalogFeed
from nts.runtime.events import book_dtype

from test_backtest_orders import SEC, events, fills, run

HERE = Path(__file__).resolve().parent
DEPTH = 3


@pytest.fixture(scope="module")
def book_script(tmp_path_factory):
    """The quote fixture strategy (tests/strategies/quote_script.nts) on a 3-level book instead of quotes."""
    folder = tmp_path_factory.mktemp("book")
    text = (HERE / "strategies" / "quote_script.nts").read_text()
    path = folder / "book_script.nts"
    path.write_text(text.replace("data x quotes", f"data x book depth {DEPTH}").replace("on quote x:", "on book x:"))
    return nts.compile(path, folder / "book_script")


def books(*snapshots):
    """Snapshots of (bids, asks), each a list of (price, size), best first."""
    out = np.zeros(len(snapshots), book_dtype(DEPTH))
    for i, (bids, asks) in enumerate(snapshots):
        out[i]["ts_event"] = out[i]["ts_recv"] = SEC * (i + 1)
        out[i]["levels"] = max(len(bids), len(asks))
        for side, levels in (("bid", bids), ("ask", asks)):
            for m, (price, size) in enumerate(levels):
                out[i][f"{side}_price"][m] = price
                out[i][f"{side}_size"][m] = size
    return out


BIDS = [(99.9, 5), (99.8, 5), (99.7, 5)]
ASKS = [(100.1, 4), (100.2, 3), (100.3, 5)]


def test_a_market_order_walks_the_asks(book_script):
    r = run(book_script, books((BIDS, ASKS)), mode=0, qty=10)
    assert fills(r) == [(1, 1, 4.0, 100.1, False), (1, 1, 3.0, 100.2, False), (1, 1, 3.0, 100.3, False)]
    assert events(r, "partially_filled", "filled") == ["partially_filled", "partially_filled", "filled"]
    # more than the book shows: the rest waits for the next book
    r = run(book_script, books((BIDS, ASKS), (BIDS, [(100.4, 50)])), mode=0, qty=15)
    assert fills(r)[-1] == (2, 1, 3.0, 100.4, False)


def test_a_marketable_limit_stops_at_its_price_then_rests(book_script):
    later = [(100.15, 10), (100.3, 5)]
    r = run(book_script, books((BIDS, ASKS), (BIDS, later)), mode=1, qty=8, p1=100.2)
    # arrives marketable: takes 100.1 and 100.2, not 100.3; the last unit rests at 100.2 and fills there as a
    # maker once the asks cross it
    assert fills(r) == [(1, 1, 4.0, 100.1, False), (1, 1, 3.0, 100.2, False), (2, 1, 1.0, 100.2, True)]


def test_a_resting_limit_takes_what_crosses_it(book_script):
    crossing = [(100.6, 2), (100.5, 2), (100.4, 9)]
    r = run(book_script, books((BIDS, ASKS), (crossing, ASKS)), mode=2, qty=5, p1=100.5)
    # the bids at 100.6 and at its own price, 100.5, each a counterparty at its price
    assert fills(r) == [(2, -1, 2.0, 100.5, True), (2, -1, 2.0, 100.5, True)]


def test_fok_needs_the_whole_size_within_the_book(book_script):
    r = run(book_script, books((BIDS, ASKS), (BIDS, ASKS)), mode=17, qty=13)
    assert fills(r) == [] and "canceled" in events(r)
    r = run(book_script, books((BIDS, ASKS)), mode=17, qty=12)
    assert [f[2] for f in fills(r)] == [4.0, 3.0, 5.0]


def test_sizes_off_fills_everything_at_the_best_level(book_script):
    r = run(book_script, books((BIDS, ASKS)), mode=0, qty=10, venue=Venue(l1_sizes=False))
    assert fills(r) == [(1, 1, 10.0, 100.1, False)]


def test_a_real_mbp10_book_from_the_catalog(book_script, tmp_path):
    """Databento's ESH1 mbp-10 test file (book-10 in the catalog, cut to the strategy's 3 levels): a market buy of
    30 takes the 13 at the best ask and 17 of the 24 at the next."""
    catalog = Catalog(tmp_path / "c", create=True)
    import_file(catalog, HERE / "data" / "databento" / "GLBX.MDP3" / "test_data.mbp-10.dbn.zst")
    first = catalog.read("book-10", "ESH1.GLBX")[0]
    assert (first["ask_price"][0], first["ask_size"][0], first["ask_price"][1], first["ask_size"][1]) == \
        (3702.75, 13, 3703.0, 24)
    r = nts.runtime.backtest.run_engine(book_script, CatalogFeed(catalog), params={"mode": 0, "qty": 30.0},
                                        instruments={"x": "ESH1.GLBX"}, cash=1e6)
    assert [(float(f["qty"]), float(f["price"])) for f in r.fills] == [(13.0, 3702.75), (17.0, 3703.0)]


MBO_FILE = HERE / "data" / "databento" / "nautilus" / "orderbooks_mbo.dbn.zst"


def replayed_by_hand(events):
    """The book after all of `events`, from a plain dict of orders (the reference for runtime/mbo.py)."""
    orders = {}
    for r in events:
        action, oid = chr(r["action"]), int(r["order_id"])
        if action == "A" and r["side"] != 0:
            orders[oid] = [int(r["side"]), float(r["price"]), float(r["size"])]
        elif action == "C" and oid in orders:
            orders[oid][2] -= min(float(r["size"]), orders[oid][2])
            if orders[oid][2] <= 0:
                del orders[oid]
        elif action == "M" and oid in orders:
            orders[oid][1:] = [float(r["price"]), float(r["size"])]
        elif action == "R":
            orders.clear()
    levels = {1: {}, -1: {}}
    for side, price, size in orders.values():
        levels[side][price] = levels[side].get(price, 0.0) + size
    return sorted(levels[1].items(), reverse=True), sorted(levels[-1].items())


def test_an_mbo_stream_is_replayed_into_its_book(tmp_path):
    """Real ESM4 MBO (a clear, a 13,600-order snapshot, then adds, cancels, modifies, trades and fills): the book
    after the last event equals a plain replay; a `book mbo` strategy runs on it from the catalog, and given the MBO
    array directly, with the same fills."""
    from nts.adapters.dbn import read_dbn
    from nts.runtime.mbo import MboBook
    ((_, symbol, events),), _ = read_dbn(MBO_FILE)
    snaps = MboBook(depth=10).snapshots(events)
    bids, asks = replayed_by_hand(events)
    last = snaps[-1]
    assert [(p, s) for p, s in zip(last["bid_price"], last["bid_size"])] == bids[:10]
    assert [(p, s) for p, s in zip(last["ask_price"], last["ask_size"])] == asks[:10]
    assert len(snaps) == int(np.count_nonzero(events["flags"] & 128)) and np.all(np.diff(snaps["ts_event"]) >= 0)

    text = (HERE / "strategies" / "quote_script.nts").read_text()
    path = tmp_path / "mbo_script.nts"
    path.write_text(text.replace("data x quotes", "data x book mbo").replace("on quote x:", "on book x:"))
    strategy = nts.compile(path, tmp_path / "mbo_script")
    catalog = Catalog(tmp_path / "c", create=True)
    import_file(catalog, MBO_FILE)
    params = {"mode": 0, "qty": 40.0, "at_bar": 100}
    from_catalog = nts.runtime.backtest.run_engine(strategy, CatalogFeed(catalog), params=dict(params),
                                                   instruments={"x": symbol}, cash=1e8)
    given = nts.runtime.backtest.run_engine(strategy, {"x": events}, params=dict(params),
                                            instruments={"x": symbol}, cash=1e8)
    book = snaps[100]  # the market buy of 40 walks the asks of the book it is sent on
    want, left = [], 40.0
    for price, size in zip(book["ask_price"], book["ask_size"]):
        take = min(left, size)
        want.append((take, price))
        left -= take
        if not left:
            break
    assert [(float(f["qty"]), float(f["price"])) for f in from_catalog.fills] == want
    assert np.array_equal(from_catalog.fills, given.fills)
