"""A strategy's streams read from a data catalog (adapters/catalog.py) a window of days at a time, so a run over
more data than memory holds stays within a fixed budget: the engine's loop resumes window after window with the
same result as one pass over all the data (tests/test_catalog.py checks it).

Each stream reads a series of its instrument's symbol:

    bars <tf>       bars-<tf>, else the coarsest finer bars-<x> whose period divides tf, resampled by the engine
    quotes, trades  quotes, trades
    book depth d    the shallowest book-<D> with D >= d, cut to d levels
    book mbo        mbo, replayed into a book whose levels are read after each venue event (runtime/mbo.py)

A window ends where a file starts; the loop handles the venue's actions due before then, then the next window's
events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..adapters.catalog import Catalog, bars_type, read_file, type_dtype, type_timeframe
from ..adapters.files import MissingData, UnknownInstrument
from .events import book_dtype
from .mbo import F_LAST, MboBook
from .resample import resample_bars

NO_END = 2**63 - 1


@dataclass
class Source:
    """The catalog series one stream reads."""

    data_type: str
    symbol: str
    instrument: int             # the strategy's instrument index, written into each event
    resample: tuple[int, int] | None = None  # (series timeframe, stream timeframe) in ns
    depth: int | None = None    # book levels the stream keeps
    book: MboBook | None = None  # the L3 book an mbo series is replayed into


class CatalogFeed:
    """The events of a strategy's streams (`bind`) from `catalog` between `start` and `end` (ns, inclusive), by
    window of about `window_rows` rows."""

    def __init__(self, catalog: Catalog | str, start: int | None = None, end: int | None = None,
                 window_rows: int = 1 << 20):
        self.catalog = catalog if isinstance(catalog, Catalog) else Catalog(catalog)
        self.start, self.end, self.window_rows = start, end, window_rows

    def bind(self, manifest, symbols: dict[str, str]) -> None:
        """Matches the strategy's streams with catalog series; `symbols` maps an instrument name to the symbol it
        is read as."""
        held = self.catalog.series()
        index = {inst.name: k for k, inst in enumerate(manifest.instruments)}
        symbol_of = {inst.name: symbols.get(inst.name, inst.symbol) for inst in manifest.instruments}
        self.sources = [_source(s, symbol_of[s.instrument], index[s.instrument], held, str(self.catalog.root))
                        for s in manifest.streams]
        self.parts = [self.catalog.parts(src.data_type, src.symbol, self.start, self.end) for src in self.sources]
        self.rows = {p.path: _rows(p.path) for parts in self.parts for p in parts}
        self.total = sum(self.rows.values())

    def windows(self):
        """Yields (events of each stream, last time this window covers). A window starts where a file starts and
        holds files of about `window_rows` rows; a file longer than a window (a year of hourly bars beside days
        of quotes) stays in memory while windows cross it."""
        rows_from = {}
        for parts in self.parts:
            for p in parts:
                rows_from[p.start] = rows_from.get(p.start, 0) + self.rows[p.path]
        bounds, rows = [], 0
        for t in sorted(rows_from):
            if not bounds or rows >= self.window_rows:
                bounds.append(t)
                rows = 0
            rows += rows_from[t]
        bounds.append(NO_END)
        ends = [self._last_times(k) for k in range(len(self.sources))]
        last = max((e[1] for e in ends), default=-1)
        held = [[] for _ in self.sources]   # (part, its events) of the files the current window touches
        taken = [0] * len(self.sources)
        carry = [None] * len(self.sources)
        for w0, w1 in zip(bounds[:-1], bounds[1:]):
            t_end = last if w1 == NO_END else min(last, w1 - 1)
            out = []
            for k, src in enumerate(self.sources):
                parts = self.parts[k]
                while taken[k] < len(parts) and parts[taken[k]].start < w1:
                    held[k].append((parts[taken[k]], self._read(src, parts[taken[k]])))
                    taken[k] += 1
                held[k] = [(p, e) for p, e in held[k] if p.end > w0]
                pieces = [e[np.searchsorted(e["ts_event"], w0):np.searchsorted(e["ts_event"], w1)] for _, e in held[k]]
                events = np.concatenate(pieces) if pieces else np.zeros(0, _stream_dtype(src))
                if src.resample:
                    if carry[k] is not None:
                        events = np.concatenate([carry[k], events])
                    events, carry[k] = _resample(events, *src.resample, min(t_end, ends[k][0]))
                elif src.depth is not None:
                    events = _cut_book(events, src.depth)
                events["instrument"] = src.instrument
                out.append(events)
            yield out, t_end

    def _read(self, src: Source, part) -> np.ndarray:
        """A file's events as the stream sees them (an mbo file: the book after each of its venue events)."""
        events = read_file(part.path, src.data_type)
        return self._cut(src.book.snapshots(events) if src.book is not None else events)

    def _cut(self, events: np.ndarray) -> np.ndarray:
        if self.start is None and self.end is None:
            return events
        ts = events["ts_event"]
        lo = 0 if self.start is None else np.searchsorted(ts, self.start, "left")
        hi = len(ts) if self.end is None else np.searchsorted(ts, self.end, "right")
        return events[lo:hi]

    def _last_times(self, k: int) -> tuple[int, int]:
        """The time of the last event of source k's series, and of its stream (a resampled stream's last bar is
        the last period closed by then); -1 when it has none."""
        src, tail = self.sources[k], []
        series_last = -1
        for part in reversed(self.parts[k]):  # a file may end before `start`, or close no resampled period
            events = read_file(part.path, src.data_type)
            if src.book is not None:  # the times of its snapshots, which need no book
                events = events[(events["flags"] & F_LAST) != 0].copy()
                events["ts_event"] = events["ts_recv"]
            tail.insert(0, self._cut(events))
            events = np.concatenate(tail)
            if len(events) and series_last < 0:
                series_last = int(events["ts_event"][-1])
            if src.resample and len(events):
                events = resample_bars(events, *src.resample, closed_by=series_last)
            if len(events):
                return series_last, int(events["ts_event"][-1])
        return series_last, -1


