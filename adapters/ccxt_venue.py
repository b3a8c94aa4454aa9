"""A venue through ccxt: market data from its websocket API (ccxt.pro `watch_*`), orders by REST
(create/cancel), the account's own order updates from the user-data websocket, instrument metadata from
`load_markets`. Reconnects with exponential backoff and jitter; after each reconnect the scheduler re-syncs open
orders and fills by REST (runtime/live_scheduler.py).

Market data becomes the engine's event records (runtime/events.py): closed klines are bars (`ts_event` = the bar's
close), best bid/offer updates are quotes, trades are trades. Order updates become venue reports
(runtime/execution.py): Binance's `executionReport` is read field by field (each fill with its own trade id, price,
quantity, fee and maker flag); other venues through ccxt's unified order (fills from the growth of `filled`).

Credentials are given to ccxt and to nothing else: they never reach a log line, the journal or an exception text
(`redact` scrubs them from any message that passes through here).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

from ..runtime.events import BAR_DTYPE, QUOTE_DTYPE, TRADE_DTYPE, book_dtype
from ..runtime.execution import (REPORT_ACCEPTED, REPORT_CANCELED, REPORT_EXPIRED, REPORT_FILL, REPORT_REJECTED)
from ..runtime.events import REASON
from ..runtime.instruments import Instrument

MS = 1_000_000
TIMEFRAMES = {60 * 10**9: "1m", 300 * 10**9: "5m", 900 * 10**9: "15m", 3600 * 10**9: "1h", 14_400 * 10**9: "4h",
              86_400 * 10**9: "1d", 10**9: "1s"}
SPOT_OPTIONS = {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False,
                "fetchMargins": False, "adjustForTimeDifference": False,
                "fetchOpenOrders": {"warnWithoutSymbol": False}}
BOOK_LIMITS = (5, 10, 20, 50, 100, 500, 1000, 5000)  # the depths a REST order book read may ask for (Binance)


@dataclass
class Report:
    """One venue report about one of our orders, ready for LiveEngine.report."""

    kind: int
    client_id: str
    qty: float = 0.0
    price: float = 0.0
    fee: float = 0.0
    maker_or_reason: float = 0.0
    t: int = 0
    trade_id: str = ""


class VenueError(RuntimeError):
    """The venue refused or could not be reached; the message never holds a credential."""


class CcxtVenue:
    def __init__(self, exchange: str, api_key: str | None = None, secret: str | None = None,
                 base_url: str | None = None, options: dict | None = None):
        """`base_url`: http://host:port of a local venue speaking the exchange's protocol (the simulator): every
        REST and websocket URL of the client is pointed there."""
        import ccxt.async_support as ccxt_async
        import ccxt.pro as ccxt_pro

        self.exchange_id = exchange
        self._secrets = [s for s in (api_key, secret) if s]
        self.replaced: set[str] = set()  # venue ids of orders replaced by `amend`: their end is not ours
        # Rate limits as venues count them: a budget of request weight per rolling minute. (ccxt's default leaky
        # bucket does not refill while idle, so an order after a heavy call, however long ago, waited for it: the
        # first order of a run 200 ms, one after the 30-second re-sync of open orders up to 2 s.)
        config = {"apiKey": api_key, "secret": secret, "options": {**SPOT_OPTIONS, **(options or {})},
                  "enableRateLimit": True, "rateLimiterAlgorithm": "rollingWindow", "rollingWindowSize": 60_000}
        self.rest = getattr(ccxt_async, exchange)(dict(config))
        self.pro = getattr(ccxt_pro, exchange)(dict(config))
        if base_url:
            for client in (self.rest, self.pro):
                _localize(client.urls["api"], base_url)

    def redact(self, text: str) -> str:
        for s in self._secrets:
            text = text.replace(s, "***")
        return text

    async def open(self) -> None:
        await self.call(self.rest.load_markets)
        await self.call(self.pro.load_markets)

    async def close(self) -> None:
        await self.rest.close()
        await self.pro.close()

    async def call(self, fn, *args, retries: int = 5, **kwargs):
        """A REST call, retried with exponential backoff and jitter on network errors and rate limits."""
        import ccxt
        delay = 0.2
        for attempt in range(retries + 1):
            try:
                return await fn(*args, **kwargs)
            except (ccxt.NetworkError, ccxt.ExchangeNotAvailable) as exc:
                if attempt == retries or isinstance(exc, ccxt.InvalidNonce):
                    raise VenueError(self.redact(f"{type(exc).__name__}: {exc}")) from None
                await asyncio.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 10.0)
            except ccxt.BaseError as exc:
                raise VenueError(self.redact(f"{type(exc).__name__}: {exc}")) from None

    # ---------------------------------------------------------------- instruments
    def market_of(self, symbol: str) -> dict:
        """The ccxt market of an NTS symbol (`BTCUSDT.BINANCE`, `BTC/USDT`, `BTCUSDT`)."""
        root = symbol.rpartition(".")[0] if "." in symbol and "/" not in symbol else symbol
        markets = self.rest.markets
        if root in markets:
            return markets[root]
        by_id = self.rest.markets_by_id.get(root.replace("/", "").upper())
        if by_id:
            return by_id[0]
        raise VenueError(f"{self.exchange_id} has no market {symbol!r}")

    def instrument(self, symbol: str) -> Instrument:
        m = self.market_of(symbol)
        precision, limits = m.get("precision", {}), m.get("limits", {})
        return Instrument(symbol=symbol, kind="spot", currency=m["quote"], tick_size=precision.get("price") or 0.0,
                          lot_size=precision.get("amount") or 0.0, min_qty=(limits.get("amount") or {}).get("min") or 0.0,
                          min_notional=(limits.get("cost") or {}).get("min") or 0.0,
                          maker_fee=m.get("maker") or 0.0, taker_fee=m.get("taker") or 0.0)

    # ---------------------------------------------------------------- market data
    async def stream(self, kind: str, symbol: str, timeframe_ns: int | None, instrument: int,
                     depth: int | None = None):
        """Yields the event records of one subscription (`depth`: a book's levels a side), reconnecting as
        needed."""
        market = self.market_of(symbol)["symbol"]
        last_bar, pending = -1, None
        async for batch in self._watch(kind, market, timeframe_ns, depth):
            recv = time.time_ns()
            if kind == "bars":
                # ccxt gives the klines updated since the last read, each as it is now. A period's kline is closed
                # once a later period's arrives (Binance sends a period's first update as it starts): it is then
                # emitted with its last values.
                for candle in sorted(batch, key=lambda c: c[0]):
                    if pending is not None and candle[0] > pending[0] > last_bar:
                        last_bar = pending[0]
                        rec = np.zeros(1, BAR_DTYPE)[0]
                        rec["ts_event"] = pending[0] * MS + timeframe_ns
                        rec["ts_recv"], rec["instrument"] = recv, instrument
                        rec["open"], rec["high"], rec["low"], rec["close"], rec["volume"] = pending[1:6]
                        yield rec
                    if pending is None or candle[0] >= pending[0]:
                        pending = list(candle)
            elif kind == "quotes":
                t = batch.get(market) if isinstance(batch, dict) and market in batch else batch
                rec = np.zeros(1, QUOTE_DTYPE)[0]
                rec["ts_event"] = (t.get("timestamp") or recv // MS) * MS
                rec["ts_recv"], rec["instrument"] = recv, instrument
                rec["bid"], rec["ask"] = t["bid"], t["ask"]
                rec["bid_size"], rec["ask_size"] = t.get("bidVolume") or 0.0, t.get("askVolume") or 0.0
                yield rec
            elif kind == "book":
                yield _book_record(batch, depth, instrument, recv)
            elif kind == "trades":
                for tr in batch:
                    rec = np.zeros(1, TRADE_DTYPE)[0]
                    rec["ts_event"] = tr["timestamp"] * MS
                    rec["ts_recv"], rec["instrument"] = recv, instrument
                    rec["price"], rec["size"] = tr["price"], tr["amount"]
                    rec["aggressor"] = 1 if tr.get("side") == "buy" else -1
                    yield rec

    async def _watch(self, kind: str, market: str, timeframe_ns: int | None, depth: int | None = None):
        """The websocket's updates; while it is down, the same data polled by REST (between reconnect attempts,
        backing off with jitter)."""
        import ccxt
        delay = 0.2
        seen_trades: set = set()
        while True:
            try:
                if kind == "bars":
                    got = await self.pro.watch_ohlcv(market, TIMEFRAMES[timeframe_ns])
                elif kind == "quotes":
                    got = await self.pro.watch_bids_asks([market])
                elif kind == "book":  # the venue's diff stream applied to a REST snapshot, by ccxt
                    got = await self.pro.watch_order_book(market)
                else:
                    got = await self.pro.watch_trades(market)
                delay = 0.2
            except (ccxt.NetworkError, ccxt.ExchangeNotAvailable):
                got = await self._poll(kind, market, timeframe_ns, depth)
                await asyncio.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 5.0)
                if got is None:
                    continue
            if kind == "trades":
                got = [t for t in got if t["id"] not in seen_trades]
                seen_trades.update(t["id"] for t in got)
                if len(seen_trades) > 100_000:
                    seen_trades = {t["id"] for t in got}
            yield got

    async def _poll(self, kind: str, market: str, timeframe_ns: int | None, depth: int | None = None):
        """One REST read of what the websocket would have brought; None when that fails too."""
        import ccxt
        try:
            if kind == "bars":
                return await self.rest.fetch_ohlcv(market, TIMEFRAMES[timeframe_ns], limit=3)
            if kind == "quotes":
                return await self.rest.fetch_bids_asks([market])
            if kind == "book":
                return await self.rest.fetch_order_book(market, limit=next(n for n in BOOK_LIMITS if n >= depth))
            return await self.rest.fetch_trades(market)
        except ccxt.BaseError:
            return None

    # ---------------------------------------------------------------- orders
    async def submit(self, symbol: str, client_id: str, side: int, order_type: str, qty: float,
                     price: float | None, tif: str | None, post_only: bool, trigger: float | None = None,
                     trail_percent: float | None = None) -> dict:
        """`order_type`: market, limit, stop or stop_limit (a market or limit order once the price reaches
        `trigger` moving against the order: up for a buy), market_if_touched or limit_if_touched (the same, the
        price moving in the order's favour), trailing (a stop `trail_percent` away from the best price since)."""
        kind, params = _order_params(client_id, order_type, tif, post_only)
        # ccxt's unified trigger params; on Binance spot: STOP_LOSS(_LIMIT) and TAKE_PROFIT(_LIMIT)
        if order_type in ("stop", "stop_limit"):
            params["stopLossPrice"] = trigger
        elif order_type.endswith("_if_touched"):
            params["takeProfitPrice"] = trigger
        elif order_type == "trailing":  # Binance spot: a STOP_LOSS with trailingDelta = percent * 100
            params.update(trailingPercent=trail_percent, stopLossOrTakeProfit="stopLoss")
        market = self.market_of(symbol)["symbol"]
        return await self.call(self.rest.create_order, market, kind, "buy" if side > 0 else "sell", qty,
                               price if kind == "limit" else None, params, retries=2)

    @property
    def order_lists(self) -> bool:
        """Whether a bracket is sent as one order list (`submit_list`): Binance spot's OTO and OTOCO."""
        return self.exchange_id == "binance"

    async def submit_list(self, symbol: str, client_id: str, side: int, qty: float, price: float, post_only: bool,
                          exits: dict[str, float]) -> dict:
        """A GTC limit entry and its exits (`{"sl": stop price, "tp": limit price}`, one or both) as one Binance
        order list, OTO or OTOCO: the venue places the exits (`<client_id>-sl`, a STOP_LOSS; `-tp`, a LIMIT_MAKER)
        when the entry fills, one cancelling the other, holding the position once."""
        m = self.market_of(symbol)
        amount = self.rest.amount_to_precision(m["symbol"], qty)
        params = {"symbol": m["id"], "workingType": "LIMIT_MAKER" if post_only else "LIMIT",
                  "workingSide": "BUY" if side > 0 else "SELL", "workingClientOrderId": client_id,
                  "workingPrice": self.rest.price_to_precision(m["symbol"], price), "workingQuantity": amount,
                  "pendingSide": "SELL" if side > 0 else "BUY", "pendingQuantity": amount}
        if not post_only:
            params["workingTimeInForce"] = "GTC"
        legs = {name: {"Type": "STOP_LOSS" if name == "sl" else "LIMIT_MAKER", "ClientOrderId": f"{client_id}-{name}",
                       "StopPrice" if name == "sl" else "Price": self.rest.price_to_precision(m["symbol"], level)}
                for name, level in exits.items()}
        if len(legs) == 1:
            (leg,) = legs.values()
            params.update({f"pending{k}": v for k, v in leg.items()})
            return await self.call(self.rest.private_post_orderlist_oto, params, retries=2)
        # a long's take-profit is above the price and its stop below; a short's the other way round
        above, below = (legs["tp"], legs["sl"]) if side > 0 else (legs["sl"], legs["tp"])
        params.update({f"pendingAbove{k}": v for k, v in above.items()})
        params.update({f"pendingBelow{k}": v for k, v in below.items()})
        return await self.call(self.rest.private_post_orderlist_otoco, params, retries=2)

    async def amend(self, symbol: str, client_id: str, side: int, order_type: str, remaining: float,
                    price: float | None, tif: str | None, post_only: bool, trigger: float | None = None) -> dict:
        """Replaces an open order by one for the `remaining` quantity at the new prices, under the same client id
        (ccxt's edit_order; on Binance spot an atomic cancelReplace, which gives the order a new venue id). The
        replaced order's own end is not reported: the engine's order goes on."""
        if order_type == "trailing":
            raise VenueError(f"a trailing stop cannot be changed at {self.rest.id}")
        market = self.market_of(symbol)["symbol"]
        at_venue = await self.order(symbol, client_id)
        if at_venue is None or at_venue.get("status") != "open":
            raise VenueError(f"{client_id} is not open at the venue")
        kind, params = _order_params(client_id, order_type, tif, post_only)
        if order_type in ("stop", "stop_limit"):
            params["triggerPrice"] = trigger
        elif order_type.endswith("_if_touched"):  # Binance's names: ccxt's edit_order has no take-profit param
            kind = "TAKE_PROFIT_LIMIT" if kind == "limit" else "TAKE_PROFIT"
            params["triggerPrice"] = trigger
        self.replaced.add(str(at_venue["id"]))
        return await self.call(self.rest.edit_order, str(at_venue["id"]), market, kind,
                               "buy" if side > 0 else "sell", remaining,
                               price if kind.lower().endswith("limit") else None, params, retries=0)

    async def cancel(self, symbol: str, client_id: str) -> dict | None:
        """Asks the venue to cancel; None when it no longer has the order open."""
        import ccxt
        try:
            return await self.rest.cancel_order(None, self.market_of(symbol)["symbol"], {"clientOrderId": client_id})
        except ccxt.OrderNotFound:
            return None
        except ccxt.BaseError as exc:
            raise VenueError(self.redact(f"{type(exc).__name__}: {exc}")) from None

    async def order(self, symbol: str, client_id: str) -> dict | None:
        import ccxt
        try:
            return await self.rest.fetch_order(None, self.market_of(symbol)["symbol"], {"clientOrderId": client_id})
        except ccxt.OrderNotFound:
            return None
        except ccxt.BaseError as exc:
            raise VenueError(self.redact(f"{type(exc).__name__}: {exc}")) from None

    async def open_orders(self, symbol: str) -> list[dict]:
        return await self.call(self.rest.fetch_open_orders, self.market_of(symbol)["symbol"])

    async def my_trades(self, symbol: str, since_ms: int | None = None) -> list[dict]:
        return await self.call(self.rest.fetch_my_trades, self.market_of(symbol)["symbol"], since_ms)

    async def balances(self) -> dict:
        return (await self.call(self.rest.fetch_balance))["total"]

    async def reports(self):
        """Yields the venue's reports about the account's orders, from the user-data websocket: each fill from
        `watch_my_trades` (ccxt keeps only an order's latest state, so two fills of one order between two reads
        would show as one), the order's acknowledgement and its end from `watch_orders`. Before an order's end
        is reported, any of its fills not yet seen are fetched by REST, so the engine never finishes an order
        that has fills still to come. None tells the scheduler the stream reconnected: re-sync by REST."""
        queue: asyncio.Queue = asyncio.Queue()
        tasks = [asyncio.ensure_future(self._pump(self.pro.watch_my_trades, queue, "trades")),
                 asyncio.ensure_future(self._pump(self.pro.watch_orders, queue, "orders"))]
        seen_trades: set = set()
        client_of: dict[str, str] = {}  # the venue's order id -> our client id
        reported: dict[str, float] = {}  # client id -> quantity of its fills reported
        try:
            while True:
                kind, items = await queue.get()
                if items is None:
                    yield None
                    continue
                for item in items:
                    if kind == "trades":
                        report = self._fill(item, client_of, seen_trades, reported)
                        if report is not None:
                            yield report
                        continue
                    cid = item.get("clientOrderId") or ""
                    client_of[str(item["id"])] = cid
                    if str(item["id"]) in self.replaced:
                        continue  # canceled by an amend: the order goes on under a new venue id
                    status = item.get("status")
                    if status == "open" and cid not in reported:
                        reported[cid] = 0.0
                        yield Report(REPORT_ACCEPTED, cid, t=_ns(item))
                    elif status in ("canceled", "expired", "rejected"):
                        if float(item.get("filled") or 0.0) > reported.get(cid, 0.0) + 1e-12:
                            for t in await self.my_trades(item["symbol"], None):
                                if str(t.get("order")) == str(item["id"]):
                                    report = self._fill(t, client_of, seen_trades, reported)
                                    if report is not None:
                                        yield report
                        kind_of = {"canceled": REPORT_CANCELED, "expired": REPORT_EXPIRED,
                                   "rejected": REPORT_REJECTED}[status]
                        yield Report(kind_of, cid, maker_or_reason=REASON["venue"] if status == "rejected" else 0.0,
                                     t=_ns(item))
        finally:
            for task in tasks:
                task.cancel()

    async def _pump(self, watch, queue: asyncio.Queue, kind: str) -> None:
        import ccxt
        delay = 0.2
        while True:
            try:
                items = await watch()
                delay = 0.2
                await queue.put((kind, list(items)))
            except (ccxt.NetworkError, ccxt.ExchangeNotAvailable):
                await queue.put((kind, None))
                await asyncio.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 10.0)

    def _fill(self, trade: dict, client_of: dict, seen: set, reported: dict) -> Report | None:
        trade_id = str(trade["id"])
        if trade_id in seen:
            return None
        info = trade.get("info") or {}
        cid = info.get("c") if info.get("e") == "executionReport" else None
        cid = cid or client_of.get(str(trade.get("order")))
        if not cid:
            return None  # not ours, or an order this run has not seen: the re-sync by REST finds it
        seen.add(trade_id)
        if len(seen) > 100_000:
            seen.clear()
            seen.add(trade_id)
        fee = trade.get("fee") or {}
        cost = float(fee.get("cost") or 0.0)
        base = (trade.get("symbol") or "/").split("/")[0]
        if fee.get("currency") == base:
            cost *= float(trade["price"])  # a commission in the base asset, valued in the quote
        reported[cid] = reported.get(cid, 0.0) + float(trade["amount"])
        return Report(REPORT_FILL, cid, float(trade["amount"]), float(trade["price"]), cost,
                      1.0 if trade.get("takerOrMaker") == "maker" else 0.0, _ns(trade), trade_id)


