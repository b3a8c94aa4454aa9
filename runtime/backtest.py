"""`nts.backtest`: one strategy over historical events, the whole loop compiled (runtime/driver.py).

    result = nts.backtest("examples/ema_cross.nts", {"spy": bars}, params={"fast": 10}, cash=100_000)
    result.fills, result.orders, result.positions, result.equity    # pandas DataFrames
    result.stats                                                    # dict of statistics

`data` maps each of the strategy's streams to its events: by stream key (`spy.bars`), by alias (`hourly`) or by
instrument name (`spy`, when it has one stream), each a numpy record array of the stream's dtype
(runtime/events.py; a `book mbo` stream may also be given its MBO events, which are replayed into its book). A bar
stream without data is resampled from a finer bar stream of the same instrument.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from . import engine_state as es
from ..adapters.files import validate
from ..compiler.manifest import STATE_ARRAYS
from .catalog_feed import CatalogFeed
from .driver import load_driver, matching_streams, primary_stream
from .events import FILL_DTYPE, MBO_DTYPE, MBO_LEVELS, ORDER_EVENT_KINDS, TIMER_DTYPE
from .instruments import Instrument, default_instrument, spec_rows
from .loop import preload
from .mbo import MboBook
from .ops import zone_table
from .resample import resample_bars


LOG_ROWS_MAX = 1 << 22  # the rows a log has room for at the start; more grow it


class BacktestError(RuntimeError):
    """A run that cannot start (missing data, a bad setting) or that the engine stopped."""


@dataclass
class Venue:
    """How the simulated venue fills: the fill model, the latency model and the accounting rules."""

    fill_on_close: bool = False     # orders placed on a bar fill at its close instead of the next bar's open
    touch_probability: float = 1.0  # chance that a limit fills when the price only touches it
    slippage_ticks: float = 0.0     # adverse ticks on taker fills
    submit_latency: float = 0.0     # seconds from the strategy to the venue
    ack_latency: float = 0.0        # seconds from the venue back to the strategy (fills and order events)
    cancel_latency: float = 0.0     # seconds for a cancel to take effect
    latency_jitter: float = 0.0     # mean of an exponential delay added to each latency, seconds
    round_to_grid: bool = True      # round prices to the tick and quantities to the lot (else reject them)
    l1_sizes: bool = True           # fills on quotes and trades take at most the size shown
    seed: int = 0


@dataclass
class Risk:
    """The risk engine's limits (0: none). Per-instrument position limits are `Instrument.max_position`."""

    max_order_qty: float = 0.0
    max_order_notional: float = 0.0
    max_open_orders: int = 0
    max_submit_rate: float = 0.0   # orders per second
    price_band: float = 0.0        # fraction of the mark
    max_daily_loss: float = 0.0    # currency
    max_drawdown: float = 0.0      # fraction of peak equity
    trading_state: str = "active"  # active, reducing or halted

    def array(self) -> np.ndarray:
        out = np.zeros(es.LIMIT_COLS)
        out[es.L_MAX_ORDER_QTY], out[es.L_MAX_ORDER_NOTIONAL] = self.max_order_qty, self.max_order_notional
        out[es.L_MAX_OPEN_ORDERS], out[es.L_MAX_SUBMIT_RATE] = self.max_open_orders, self.max_submit_rate
        out[es.L_PRICE_BAND], out[es.L_MAX_DAILY_LOSS] = self.price_band, self.max_daily_loss
        out[es.L_MAX_DRAWDOWN] = self.max_drawdown
        return out


# each log: its name, the engine's buffer of it, the buffer's row count
LOGS = (("fills", es.E_FILLS, es.I_N_FILLS), ("events", es.E_EVENTS, es.I_N_EVENTS), ("orders", es.E_ROWS, es.I_N_ROWS),
        ("log_ts", es.E_LOG_TS, es.I_N_LOG), ("logs", es.E_LOGS, es.I_N_LOG))