def _source(stream, symbol: str, instrument: int, held: list[tuple[str, str]], root: str) -> Source:
    types = [t for t, sym in held if sym == symbol]
    if not types:
        symbols = sorted({sym for _, sym in held})
        raise UnknownInstrument(root, None, f"no data for {symbol} (instrument `{stream.instrument}`); the catalog "
                                            f"holds {', '.join(symbols) or 'nothing'}")
    if stream.data == "bars":
        want = stream.timeframe_ns
        if bars_type(want) in types:
            return Source(bars_type(want), symbol, instrument)
        finer = [type_timeframe(t) for t in types if t.startswith("bars-")]
        finer = [x for x in finer if x < want and want % x == 0]
        if finer:
            return Source(bars_type(max(finer)), symbol, instrument, resample=(max(finer), want))
    elif stream.data in ("quotes", "trades") and stream.data in types:
        return Source(stream.data, symbol, instrument)
    elif stream.data == "book" and not stream.mbo:
        deep = sorted(int(t[5:]) for t in types if t.startswith("book-") and int(t[5:]) >= stream.depth)
        if deep:
            return Source(f"book-{deep[0]}", symbol, instrument, depth=stream.depth)
    elif stream.data == "book" and "mbo" in types:
        return Source("mbo", symbol, instrument, book=MboBook())
    what = {"bars": f"{bars_type(stream.timeframe_ns or 0)} or finer bars whose period divides it",
            "book": "an L3 book (mbo) stream" if stream.mbo else f"a book of {stream.depth} levels or more"}
    raise MissingData(root, None, f"{symbol} has no data for `{stream.key}` (it needs "
                                        f"{what.get(stream.data, stream.data)}); the catalog holds "
                                        f"{', '.join(types)} of it")


def _stream_dtype(src: Source) -> np.dtype:
    return book_dtype(src.book.depth) if src.book is not None else type_dtype(src.data_type)


def _resample(bars: np.ndarray, source_ns: int, period_ns: int, closed_by: int):
    """Bars of the periods that have closed by `closed_by`, and the source bars of those still open."""
    out = resample_bars(bars, source_ns, period_ns, closed_by=closed_by)
    period_end = ((bars["ts_event"] - source_ns) // period_ns + 1) * period_ns
    return out, bars[period_end > closed_by]


def _cut_book(events: np.ndarray, depth: int) -> np.ndarray:
    out = np.zeros(len(events), book_dtype(depth))
    for name in out.dtype.names:
        out[name] = events[name][:, :depth] if out.dtype[name].shape else events[name]
    out["levels"] = np.minimum(out["levels"], depth)
    return out


def _rows(path) -> int:
    import pyarrow.parquet as pq
    return pq.ParquetFile(path).metadata.num_rows