def _ns(item: dict) -> int:
    return int(item.get("lastUpdateTimestamp") or item.get("timestamp") or 0) * MS


def _localize(urls: dict, base_url: str) -> None:
    """Points every URL of a ccxt client at `base_url` (http://host:port), keeping each path."""
    http = base_url.rstrip("/")
    ws = "ws" + http[4:] if http.startswith("http") else http
    for key, value in list(urls.items()):
        if isinstance(value, dict):
            _localize(value, base_url)
        elif isinstance(value, str) and "://" in value:
            parts = urlsplit(value)
            urls[key] = (ws if parts.scheme in ("ws", "wss") else http) + parts.path
    if "public" in urls and "private" in urls:
        urls["public"] = urls["private"] = f"{http}/api/v3"
    ws_urls = urls.get("ws")
    if isinstance(ws_urls, dict) and "spot" in ws_urls:
        ws_urls["spot"] = f"{ws}/ws"
        if isinstance(ws_urls.get("ws-api"), dict):
            ws_urls["ws-api"]["spot"] = f"{ws}/ws-api/v3"


def _order_params(client_id: str, order_type: str, tif: str | None, post_only: bool) -> tuple[str, dict]:
    """ccxt's order type (market or limit) of one of ours, and the params every order takes."""
    kind = "limit" if order_type.endswith("limit") else "market"
    params = {"clientOrderId": client_id}
    if tif and kind == "limit" and not post_only:
        params["timeInForce"] = tif
    if post_only:
        params["postOnly"] = True
    return kind, params


def _book_record(book: dict, depth: int, instrument: int, recv: int) -> np.void:
    """A ccxt order book as the engine's book snapshot of `depth` levels a side. Venues that send price levels
    (L2) do not say how many orders each holds: those counts are na."""
    rec = np.zeros(1, book_dtype(depth))[0]
    rec["ts_event"] = (book.get("timestamp") or recv // MS) * MS
    rec["ts_recv"], rec["instrument"] = recv, instrument
    bids, asks = book["bids"][:depth], book["asks"][:depth]
    for side, levels in (("bid", bids), ("ask", asks)):
        for m, level in enumerate(levels):
            rec[f"{side}_price"][m], rec[f"{side}_size"][m] = level[0], level[1]
        rec[f"{side}_orders"][:] = np.nan
    rec["levels"] = max(len(bids), len(asks))
    return rec
