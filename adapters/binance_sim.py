"""A local Binance spot venue on 127.0.0.1, for tests and demos: the REST endpoints and websocket streams the real
ccxt client uses (docs/live.md lists them), with HMAC-SHA256 request signing checked, replaying a recorded Binance
feed (examples/data/binance/) and matching orders with the backtest's matching engine (runtime/sim_venue.py).

    python -m nts.adapters.binance_sim --port 8765 --speed 10

It serves one account (API key and secret from --key/--secret, or NTS_SIM_KEY/NTS_SIM_SECRET). The feed starts
replaying when the first client subscribes to a market stream, or on `POST /sim/start`; `--speed` scales the
recorded gaps between messages (0: as fast as it can). Market data keeps its recorded gaps, its times moved to now;
the venue's clock for orders and fills is the time of the last message replayed.

Bar mode serves bar files as the klines of markets named on the command line, time-compressed (one bar close every
`--bar-gap` seconds), and matches orders on the bars as a backtest does (the next bar's open, then its path):

    python -m nts.adapters.binance_sim --bars SPY=examples/data/lean/equity/usa/daily/spy.zip --interval 1d \
        --from 2019-01-01 --bar-gap 0.2

Test controls (not Binance's): `GET /sim/state` (orders, trades, balances: the venue's own records, and when each
order request arrived) and
`POST /sim/control` with JSON, to misbehave: `{"drop_ws": true}` closes every websocket, `{"delay_ms": 200}` delays
each REST answer, `{"reject_orders": 2}` rejects the next 2 orders, `{"rate_limit": 3}` answers the next 3 requests
with HTTP 429, `{"down_ms": 500}` refuses every request and connection for that long (a restart),
`{"ws_down_ms": 2000}` refuses websockets only (REST keeps working).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from aiohttp import WSMsgType, web

from ..runtime import engine_state as es
from .files import read_events
from ..runtime import sim_venue
from ..runtime.context import context_array
from ..runtime.events import ORDER_ACCEPTED, ORDER_CANCELED, ORDER_REJECTED, ORDER_FILLED, ORDER_PARTIALLY_FILLED
from ..runtime.instruments import Instrument, spec_rows
from ..runtime.intents import (FLAG_POST_ONLY, TIF_FOK, TIF_GTC, TIF_IOC, TRAIL_PERCENT, TYPE_LIMIT,
                               TYPE_LIMIT_IF_TOUCHED, TYPE_MARKET, TYPE_MARKET_IF_TOUCHED, TYPE_STOP, TYPE_STOP_LIMIT,
                               TYPE_TRAILING)

FEED = Path(__file__).resolve().parent.parent / "examples" / "data" / "binance" / "btcusdt_20240808.gz"
MS = 1_000_000
TIFS = {"GTC": TIF_GTC, "IOC": TIF_IOC, "FOK": TIF_FOK}
# Binance's triggered orders are the matching engine's: STOP_LOSS triggers when the price moves against the order
# (up for a buy), TAKE_PROFIT when it moves in its favour (an if-touched order); a STOP_LOSS with a trailingDelta
# (in basis points) and no stopPrice is the engine's trailing stop by percent.
ENGINE_TYPES = {"MARKET": TYPE_MARKET, "LIMIT": TYPE_LIMIT, "LIMIT_MAKER": TYPE_LIMIT, "STOP_LOSS": TYPE_STOP,
                "STOP_LOSS_LIMIT": TYPE_STOP_LIMIT, "TAKE_PROFIT": TYPE_MARKET_IF_TOUCHED,
                "TAKE_PROFIT_LIMIT": TYPE_LIMIT_IF_TOUCHED}


@dataclass
class Market:
    symbol: str
    base: str
    quote: str
    spec: Instrument
    k: int = 0  # its row in the matching engine
    bars: np.ndarray | None = None  # bar mode: the bars it serves as klines (times moved to now)
    interval: str = ""  # their kline interval

    def exchange_info(self) -> dict:
        s = self.spec
        return {"symbol": self.symbol, "status": "TRADING", "baseAsset": self.base, "baseAssetPrecision": 8,
                "quoteAsset": self.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
                "orderTypes": list(ENGINE_TYPES),
                "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": False, "permissions": [], "permissionSets": [["SPOT"]],
                "filters": [{"filterType": "PRICE_FILTER", "minPrice": fmt(s.tick_size), "maxPrice": "1000000.00",
                             "tickSize": fmt(s.tick_size)},
                            {"filterType": "LOT_SIZE", "minQty": fmt(s.min_qty), "maxQty": "9000.0",
                             "stepSize": fmt(s.lot_size)},
                            {"filterType": "NOTIONAL", "minNotional": fmt(s.min_notional), "applyMinToMarket": True,
                             "maxNotional": "9000000.0", "applyMaxToMarket": False, "avgPriceMins": 5}]}


def fmt(x: float) -> str:
    return f"{x:.8f}"


def btcusdt() -> Market:
    return Market("BTCUSDT", "BTC", "USDT", Instrument(symbol="BTCUSDT.BINANCE", kind="spot", currency="USDT",
                                                       tick_size=0.01, lot_size=0.00001, min_qty=0.00001,
                                                       min_notional=5.0, maker_fee=0.001, taker_fee=0.001))


def bar_market(name: str, bars: np.ndarray, interval: str, k: int) -> Market:
    """A market serving `bars`: `SPY` an equity-like one (quote USD, whole shares), `BTC/USD` a pair (lots of
    0.00001). The market's id is the name without the slash, as Binance writes its symbols."""
    base, _, quote = name.partition("/")
    quote = quote or "USD"
    lot = 0.00001 if "/" in name else 1.0
    symbol = base + (quote if "/" in name else "")
    spec = Instrument(symbol=symbol, kind="spot", currency=quote, tick_size=0.01, lot_size=lot, min_qty=lot,
                      min_notional=0.0, maker_fee=0.001, taker_fee=0.001)
    return Market(symbol, base, quote, spec, k, bars, interval)


