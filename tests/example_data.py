"""The examples' real market data as event arrays, and a replay that observes everything a strategy writes.

Shared by test_differential.py (which also runs `replay` in a subprocess with Numba's JIT disabled) and
test_no_lookahead.py. Only numpy, the standard library and `nts` are imported here, so that subprocess stays light.

Data (examples/data/README.md):
- Lean daily equity bars (spy.zip, aapl.zip): `YYYYMMDD 00:00,open,high,low,close,volume`, prices x 10000. A daily
  bar closes at 16:00 America/New_York; that instant in UTC is its `ts_event`.
- Coinbase BTC-USD minute trade bars of 2017-09-03: `ms_since_midnight,open,high,low,close,volume`, where the time is
  the bar's open; its `ts_event` is its close, one minute later. Hourly bars are resampled from them: an hourly bar
  is emitted with `ts_event` = the end of its hour, once that hour has closed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from nts.runtime.events import BAR_DTYPE, TIMER_DTYPE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
LEAN = EXAMPLES / "data" / "lean"
NS = 10**9
MINUTE_NS = 60 * NS
HOUR_NS = 60 * MINUTE_NS


def _csv_rows(path: Path) -> list[list[str]]:
    with zipfile.ZipFile(path) as z:
        (name,) = z.namelist()
        return list(csv.reader(io.TextIOWrapper(z.open(name), "ascii")))


def _bars(times_ns, ohlcv) -> np.ndarray:
    out = np.zeros(len(times_ns), BAR_DTYPE)
    out["ts_event"] = times_ns
    out["ts_recv"] = times_ns
    for j, name in enumerate(("open", "high", "low", "close", "volume")):
        out[name] = ohlcv[:, j]
    return out


@lru_cache(maxsize=None)
def _lean_daily(symbol: str) -> np.ndarray:
    rows = _csv_rows(LEAN / "equity" / "usa" / "daily" / f"{symbol}.zip")
    new_york = ZoneInfo("America/New_York")
    times = [int(datetime.strptime(r[0], "%Y%m%d %H:%M").replace(hour=16, tzinfo=new_york).timestamp()) * NS
             for r in rows]
    ohlcv = np.array([[float(v) for v in r[1:6]] for r in rows])
    ohlcv[:, :4] /= 10_000.0
    return _bars(np.array(times, np.int64), ohlcv)


def lean_daily(symbol: str, last: int | None = None) -> np.ndarray:
    """Daily bars of `symbol` ("spy", "aapl"), the `last` ones only when given (a fresh copy)."""
    bars = _lean_daily(symbol)
    return (bars if last is None else bars[-last:]).copy()


@lru_cache(maxsize=None)
def _btc_minutes() -> np.ndarray:
    path = LEAN / "crypto" / "coinbase" / "minute" / "btcusd" / "20170903_trade.zip"
    day = datetime.strptime(path.name[:8], "%Y%m%d").replace(tzinfo=timezone.utc)
    midnight = int(day.timestamp()) * NS
    rows = _csv_rows(path)
    times = np.array([midnight + int(r[0]) * 10**6 + MINUTE_NS for r in rows], np.int64)
    return _bars(times, np.array([[float(v) for v in r[1:6]] for r in rows]))


def btc_minutes() -> np.ndarray:
    """BTC-USD minute bars (a fresh copy)."""
    return _btc_minutes().copy()


def resample(minutes: np.ndarray, period_ns: int = HOUR_NS) -> np.ndarray:
    """Bars of `period_ns` from shorter bars: one per period that has closed by the last bar's close time."""
    opens_at = minutes["ts_event"] - MINUTE_NS  # each minute bar's open time
    bucket = opens_at // period_ns
    last_close = int(minutes["ts_event"][-1])
    out = []
    for b in np.unique(bucket):
        end = int((b + 1) * period_ns)
        if end > last_close:
            continue  # the period is still open: no bar yet
        m = minutes[bucket == b]
        out.append((end, m["open"][0], m["high"].max(), m["low"].min(), m["close"][-1], m["volume"].sum()))
    return _bars(np.array([o[0] for o in out], np.int64), np.array([o[1:] for o in out], float))


