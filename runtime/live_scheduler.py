"""`ntc live`: the asyncio scheduler that runs a compiled strategy on a venue through ccxt.

One coroutine owns the engine (runtime/live.LiveEngine) and takes its inputs from one queue, in arrival order:
market events (one task per subscribed stream), the venue's reports about our orders (the user-data websocket),
clock ticks (timers fire from the wall clock). Each input is journaled before it is fed; what it makes the engine
send is journaled and written out to the file before it is sent (a killed process never sent an order its journal
lacks). Orders get the client id `<strategy id>-<seq>`, the same after a restart, so the venue can tell a resend.

State (runtime/state_store.py) holds every order sent and fill booked, and a snapshot of the engine every
`snapshot_every` inputs. A restart loads the snapshot, feeds the journal's later inputs again, and reconciles with
the venue: orders it never received are sent, fills and cancels it reported while we were down are fed in order,
orders it holds that we do not know are canceled; each difference is logged.

Paper mode: the venue's market data, the simulated venue's fills (nothing is sent); no keys needed.

Exit codes: 0 stopped (signal, --duration), 1 a bad strategy or configuration, 4 the venue refused us (credentials,
unreachable), 5 the engine stopped (runtime/live.LiveError).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..adapters.ccxt_venue import CcxtVenue, Report, VenueError
from .backtest import Risk, Venue
from .events import REASON
from .execution import REPORT_ACCEPTED, REPORT_CANCELED, REPORT_EXPIRED, REPORT_FILL, REPORT_REJECTED
from .intents import (FLAG_POST_ONLY, TIF_FOK, TIF_IOC, TRAIL_PERCENT, TYPE_LIMIT, TYPE_LIMIT_IF_TOUCHED,
                      TYPE_MARKET, TYPE_MARKET_IF_TOUCHED, TYPE_STOP, TYPE_STOP_LIMIT, TYPE_TRAILING)
from .journal import CLOCK, MARKET, REPORT, STOP, JournalWriter, read_rows, report_fields, trade_key
from .live import BarAligner, LiveEngine, LiveError
from .order_lists import OrderLists, exits_of
from .replay import header_of

EXIT_STOPPED, EXIT_CONFIG, EXIT_VENUE, EXIT_ENGINE = 0, 1, 4, 5
# REST polling fallback for our orders' reports: an order the venue has not reported on this long after it was
# sent is fetched by REST (its report lost, or sent before the user-data stream was subscribed), and every open
# order is fetched at the slower interval.
ACK_TIMEOUT_S = 2.0
BAR_WAIT_S = 3.0  # how long a bar waits for the same period's bars of the strategy's other instruments
POLL_ALL_S = 30.0
# The order types sent to venues (CcxtVenue.submit). Trailing stops go by percent only, in whole basis points
# (what Binance's trailingDelta takes): a distance in price or ticks would be a different order at the venue.
ORDER_TYPES = {TYPE_MARKET: "market", TYPE_LIMIT: "limit", TYPE_STOP: "stop", TYPE_STOP_LIMIT: "stop_limit",
               TYPE_MARKET_IF_TOUCHED: "market_if_touched", TYPE_LIMIT_IF_TOUCHED: "limit_if_touched",
               TYPE_TRAILING: "trailing"}


@dataclass
class LiveConfig:
    strategy: str
    venue: str = "binance"
    base_url: str | None = None          # a local venue speaking the exchange's protocol (the simulator)
    paper: bool = False
    params: dict = field(default_factory=dict)
    param_pairs: tuple = ()              # `--param k=v`, typed by the strategy's params
    cash: float = 100_000.0              # paper mode's starting cash
    currency: str | None = None          # the account's currency (default: the first instrument's)
    state: str | None = None             # default: sqlite beside the journal
    journal: str | None = None           # default: .ntc/live/<strategy id>/ beside the strategy
    strategy_id: str | None = None
    fsync_interval: float = 1.0
    snapshot_every: int = 500
    cancel_on_exit: bool = False
    status_interval: float = 5.0
    duration: float | None = None        # stop after this many seconds
    log: str | None = None               # JSON log lines: a file, "-" for stdout; default: live.log in the journal
    api_key_env: str = "NTS_API_KEY"
    secret_env: str = "NTS_API_SECRET"
    credentials: str | None = None       # a TOML file with api_key and secret (outside the repository)

    @classmethod
    def from_toml(cls, path: str, **overrides) -> LiveConfig:
        import tomllib
        with open(path, "rb") as f:
            data = tomllib.load(f)
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)


class ConfigError(ValueError):
    """A run that cannot start as configured."""


class JsonLog:
    def __init__(self, target: str, redact):
        self.file = sys.stdout if target == "-" else open(target, "a", buffering=1)
        self.redact = redact

    def __call__(self, event: str, **fields) -> None:
        line = json.dumps({"ts": time.time_ns(), "event": event, **fields}, default=str)
        self.file.write(self.redact(line) + "\n")


class Scheduler:
    def __init__(self, cfg: LiveConfig):
        self.cfg = cfg
        self.queue: asyncio.Queue = asyncio.Queue()
        self.latencies: list[int] = []
        self.inputs = 0
        self.sending: set = set()
        self.recv_ns = 0
        self.spawned = False  # a send was started by the input just handled
        self.booked: set[int] = set()  # the trade keys of the fills fed to the engine (journal.trade_key)
        self.unreported: dict[str, float] = {}  # client id -> when it was sent (or last polled), until a report
        self.sends: dict[str, asyncio.Task] = {}  # client id -> the request sending it, while in flight

    # ---------------------------------------------------------------- set-up
    def _credentials(self) -> tuple[str | None, str | None]:
        if self.cfg.paper:
            return None, None
        if self.cfg.credentials:
            import tomllib
            with open(self.cfg.credentials, "rb") as f:
                data = tomllib.load(f)
            return data.get("api_key"), data.get("secret")
        return os.environ.get(self.cfg.api_key_env), os.environ.get(self.cfg.secret_env)

    async def run(self) -> int:
        from .run_command import UsageError, parse_params
        from .strategy import compile_strategy
        cfg = self.cfg
        strategy = compile_strategy(cfg.strategy)
        m = strategy.manifest
        try:
            cfg.params = {**cfg.params, **parse_params(m, tuple(cfg.param_pairs))}
        except UsageError as exc:
            print(f"ntc live: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        if any(s.data == "book" and s.mbo for s in m.streams):
            print("ntc live: `book mbo` streams are not available live: venues reached through ccxt send price "
                  "levels (L2); subscribe with `book depth N`", file=sys.stderr)
            return EXIT_CONFIG
        self.sid = (cfg.strategy_id or m.strategy.lower())[:24]
        self.lists = OrderLists(self.sid)
        folder = Path(cfg.journal) if cfg.journal else Path(cfg.strategy).parent / ".ntc" / "live" / self.sid
        folder.mkdir(parents=True, exist_ok=True)
        key, secret = self._credentials()
        if not cfg.paper and not (key and secret):
            print(f"ntc live: no credentials: set {cfg.api_key_env} and {cfg.secret_env}, or give --credentials",
                  file=sys.stderr)
            return EXIT_CONFIG
        self.venue = CcxtVenue(cfg.venue, key, secret, base_url=cfg.base_url)
        self.log = JsonLog(cfg.log or str(folder / "live.log"), self.venue.redact)
        try:
            await self.venue.open()
            specs = [self.venue.instrument(i.symbol) for i in m.instruments]
            if not cfg.paper:
                await self.venue.balances()  # a signed call: wrong credentials stop us here
        except VenueError as exc:
            print(f"ntc live: {cfg.venue}: {exc}", file=sys.stderr)
            await self.venue.close()
            return EXIT_VENUE
        from .state_store import open_store
        self.store = open_store(cfg.state or f"sqlite:///{(folder / 'state.db').resolve()}", self.sid)
        start = time.time_ns()
        risk, venue_models = Risk(), Venue()
        self.currency = cfg.currency or specs[0].currency  # a spot account holds the quote currency
        try:
            engine = LiveEngine(strategy, specs, params=cfg.params, cash=cfg.cash, paper=cfg.paper, start_ns=start,
                                currency=self.currency)
        except (LiveError, ValueError, RuntimeError) as exc:
            print(f"ntc live: {exc}", file=sys.stderr)
            self.store.close()
            await self.venue.close()
            return EXIT_CONFIG
        journal = JournalWriter(folder / "journal", header_of(engine, cfg.params, cfg.cash, self.currency, None,
                                                              risk, venue_models, start), cfg.fsync_interval)
        self.engine, self.journal, self.specs, self.strategy = engine, journal, specs, strategy
        try:
            fresh = self._recover(folder / "journal")
            for cid, fields in self.store.orders().items():  # the brackets sent as order lists before a restart
                if fields.get("exits"):
                    self.lists.entry(int(fields["seq"]), fields["exits"])
                elif "list_parent" in fields:
                    self.lists.open_exit(int(fields["seq"]), int(fields["list_parent"]), TYPE_STOP if
                                         cid.endswith("-sl") else TYPE_LIMIT)
            self.engine.journal = journal
            if not cfg.paper:  # on a fresh start, what `on start` sent is not at the venue yet, and not a difference
                await self._reconcile(set(self.engine.started.orders["seq"].tolist()) if fresh else set())
            if fresh:  # what `on start` sent, as input 0 (after the reconciliation, which must not see it)
                started = self.engine.started
                journal.outputs(0, self.engine.time, started.orders, started.cancels, started.modifies)
                self._dispatch(self.engine.started)
            return await self._loop()
        except ConfigError as exc:
            print(f"ntc live: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        except LiveError as exc:
            self.log("engine_stopped", reason=str(exc))
            print(f"ntc live: {exc}", file=sys.stderr)
            return EXIT_ENGINE
        except VenueError as exc:
            self.log("venue_error", reason=str(exc))
            print(f"ntc live: {cfg.venue}: {exc}", file=sys.stderr)
            return EXIT_VENUE
        finally:
            journal.close()
            self.store.close()
            await self.venue.close()

    def _recover(self, journal_dir: Path) -> bool:
        """A restart: the engine as the last snapshot left it, then the journal's later inputs fed again (their
        outputs were sent before, or are found missing by the reconciliation). True for a fresh run."""
        from .journal import read_header
        header = read_header(journal_dir)
        if header["params"] != self.cfg.params or header["source_sha256"] != self.strategy.manifest.source_sha256:
            raise ConfigError(f"{journal_dir.parent} holds a run of {header['strategy']} with params "
                              f"{header['params']} (or another version of the strategy): continue it with those, or "
                              "give another --journal for a new run")
        engine = self.engine
        if header["start_ns"] != engine.time:  # the engine of the first start, with its start time
            engine = LiveEngine(self.strategy, self.specs, params=self.cfg.params, cash=self.cfg.cash,
                                paper=self.cfg.paper, start_ns=header["start_ns"], currency=self.currency)
            self.engine = engine
        snap = self.store.snapshot()
        after = 0
        for n, kind, stream, t, data in read_rows(journal_dir):  # the fills the engine has booked, by trade
            if kind == REPORT:
                r = report_fields(data)
                if int(r["kind"]) == REPORT_FILL and int(r["trade"]):
                    self.booked.add(int(r["trade"]))
        if snap is not None:
            after, blob = snap
            engine.restore(blob)
        fed = 0
        for n, kind, stream, t, data in read_rows(journal_dir):
            if n <= after or kind not in (MARKET, CLOCK, REPORT, STOP):
                continue
            if kind == MARKET:
                engine.market(stream, np.frombuffer(data, engine.one[stream].dtype)[0])
            elif kind == CLOCK:
                engine.clock(t)
            elif kind == REPORT:
                r = report_fields(data)
                engine.report(int(r["kind"]), int(r["seq"]), float(r["a"]), float(r["b"]), float(r["c"]),
                              float(r["d"]), t, int(r["trade"]))
            else:
                engine.stop(t)
            fed += 1
        if snap is not None or fed:
            self.log("recovered", snapshot_input=after, journal_inputs=fed, open_orders=len(engine.open_orders()))
        return snap is None and fed == 0

    def _fields(self, row) -> dict:
        return _order_fields(row, self.lists.cid(int(row["seq"])), self.specs)

    # ---------------------------------------------------------------- reconciliation
    async def _reconcile(self, unsent: set[int]) -> None:
        """Makes the engine and the venue agree after a (re)start; logs every difference it finds. `unsent`: the
        orders the engine holds that are still to be sent."""
        engine = self.engine
        known = self.store.orders()
        open_rows = {int(o["seq"]): o for o in engine.open_orders() if int(o["seq"]) not in unsent}
        candidates = dict(known)
        for seq, row in open_rows.items():  # journaled, maybe killed before the state row was written
            candidates.setdefault(self.lists.cid(seq), self._fields(row))
        for cid, fields in sorted(candidates.items(), key=lambda kv: kv[1]["seq"]):
            seq = int(fields["seq"])
            at_venue = await self.venue.order(fields["symbol"], cid)
            if at_venue is None:
                if seq in open_rows and "list_parent" not in fields:  # a list's exits are the venue's to place
                    self.log("reconcile", difference="order never reached the venue: sent again", client_id=cid)
                    self.store.save_order(cid, fields)
                    await self._send(fields)
                continue
            if cid not in known:
                self.store.save_order(cid, fields)
            await self._feed_venue_order(fields, at_venue)
        for i, spec in enumerate(self.specs):
            for order in await self.venue.open_orders(spec.symbol):
                cid = order.get("clientOrderId") or ""
                if cid.startswith(self.sid + "-") and cid not in known:
                    self.log("reconcile", difference="an order of ours the state does not hold: canceled", client_id=cid)
                    await self.venue.cancel(spec.symbol, cid)

    async def _feed_venue_order(self, fields: dict, order: dict) -> None:
        """Feeds what the venue says happened to one of our orders that the engine has not seen."""
        cid, seq = order.get("clientOrderId") or "", int(fields["seq"])
        row_open = any(int(o["seq"]) == seq for o in self.engine.open_orders())
        if not row_open:
            return
        trades = [t for t in await self.venue.my_trades(fields["symbol"]) if str(t.get("order")) == str(order["id"])]
        for t in trades:
            if trade_key(str(t["id"])) not in self.booked:
                self.log("reconcile", difference="a fill reported while we were away", client_id=cid,
                         trade_id=t["id"])
                fee = float((t.get("fee") or {}).get("cost") or 0.0)
                self._dispatch(self._report(Report(
                    REPORT_FILL, cid, float(t["amount"]), float(t["price"]), fee,
                    1.0 if t.get("takerOrMaker") == "maker" else 0.0, int(t["timestamp"]) * 10**6, str(t["id"]))))
        status = order.get("status")
        if status in ("canceled", "expired", "rejected"):
            self.log("reconcile", difference=f"order {status} while we were away", client_id=cid)
            kind = {"canceled": REPORT_CANCELED, "expired": REPORT_EXPIRED, "rejected": REPORT_REJECTED}[status]
            self._dispatch(self._report(Report(kind, cid, t=time.time_ns())))
        elif status == "open":
            self._dispatch(self._report(Report(REPORT_ACCEPTED, cid, t=time.time_ns())))

    # ---------------------------------------------------------------- the loop
    async def _loop(self) -> int:
        cfg, engine, m = self.cfg, self.engine, self.strategy.manifest
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._request_stop)
        tasks = []
        together: dict[int, list[int]] = {}  # timeframe -> the bar streams fed
        for i in engine.feeds():
            s = m.streams[i]
            k = [inst.name for inst in m.instruments].index(s.instrument)
            tasks.append(asyncio.ensure_future(self._pump_market(i, s, self.specs[k].symbol, k)))
            if s.data == "bars":
                together.setdefault(s.timeframe_ns, []).append(i)
        self.aligner = BarAligner([g for g in together.values() if len(g) > 1], BAR_WAIT_S)
        if self.aligner.group_of:
            tasks.append(asyncio.ensure_future(self._release_bars()))
        if not cfg.paper:
            tasks.append(asyncio.ensure_future(self._pump_reports()))
            tasks.append(asyncio.ensure_future(self._poll_orders()))
        tasks.append(asyncio.ensure_future(self._pump_clock()))
        tasks.append(asyncio.ensure_future(self._status()))
        if cfg.duration:
            loop.call_later(cfg.duration, self._request_stop)
        self.log("started", strategy=m.strategy, venue=cfg.venue, paper=cfg.paper, streams=len(tasks))
        try:
            while True:
                item = await self.queue.get()
                if item[0] == "stop":
                    break
                self._handle(item)
                if self.spawned:  # let the sends start now, not once the queue is empty
                    self.spawned = False
                    await asyncio.sleep(0)
        finally:
            for t in tasks:
                t.cancel()
        box = engine.stop(time.time_ns())
        self._dispatch(box)
        if cfg.cancel_on_exit and not cfg.paper:
            for o in engine.open_orders():
                spec = self.specs[int(o["instrument"])]
                await self.venue.cancel(spec.symbol, self.lists.cid(int(o["seq"])))
        if self.sending:
            await asyncio.gather(*self.sending, return_exceptions=True)
        self.journal.flush(sync=True)
        self.store.save_snapshot(engine.events_in, engine.snapshot())
        self.log("stopped", inputs=self.inputs, equity=engine.equity,
                 positions={s.symbol: engine.position(k) for k, s in enumerate(self.specs)})
        return EXIT_STOPPED

    def _request_stop(self) -> None:
        """SIGINT, SIGTERM, --duration: the inputs queued before it are handled, then the run stops."""
        self.queue.put_nowait(("stop",))

    def _handle(self, item) -> None:
        kind = item[0]
        t0 = time.perf_counter_ns()
        if kind == "market":
            self.recv_ns = int(item[2]["ts_recv"])
            box = self.engine.market(item[1], item[2])
        elif kind == "clock":
            box = self.engine.clock(item[1])
        elif kind == "report":
            box = self._report(item[1])
            if box is None:
                return
        else:  # "resync": the user-data stream reconnected
            asyncio.ensure_future(self._resync())
            return
        self.latencies.append(time.perf_counter_ns() - t0)
        if len(self.latencies) > 100_000:
            del self.latencies[:50_000]
        self.inputs += 1
        self._dispatch(box)
        if self.inputs % self.cfg.snapshot_every == 0:
            self.journal.flush(sync=True)
            self.store.save_snapshot(self.engine.events_in, self.engine.snapshot())

    def _report(self, r: Report):
        """Feeds one venue report; a fill the engine has booked already (reported twice: by the stream and by a
        re-sync, or before a restart) is dropped. The journal row is written before the state row: a restart
        trusts the journal, which is what the engine is rebuilt from."""
        seq = self.lists.seq(r.client_id)
        if seq is None:
            self.lists.wait(r.client_id, r)
            return None
        self.unreported.pop(r.client_id, None)
        if r.kind == REPORT_EXPIRED and r.client_id in self.lists.seq_of:
            r.kind = REPORT_CANCELED  # an order list's exit that its sibling's fill ended (the venue: expired)
        key = trade_key(r.trade_id) if r.kind == REPORT_FILL and r.trade_id else 0
        if key and key in self.booked:
            return None
        row, box = self.engine.report(r.kind, seq, r.qty, r.price, r.fee, r.maker_or_reason,
                                      max(r.t, self.engine.time), key)
        if key:
            self.booked.add(key)
            if self.engine.journal is not None:
                self.journal.flush(sync=None)
            self.store.save_fill(r.trade_id, {"client_id": r.client_id, "seq": seq, "qty": r.qty, "price": r.price,
                                              "fee": r.fee, "t": r.t})
        if row < 0 and r.kind != REPORT_ACCEPTED:
            self.log("report_unmatched", client_id=r.client_id, kind=r.kind)
        return box

    def _dispatch(self, box) -> None:
        """Logs what the engine did, then sends its orders, cancels and changes (after their journal rows are
        written)."""
        if not box:
            return
        if len(box.orders) or len(box.cancels) or len(box.modifies):
            self.journal.flush(sync=None)
        for f in box.fills:
            self.log("fill", seq=int(f["seq"]), side=int(f["side"]), qty=float(f["qty"]), price=float(f["price"]),
                     fee=float(f["fee"]))
        for ts, row in box.logs:
            self.log("strategy_log", t=int(ts), text=self.strategy.format_log(row))
        table = {int(o["seq"]): o for o in self.engine.open_orders()} if len(box.orders) else {}
        for row in box.orders:
            fields = self._fields(row)
            fields["recv_ns"] = self.recv_ns  # when the input that caused it arrived (market inputs)
            parent = int(row["parent"])
            if self.lists.is_exit(parent):  # sent with its entry: the venue placed it when the entry filled
                cid, early = self.lists.open_exit(int(row["seq"]), parent, int(row["order_type"]))
                fields.update(client_id=cid, list_parent=parent)
                self.log("order", **fields)
                self.store.save_order(cid, fields)
                for r in early:
                    self.queue.put_nowait(("report", r))
                continue
            exits = exits_of(table[int(row["seq"])]) if self.venue.order_lists and not self.cfg.paper and \
                int(row["seq"]) in table else {}
            if exits:
                self.lists.entry(int(row["seq"]), exits)
                fields["exits"] = exits
            self.log("order", **fields)
            if not self.cfg.paper:
                self.store.save_order(fields["client_id"], fields)
                self._spawn(self._send(fields), fields["client_id"])
        for ev in box.cancels:
            cid = self.lists.cid(int(ev["seq"]))
            self.log("cancel", client_id=cid)
            if not self.cfg.paper:
                self._spawn(self.venue.cancel(self.specs[int(ev["instrument"])].symbol, cid))
        if len(box.modifies):
            rows = {int(o["seq"]): o for o in self.engine.open_orders()}
            for seq in dict.fromkeys(int(ev["seq"]) for ev in box.modifies):  # once per order and input
                if seq in self.lists.cid_of:
                    continue  # an order list's exit: the venue grows it with its entry's fills itself
                if seq in rows:  # not ended by the same input
                    fields = self._fields(rows[seq])
                    self.log("modify", **fields)
                    if not self.cfg.paper:
                        self.store.save_order(fields["client_id"], fields)
                        self._spawn(self._amend(fields, float(rows[seq]["filled"])))

    def _spawn(self, coro, sends: str | None = None) -> None:
        """Starts a request to the venue; `sends`: the client id of the order it sends (a change waits for it)."""
        task = asyncio.ensure_future(coro)
        self.spawned = True
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)
        if sends is not None:
            self.sends[sends] = task
            task.add_done_callback(lambda _: self.sends.pop(sends, None))

    async def _send(self, fields: dict) -> None:
        try:
            if fields["type"] not in ORDER_TYPES.values():
                raise VenueError(f"{fields['type']} orders are not sent to {self.cfg.venue} yet")
            if fields["type"] == "trailing" and fields.get("trail_percent") is None:
                raise VenueError(f"trailing stops are sent to {self.cfg.venue} by percent only, in steps of 0.01%")
            self.log("order_sent", client_id=fields["client_id"], recv_ns=fields.get("recv_ns", 0),
                     sent_ns=time.time_ns())
            self.unreported[fields["client_id"]] = time.monotonic()
            if fields.get("exits"):
                await self.venue.submit_list(fields["symbol"], fields["client_id"], fields["side"], fields["qty"],
                                             fields["price"], fields["post_only"], fields["exits"])
            else:
                await self.venue.submit(fields["symbol"], fields["client_id"], fields["side"], fields["type"],
                                        fields["qty"], fields["price"], fields["tif"], fields["post_only"],
                                        fields.get("trigger"), fields.get("trail_percent"))
        except VenueError as exc:
            if "Duplicate order" in str(exc):
                return  # a resend of an order the venue already holds
            self.log("order_rejected", client_id=fields["client_id"], reason=str(exc))
            await self.queue.put(("report", Report(REPORT_REJECTED, fields["client_id"],
                                                   maker_or_reason=REASON["venue"], t=time.time_ns())))

    async def _amend(self, fields: dict, filled: float) -> None:
        """Tells the venue of an order's new quantity or prices, once the order has reached it."""
        cid = fields["client_id"]
        sending = self.sends.get(cid)
        if sending is not None:
            await asyncio.wait([sending])
        try:
            if fields["seq"] in self.lists.entries:
                raise VenueError("the entry of an order list cannot be changed at the venue")
            await self.venue.amend(fields["symbol"], cid, fields["side"], fields["type"], fields["qty"] - filled,
                                   fields["price"], fields["tif"], fields["post_only"], fields.get("trigger"))
        except VenueError as exc:
            self.log("modify_failed", client_id=cid, reason=str(exc))
            await self.queue.put(("resync",))  # what the venue holds of it now (replaced, or canceled, or filled)

    async def _resync(self) -> None:
        """What the venue says of each order the engine holds open (after a reconnect, or polling)."""
        for row in self.engine.open_orders():
            fields = self._fields(row)
            order = await self.venue.order(fields["symbol"], fields["client_id"])
            if order is not None:
                await self._feed_venue_order(fields, order)

    async def _poll_orders(self) -> None:
        """The REST polling fallback of the user-data stream (ACK_TIMEOUT_S, POLL_ALL_S)."""
        last_all = time.monotonic()
        while True:
            await asyncio.sleep(ACK_TIMEOUT_S / 2)
            now = time.monotonic()
            stale = [cid for cid, sent in self.unreported.items() if now - sent > ACK_TIMEOUT_S]
            if stale or now - last_all > POLL_ALL_S:
                for cid in stale:
                    self.unreported[cid] = now
                    self.log("poll", client_id=cid, reason="no report from the venue's stream")
                last_all = now if now - last_all > POLL_ALL_S else last_all
                await self.queue.put(("resync",))

    async def _pump_market(self, i: int, s, symbol: str, k: int) -> None:
        async for rec in self.venue.stream(s.data, symbol, s.timeframe_ns, k, s.depth):
            if self.aligner.aligns(i):
                for j, bar in self.aligner.push(i, rec, time.monotonic()):
                    await self.queue.put(("market", j, bar))
            else:
                await self.queue.put(("market", i, rec))

    async def _release_bars(self) -> None:
        """Feeds the bars that waited BAR_WAIT_S for another instrument's bar of their time."""
        while True:
            await asyncio.sleep(BAR_WAIT_S / 8)
            for j, bar in self.aligner.due(time.monotonic()):
                await self.queue.put(("market", j, bar))

    async def _pump_reports(self) -> None:
        async for r in self.venue.reports():
            await self.queue.put(("resync",) if r is None else ("report", r))

    async def _pump_clock(self) -> None:
        timers = [int(n.split(":")[2]) for n in self.strategy.manifest.entry_points if n.startswith("on:timer:")]
        step = min([1.0] + [iv / 1e9 for iv in timers])
        while True:
            await asyncio.sleep(step)
            await self.queue.put(("clock", time.time_ns()))

    async def _status(self) -> None:
        last = 0
        while True:
            await asyncio.sleep(self.cfg.status_interval)
            lat = np.array(self.latencies[-10_000:] or [0])
            e = self.engine
            positions = " ".join(f"{s.symbol} {e.position(k):g}" for k, s in enumerate(self.specs))
            line = (f"{positions} | open orders {len(e.open_orders())} | equity {e.equity:,.2f} | "
                    f"{(self.inputs - last) / self.cfg.status_interval:,.0f} events/s | p50 "
                    f"{np.percentile(lat, 50) / 1e3:.0f} us p99 {np.percentile(lat, 99) / 1e3:.0f} us")
            last = self.inputs
            print(line, file=sys.stderr, flush=True)