class Log:
    """One of a run's logs, copied out of the engine's (small, reused) buffer into one array as the run goes. The
    array has room for `capacity` rows from the start: its pages are touched only as rows are written, so the
    room costs nothing until used, and the rows are never copied again (nor held twice while joined)."""

    def __init__(self, like: np.ndarray, capacity: int):
        self.array = np.zeros((max(capacity, 1),) + like.shape[1:], like.dtype)
        self.n = 0

    def add(self, rows: np.ndarray) -> None:
        end = self.n + len(rows)
        if end > len(self.array):
            grown = np.zeros((max(end, 2 * len(self.array)),) + self.array.shape[1:], self.array.dtype)
            _raw(grown)[:self.n] = _raw(self.array)[:self.n]
            self.array = grown
        _raw(self.array)[self.n:end] = _raw(rows)
        self.n = end

    def rows(self) -> np.ndarray:
        return self.array[:self.n]


def _raw(a: np.ndarray) -> np.ndarray:
    """Records as opaque bytes: numpy copies structured rows field by field, ten times slower than their bytes."""
    return a.view(np.dtype((np.void, a.dtype.itemsize))) if a.dtype.names else a


@dataclass
class RawResult:
    """The run's logs as numpy arrays (the DataFrames in runtime/result.py are built from these)."""

    fills: np.ndarray
    events: np.ndarray
    orders: np.ndarray
    equity_ts: np.ndarray
    equity: np.ndarray          # per sample: es.EQ_* columns
    records: np.ndarray
    price: np.ndarray           # per sample: the mark of the instrument the curve is sampled on
    log_ts: np.ndarray
    log_rows: np.ndarray
    final_ctx: np.ndarray
    state: tuple                # the strategy's state arrays after the run (records, vars, warnings)
    trading_state: str          # the risk engine's state at the end
    instruments: list[Instrument]
    start_equity: float
    timings: dict = field(default_factory=dict)
    fill_on_close: bool = False  # how orders placed on a bar filled (the report says which)


def _stream_data(strategy, data: dict) -> list[np.ndarray]:
    """Each declared stream's events, from `data` keyed by stream key, alias or instrument."""
    streams = strategy.manifest.streams
    by_instrument = {}
    for s in streams:
        by_instrument.setdefault(s.instrument, []).append(s)
    found: list[np.ndarray | None] = []
    for s in streams:
        names = [s.key] + ([s.alias] if s.alias else [])
        if len(by_instrument[s.instrument]) == 1 or (s.data == "bars" and s is _finest_bars(by_instrument[s.instrument])):
            names.append(s.instrument)
        name = next((n for n in names if n in data), None)
        if name is None:
            found.append(None)
            continue
        events = np.ascontiguousarray(data[name])
        if s.data in ("bars", "quotes", "trades") and events.dtype == strategy.event_dtype("step:" + s.key):
            events, _ = validate(events, s.data, f"data[{name!r}]", first_row=0)  # rows as array indices
        elif s.data == "book" and s.mbo and events.dtype == MBO_DTYPE:  # L3 events: the book after each
            events = MboBook().snapshots(validate(events, "mbo", f"data[{name!r}]", first_row=0)[0])
        found.append(events)
    for i, s in enumerate(streams):
        if found[i] is not None:
            continue
        source = _finest_bars(by_instrument[s.instrument])
        j = streams.index(source) if source is not None else -1
        if s.data == "bars" and j >= 0 and found[j] is not None and (source.timeframe_ns or 0) < (s.timeframe_ns or 0):
            found[i] = resample_bars(found[j], source.timeframe_ns, s.timeframe_ns)
            continue
        raise BacktestError(f"no data for stream `{s.alias or s.key}` ({s.data} of {s.instrument}); give it as "
                            f"data[{s.key!r}]")
    for s, events in zip(streams, found):
        want = strategy.event_dtype("step:" + s.key)
        if events.dtype != want:
            raise BacktestError(f"data for `{s.alias or s.key}` has dtype {events.dtype}, expected {want}")
    return found


def event_price(events: np.ndarray, data: str) -> np.ndarray:
    """The price each event of a stream marks its instrument at (as the driver marks it, runtime/driver.py): a
    bar's close, a print's price, the middle of a quote or of a book's best level. A view where it can be."""
    if data == "bars":
        return events["close"]
    if data == "trades":
        return events["price"]
    if data == "quotes":
        return 0.5 * (events["bid"] + events["ask"])
    return 0.5 * (events["bid_price"][:, 0] + events["ask_price"][:, 0])