def perturb(bars: np.ndarray, j: int, factor: float) -> None:
    """Scales bar `j`'s close, high and low by `factor` in place, keeping low <= open, close <= high."""
    b = bars[j]
    close = b["close"] * factor
    bars["close"][j] = close
    bars["high"][j] = max(b["high"] * factor, b["open"], close)
    bars["low"][j] = min(b["low"] * factor, b["open"], close)


# ---------------------------------------------------------------- the examples and their data

@dataclass
class Example:
    """An example strategy with its data: `sources()` gives the raw streams (what a perturbation may change), and
    `streams(sources)` the entry point -> events the strategy is fed (derived streams such as hourly bars added)."""
    file: str
    sources: object
    derive: object = None

    @property
    def path(self) -> Path:
        return EXAMPLES / self.file

    def streams(self, sources: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return self.derive(sources) if self.derive else dict(sources)


def _btc_streams(sources):
    return {"step:btc.bars": sources["step:btc.bars"], "step:hourly": resample(sources["step:btc.bars"])}


EXAMPLE_SPECS = {
    "ema_cross": Example("ema_cross.nts", lambda: {"step:spy.bars": lean_daily("spy")}),
    "pairs_spy_aapl": Example("pairs_spy_aapl.nts", lambda: {"step:spy.bars": lean_daily("spy"),
                                                             "step:aapl.bars": lean_daily("aapl")}),
    "rsi_bracket": Example("rsi_bracket.nts", lambda: {"step:spy.bars": lean_daily("spy")}),
    "rsi_reversion": Example("rsi_reversion.nts.yaml", lambda: {"step:spy.bars": lean_daily("spy")}),
    "btc_breakout": Example("btc_breakout.nts", lambda: {"step:btc.bars": btc_minutes()}, _btc_streams),
}


def contexts(strategy, position: float = 5.0) -> dict[str, np.ndarray]:
    """Engine contexts to run with: flat, and long or short `position` in every instrument (so that exit branches,
    which read `position(...)`, run too). The engine that would keep them current does not exist yet."""
    from nts.runtime.context import CTX_HEADER, INSTRUMENT_SLOTS, POSITION
    out = {}
    for name, pos in (("flat", 0.0), ("long", position), ("short", -position)):
        ctx = strategy.context(equity=100_000.0, cash=100_000.0)
        for k in range(len(strategy.manifest.instruments)):
            ctx[CTX_HEADER + INSTRUMENT_SLOTS * k + POSITION] = pos
        out[name] = ctx
    return out


# ---------------------------------------------------------------- replay and observations

def merge(strategy, streams: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray, int]]:
    """(entry, events, index) in time order; ties keep the order the strategy declares its streams in."""
    declared = ["step:" + s.key for s in strategy.manifest.streams]
    ranked = sorted(streams, key=declared.index)
    order = sorted((int(streams[e]["ts_event"][j]), rank, j, e)
                   for rank, e in enumerate(ranked) for j in range(len(streams[e])))
    return [(e, streams[e], j) for _, _, j, e in order]


@dataclass
class Step:
    entry: str
    index: int
    time: int
    intents: np.ndarray  # the intent records written (INTENT_DTYPE)
    records: np.ndarray  # the `records` state array after the call
    log_rows: np.ndarray  # the raw log rows written (template id and values)
    logs: list[str]  # the same, formatted


@dataclass
class Observation:
    steps: list[Step]
    final_state: dict[str, np.ndarray]  # every state array after the last call
    warnings: list[tuple[str, int, str]]  # (kind, count, where) from the warning counters
    snapshots: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)  # state after event n, by n


def state_dict(strategy, state) -> dict[str, np.ndarray]:
    from nts.compiler.layout import STATE_ARRAYS
    return {name: strategy.array(state, name).copy() for name in STATE_ARRAYS}


