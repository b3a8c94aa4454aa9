"""Bars of a longer period from shorter ones, as the engine derives `data btc bars 1h` from 1-minute bars.

A bar's `ts_event` is its close time, so a source bar closing at c covers (c - source period, c] and belongs to the
period that contains its open time. A longer bar is emitted only once its period has closed: its `ts_event` is the
period's end, and a period the data stops inside yields no bar (it would show prices from after the last event).
"""

from __future__ import annotations

import numpy as np

from .events import BAR_DTYPE


def resample_bars(bars: np.ndarray, source_ns: int, period_ns: int, closed_by: int | None = None) -> np.ndarray:
    """The bars of the periods that have closed by `closed_by` (ns; by default the last source bar's time)."""
    if len(bars) == 0:
        return np.zeros(0, BAR_DTYPE)
    bucket = (bars["ts_event"] - source_ns) // period_ns
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(bars)]
    period_end = (bucket[starts] + 1) * period_ns
    closed = period_end <= (bars["ts_event"][-1] if closed_by is None else closed_by)
    out = np.zeros(len(starts), BAR_DTYPE)
    out["ts_event"] = period_end
    out["ts_recv"] = period_end
    out["instrument"] = bars["instrument"][starts]
    out["open"] = bars["open"][starts]
    out["high"] = np.maximum.reduceat(bars["high"], starts)
    out["low"] = np.minimum.reduceat(bars["low"], starts)
    out["close"] = bars["close"][ends - 1]
    out["volume"] = np.add.reduceat(bars["volume"], starts)
    return out[closed]