def _currencies(specs: list[Instrument], base: str, rates: dict[str, float]) -> tuple[list[str], np.ndarray]:
    """The account's currency table (the base first, then the instruments' and FX pairs' currencies) and each one's
    starting value in the base currency."""
    names = [base]
    for spec in specs:
        for name in (spec.currency, spec.pair_currency()):
            if name and name not in names:
                names.append(name)
    if len(names) > es.MAX_CURRENCIES:
        raise BacktestError(f"an account holds at most {es.MAX_CURRENCIES} currencies; these instruments need "
                            f"{', '.join(names)}")
    row = np.ones(len(names))
    for c, name in enumerate(names[1:], 1):
        if name in rates:
            row[c] = float(rates[name])
        elif any(s.currency == name for s in specs):
            raise BacktestError(f"instruments in {name} and an account in {base} need {name}'s rate to start from: "
                                f"give rates={{'{name}': ...}} (ntc run --rate {name}=...); an FX pair of {name} the "
                                "strategy subscribes to then moves it")
        else:
            row[c] = np.nan  # only a pair's other currency: set by the pair's first price
    return names, row


def _finest_bars(streams):
    bars = [s for s in streams if s.data == "bars"]
    return min(bars, key=lambda s: s.timeframe_ns or 0) if bars else None


@dataclass
class Built:
    """What runs a strategy, in either scheduler: its engine arrays, its state, context and intent buffer, and its
    generated driver."""
    eng: tuple
    state: tuple
    ctx: np.ndarray
    out: np.ndarray
    driver: object

    def __iter__(self):
        return iter((self.eng, self.state, self.ctx, self.out, self.driver))


def build(strategy, specs: list[Instrument], params: dict | None, cash: float, venue: Venue, risk: Risk,
          chunk: int = 1 << 13, samples: int = 0, currency: str = "USD", rates: dict[str, float] | None = None,
          live: bool = False, sample_times: bool = True) -> Built:
    """The engine of one run of `strategy` on instruments `specs`: the backtest and the live scheduler both start
    here, so they run the same handlers, risk engine and order state machine. `live`: orders go to a real venue
    (the scheduler sends what the engine writes and reports back what the venue does) instead of the simulated
    one."""
    m = strategy.manifest
    currencies, rate_row = _currencies(specs, currency, rates or {})
    modes = np.full(len(specs), es.MODE_BARS, np.float64)
    book_depth = 1
    for s, is_matching in zip(m.streams, matching_streams(m)):
        if is_matching and s.data != "bars":
            k = [i.name for i in m.instruments].index(s.instrument)
            modes[k] = es.MODE_TRADES if s.data == "trades" else es.MODE_QUOTES
            if s.data == "book":
                book_depth = max(book_depth, MBO_LEVELS if s.mbo else s.depth)
    cfg = np.zeros(es.CFG_COLS)
    cfg[es.C_FILL_ON_CLOSE] = float(venue.fill_on_close)
    cfg[es.C_TOUCH_PROB] = venue.touch_probability
    cfg[es.C_SLIPPAGE_TICKS] = venue.slippage_ticks
    cfg[es.C_SUBMIT_NS] = round(venue.submit_latency * 1e9)
    cfg[es.C_ACK_NS] = round(venue.ack_latency * 1e9)
    cfg[es.C_CANCEL_NS] = round(venue.cancel_latency * 1e9)
    cfg[es.C_JITTER_NS] = venue.latency_jitter * 1e9
    cfg[es.C_ROUND] = float(venue.round_to_grid)
    cfg[es.C_L1_SIZE] = float(venue.l1_sizes)
    cfg[es.C_LIVE] = float(live)
    handled = 0
    for name in m.entry_points:
        if name == "on:fill":
            handled |= 1 << es.FILL_BIT
        elif name.startswith("on:order:"):
            handled |= 1 << ORDER_EVENT_KINDS[name.split(":")[2]]
    cfg[es.C_HANDLED] = handled
    if risk.trading_state not in es.TRADING_STATES:
        raise BacktestError(f"trading_state must be one of {', '.join(es.TRADING_STATES)}")
    eng = es.new_engine(spec_rows(specs, currencies), modes, cfg, risk.array(), zone_table(m.timezone), venue.seed,
                        m.log_columns, len(m.records), es.TRADING_STATES.index(risk.trading_state), chunk=chunk,
                        samples=samples, book_depth=book_depth, rates=rate_row, cash=cash, sample_times=sample_times)
    state = strategy.new_state(params)
    ctx = strategy.context(equity=cash, cash=cash)
    eng[es.E_ACCT][es.A_PEAK] = cash
    out = strategy.intent_buffer()
    engine_symbol = preload(state, ctx, out, eng, STATE_ARRAYS.index("counters"), STATE_ARRAYS.index("logs"))
    return Built(eng, state, ctx, out, load_driver(strategy, engine_symbol))


