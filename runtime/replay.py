"""`ntc replay JOURNAL`: a live run's inputs fed again through the same compiled strategy, and its decisions checked.

The replay builds the engine the journal's header describes, feeds it every journaled input in order (market
events, clock ticks, the venue's reports, the stop) and compares what it sends after each one, orders and cancels
byte for byte, with what the live run sent. The first difference is reported by input number, time and the `.nts`
line of the order that differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .backtest import Risk, Venue
from .engine_state import ORDER_ROW_DTYPE
from .events import ORDER_DTYPE
from .instruments import Instrument
from .journal import (CANCEL_SENT, CLOCK, MARKET, MODIFY_SENT, ORDER_SENT, REPORT, STOP, JournalError, read_header,
                      read_rows, report_fields)
from .live import LiveEngine


@dataclass
class Difference:
    n: int            # the input after which the runs differ
    t: int            # its time, ns
    what: str         # what differs, in words
    line: int | None  # the .nts line of the order that differs, when there is one


@dataclass
class ReplayResult:
    inputs: int
    orders: int
    cancels: int
    difference: Difference | None

    @property
    def identical(self) -> bool:
        return self.difference is None


def header_of(engine: LiveEngine, params: dict | None, cash: float, currency: str, rates: dict | None,
              risk: Risk, venue: Venue, start_ns: int) -> dict:
    """What `replay` needs to build the same engine: written as the journal's header by the live scheduler."""
    from dataclasses import asdict
    m = engine.strategy.manifest
    return {"strategy": m.strategy, "source_path": str(Path(m.source_path).resolve()),
            "source_sha256": m.source_sha256, "params": params or {}, "cash": cash, "currency": currency,
            "rates": rates or {}, "instruments": [i.model_dump() for i in engine.instruments], "risk": asdict(risk),
            "venue": asdict(venue), "paper": engine.paper, "start_ns": start_ns}


def engine_for(header: dict, strategy=None) -> LiveEngine:
    from .strategy import compile_strategy
    strategy = strategy or compile_strategy(header["source_path"])
    if strategy.manifest.source_sha256 != header["source_sha256"]:
        raise JournalError(f"{header['source_path']} has changed since the journal was written: a replay needs the "
                           "strategy that ran")
    return LiveEngine(strategy, [Instrument(**i) for i in header["instruments"]], params=header["params"],
                      cash=header["cash"], risk=Risk(**header["risk"]), venue=Venue(**header["venue"]),
                      paper=header["paper"], currency=header["currency"], rates=header["rates"],
                      start_ns=header["start_ns"])


def _sent(box) -> list[tuple[int, bytes]]:
    return ([(ORDER_SENT, r.tobytes()) for r in box.orders] + [(CANCEL_SENT, e.tobytes()) for e in box.cancels]
            + [(MODIFY_SENT, e.tobytes()) for e in box.modifies])


def _describe(kind: int, data: bytes | None) -> tuple[str, int | None]:
    if data is None:
        return "nothing", None
    if kind == ORDER_SENT:
        r = np.frombuffer(data, ORDER_ROW_DTYPE)[0]
        return (f"order #{int(r['seq'])} side {int(r['side'])} qty {float(r['qty'])} price {float(r['price'])} "
                f"type {int(r['order_type'])}", int(r["source_line"]) if r["source_line"] >= 0 else None)
    e = np.frombuffer(data, ORDER_DTYPE)[0]
    if kind == MODIFY_SENT:
        return f"change of order #{int(e['seq'])} to qty {float(e['qty'])} price {float(e['price'])}", None
    return f"cancel of order #{int(e['seq'])}", None


def replay(directory: str | Path, strategy=None) -> ReplayResult:
    header = read_header(directory)
    engine = engine_for(header, strategy)
    expected: dict[int, list[tuple[int, bytes]]] = {}
    inputs: list[tuple] = []
    for n, kind, stream, t, data in read_rows(directory):
        if kind in (ORDER_SENT, CANCEL_SENT, MODIFY_SENT):
            expected.setdefault(n, []).append((kind, data))
        else:
            inputs.append((n, kind, stream, t, data))
    got = {0: _sent(engine.started)}
    one = engine.one
    for n, kind, stream, t, data in inputs:
        if n != engine.events_in + 1:
            raise JournalError(f"{directory}: input {n} follows input {engine.events_in}: the journal is not whole")
        if kind == MARKET:
            box = engine.market(stream, np.frombuffer(data, one[stream].dtype)[0])
        elif kind == CLOCK:
            box = engine.clock(t)
        elif kind == REPORT:
            r = report_fields(data)
            _, box = engine.report(int(r["kind"]), int(r["seq"]), float(r["a"]), float(r["b"]), float(r["c"]),
                                   float(r["d"]), t, int(r["trade"]))
        elif kind == STOP:
            box = engine.stop(t)
        else:
            raise JournalError(f"{directory}: input {n} is of unknown kind {kind}")
        got[n] = _sent(box)
    orders = cancels = 0
    last = inputs[-1][0] if inputs else 0
    times = {n: t for n, _, _, t, _ in inputs}
    for n in range(0, last + 1):
        want, have = expected.get(n, []), got.get(n, [])
        orders += sum(1 for k, _ in want if k == ORDER_SENT)
        cancels += sum(1 for k, _ in want if k == CANCEL_SENT)
        for i in range(max(len(want), len(have))):
            w = want[i] if i < len(want) else (None, None)
            h = have[i] if i < len(have) else (None, None)
            if w != h:
                live, line_w = _describe(w[0], w[1])
                again, line_h = _describe(h[0], h[1])
                return ReplayResult(len(inputs), orders, cancels,
                                    Difference(n, times.get(n, header["start_ns"]),
                                               f"live sent {live}; the replay sends {again}", line_h or line_w))
    return ReplayResult(len(inputs), orders, cancels, None)