def replay(strategy, events: list[tuple[str, np.ndarray, int]], params: dict | None = None,
           ctx: np.ndarray | None = None, one_by_one: bool = False, snapshots_after=(),
           start: bool = True, stop: bool = True) -> Observation:
    """Feeds `events` (from `merge`) through `strategy` with a fresh state, `on start` first and `on stop` last when
    it has them, and observes each call. With `one_by_one`, each event is passed as an array of that event alone
    (index 0), as a live feed would; otherwise the whole array with the event's index, as a backtest does.
    `snapshots_after` lists counts n of market events after which to copy the whole state."""
    state = strategy.new_state(params)
    ctx = strategy.context(equity=100_000.0, cash=100_000.0) if ctx is None else ctx.copy()
    out = strategy.intent_buffer()
    steps = []
    snaps = {}
    records = strategy.array(state, "records")
    counters = strategy.array(state, "counters")
    logs = strategy.array(state, "logs")
    from nts.runtime.ops import LOG_COUNT

    def call(entry, evs, j, index):
        n = strategy.call(entry, evs, j, state, ctx, out)
        rows = logs[:min(int(counters[LOG_COUNT]), len(logs))].copy()
        steps.append(Step(entry, index, int(evs["ts_event"][j]), out[:n].copy(), records.copy(), rows,
                          strategy.drain_logs(state)))

    timer = np.zeros(1, TIMER_DTYPE)
    if events:
        timer["ts_event"] = timer["ts_recv"] = events[0][1]["ts_event"][events[0][2]]
    if start and "on:start" in strategy.manifest.entry_points:
        call("on:start", timer, 0, 0)
    wanted = set(snapshots_after)
    if 0 in wanted:
        snaps[0] = state_dict(strategy, state)
    for n, (entry, evs, j) in enumerate(events, 1):
        if one_by_one:
            call(entry, evs[j:j + 1], 0, j)
        else:
            call(entry, evs, j, j)
        if n in wanted:
            snaps[n] = state_dict(strategy, state)
    if stop and "on:stop" in strategy.manifest.entry_points:
        if events:
            timer["ts_event"] = timer["ts_recv"] = events[-1][1]["ts_event"][events[-1][2]]
        call("on:stop", timer, 0, 0)
    warnings = [(w.kind, w.count, w.where) for w in strategy.warnings(state)]
    return Observation(steps, state_dict(strategy, state), warnings, snaps)


# ---------------------------------------------------------------- comparing observations

def array_difference(a: np.ndarray, b: np.ndarray) -> str | None:
    """Why two arrays differ (NaN equals NaN; field by field for records), or None when they agree exactly."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"shape/dtype {a.shape} {a.dtype} != {b.shape} {b.dtype}"
    for name in a.dtype.names or (None,):
        x, y = (a, b) if name is None else (a[name], b[name])
        try:
            np.testing.assert_array_equal(x, y)
        except AssertionError:
            bad = np.argwhere(~((x == y) | ((x != x) & (y != y))))
            where = tuple(bad[0]) if len(bad) else "?"
            return f"{name or 'value'} differs at {where}: {x[where] if len(bad) else x} != {y[where] if len(bad) else y}"
    return None


def step_difference(a: Step, b: Step) -> str | None:
    """What differs between two observed calls, or None."""
    if (a.entry, a.index, a.time) != (b.entry, b.index, b.time):
        return f"different events: {(a.entry, a.index, a.time)} != {(b.entry, b.index, b.time)}"
    for what in ("intents", "records", "log_rows"):
        why = array_difference(getattr(a, what), getattr(b, what))
        if why:
            return f"{what}: {why}"
    if a.logs != b.logs:
        return f"logs: {a.logs} != {b.logs}"
    return None


def first_step_difference(a: list[Step], b: list[Step]) -> tuple[int, str] | None:
    """The first position where two step lists differ, with why; None when they are equal (same length)."""
    for k, (x, y) in enumerate(zip(a, b)):
        why = step_difference(x, y)
        if why:
            return k, why
    if len(a) != len(b):
        return min(len(a), len(b)), f"{len(a)} steps != {len(b)} steps"
    return None


def state_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> str | None:
    for name in a:
        why = array_difference(a[name], b[name])
        if why:
            return f"state array {name!r}: {why}"
    return None


def observation_difference(a: Observation, b: Observation) -> str | None:
    """Everything two runs observed, compared exactly (NaN-aware); a description of the first difference or None."""
    found = first_step_difference(a.steps, b.steps)
    if found:
        k, why = found
        s = a.steps[min(k, len(a.steps) - 1)] if a.steps else None
        return f"step {k} ({s.entry if s else '?'} #{s.index if s else '?'}): {why}"
    why = state_difference(a.final_state, b.final_state)
    if why:
        return f"final {why}"
    if a.warnings != b.warnings:
        return f"warnings: {a.warnings} != {b.warnings}"
    return None