def run_engine(strategy, data, params: dict | None = None, cash: float = 100_000.0,
               instruments: dict[str, Instrument | str] | None = None, venue: Venue | None = None,
               risk: Risk | None = None, start: int | None = None, end: int | None = None,
               progress=None, chunk: int = 1 << 13, currency: str = "USD",
               rates: dict[str, float] | None = None) -> RawResult:
    """Runs the compiled loop over `data` (a dict of event arrays, or a CatalogFeed read window by window) and
    returns its raw logs. `start`/`end` (ns) cut the data. `instruments` maps an instrument's name or symbol to
    its specification, or to the symbol it is traded as (whose specification the catalog or the defaults give).
    `cash` is in the account's base `currency`; `rates` give what one unit of each other currency the instruments
    are in is worth in it, at the start (an FX pair the strategy subscribes to then moves its rate). `chunk`: the
    rows of the engine's log buffers (fills, order events, orders, log messages), copied out when half full."""
    venue = venue or Venue()
    risk = risk or Risk()
    m = strategy.manifest
    t0 = time.perf_counter()
    given = instruments or {}
    chosen = {i.name: given.get(i.name) or given.get(i.symbol) for i in m.instruments}
    symbols = {name: got if isinstance(got, str) else got.symbol for name, got in chosen.items() if got}
    if isinstance(data, CatalogFeed):
        feed = data
        if start is not None or end is not None:
            feed.start, feed.end = start, end
        feed.bind(m, symbols)
        windows, total = feed.windows(), feed.total
        samples = total  # at most one per event of the stream the curve is sampled on
    else:
        feed = None
        streams = _stream_data(strategy, data)
        if start is not None or end is not None:
            lo = -(2**63) if start is None else start
            hi = 2**63 - 1 if end is None else end
            streams = [s[(s["ts_event"] >= lo) & (s["ts_event"] <= hi)] for s in streams]
        windows = iter([(streams, max((int(s["ts_event"][-1]) for s in streams if len(s)), default=0))])
        total = sum(len(s) for s in streams)
        sampled = streams[primary_stream(m)]
        samples = len(sampled)
    specs = []
    for i in m.instruments:
        got = chosen[i.name]
        symbol = symbols.get(i.name, i.symbol)
        specs.append(got if isinstance(got, Instrument) else
                     (feed.catalog.instrument(symbol) if feed else None) or default_instrument(symbol))
    # A curve sampled on every event of an array held here (times all distinct: one sample each) takes its times
    # and prices from that array, not from copies the engine would write.
    from_data = feed is None and not np.any(sampled["ts_event"][1:] == sampled["ts_event"][:-1])
    eng, state, ctx, out, driver = build(strategy, specs, params, cash, venue, risk, chunk=chunk, samples=samples,
                                         currency=currency, rates=rates, sample_times=not from_data)
    t_load = time.perf_counter()

    t_read = time.perf_counter()
    ahead = []  # the windows read to find the first event
    for window in windows:
        ahead.append(window)
        if any(len(s) for s in window[0]):
            break
    read_s = time.perf_counter() - t_read
    first = min((int(s["ts_event"][0]) for s in ahead[-1][0] if len(s)), default=0) if ahead else 0
    timers = np.array([[(first // iv + 1) * iv, iv] for iv in
                       sorted(int(n.split(":")[2]) for n in m.entry_points if n.startswith("on:timer:"))],
                      np.int64).reshape(-1, 2)
    tev = np.zeros(1, TIMER_DTYPE)
    cur = np.zeros(len(m.streams), np.int64)
    parts = {name: [] for name in ("equity_ts", "equity", "records", "price")}

    logs = {name: Log(eng[e], min(total, LOG_ROWS_MAX)) for name, e, _ in LOGS}

    def drain(final: bool = False):
        """Moves the logs out of the engine's buffers. The samples stay where they were written (their buffers
        have room for the whole run) unless more came than expected."""
        iv = eng[es.E_IV]
        for name, e, count in LOGS:
            logs[name].add(eng[e][:iv[count]])
        for _, _, count in LOGS:
            iv[count] = 0
        n = iv[es.I_N_EQ]
        full = n >= eng[es.E_EQ].shape[0] - 2
        if full or final:
            for name, e in (("equity_ts", es.E_EQ_TS), ("equity", es.E_EQ), ("records", es.E_RECORDS),
                            ("price", es.E_EQ_PRICE)):
                if not from_data or name in ("equity", "records"):
                    parts[name].append(eng[e][:n].copy() if full or parts[name] else eng[e][:n])
            iv[es.I_N_EQ] = 0

    tev[0]["ts_event"] = tev[0]["ts_recv"] = first
    driver.start(tev, state, ctx, out, eng)
    limit = 1 << 22 if progress is None else 1 << 18
    loop_s = 0.0
    done = t_end = 0
    source = itertools.chain(ahead, windows)
    while True:
        t_read = time.perf_counter()
        window = next(source, None)
        read_s += time.perf_counter() - t_read
        if window is None:
            break
        streams, t_end = window
        cur[:] = 0
        while True:
            t_call = time.perf_counter()
            status = int(driver.run(*streams, cur, t_end, timers, tev, state, ctx, out, eng, limit))
            loop_s += time.perf_counter() - t_call
            if status in (es.STATUS_CHUNK, es.STATUS_RUNNING):
                if status == es.STATUS_CHUNK:  # a buffer is half full
                    drain()
                if progress is not None:
                    progress(done + int(cur.sum()), total)
                continue
            if status != es.STATUS_DONE:
                raise BacktestError(f"the run stopped: {es.STATUS_MESSAGES[status]}")
            break
        done += int(cur.sum())
    tev[0]["ts_event"] = tev[0]["ts_recv"] = t_end
    driver.stop(tev, state, ctx, out, eng)
    drain(final=True)
    if progress is not None:
        progress(done, done)
    t_run = time.perf_counter()
    cat = {name: log.rows() for name, log in logs.items()}
    if from_data:
        cat["equity_ts"], cat["price"] = sampled["ts_event"], event_price(sampled, m.streams[primary_stream(m)].data)
    for name in [n for n in parts if parts[n]]:  # each one's chunks are freed as it is joined: never all at once
        chunks = parts.pop(name)
        cat[name] = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
        del chunks
    if len(cat["equity_ts"]) != len(cat["equity"]):
        raise BacktestError(f"{len(cat['equity'])} equity samples for {len(cat['equity_ts'])} times")  # a bug
    result = RawResult(cat["fills"] if len(cat["fills"]) else np.zeros(0, FILL_DTYPE), cat["events"], cat["orders"],
                       cat["equity_ts"], cat["equity"], cat["records"], cat["price"], cat["log_ts"], cat["logs"],
                       ctx.copy(), state, es.TRADING_STATES[int(eng[es.E_IV][es.I_TRADING_STATE])], specs, cash)
    result.fill_on_close = venue.fill_on_close
    result.timings = {"prepare_s": t_load - t0, "run_s": t_run - t_load, "loop_s": loop_s, "read_s": read_s,
                      "events": done, "dropped_logs": int(eng[es.E_IV][es.I_LOGS_DROPPED])}
    return result