def read_feed(path: Path) -> tuple[dict, list[tuple[int, str, dict]]]:
    """The depth snapshot and the messages after it: (receive time ns, stream, payload). Messages recorded before
    the snapshot are dropped (the book they change is unknown)."""
    snapshot, messages = None, []
    with gzip.open(path, "rt") as f:
        for line in f:
            ts, _, text = line.partition(" ")
            msg = json.loads(text)
            if "stream" not in msg:
                snapshot = msg
                messages.clear()
                continue
            messages.append((int(ts), msg["stream"], msg["data"]))
    if snapshot is None:
        raise ValueError(f"{path}: no depth snapshot")
    return snapshot, messages


@dataclass
class Order:
    order_id: int
    client_id: str
    symbol: str
    side: str
    type: str
    tif: str
    qty: float
    price: float
    time_ms: int
    status: str = "NEW"
    executed: float = 0.0
    quote_qty: float = 0.0
    fills: list = field(default_factory=list)
    reserved: float = 0.0  # what the order holds of the account: quote to spend on a buy, base to sell
    stop: float = 0.0  # STOP_LOSS(_LIMIT), TAKE_PROFIT(_LIMIT): the price that triggers it
    trailing_delta: int = 0  # a trailing STOP_LOSS: its distance from the best price since, in basis points
    list_id: int = -1  # the order list it belongs to
    shares: "Order | None" = None  # a list's exit: the sibling whose hold of the account it uses
    cancel_asked: bool = False  # canceled at the client's request (else by the venue: EXPIRED)

    def wire(self) -> dict:
        return {"symbol": self.symbol, "orderId": self.order_id, "orderListId": self.list_id,
                "clientOrderId": self.client_id,
                "price": fmt(self.price), "origQty": fmt(self.qty), "executedQty": fmt(self.executed),
                "cummulativeQuoteQty": fmt(self.quote_qty), "status": self.status, "timeInForce": self.tif,
                "type": self.type, "side": self.side, "stopPrice": fmt(self.stop), "time": self.time_ms,
                "updateTime": self.time_ms, "isWorking": self.status in ("NEW", "PARTIALLY_FILLED"),
                "workingTime": self.time_ms, "origQuoteOrderQty": fmt(0.0), "selfTradePreventionMode": "NONE",
                **({"trailingDelta": self.trailing_delta} if self.trailing_delta else {})}


