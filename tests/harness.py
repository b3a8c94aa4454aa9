"""Drives a compiled strategy over hand-made events from Python, for the back end's tests.

Events of several streams are merged by `ts_event` (ties: the order the streams are declared in), then each is fed
to its entry point with a fixed context. What each call wrote is collected: intents, records and log lines.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import nts
from nts.runtime.events import BAR_DTYPE, TIMER_DTYPE

_counter = itertools.count()


def compile_text(text: str, tmp_path: Path, name: str | None = None):
    """Compiles strategy source held in a string (written to `tmp_path`) and loads it."""
    name = name or f"s{next(_counter)}"
    path = Path(tmp_path) / f"{name}.nts"
    path.write_text(text)
    return nts.compile(path, Path(tmp_path) / f"{name}.ntc")


def bars(closes, start_ns: int = 0, step_ns: int = 60 * 10**9, spread: float = 1.0, volume: float = 100.0,
         opens=None) -> np.ndarray:
    closes = np.asarray(closes, dtype=float)
    out = np.zeros(len(closes), BAR_DTYPE)
    out["close"] = closes
    out["open"] = closes if opens is None else opens
    out["high"] = np.maximum(out["open"], closes) + spread
    out["low"] = np.minimum(out["open"], closes) - spread
    out["volume"] = volume
    out["ts_event"] = start_ns + step_ns * (1 + np.arange(len(closes)))
    out["ts_recv"] = out["ts_event"]
    return out


@dataclass
class Step:
    entry: str
    index: int
    time: int
    intents: list[dict]
    logs: list[str]
    records: dict[str, float]  # every record's value after the call


@dataclass
class Run:
    strategy: object
    state: tuple
    steps: list[Step] = field(default_factory=list)

    @property
    def intents(self) -> list[dict]:
        return [it for s in self.steps for it in s.intents]

    @property
    def logs(self) -> list[str]:
        return [line for s in self.steps for line in s.logs]

    def record(self, name: str) -> float:
        return self.strategy.record(self.state, name)

    def series(self, name: str, entry: str | None = None) -> list[float]:
        """A record's value after each call (of `entry` only, when given)."""
        return [s.records[name] for s in self.steps if entry is None or s.entry == entry]

    def warnings(self):
        return self.strategy.warnings(self.state)


def merge(streams: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray, int]]:
    """(entry, events, index) in time order; ties keep the order of `streams`."""
    order = []
    for rank, (entry, events) in enumerate(streams.items()):
        order += [(int(events["ts_event"][j]), rank, j, entry) for j in range(len(events))]
    order.sort()
    return [(entry, streams[entry], j) for _, _, j, entry in order]


def run(strategy, streams: dict[str, np.ndarray], params: dict | None = None, equity: float = 100_000.0,
        ctx: np.ndarray | None = None, start: bool = True, stop: bool = True) -> Run:
    """Feeds `streams` (entry point -> event records) through the strategy, `on start` first and `on stop` last."""
    state = strategy.new_state(params)
    ctx = ctx if ctx is not None else strategy.context(equity=equity, cash=equity)
    out = strategy.intent_buffer()
    result = Run(strategy, state)
    timer = np.zeros(1, TIMER_DTYPE)

    def call(entry, events, j):
        n = strategy.call(entry, events, j, state, ctx, out)
        intents = [{name: out[name][m].item() for name in out.dtype.names} for m in range(n)]
        records = {name: strategy.record(state, name) for name in strategy.manifest.records}
        result.steps.append(Step(entry, j, int(events["ts_event"][j]), intents, strategy.drain_logs(state), records))

    if start and "on:start" in strategy.manifest.entry_points:
        call("on:start", timer, 0)
    for entry, events, j in merge(streams):
        call(entry, events, j)
    if stop and "on:stop" in strategy.manifest.entry_points:
        call("on:stop", timer, 0)
    return result
