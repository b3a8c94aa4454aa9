"""The live scheduler's core: one strategy driven event by event through the same compiled code as a backtest.

`LiveEngine` holds a run's engine arrays (built by runtime/backtest.build, as a backtest's are) and calls the
strategy's generated driver (runtime/driver.py) once per input, with that one event as its stream's data: the
handlers, the risk engine, the order state machine and the portfolio are the backtest's own compiled functions,
so a live run and a replay of its inputs make the same decisions. It does no I/O: the asyncio scheduler
(runtime/live_scheduler.py) feeds it and sends what it returns, and a journal (runtime/journal.py) records every
input, which `replay` feeds again.

Inputs (each returns an `Outbox`: the orders and cancels to send, the fills and order events it caused):
- `market(i, record)`: one event of stream i (a record of the stream's dtype; its ts_event is the engine's time)
- `clock(t)`: time passed to t with no market event: timers due by t fire; paper mode, the simulated venue acts
- `report(kind, seq, ...)`: what the venue said about order `seq` (runtime/execution.py), live mode only

Paper mode (`paper=True`) keeps the simulated venue: live data, simulated fills, as in a backtest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

from . import engine_state as es
from ..compiler.manifest import STATE_ARRAYS
from .backtest import Risk, Venue, build
from .events import BAR_DTYPE, ORDER_DENIED, ORDER_PENDING_CANCEL, ORDER_PENDING_MODIFY, TIMER_DTYPE
from .instruments import Instrument

INPUT_MARKET, INPUT_CLOCK, INPUT_REPORT = 0, 1, 2


@dataclass
class Outbox:
    """What one input made the engine do."""

    orders: np.ndarray   # ORDER_ROW_DTYPE rows that passed the risk engine: to send (live) or sent (paper)
    cancels: np.ndarray  # ORDER_DTYPE `pending_cancel` events: the orders whose cancel to send (live)
    modifies: np.ndarray  # ORDER_DTYPE `pending_modify` events: the orders whose new quantity or price to send
    events: np.ndarray   # every order event (ORDER_DTYPE), denied ones included
    fills: np.ndarray    # FILL_DTYPE
    logs: list = field(default_factory=list)  # (ts, log row) of the strategy's `log` statements

    def __bool__(self) -> bool:
        return bool(len(self.orders) or len(self.cancels) or len(self.modifies) or len(self.events) or
                    len(self.fills) or self.logs)


class BarResampler:
    """A longer bar stream from the closed bars of a shorter one, as runtime/resample.resample_bars makes it for a
    backtest: a period's bar is fed once the period has closed, which live is known when its last source bar
    arrives (then right after it) or, when that bar is missing, when the first bar of a later period does (then
    just before it; the backtest shows it at the period's end, also before that bar)."""

    def __init__(self, source_ns: int, period_ns: int):
        self.source_ns, self.period_ns = source_ns, period_ns
        self.bar = np.zeros(1, BAR_DTYPE)
        self.bucket = None

    def push(self, bar) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(the bar to feed before this source bar, the bar to feed after it), each None when there is none."""
        bucket = (int(bar["ts_event"]) - self.source_ns) // self.period_ns
        before = None
        if self.bucket is not None and bucket != self.bucket:
            before = self.bar.copy()
        if self.bucket is None or bucket != self.bucket:
            self.bucket = bucket
            b = self.bar[0]
            b["ts_event"] = b["ts_recv"] = (bucket + 1) * self.period_ns
            b["instrument"] = bar["instrument"]
            b["open"], b["high"], b["low"], b["close"] = bar["open"], bar["high"], bar["low"], bar["close"]
            b["volume"] = bar["volume"]
        else:
            b = self.bar[0]
            b["high"] = max(b["high"], bar["high"])
            b["low"] = min(b["low"], bar["low"])
            b["close"] = bar["close"]
            b["volume"] += bar["volume"]
        after = None
        if int(bar["ts_event"]) == int(self.bar[0]["ts_event"]):  # the period's last source bar: it has closed
            after = self.bar.copy()
            self.bucket = None
        return before, after


class BarAligner:
    """Bars of several instruments that close at the same time are fed in the strategy's stream order, as a backtest
    merges them (docs/backtest.md), though each venue stream brings its own when it does: a bar waits until every
    stream of its timeframe has brought a bar of that time or later, or for `wait_s` at most (an instrument whose
    bar never comes does not stall the others)."""

    def __init__(self, groups: list[list[int]], wait_s: float):
        """`groups`: the bar streams that close together (same timeframe), each group in stream order."""
        self.group_of = {i: g for g in groups for i in g}
        self.wait_s = wait_s
        self.latest = {i: -1 for i in self.group_of}
        self.held: list[tuple[int, int, float, object]] = []  # (ts_event, stream, held since, bar)

    def aligns(self, i: int) -> bool:
        return i in self.group_of

    def push(self, i: int, bar, now: float) -> list[tuple[int, object]]:
        """Stream i's bar arrived at `now` (monotonic s): the (stream, bar) to feed now, in order."""
        t = int(bar["ts_event"])
        self.latest[i] = max(self.latest[i], t)
        self.held.append((t, i, now, bar))
        ready = min(self.latest[j] for j in self.group_of[i])
        return self._release(lambda h: h[0] <= ready and h[1] in self.group_of[i])

    def due(self, now: float) -> list[tuple[int, object]]:
        """The bars that have waited long enough, and those of their time or earlier."""
        late = [h[0] for h in self.held if now - h[2] >= self.wait_s]
        if not late:
            return []
        until = max(late)
        return self._release(lambda h: h[0] <= until)

    def _release(self, ready) -> list[tuple[int, object]]:
        out = sorted((h for h in self.held if ready(h)), key=lambda h: (h[0], h[1]))
        if out:
            self.held = [h for h in self.held if not ready(h)]
        return [(h[1], h[3]) for h in out]


class LiveError(RuntimeError):
    """The engine stopped (a full order table, a strategy answering its own events forever) or an input was bad."""


class LiveEngine:
    def __init__(self, strategy, instruments: list[Instrument], params: dict | None = None,
                 cash: float = 100_000.0, risk: Risk | None = None, venue: Venue | None = None, paper: bool = False,
                 currency: str = "USD", rates: dict[str, float] | None = None, start_ns: int = 0,
                 journal=None):
        """`instruments`: the specification of each of the strategy's instruments, in its declared order (from the
        venue's metadata live). `venue`: paper mode's fill, fee and latency models (live, the venue's own).
        `journal`: a JournalWriter (runtime/journal.py) that records each input before it is fed and what it
        sent."""
        self.strategy = strategy
        self.paper = paper
        m = strategy.manifest
        if len(instruments) != len(m.instruments):
            raise LiveError(f"{m.strategy} trades {len(m.instruments)} instruments; got {len(instruments)} "
                            "specifications")
        venue = venue or Venue()
        if not paper:  # the real venue's latency is real: the engine adds none
            venue = Venue(round_to_grid=venue.round_to_grid, seed=venue.seed)
        self.built = build(strategy, instruments, params, cash, venue, risk or Risk(), chunk=1 << 12,
                           currency=currency, rates=rates, live=not paper)
        self.instruments = instruments
        self.one = [np.zeros(1, strategy.event_dtype("step:" + s.key)) for s in m.streams]
        self.derived = derived_streams(m)  # source stream -> [(stream, its resampler)]
        self.none = [a[:0] for a in self.one]
        self.cur = np.zeros(len(m.streams), np.int64)
        self.tev = np.zeros(1, TIMER_DTYPE)
        intervals = sorted(int(n.split(":")[2]) for n in m.entry_points if n.startswith("on:timer:"))
        self.timers = np.array([[(start_ns // iv + 1) * iv, iv] for iv in intervals], np.int64).reshape(-1, 2)
        self.time = start_ns
        self.events_in = 0  # inputs fed so far: the journal's event numbers
        self.equity_row = np.full(es.EQ_COLS, np.nan)
        self.journal = journal
        self._events_read = self._fills_read = 0  # log rows already collected while items are queued
        eng = self.built.eng
        self.nothing = Outbox(eng[es.E_ROWS][:0].copy(), eng[es.E_EVENTS][:0].copy(), eng[es.E_EVENTS][:0].copy(),
                              eng[es.E_EVENTS][:0].copy(), eng[es.E_FILLS][:0].copy())
        eng, state, ctx, out, driver = self.built
        self.tev[0]["ts_event"] = self.tev[0]["ts_recv"] = start_ns
        driver.start(self.tev, state, ctx, out, eng)
        self.started = self._collect(start_ns)
        # The driver's functions are compiled (or loaded from Numba's cache) on their first call: here, not on the
        # first tick or venue report (with nothing cached that takes seconds, while the venue's feed goes on).
        if hasattr(driver.run, "compile"):  # not under NUMBA_DISABLE_JIT
            args = (*self.none, self.cur, start_ns, self.timers, self.tev, state, ctx, out, eng, 1)
            driver.run.compile(tuple(numba.typeof(a) for a in args))
            if not paper:
                logs, counters = state[STATE_ARRAYS.index("logs")], state[STATE_ARRAYS.index("counters")]
                report = (eng, ctx, out, 0, logs, counters, 0, 0.0, 0.0, 0.0, 0.0, start_ns)
                driver.venue_report.compile(tuple(numba.typeof(a) for a in report))
                driver.deliver.compile(tuple(numba.typeof(a) for a in (state, ctx, out, eng, start_ns)))

    # ---------------------------------------------------------------- inputs
    def market(self, i: int, record) -> Outbox:
        """One event of stream i; `record` is a record (or 1-element array) of the stream's dtype. The bar streams
        derived from stream i (`feeds()`) get their bars from here."""
        self.one[i][0] = record
        t = int(self.one[i][0]["ts_event"])
        if self.journal is not None:
            self.journal.market(self.events_in + 1, i, self.one[i][0])
        after = []
        for d, resampler in self.derived.get(i, ()):
            before, done = resampler.push(self.one[i][0])
            if before is not None:
                self._feed(d, before)
            if done is not None:
                after.append((d, done))
        self._feed(i, self.one[i])
        for d, bar in after:
            self._feed(d, bar)
        self.events_in += 1
        self._check()
        return self._collect(t)

    def feeds(self) -> list[int]:
        """The streams the scheduler subscribes to: all but the bar streams derived from a finer one."""
        derived = {d for targets in self.derived.values() for d, _ in targets}
        return [i for i in range(len(self.one)) if i not in derived]

    def clock(self, t: int) -> Outbox:
        """Time has reached t (ns) with no market event. The engine's time never goes back: a venue's clock may be
        ahead of ours, and its events' times are the engine's."""
        t = max(int(t), self.time)
        if self.journal is not None:
            self.journal.clock(self.events_in + 1, t)
        self._run(self.none, t)
        self.events_in += 1
        self._check()
        return self._collect(t)

    def report(self, kind: int, seq: int, qty: float = 0.0, price: float = 0.0, fee: float = 0.0,
               maker_or_reason: float = 0.0, t: int | None = None, trade: int = 0) -> tuple[int, Outbox]:
        """The venue's report of `kind` (runtime/execution.REPORT_*) about order `seq`; returns (the order's row or
        -1 when no open order has that number, what the strategy's fill and order handlers did). `trade`: the
        fill's key (journal.trade_key of the venue's trade id), journaled so that a restart knows which fills the
        engine has booked."""
        if self.paper:
            raise LiveError("paper mode has no venue reports: the simulated venue fills")
        t = self.time if t is None else int(t)
        self.time = max(self.time, t)
        if self.journal is not None:
            self.journal.report(self.events_in + 1, t, kind, seq, qty, price, fee, maker_or_reason, trade)
        eng, state, ctx, out, driver = self.built
        logs, counters = state[STATE_ARRAYS.index("logs")], state[STATE_ARRAYS.index("counters")]
        row = int(driver.venue_report(eng, ctx, out, int(kind), logs, counters, int(seq), float(qty),
                                         float(price), float(fee), float(maker_or_reason), t))
        driver.deliver(state, ctx, out, eng, t)
        self.events_in += 1
        self._check()
        return row, self._collect(t)

    # ---------------------------------------------------------------- state
    def position(self, k: int) -> float:
        from .context import CTX_HEADER, INSTRUMENT_SLOTS, POSITION
        return float(self.built.ctx[CTX_HEADER + INSTRUMENT_SLOTS * k + POSITION])

    @property
    def equity(self) -> float:
        from .context import EQUITY
        return float(self.built.ctx[EQUITY])

    def open_orders(self) -> np.ndarray:
        """The engine's open order rows (ORDER_TABLE_DTYPE)."""
        eng = self.built.eng
        return eng[es.E_ORDERS][:eng[es.E_IV][es.I_N_ORDERS]].copy()

    def trading_state(self) -> str:
        return es.TRADING_STATES[int(self.built.eng[es.E_IV][es.I_TRADING_STATE])]

    def stop(self, t: int) -> Outbox:
        """The run ends at t: the strategy's `on stop` handler runs."""
        if self.journal is not None:  # stopping is an input: a replay stops at the same point
            self.journal.stop(self.events_in + 1, t)
        eng, state, ctx, out, driver = self.built
        self.tev[0]["ts_event"] = self.tev[0]["ts_recv"] = t
        driver.stop(self.tev, state, ctx, out, eng)
        self.events_in += 1
        return self._collect(t)

    # ---------------------------------------------------------------- snapshots
    def snapshot(self) -> bytes:
        """Every array the engine's decisions depend on, and the input count: `restore` on an engine built the
        same way continues from here as this one would."""
        import io
        import json

        eng, state, ctx, _, _ = self.built
        arrays = {f"e{i}": a for i, a in enumerate(eng)}
        arrays.update({f"s{i}": a for i, a in enumerate(state)})
        arrays.update(ctx=ctx, timers=self.timers, equity_row=self.equity_row)
        buckets = {}
        for source, targets in self.derived.items():
            for d, resampler in targets:
                arrays[f"bar{d}"] = resampler.bar
                buckets[str(d)] = resampler.bucket
        meta = {"time": self.time, "events_in": self.events_in, "events_read": self._events_read,
                "fills_read": self._fills_read, "buckets": buckets}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    def restore(self, blob: bytes) -> None:
        import io
        import json

        eng, state, ctx, _, _ = self.built
        with np.load(io.BytesIO(blob)) as saved:
            if sum(1 for k in saved.files if k[0] == "e" and k[1:].isdigit()) != len(eng):
                raise LiveError("the snapshot was taken by another version of the engine")
            for i, a in enumerate(eng):
                np.copyto(a, saved[f"e{i}"])
            for i, a in enumerate(state):
                np.copyto(a, saved[f"s{i}"])
            np.copyto(ctx, saved["ctx"])
            np.copyto(self.timers, saved["timers"])
            np.copyto(self.equity_row, saved["equity_row"])
            meta = json.loads(saved["meta"].tobytes())
            for source, targets in self.derived.items():
                for d, resampler in targets:
                    np.copyto(resampler.bar, saved[f"bar{d}"])
                    resampler.bucket = meta["buckets"][str(d)]
        self.time, self.events_in = meta["time"], meta["events_in"]
        self._events_read, self._fills_read = meta["events_read"], meta["fills_read"]

    # ---------------------------------------------------------------- inside
    def _feed(self, i: int, one: np.ndarray) -> None:
        streams = list(self.none)
        streams[i] = one
        self._run(streams, int(one[0]["ts_event"]))

    def _run(self, streams, t: int) -> None:
        eng, state, ctx, out, driver = self.built
        self.cur[:] = 0
        self.time = max(self.time, t)
        while True:
            status = int(driver.run(*streams, self.cur, t, self.timers, self.tev, state, ctx, out, eng, 1))
            if status in (es.STATUS_DONE, es.STATUS_RUNNING) and self.cur.sum() >= sum(len(s) for s in streams):
                break
            if status not in (es.STATUS_CHUNK, es.STATUS_RUNNING, es.STATUS_DONE):
                raise LiveError(f"the engine stopped: {es.STATUS_MESSAGES[status]}")
            self._drain_samples()

    def _check(self) -> None:
        status = int(self.built.eng[es.E_IV][es.I_STATUS])
        if status not in (0, es.STATUS_CHUNK):
            raise LiveError(f"the engine stopped: {es.STATUS_MESSAGES[status]}")

    def _drain_samples(self) -> None:
        """Keeps the latest equity sample; the curve itself is the journal's to rebuild (a replay samples it)."""
        eng = self.built.eng
        iv = eng[es.E_IV]
        n = iv[es.I_N_EQ]
        if n:
            self.equity_row[:] = eng[es.E_EQ][n - 1]
            iv[es.I_N_EQ] = 0

    def _collect(self, t: int) -> Outbox:
        """Moves what the engine logged since the last input out of its buffers. Items still queued for the
        strategy point into the logs by position, so the logs are emptied only once the queue is."""
        eng = self.built.eng
        iv = eng[es.E_IV]
        self._drain_samples()
        if (iv[es.I_N_ROWS] == 0 and iv[es.I_N_LOG] == 0 and iv[es.I_N_EVENTS] == self._events_read
                and iv[es.I_N_FILLS] == self._fills_read):
            return self.nothing  # most market events: no order, no fill, no log line
        rows = eng[es.E_ROWS][:iv[es.I_N_ROWS]].copy()
        events = eng[es.E_EVENTS][self._events_read:iv[es.I_N_EVENTS]].copy()
        fills = eng[es.E_FILLS][self._fills_read:iv[es.I_N_FILLS]].copy()
        m = int(iv[es.I_N_LOG])
        logs = list(zip(eng[es.E_LOG_TS][:m].tolist(), eng[es.E_LOGS][:m].copy()))
        iv[es.I_N_ROWS] = iv[es.I_N_LOG] = 0
        if iv[es.I_Q_TAIL] == 0:
            iv[es.I_N_EVENTS] = iv[es.I_N_FILLS] = 0
            self._events_read = self._fills_read = 0
        else:
            self._events_read, self._fills_read = int(iv[es.I_N_EVENTS]), int(iv[es.I_N_FILLS])
        denied = set(events["seq"][events["kind"] == ORDER_DENIED].tolist())
        sent = rows[~np.isin(rows["seq"], list(denied))] if denied else rows
        kinds = events["kind"]
        box = Outbox(sent, events[kinds == ORDER_PENDING_CANCEL], events[kinds == ORDER_PENDING_MODIFY], events, fills,
                     logs)
        if self.journal is not None:
            self.journal.outputs(self.events_in, t, box.orders, box.cancels, box.modifies)
        return box


def derived_streams(manifest) -> dict[int, list[tuple[int, BarResampler]]]:
    """Each instrument's coarser bar streams, resampled from its finest (as a backtest does when no data is given
    for them): {source stream: [(derived stream, resampler)]}."""
    out: dict[int, list] = {}
    streams = manifest.streams
    for inst in {s.instrument for s in streams}:
        bars = [(s.timeframe_ns or 0, i) for i, s in enumerate(streams) if s.instrument == inst and s.data == "bars"]
        if len(bars) < 2:
            continue
        bars.sort()
        source_ns, source = bars[0]
        out[source] = [(i, BarResampler(source_ns, ns)) for ns, i in bars[1:]]
    return out