def _trail_percent(row) -> float | None:
    """A trailing stop's distance in percent, when it is one in whole basis points."""
    if int(row["order_type"]) != TYPE_TRAILING or int(row["trail_unit"]) != TRAIL_PERCENT:
        return None
    bips = float(row["trail"]) * 100
    return round(bips) / 100 if abs(bips - round(bips)) < 1e-9 else None


def _order_fields(row, cid: str, specs) -> dict:
    """What the state and the log keep of an order: from an order sent (ORDER_ROW_DTYPE) or an order table row."""
    order_type = int(row["order_type"])
    price, trigger = float(row["price"]), float(row["trigger"])
    return {"client_id": cid, "seq": int(row["seq"]),
            "symbol": specs[int(row["instrument"])].symbol, "side": int(row["side"]),
            "type": ORDER_TYPES.get(order_type, f"type{order_type}"),
            "qty": float(row["qty"]), "price": None if price != price else price,
            "trigger": None if trigger != trigger else trigger,
            "trail_percent": _trail_percent(row),
            "tif": {TIF_IOC: "IOC", TIF_FOK: "FOK"}.get(int(row["tif"]), "GTC"),
            "post_only": bool(int(row["flags"]) & FLAG_POST_ONLY),
            "line": int(row["source_line"]) if "source_line" in row.dtype.names else -1}  # an order table row: none


def run_live(cfg: LiveConfig) -> int:
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(Scheduler(cfg).run())