class BinanceSim:
    def __init__(self, api_key: str, secret: str, feed: Path = FEED, speed: float = 1.0,
                 balances: dict[str, float] | None = None, bars: dict[str, np.ndarray] | None = None,
                 interval: str = "1d", bar_gap: float = 0.2):
        """`bars` (bar mode): {market name: its bars} served as klines of `interval` instead of the recorded
        feed, one close every `bar_gap` seconds (see `bar_market` for the names)."""
        self.api_key, self.secret = api_key, secret.encode()
        self.speed = speed
        self.bar_gap = bar_gap
        if bars:
            markets = [bar_market(name, b, interval, k) for k, (name, b) in enumerate(bars.items())]
            self.snapshot, self.messages = {"bids": [], "asks": [], "lastUpdateId": 1}, []
            self.length = len(np.unique(np.concatenate([b["ts_event"] for b in bars.values()])))
        else:
            markets = [btcusdt()]
            self.snapshot, self.messages = read_feed(feed)
            self.length = len(self.messages)
        self.markets = {m.symbol: m for m in markets}
        self.book = {"bids": {float(p): float(q) for p, q in self.snapshot["bids"]},
                     "asks": {float(p): float(q) for p, q in self.snapshot["asks"]}}
        self.last_update_id = int(self.snapshot["lastUpdateId"])
        self.now_ms = int(self.messages[0][2].get("E", self.messages[0][0] // MS)) if self.messages else 0
        self.position = 0  # messages replayed
        self.offset_ms = 0  # added to the recorded times (set when the replay starts)
        self.error = ""
        self.loop = False  # replay the feed again and again (a soak test)
        self.passes = 0
        self.id_offset = 0
        # each market's klines: [open time ms, open, high, low, close, volume]; the closed ones, the open one
        self.klines: dict[str, list[list]] = {m: [] for m in self.markets}
        self.kline: dict[str, list | None] = {m: None for m in self.markets}
        self.free = {**{m.quote: 100_000.0 for m in markets}, **{m.base: 0.0 for m in markets}, **(balances or {})}
        self.locked = {a: 0.0 for a in self.free}
        self.orders: dict[int, Order] = {}
        self.by_client: dict[str, int] = {}
        self.received: dict[str, int] = {}  # client id -> when its order request arrived (wall clock, ns)
        self.lists: dict[int, dict] = {}  # working order id -> its list: {"id", "exits": {type: (client id, price)}}
        self.trades: list[dict] = []
        self.next_order_id = 1_000
        self.next_list_id = 1
        self.next_trade_id = 1
        self.eng = self._venue(markets)
        self.ctx = context_array(len(markets))
        self._warm_up(markets)
        self.streams: dict[str, set] = {}  # stream name -> its websockets
        self.users: set = set()  # user data websockets (ws-api)
        self.sockets: set = set()
        self.control = {"delay_ms": 0, "reject_orders": 0, "rate_limit": 0, "down_until": 0.0, "ws_down_until": 0.0}
        self.started = asyncio.Event()
        self.done = asyncio.Event()
        self.requests = 0

    @staticmethod
    def _venue(markets: list[Market]) -> tuple:
        return sim_venue.new_venue(spec_rows([m.spec for m in markets]),
                                   bars=np.array([m.bars is not None for m in markets]))

    def _warm_up(self, markets: list[Market]) -> None:
        """Each of the matching engine's entry points once, on a scratch venue: compiled (or loaded from Numba's
        cache) now, not on the first order, which would otherwise reach the book late."""
        eng, ctx = self._venue(markets), context_array(len(markets))
        sim_venue.book(eng, ctx, 0, 99.0, 1.0, 101.0, 1.0, 1)
        sim_venue.bar(eng, ctx, 0, 100.0, 101.0, 99.0, 100.0, 2)
        sim_venue.submit(eng, ctx, 0, 1, 1.0, TYPE_LIMIT, 90.0, float("nan"), float("nan"), TRAIL_PERCENT, TIF_GTC,
                         0, 1, 3)
        sim_venue.cancel(eng, ctx, 1, 4)

    # ---------------------------------------------------------------- the app
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_get("/api/v3/ping", lambda req: web.json_response({}))
        r.add_get("/api/v3/time", lambda req: web.json_response({"serverTime": int(time.time() * 1000)}))
        r.add_get("/api/v3/exchangeInfo", self.exchange_info)
        r.add_get("/api/v3/depth", self.depth)
        r.add_get("/api/v3/klines", self.get_klines)
        r.add_get("/api/v3/ticker/bookTicker", self.book_ticker)
        r.add_post("/api/v3/order", self.signed(self.new_order))
        r.add_delete("/api/v3/order", self.signed(self.cancel_order))
        r.add_post("/api/v3/order/cancelReplace", self.signed(self.cancel_replace))
        r.add_post("/api/v3/orderList/oto", self.signed(self.order_list))
        r.add_post("/api/v3/orderList/otoco", self.signed(self.order_list))
        r.add_get("/api/v3/order", self.signed(self.query_order))
        r.add_get("/api/v3/openOrders", self.signed(self.open_orders))
        r.add_get("/api/v3/myTrades", self.signed(self.my_trades))
        r.add_get("/api/v3/account", self.signed(self.account))
        r.add_get("/ws-api/v3", self.ws_api)
        r.add_get("/ws/{n}", self.ws_market)
        r.add_get("/sim/state", self.state)
        r.add_post("/sim/control", self.set_control)
        r.add_post("/sim/start", self.start)
        app.on_startup.append(self._start_replay)
        app.on_shutdown.append(self._close_sockets)
        return app

    @web.middleware
    async def _middleware(self, request, handler):
        if request.path.startswith("/sim/"):
            return await handler(request)
        if time.monotonic() < self.control["down_until"]:
            raise web.HTTPServiceUnavailable(text="restarting")
        self.requests += 1
        if self.control["rate_limit"] > 0 and not request.path.startswith("/ws"):
            self.control["rate_limit"] -= 1
            return error(429, -1003, "Too many requests; current limit is 1200 request weight per 1 MINUTE.")
        if self.control["delay_ms"]:
            await asyncio.sleep(self.control["delay_ms"] / 1000)
        return await handler(request)

    def signed(self, handler):
        async def check(request: web.Request):
            raw = await request.text() if request.method == "POST" else request.rel_url.raw_query_string
            payload, sep, signature = raw.rpartition("&signature=")
            if request.headers.get("X-MBX-APIKEY") != self.api_key:
                return error(401, -2015, "Invalid API-key, IP, or permissions for action.")
            want = hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
            if not sep or not hmac.compare_digest(want, signature):
                return error(400, -1022, "Signature for this request is not valid.")
            from urllib.parse import parse_qsl
            params = dict(parse_qsl(payload, keep_blank_values=True))
            now = time.time() * 1000
            ts, window = float(params.get("timestamp", 0)), float(params.get("recvWindow", 5000))
            if ts > now + 1000 or now - ts > window:
                return error(400, -1021, "Timestamp for this request is outside of the recvWindow.")
            return await handler(params)
        return check

    # ---------------------------------------------------------------- public REST
    async def exchange_info(self, request):
        return web.json_response({"timezone": "UTC", "serverTime": int(time.time() * 1000), "rateLimits": [],
                                  "exchangeFilters": [],
                                  "symbols": [m.exchange_info() for m in self.markets.values()]})

    async def depth(self, request):
        limit = int(request.query.get("limit", 100))
        bids = sorted(self.book["bids"].items(), reverse=True)[:limit]
        asks = sorted(self.book["asks"].items())[:limit]
        return web.json_response({"lastUpdateId": self.last_update_id, "bids": [[fmt(p), fmt(q)] for p, q in bids],
                                  "asks": [[fmt(p), fmt(q)] for p, q in asks]})

    async def get_klines(self, request):
        """The closed klines and the open one, as Binance answers."""
        symbol = request.query.get("symbol", "")
        if symbol not in self.markets:
            return error(400, -1121, "Invalid symbol.")
        start = int(request.query.get("startTime", 0))
        limit = int(request.query.get("limit", 500))
        span = interval_ms(self.markets[symbol].interval or "1m")
        rows = self.klines[symbol] + [self.kline[symbol]] * (self.kline[symbol] is not None)
        rows = [k for k in rows if k[0] >= start][-limit:]
        return web.json_response([[k[0], fmt(k[1]), fmt(k[2]), fmt(k[3]), fmt(k[4]), fmt(k[5]), k[0] + span - 1,
                                   "0", 0, "0", "0", "0"] for k in rows])

    async def book_ticker(self, request):
        rows = []
        for market in self.markets.values():
            m = self.eng[es.E_MARKET][market.k]
            bid, ask = (m[es.M_BID], m[es.M_ASK]) if market.bars is None else (m[es.M_MARK], m[es.M_MARK])
            rows.append({"symbol": market.symbol, "bidPrice": fmt(bid), "bidQty": fmt(m[es.M_BID_SIZE]),
                         "askPrice": fmt(ask), "askQty": fmt(m[es.M_ASK_SIZE])})
        return web.json_response(rows)

    # ---------------------------------------------------------------- orders
    async def new_order(self, p: dict):
        order = self._place(p)
        if not isinstance(order, Order):
            return order
        answer = order.wire()
        answer["transactTime"] = self.now_ms
        answer["fills"] = [{"price": fmt(f["price"]), "qty": fmt(f["qty"]), "commission": fmt(f["commission"]),
                            "commissionAsset": f["commissionAsset"], "tradeId": f["id"]} for f in order.fills]
        return web.json_response(answer)

    def _place(self, p: dict, exits: dict | None = None):
        """A new order from its request's params: the order, or the error response. `exits` (an order list's
        working order): {"id": list id, "exits": {TYPE_STOP: (client id, stop price), TYPE_LIMIT: (client id,
        limit price)}}, the pending orders it opens when it fills."""
        arrived = time.time_ns()
        market = self.markets.get(p.get("symbol", ""))
        if market is None:
            return error(400, -1121, "Invalid symbol.")
        client_id = p.get("newClientOrderId") or f"sim-{self.next_order_id}"
        existing = self.by_client.get(client_id)
        if existing is not None and self.orders[existing].status in ("NEW", "PARTIALLY_FILLED"):
            return error(400, -2010, "Duplicate order sent.")
        if self.control["reject_orders"] > 0:
            self.control["reject_orders"] -= 1
            return error(400, -2010, "Order rejected by the simulator (reject_orders).")
        kind, side = p.get("type", ""), p.get("side", "")
        if kind not in ENGINE_TYPES or side not in ("BUY", "SELL"):
            return error(400, -1116, "Invalid orderType.")
        if "quantity" not in p:
            return error(400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.")
        qty = float(p["quantity"])
        limited = kind.endswith("LIMIT") or kind == "LIMIT_MAKER"
        price = float(p["price"]) if limited else float("nan")
        stop = float(p.get("stopPrice", "nan"))
        delta = int(p.get("trailingDelta", 0))
        if delta and (kind != "STOP_LOSS" or stop == stop or not 10 <= delta <= 2000):
            return error(400, -2010, "The simulator takes trailingDelta (10 to 2000) on STOP_LOSS orders without "
                                     "stopPrice only.")
        if kind.startswith(("STOP_LOSS", "TAKE_PROFIT")) and not stop > 0 and not delta:
            return error(400, -1102, "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed.")
        tif = p.get("timeInForce", "GTC")
        if limited and tif not in TIFS:
            return error(400, -1115, "Invalid timeInForce.")
        reference = price if price == price else stop if stop == stop else self._touch(market, side)
        if not self._reserve(market, side, qty, reference):
            return error(400, -2010, "Account has insufficient balance for requested action.")
        order = Order(self.next_order_id, client_id, market.symbol, side, kind, tif, qty,
                      price if limited else 0.0, self.now_ms, stop=stop if stop == stop else 0.0, trailing_delta=delta)
        self.next_order_id += 1
        self.orders[order.order_id] = order
        self.by_client[client_id] = order.order_id
        self.received.setdefault(client_id, arrived)
        order.reserved = qty * reference * (1 + market.spec.taker_fee) if side == "BUY" else qty
        levels = {TYPE_STOP: float("nan"), TYPE_LIMIT: float("nan")}
        if exits is not None:
            order.list_id = exits["id"]
            self.lists[order.order_id] = exits
            levels.update({t: level for t, (_, level) in exits["exits"].items()})
        sim_venue.submit(self.eng, self.ctx, market.k, 1 if side == "BUY" else -1, qty,
                         TYPE_TRAILING if delta else ENGINE_TYPES[kind], price, stop,
                         delta / 100 if delta else float("nan"), TRAIL_PERCENT,
                         TIFS.get(tif, TIF_GTC) if limited else TIF_GTC,
                         FLAG_POST_ONLY if kind == "LIMIT_MAKER" else 0, order.order_id, self.now_ms * MS,
                         levels[TYPE_STOP], levels[TYPE_LIMIT])
        rejected = self._apply_engine_logs()
        if order.order_id in rejected:  # a rejected order is not kept, as on Binance
            del self.orders[order.order_id], self.by_client[client_id]
            self.lists.pop(order.order_id, None)
            return error(400, -2010, rejected[order.order_id])
        return order

    async def order_list(self, p: dict):
        """Binance's OTO and OTOCO order lists (`POST /api/v3/orderList/oto`, `.../otoco`): a working LIMIT or
        LIMIT_MAKER order and the pending exits it places when it fills, a STOP_LOSS and (OTOCO) a LIMIT_MAKER on
        the other side of the price, one filling expiring the other. The matching engine's own bracket does it, so
        the exits work from the fill on, within the same bar or quote (the simulator places them at the working
        order's first fill, for what has filled, and grows them with its later fills; Binance once it is filled)."""
        if p.get("workingType") not in ("LIMIT", "LIMIT_MAKER"):
            return error(400, -1116, "Invalid orderType: the working order is LIMIT or LIMIT_MAKER.")
        pending = [{k[len(prefix):]: v for k, v in p.items() if k.startswith(prefix)}
                   for prefix in (("pendingAbove", "pendingBelow") if "pendingAboveType" in p else ("pending",))]
        exits = {}
        for leg in pending:
            if leg.get("Type") == "STOP_LOSS" and "StopPrice" in leg:
                exits[TYPE_STOP] = (leg.get("ClientOrderId") or f"sim-{self.next_order_id}-sl", float(leg["StopPrice"]))
            elif leg.get("Type") == "LIMIT_MAKER" and "Price" in leg:
                exits[TYPE_LIMIT] = (leg.get("ClientOrderId") or f"sim-{self.next_order_id}-tp", float(leg["Price"]))
            else:
                return error(400, -1116, "Invalid pending order: the simulator takes STOP_LOSS (stopPrice) and "
                                         "LIMIT_MAKER (price).")
        if len(exits) != len(pending):
            return error(400, -1102, "The pending orders of a list are a STOP_LOSS and a LIMIT_MAKER.")
        if p.get("pendingSide") == p.get("workingSide") or p.get("pendingQuantity") != p.get("workingQuantity"):
            return error(400, -1102, "The pending orders close the working order: the other side, its quantity.")
        list_id = self.next_list_id
        self.next_list_id += 1
        working = {"symbol": p.get("symbol", ""), "side": p.get("workingSide", ""), "type": p["workingType"],
                   "quantity": p.get("workingQuantity", ""), "price": p.get("workingPrice", ""),
                   "timeInForce": p.get("workingTimeInForce", "GTC"),
                   "newClientOrderId": p.get("workingClientOrderId", "")}
        order = self._place({k: v for k, v in working.items() if v}, {"id": list_id, "exits": exits})
        if not isinstance(order, Order):
            return order
        return web.json_response({
            "orderListId": list_id, "contingencyType": "OTO", "listStatusType": "EXEC_STARTED",
            "listOrderStatus": "EXECUTING", "listClientOrderId": p.get("listClientOrderId", f"list-{list_id}"),
            "transactionTime": self.now_ms, "symbol": order.symbol,
            "orders": [{"symbol": order.symbol, "orderId": order.order_id, "clientOrderId": order.client_id}] +
                      [{"symbol": order.symbol, "orderId": -1, "clientOrderId": cid} for cid, _ in exits.values()],
            "orderReports": [order.wire()]})

    async def cancel_order(self, p: dict):
        order = self._find(p)
        if order is None or order.status not in ("NEW", "PARTIALLY_FILLED"):
            return error(400, -2011, "Unknown order sent.")
        # an order list's exit is canceled with its sibling, as Binance cancels the whole list
        together = self._exits(order.list_id) if self._is_exit(order) else [order]
        for o in [o for o in together if o.status in ("NEW", "PARTIALLY_FILLED")]:
            o.cancel_asked = True
            sim_venue.cancel(self.eng, self.ctx, o.order_id, self.now_ms * MS)
        self._apply_engine_logs()
        return web.json_response(order.wire())

    async def cancel_replace(self, p: dict):
        """Binance's atomic cancel-and-place (cancelReplaceMode STOP_ON_FAILURE): the new order may take the
        client id of the one it replaces."""
        if p.get("cancelReplaceMode") != "STOP_ON_FAILURE":
            return error(400, -1102, "Mandatory parameter 'cancelReplaceMode' was not sent, was empty/null, or "
                                     "malformed.")
        old = self._find({"orderId": p["cancelOrderId"]} if "cancelOrderId" in p else
                         {"origClientOrderId": p.get("cancelOrigClientOrderId", "")})
        if old is None or old.status not in ("NEW", "PARTIALLY_FILLED"):
            return web.json_response({"code": -2022, "msg": "Order cancel-replace failed.", "data": {
                "cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED",
                "cancelResponse": {"code": -2011, "msg": "Unknown order sent."}, "newOrderResponse": None}},
                status=400)
        canceled = json.loads((await self.cancel_order({"orderId": old.order_id})).text)
        placed = await self.new_order({k: v for k, v in p.items() if not k.startswith("cancel")})
        body = json.loads(placed.text)
        if placed.status != 200:
            return web.json_response({"code": -2021, "msg": "Order cancel-replace partially failed.", "data": {
                "cancelResult": "SUCCESS", "newOrderResult": "FAILURE", "cancelResponse": canceled,
                "newOrderResponse": body}}, status=409)
        return web.json_response({"cancelResult": "SUCCESS", "newOrderResult": "SUCCESS",
                                  "cancelResponse": canceled, "newOrderResponse": body})

    async def query_order(self, p: dict):
        order = self._find(p)
        if order is None:
            return error(400, -2013, "Order does not exist.")
        return web.json_response(order.wire())

    async def open_orders(self, p: dict):
        return web.json_response([o.wire() for o in self.orders.values() if o.status in ("NEW", "PARTIALLY_FILLED")])

    async def my_trades(self, p: dict):
        start = int(p.get("startTime", 0))
        limit = int(p.get("limit", 500))
        rows = [t for t in self.trades if t["time"] >= start and t["symbol"] == p.get("symbol")]
        return web.json_response(rows[:limit])

    async def account(self, p: dict):
        return web.json_response({"makerCommission": 10, "takerCommission": 10, "canTrade": True,
                                  "updateTime": self.now_ms, "accountType": "SPOT", "permissions": ["SPOT"],
                                  "balances": [{"asset": a, "free": fmt(self.free[a]), "locked": fmt(self.locked[a])}
                                               for a in self.free]})

    def _find(self, p: dict) -> Order | None:
        if "orderId" in p:
            return self.orders.get(int(p["orderId"]))
        order_id = self.by_client.get(p.get("origClientOrderId", ""))
        return self.orders.get(order_id) if order_id is not None else None

    def _touch(self, market: Market, side: str) -> float:
        """The price a market order is expected to fill at: the best offer (bid) to buy (sell), on bars the last
        close; before the replay has given one, the depth snapshot's best, or the first bar's open."""
        m = self.eng[es.E_MARKET][market.k]
        price = float(m[es.M_MARK] if market.bars is not None else m[es.M_ASK] if side == "BUY" else m[es.M_BID])
        if price > 0:
            return price
        if market.bars is not None:
            return float(market.bars["open"][0])
        levels = self.book["asks"] if side == "BUY" else self.book["bids"]
        return (min(levels) if side == "BUY" else max(levels)) if levels else float("nan")

    def _reserve(self, market: Market, side: str, qty: float, price: float) -> bool:
        asset, amount = (market.quote, qty * price * (1 + market.spec.taker_fee)) if side == "BUY" else \
            (market.base, qty)
        if not amount == amount or self.free[asset] < amount - 1e-9:
            return False
        self.free[asset] -= amount
        self.locked[asset] += amount
        return True

    def _is_exit(self, order: Order) -> bool:
        return order.list_id >= 0 and order.order_id not in self.lists

    def _exits(self, list_id: int) -> list[Order]:
        return [o for o in self.orders.values() if o.list_id == list_id and o.order_id not in self.lists]

    def _open_exits(self, working: Order, qty: float, new_rows: np.ndarray) -> list[dict]:
        """The working order of a list filled `qty`. At its first fill the exits the matching engine opened (in
        `new_rows`, its log of new orders) become the venue's orders, holding the account once for both; at a later
        fill they grow by as much, as the engine grows them. Returns their reports."""
        market = self.markets[working.symbol]
        exits = [o for o in self._exits(working.list_id) if o.status in ("NEW", "PARTIALLY_FILLED")]
        if exits:
            holder = next((o for o in exits if o.shares is None), exits[0].shares)
            if self._reserve(market, holder.side, qty, holder.stop or holder.price):
                holder.reserved += qty * ((holder.stop or holder.price) * (1 + market.spec.taker_fee)
                                          if holder.side == "BUY" else 1.0)
            for o in exits:
                o.qty += qty
            return []
        reports, holder = [], None
        for row in new_rows[new_rows["parent"] == working.order_id]:
            stop = int(row["order_type"]) == TYPE_STOP
            cid, level = self.lists[working.order_id]["exits"][int(row["order_type"])]
            order = Order(int(row["seq"]), cid, working.symbol, "SELL" if row["side"] < 0 else "BUY",
                          "STOP_LOSS" if stop else "LIMIT_MAKER", "GTC", float(row["qty"]), 0.0 if stop else level,
                          self.now_ms, stop=level if stop else 0.0, list_id=working.list_id, shares=holder)
            self.orders[order.order_id], self.by_client[cid] = order, order.order_id
            if holder is None:
                holder = order
                self._reserve(market, order.side, order.qty, level)
                order.reserved = order.qty * (level * (1 + market.spec.taker_fee) if order.side == "BUY" else 1.0)
            reports.append(self._execution(order, "NEW"))
        return reports

    def _release(self, order: Order) -> None:
        market = self.markets[order.symbol]
        asset = market.quote if order.side == "BUY" else market.base
        amount = min(order.reserved, self.locked[asset])
        self.locked[asset] -= amount
        self.free[asset] += amount
        order.reserved = 0.0

    def _apply_engine_logs(self) -> dict[int, str]:
        """Turns what the matching engine did (fills, order events) into the venue's records and its user data
        events; returns {order id: reason} of the orders it rejected."""
        iv = self.eng[es.E_IV]
        fills = self.eng[es.E_FILLS][:iv[es.I_N_FILLS]].copy()
        events = self.eng[es.E_EVENTS][:iv[es.I_N_EVENTS]].copy()
        new_rows = self.eng[es.E_ROWS][:iv[es.I_N_ROWS]].copy()  # the orders it opened itself: lists' exits
        iv[es.I_N_FILLS] = iv[es.I_N_EVENTS] = iv[es.I_N_ROWS] = 0
        rejected, reports = {}, []
        fill_of = {}
        for f in fills:
            fill_of.setdefault(int(f["seq"]), []).append(f)
        for e in events:
            order = self.orders[int(e["seq"])]
            kind = int(e["kind"])
            if kind == ORDER_REJECTED:
                order.status = "REJECTED"
                self._release(order)
                rejected[order.order_id] = "Order would immediately match and take." if order.type == "LIMIT_MAKER" \
                    else "Filter failure: LOT_SIZE"
            elif kind == ORDER_ACCEPTED:
                reports.append(self._execution(order, "NEW"))
            elif kind in (ORDER_FILLED, ORDER_PARTIALLY_FILLED):
                f = fill_of[order.order_id].pop(0)
                reports.append(self._book_trade(order, f, kind == ORDER_FILLED))
                if order.order_id in self.lists:
                    reports.extend(self._open_exits(order, float(f["qty"]), new_rows))
                elif self._is_exit(order):  # its sibling shrinks by as much (the engine's one-updates-other)
                    for o in self._exits(order.list_id):
                        if o is not order and o.status in ("NEW", "PARTIALLY_FILLED"):
                            o.qty -= float(f["qty"])
            elif kind == ORDER_CANCELED:
                # IOC and FOK leftovers expire, and an order list's exit that its sibling's fill ended
                expired = order.tif in ("IOC", "FOK") or order.type == "MARKET" or \
                    self._is_exit(order) and not order.cancel_asked
                order.status = "EXPIRED" if expired else "CANCELED"
                self._release(order)
                reports.append(self._execution(order, order.status))
        for report in reports:
            self._push_user(report)
        if reports:
            self._push_user({"e": "outboundAccountPosition", "E": self.now_ms, "u": self.now_ms,
                             "B": [{"a": a, "f": fmt(self.free[a]), "l": fmt(self.locked[a])} for a in self.free]})
        return rejected

    def _book_trade(self, order: Order, f, done: bool) -> dict:
        qty, price, fee = float(f["qty"]), float(f["price"]), float(f["fee"])
        market = self.markets[order.symbol]
        trade = {"symbol": order.symbol, "id": self.next_trade_id, "orderId": order.order_id, "orderListId": -1,
                 "price": fmt(price), "qty": fmt(qty), "quoteQty": fmt(qty * price), "commission": fmt(fee),
                 "commissionAsset": market.quote, "time": self.now_ms, "isBuyer": order.side == "BUY",
                 "isMaker": bool(f["is_maker"]), "isBestMatch": True}
        self.next_trade_id += 1
        self.trades.append(trade)
        order.fills.append({"price": price, "qty": qty, "commission": fee, "commissionAsset": market.quote,
                            "id": trade["id"]})
        order.executed += qty
        order.quote_qty += qty * price
        order.status = "FILLED" if done else "PARTIALLY_FILLED"
        # paid from what the order holds; beyond it (a market order filled above the price it was held at) from
        # the free balance
        paid, asset = (qty * price + fee, market.quote) if order.side == "BUY" else (qty, market.base)
        holder = order.shares or order
        held = min(paid, holder.reserved)
        self.locked[asset] -= held
        self.free[asset] -= paid - held
        holder.reserved -= held
        if order.side == "BUY":
            self.free[market.base] += qty
        else:
            self.free[market.quote] += qty * price - fee
        if done:
            self._release(order)
        return self._execution(order, "TRADE", trade)

    def _execution(self, order: Order, kind: str, trade: dict | None = None) -> dict:
        return {"e": "executionReport", "E": self.now_ms, "s": order.symbol, "c": order.client_id, "S": order.side,
                "o": order.type, "f": order.tif, "q": fmt(order.qty), "p": fmt(order.price), "P": fmt(order.stop),
                "F": fmt(0.0), "g": order.list_id, "C": "", "x": kind, "X": order.status, "r": "NONE",
                "i": order.order_id, "l": trade["qty"] if trade else fmt(0.0), "z": fmt(order.executed),
                "L": trade["price"] if trade else fmt(0.0), "n": trade["commission"] if trade else fmt(0.0),
                "N": self.markets[order.symbol].quote if trade else None, "T": self.now_ms,
                "t": trade["id"] if trade else -1, "v": 0,
                "I": 1, "w": order.status == "NEW", "m": bool(trade and trade["isMaker"]), "M": True,
                "O": order.time_ms, "Z": fmt(order.quote_qty), "Y": trade["quoteQty"] if trade else fmt(0.0),
                "Q": fmt(0.0), "W": order.time_ms, "V": "NONE"}

    # ---------------------------------------------------------------- websockets
    async def _accept(self, request) -> web.WebSocketResponse:
        if time.monotonic() < max(self.control["down_until"], self.control["ws_down_until"]):
            raise web.HTTPServiceUnavailable(text="restarting")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.add(ws)
        return ws

    async def ws_market(self, request):
        ws = await self._accept(request)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                req = json.loads(msg.data)
                names = list(req.get("params", []))
                if req.get("method") == "SUBSCRIBE":
                    for n in names:
                        self.streams.setdefault(n, set()).add(ws)
                    await ws.send_json({"result": None, "id": req.get("id")})
                    self.started.set()
                elif req.get("method") == "UNSUBSCRIBE":
                    for n in names:
                        self.streams.get(n, set()).discard(ws)
                    await ws.send_json({"result": None, "id": req.get("id")})
        finally:
            self.sockets.discard(ws)
            for subscribers in self.streams.values():
                subscribers.discard(ws)
        return ws

    async def ws_api(self, request):
        ws = await self._accept(request)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                req = json.loads(msg.data)
                if req.get("method") != "userDataStream.subscribe.signature":
                    await ws.send_json({"id": req.get("id"), "status": 400,
                                        "error": {"code": -1100, "msg": "Unsupported method."}})
                    continue
                params = dict(req.get("params", {}))
                signature = params.pop("signature", "")
                payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
                want = hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
                if params.get("apiKey") != self.api_key or not hmac.compare_digest(want, signature):
                    await ws.send_json({"id": req.get("id"), "status": 401,
                                        "error": {"code": -1022, "msg": "Signature for this request is not valid."}})
                    continue
                self.users.add(ws)
                await ws.send_json({"id": req.get("id"), "status": 200, "result": {"subscriptionId": 0},
                                    "rateLimits": []})
        finally:
            self.sockets.discard(ws)
            self.users.discard(ws)
        return ws

    def _push_user(self, event: dict) -> None:
        text = json.dumps({"subscriptionId": 0, "event": event})
        for ws in list(self.users):
            if not ws.closed:
                asyncio.ensure_future(ws.send_str(text))

    def _push(self, stream: str, data: dict) -> None:
        subscribers = self.streams.get(stream)
        if subscribers:
            text = json.dumps(data)
            for ws in list(subscribers):
                if not ws.closed:
                    asyncio.ensure_future(ws.send_str(text))

    # ---------------------------------------------------------------- the replay
    async def _start_replay(self, app):
        app["replay"] = asyncio.ensure_future(self._replay())

    async def _close_sockets(self, app):
        app["replay"].cancel()
        for ws in list(self.sockets):
            await ws.close()

    async def start(self, request):
        self.started.set()
        return web.json_response({"started": True})

    async def _replay(self):
        await self.started.wait()
        if any(m.bars is not None for m in self.markets.values()):
            await asyncio.sleep(0.5)  # a client's other streams subscribe
            await self._replay_bars()
            self.done.set()
            return
        while True:
            await self._replay_once()
            if not self.loop:
                break
            self.id_offset = self.last_update_id - int(self.snapshot["lastUpdateId"])
        self._close_kline("BTCUSDT")
        self.done.set()

    async def _replay_once(self):
        first = self.messages[0][0] if self.messages else 0
        # the recorded times moved to now (by whole minutes, so klines keep their boundaries), as a venue's are
        self.offset_ms = (int(time.time() * 1000) - first // MS) // 60_000 * 60_000 + 60_000 * (self.passes > 0)
        self.passes += 1
        t0 = time.monotonic()
        for i, (ts, stream, data) in enumerate(self.messages):
            delay = (ts - first) / 1e9 / self.speed - (time.monotonic() - t0) if self.speed > 0 else 0.0
            if delay > 0:
                await asyncio.sleep(delay)
            elif i % 16 == 0:
                await asyncio.sleep(0)  # behind (or as fast as it can): still let requests and sockets through
            try:
                self.replay_one(stream, data, ts)
            except Exception as exc:  # noqa: BLE001 - a bug here must show, not stall the feed
                self.error = f"message {i}: {type(exc).__name__}: {exc}"
                print(f"binance simulator: {self.error}", flush=True)
                raise
            self.position = i + 1

    def replay_one(self, stream: str, data: dict, ts: int) -> None:
        """One recorded message: the venue's state moves, the subscribers get it, resting orders match."""
        data = dict(data)
        for key in ("E", "T"):
            if key in data:
                data[key] += self.offset_ms
        self.now_ms = int(data.get("E") or data.get("T") or ts // MS + self.offset_ms)
        if stream.endswith("@bookTicker"):
            data = dict(data, E=self.now_ms)  # the venue's time of the quote, which the recording lacks
            sim_venue.book(self.eng, self.ctx, 0, float(data["b"]), float(data["B"]), float(data["a"]),
                           float(data["A"]), self.now_ms * MS)
            self._apply_engine_logs()
        elif "@depth" in stream:
            data["u"] += self.id_offset  # a looping feed keeps its update ids growing
            if int(data["u"]) <= self.last_update_id:
                return
            for side, key in (("bids", "b"), ("asks", "a")):
                for p, q in data[key]:
                    if float(q) == 0.0:
                        self.book[side].pop(float(p), None)
                    else:
                        self.book[side][float(p)] = float(q)
            data = dict(data, U=self.last_update_id + 1)  # no gap from where this venue's book starts
            self.last_update_id = int(data["u"])
        elif stream.endswith("@trade"):
            self._kline_trade("BTCUSDT", int(data["T"]), float(data["p"]), float(data["q"]))
        self._push(stream, data)

    def _kline_trade(self, symbol: str, t_ms: int, price: float, qty: float) -> None:
        start = t_ms - t_ms % 60_000
        k = self.kline[symbol]
        if k is not None and k[0] != start:
            self._close_kline(symbol)
            k = None
        if k is None:
            k = self.kline[symbol] = [start, price, price, price, price, 0.0]
        k[2], k[3], k[4] = max(k[2], price), min(k[3], price), price
        k[5] += qty

    def _close_kline(self, symbol: str) -> None:
        k = self.kline[symbol]
        if k is None:
            return
        self.kline[symbol] = None
        self.klines[symbol].append(k)
        self._push_kline(self.markets[symbol], k, closed=True)

    def _push_kline(self, market: Market, k: list, closed: bool) -> None:
        interval = market.interval or "1m"
        span = interval_ms(interval)
        self._push(f"{market.symbol.lower()}@kline_{interval}",
                   {"e": "kline", "E": k[0] + span if closed else self.now_ms, "s": market.symbol,
                    "k": {"t": k[0], "T": k[0] + span - 1, "s": market.symbol, "i": interval, "f": 0, "L": 0,
                          "o": fmt(k[1]), "c": fmt(k[4]), "h": fmt(k[2]), "l": fmt(k[3]), "v": fmt(k[5]), "n": 0,
                          "x": closed, "q": "0", "V": "0", "Q": "0", "B": "0"}})

    # ---------------------------------------------------------------- bar mode
    async def _replay_bars(self):
        """At each bar time, the bars of that time close: the resting orders are walked along them (the backtest's
        path rule), their fills reported, and a quarter of `bar_gap` later (so that the reports come first, as a
        backtest delivers fills before the bar's handler) each bar's kline closes and the next one opens at its
        close price, as Binance sends a period's first update when it starts. An order sent on a bar's close
        reaches the venue before the next bar, and fills on it, as in a backtest."""
        markets = [m for m in self.markets.values() if m.bars is not None]
        times = np.unique(np.concatenate([m.bars["ts_event"] for m in markets]))
        week = 7 * 86_400_000
        # the bars moved to now by whole weeks (same weekday and time of day): a venue's times are not past ones
        self.offset_ms = -((int(times[0]) // MS - int(time.time() * 1000)) // week) * week
        nxt = {m.symbol: 0 for m in markets}
        for i, t in enumerate(times.tolist()):
            self.now_ms = t // MS + self.offset_ms
            closing = []
            for m in markets:
                j = nxt[m.symbol]
                if j < len(m.bars) and m.bars["ts_event"][j] == t:
                    b = m.bars[j]
                    sim_venue.bar(self.eng, self.ctx, m.k, float(b["open"]), float(b["high"]), float(b["low"]),
                                  float(b["close"]), self.now_ms * MS)
                    closing.append((m, j))
                    nxt[m.symbol] = j + 1
            self._apply_engine_logs()
            await asyncio.sleep(self.bar_gap / 4)
            for m, j in closing:
                self._close_bar(m, j)
            self.position = i + 1
            await asyncio.sleep(self.bar_gap * 3 / 4)

    def _close_bar(self, market: Market, j: int) -> None:
        span = interval_ms(market.interval)
        bars = market.bars
        end = int(bars["ts_event"][j]) // MS + self.offset_ms
        b = bars[j]
        close = float(b["close"])
        k = [end - span, float(b["open"]), float(b["high"]), float(b["low"]), close, float(b["volume"])]
        self.klines[market.symbol].append(k)
        self._push_kline(market, k, closed=True)
        start = int(bars["ts_event"][j + 1]) // MS + self.offset_ms - span if j + 1 < len(bars) else end
        self.kline[market.symbol] = [start, close, close, close, close, 0.0]
        self._push_kline(market, self.kline[market.symbol], closed=False)

    # ---------------------------------------------------------------- test controls
    async def state(self, request):
        return web.json_response({"position": self.position, "messages": self.length, "error": self.error,
                                  "done": self.done.is_set(), "now_ms": self.now_ms, "requests": self.requests,
                                  "orders": [o.wire() for o in self.orders.values()], "trades": self.trades,
                                  "received_ns": self.received,
                                  "balances": {a: self.free[a] + self.locked[a] for a in self.free}})

    async def set_control(self, request):
        body = await request.json()
        if body.get("drop_ws"):
            for ws in list(self.sockets):
                await ws.close()
        for key in ("down_ms", "ws_down_ms"):  # all of the venue, or only its websockets
            if key in body:
                self.control[key.replace("_ms", "_until")] = time.monotonic() + body[key] / 1000
                for ws in list(self.sockets):
                    await ws.close()
        for key in ("delay_ms", "reject_orders", "rate_limit"):
            if key in body:
                self.control[key] = body[key]
        return web.json_response({k: v for k, v in self.control.items()})


def window(bars: np.ndarray, start: str | None, end: str | None) -> np.ndarray:
    """The bars closing at or after `start` and before `end` (ISO dates or times, UTC)."""
    ts = bars["ts_event"]
    keep = np.ones(len(bars), bool)
    if start:
        keep &= ts >= np.datetime64(start, "ns").astype(np.int64)
    if end:
        keep &= ts < np.datetime64(end, "ns").astype(np.int64)
    if not keep.any():
        raise SystemExit(f"no bars between {start or 'the start'} and {end or 'the end'}")
    return bars[keep]


def interval_ms(interval: str) -> int:
    """A kline interval (`1m`, `4h`, `1d`, `1w`) in ms."""
    units = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
    return int(interval[:-1]) * units[interval[-1]]


def error(status: int, code: int, msg: str) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=status)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nts.adapters.binance_sim", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--speed", type=float, default=1.0, help="replay speed (0: as fast as possible)")
    parser.add_argument("--feed", type=Path, default=FEED)
    parser.add_argument("--key", default=os.environ.get("NTS_SIM_KEY", "sim-key"))
    parser.add_argument("--secret", default=os.environ.get("NTS_SIM_SECRET", "sim-secret"))
    parser.add_argument("--start", action="store_true", help="start replaying at once, not at the first subscriber")
    parser.add_argument("--loop", action="store_true", help="replay the feed again and again")
    parser.add_argument("--bars", action="append", default=[], metavar="NAME=FILE",
                        help="bar mode: serve FILE's bars (Lean zip, CSV or Parquet) as the klines of market NAME "
                             "(`SPY`: quote USD, whole shares; `BTC/USD`: a pair); repeat for more markets")
    parser.add_argument("--interval", default="1d", help="bar mode: the bars' kline interval (1m, 1h, 1d, ...)")
    parser.add_argument("--bar-gap", type=float, default=0.2, help="bar mode: seconds between two bar closes")
    parser.add_argument("--from", dest="start_at", help="bar mode: the first bar's date (ISO, UTC)")
    parser.add_argument("--to", dest="end_at", help="bar mode: bars closing before this date (ISO, UTC)")
    parser.add_argument("--balance", action="append", default=[], metavar="ASSET=QTY",
                        help="the account's starting balance of ASSET (default 100,000 of each quote currency)")
    args = parser.parse_args(argv)
    bars = {name: window(read_events(path, "bars"), args.start_at, args.end_at)
            for name, _, path in (b.partition("=") for b in args.bars)}
    balances = {a: float(q) for a, _, q in (b.partition("=") for b in args.balance)}

    async def serve():
        sim = BinanceSim(args.key, args.secret, args.feed, args.speed, balances, bars, args.interval, args.bar_gap)
        sim.loop = args.loop
        if args.start:
            sim.started.set()
        runner = web.AppRunner(sim.app())
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port).start()
        what = f"{sum(len(b) for b in bars.values()):,} bars" if bars else f"{len(sim.messages):,} messages"
        print(f"binance simulator on http://127.0.0.1:{args.port} ({what})", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
