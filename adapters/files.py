"""Market data files into event arrays: CSV and Parquet (via pyarrow) and QuantConnect Lean's zipped CSVs, each
validated on load.

    bars = read_events("spy.csv", "bars", columns={"ts_event": "Date"}, tz="America/New_York", bar_time="open",
                       timeframe_ns=86_400 * 10**9)

Bar timestamps in NTS are close times. A file whose bars are stamped with their open time says so (`bar_time="open"`
with the bar's length) and is shifted. Times may be integers (epoch seconds, ms, us or ns: `time_unit`) or text (ISO
dates and datetimes; naive ones are read in `tz`).

Validation names the problem, the file and the row (1-based, counting a CSV header as row 1) and loses nothing:
`validate(..., repair=True)` sorts, drops exact duplicates, and reports what it did; it never invents prices, so
NaN, non-positive prices, high < low and crossed quotes stay errors.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from ..runtime.events import BAR_DTYPE, QUOTE_DTYPE, TRADE_DTYPE
from .scan import BACK, NONFINITE, REPEAT, first_bad_rows

NS = 10**9
DTYPES = {"bars": BAR_DTYPE, "quotes": QUOTE_DTYPE, "trades": TRADE_DTYPE}
PRICE_FIELDS = {"bars": ("open", "high", "low", "close"), "quotes": ("bid", "ask"), "trades": ("price",),
                "book": (), "mbo": (), "status": ()}
SIZE_FIELDS = {"bars": ("volume",), "quotes": ("bid_size", "ask_size"), "trades": ("size",), "book": (),
               "mbo": ("size",), "status": ()}
TIME_NAMES = ("ts_event", "timestamp", "time", "datetime", "date", "ts")
UNIT_NS = {"s": NS, "ms": 10**6, "us": 10**3, "ns": 1}


class DataError(ValueError):
    """Bad market data: `str()` is `path:row: what is wrong`."""

    kind = "bad data"

    def __init__(self, source: str, row: int | None, message: str):
        self.source, self.row, self.message = source, row, message
        super().__init__(f"{source}{f':{row}' if row is not None else ''}: {self.kind}: {message}")


class WrongSchema(DataError):
    kind = "wrong schema"


class UnsortedTimestamps(DataError):
    kind = "unsorted timestamps"


class DuplicateTimestamps(DataError):
    kind = "conflicting duplicate timestamps"


class NonFiniteValue(DataError):
    kind = "NaN or infinite value"


class NonPositivePrice(DataError):
    kind = "non-positive price"


class HighBelowLow(DataError):
    kind = "high below low"


class CrossedQuote(DataError):
    kind = "crossed quote"


class UnknownInstrument(DataError):
    kind = "unknown instrument"


class MissingData(DataError):
    kind = "missing data"


@dataclass
class Repairs:
    """What `validate(..., repair=True)` changed."""

    sorted_rows: int = 0
    dropped_duplicates: int = 0

    def __str__(self) -> str:
        done = [f"sorted {self.sorted_rows} rows into time order" if self.sorted_rows else "",
                f"dropped {self.dropped_duplicates} exact duplicate rows" if self.dropped_duplicates else ""]
        return "; ".join(d for d in done if d) or "nothing to repair"


# ---------------------------------------------------------------- validation
def time_field(kind: str) -> str:
    """The time events of `kind` are ordered by: `ts_recv` for MBO, which venues sequence by receive time."""
    return "ts_recv" if kind == "mbo" else "ts_event"


def validate(events: np.ndarray, kind: str, source: str, first_row: int = 1, repair: bool = False):
    """Checks events of `kind` (bars, quotes, trades, book, mbo, status) read from `source` (row numbers from
    `first_row`). Returns (events, Repairs)."""
    repairs = Repairs()
    order = None  # after a repair: position now -> position read, for the row numbers of messages
    prices, names = PRICE_FIELDS[kind], PRICE_FIELDS[kind] + SIZE_FIELDS[kind]

    def row(j: int) -> int:
        return first_row + (j if order is None else int(order[j]))

    def scan():
        return first_bad_rows(events[time_field(kind)], [events[f] for f in names], len(prices),
                              ohlc=kind == "bars", crossed=kind == "quotes")

    first = scan()
    ts = events[time_field(kind)]
    if first[BACK] >= 0:
        if not repair:
            j = int(first[BACK])
            raise UnsortedTimestamps(source, first_row + j,
                                     f"{iso(ts[j])} comes after {iso(ts[j - 1])} (use --repair to sort)")
        order = np.argsort(ts, kind="stable")
        repairs.sorted_rows = int(np.count_nonzero(order != np.arange(len(ts))))
        events = events[order]
        ts = events[time_field(kind)]
        first = scan()
    if kind == "bars" and first[REPEAT] >= 0:
        same = np.flatnonzero(ts[1:] == ts[:-1])
        fields = [f for f in events.dtype.names if f not in ("ts_recv",)]
        exact = np.array([all(events[f][j] == events[f][j + 1] for f in fields) for j in same.tolist()], bool)
        if not exact.all():
            j = int(same[~exact][0]) + 1
            raise DuplicateTimestamps(source, row(j),
                                      f"two different bars at {iso(ts[j])}")
        if not repair:
            j = int(same[0]) + 1
            raise DuplicateTimestamps(source, row(j),
                                      f"the bar at {iso(ts[j])} appears twice (use --repair to drop the copy)")
        keep = np.ones(len(events), bool)
        keep[same + 1] = False
        repairs.dropped_duplicates = int((~keep).sum())
        events, order = events[keep], (np.flatnonzero(keep) if order is None else order[keep])
        first = scan()
    for c, name in enumerate(names):
        j = int(first[NONFINITE + c])
        if j >= 0:
            raise NonFiniteValue(source, row(j), f"{name} is {events[name][j]}")
    for c, name in enumerate(names):
        j = int(first[NONFINITE + len(names) + c])
        if j >= 0 and c < len(prices):
            raise NonPositivePrice(source, row(j), f"{name} is {events[name][j]}")
        if j >= 0:
            raise DataError(source, row(j), f"{name} is negative: {events[name][j]}")
    j = int(first[NONFINITE + 2 * len(names)]) if names else -1
    if j >= 0 and kind == "bars":
        b = events[j]
        raise HighBelowLow(source, row(j), f"open {b['open']} high {b['high']} low {b['low']} close {b['close']}: "
                                           "high must be the highest and low the lowest")
    if j >= 0 and kind == "quotes":
        raise CrossedQuote(source, row(j), f"bid {events['bid'][j]} above ask {events['ask'][j]}")
    if kind == "book":
        _validate_book(events, source, row)
    return events, repairs


def _validate_book(events: np.ndarray, source: str, row) -> None:
    """A snapshot's levels with size hold finite positive prices (an empty level, size 0, may have none), and the
    best bid is not above the best ask."""
    for side in ("bid", "ask"):
        price, size = events[f"{side}_price"], events[f"{side}_size"]
        for name, bad in ((f"{side}_size", ~np.isfinite(size) | (size < 0)),
                          (f"{side}_price", (size > 0) & ~(np.isfinite(price) & (price > 0)))):
            rows = np.flatnonzero(bad.any(axis=1))
            if len(rows):
                j = int(rows[0])
                level = int(np.flatnonzero(bad[j])[0])
                value = events[name][j, level]
                error = NonFiniteValue if not np.isfinite(value) else NonPositivePrice
                raise error(source, row(j), f"{name} at level {level} is {value}")
    both = (events["bid_size"][:, 0] > 0) & (events["ask_size"][:, 0] > 0)
    bad = np.flatnonzero(both & (events["bid_price"][:, 0] > events["ask_price"][:, 0]))
    if len(bad):
        j = int(bad[0])
        raise CrossedQuote(source, row(j), f"best bid {events['bid_price'][j, 0]} above the best "
                                                              f"ask {events['ask_price'][j, 0]}")


def iso(ns) -> str:
    return datetime.fromtimestamp(int(ns) / NS, tz=timezone.utc).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------- reading
def read_events(path: str | Path, kind: str = "bars", columns: dict[str, str] | None = None, tz: str = "UTC",
                time_unit: str | None = None, bar_time: str = "close", timeframe_ns: int | None = None,
                repair: bool = False, report: Repairs | None = None) -> np.ndarray:
    """Events of `kind` from a CSV, Parquet or Lean zip file, validated; what `repair` fixed is added to
    `report`."""
    path = Path(path)
    source = str(path)
    if kind not in DTYPES:
        raise WrongSchema(source, None, f"unknown data kind {kind!r}: one of {', '.join(DTYPES)}")
    if path.suffix == ".zip":
        events, first_row = read_lean_zip(path, kind), 1
    else:
        table = _read_table(path)
        events, first_row = _from_table(table, kind, columns or {}, tz, time_unit, source), 2 if path.suffix == ".csv" else 1
        if bar_time == "open":
            if kind != "bars" or not timeframe_ns:
                raise WrongSchema(source, None, "bar_time='open' needs bars and their timeframe")
            events["ts_event"] += timeframe_ns
            events["ts_recv"] = events["ts_event"]
    events, repairs = validate(events, kind, source, first_row, repair)
    if report is not None:
        report.sorted_rows += repairs.sorted_rows
        report.dropped_duplicates += repairs.dropped_duplicates
    return events


def _read_table(path: Path):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    try:
        if path.suffix == ".parquet":
            return pq.read_table(path, memory_map=True)
        return pacsv.read_csv(path)
    except FileNotFoundError:
        raise WrongSchema(str(path), None, "no such file") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow's own parse errors, reported with the file
        raise WrongSchema(str(path), None, str(exc).splitlines()[0]) from None


def _from_table(table, kind: str, columns: dict[str, str], tz: str, time_unit: str | None, source: str) -> np.ndarray:
    names = {n.lower(): n for n in table.column_names}
    dtype = DTYPES[kind]
    out = np.zeros(table.num_rows, dtype)
    wanted = [f for f in dtype.names if f not in ("ts_recv", "instrument", "aggressor")]
    for field in wanted:
        column = columns.get(field)
        if column is None:
            candidates = TIME_NAMES if field == "ts_event" else (field,)
            column = next((names[c] for c in candidates if c in names), None)
        if column is None or column not in table.column_names:
            if field in SIZE_FIELDS[kind] and column is None:
                continue  # sizes are optional: 0
            raise WrongSchema(source, None, f"no column for `{field}` (columns: {', '.join(table.column_names)}); "
                                            f"map one with --column {field}=NAME")
        values = table.column(column)
        if field == "ts_event":
            out[field] = _times(values, tz, time_unit, source)
        else:
            try:
                out[field] = values.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
            except (ValueError, TypeError):
                raise WrongSchema(source, None, f"column {column!r} for `{field}` is not numeric") from None
    out["ts_recv"] = out["ts_event"]
    return out


def _times(values, tz: str, time_unit: str | None, source: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc
    if pa.types.is_integer(values.type):
        raw = values.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        unit = time_unit or _guess_unit(raw)
        return raw * UNIT_NS[unit]
    if pa.types.is_date(values.type):
        values = pc.cast(values, pa.timestamp("s"))
    if pa.types.is_timestamp(values.type):
        if values.type.tz is None and tz != "UTC":
            values = pc.assume_timezone(values, tz)
        return pc.cast(values, pa.timestamp("ns", "UTC")).to_numpy(zero_copy_only=False).astype("datetime64[ns]").view(np.int64)
    import pandas as pd
    try:
        parsed = pd.to_datetime(values.to_pandas(), utc=False, format="mixed")
    except (ValueError, TypeError) as exc:
        raise WrongSchema(source, None, f"unreadable time: {exc}") from None
    if parsed.dt.tz is None:
        parsed = parsed.dt.tz_localize(ZoneInfo(tz))
    return parsed.dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy()


def _guess_unit(raw: np.ndarray) -> str:
    """Epoch integers by magnitude: seconds until 2286, then ms, us, ns."""
    top = int(np.abs(raw).max()) if len(raw) else 0
    return "s" if top < 10**10 else "ms" if top < 10**13 else "us" if top < 10**16 else "ns"


# ---------------------------------------------------------------- Lean's zipped CSVs
def read_lean_zip(path: Path, kind: str) -> np.ndarray:
    """QuantConnect Lean data: `equity/usa/daily/SYM.zip` (daily bars, prices x 10000, closing at 16:00 New York)
    and `crypto/<venue>/minute/<sym>/YYYYMMDD_trade.zip` / `_quote.zip` (minute bars stamped with their open in
    ms since midnight UTC; a quote bar's closing bid and ask become a quote)."""
    with zipfile.ZipFile(path) as z:
        (name,) = z.namelist()[:1]
        rows = list(csv.reader(io.TextIOWrapper(z.open(name), "ascii")))
    parts = path.parts
    if "daily" in parts:
        if kind != "bars":
            raise WrongSchema(str(path), None, f"Lean daily files hold bars, not {kind}")
        new_york = ZoneInfo("America/New_York")
        times = [int(datetime.strptime(r[0], "%Y%m%d %H:%M").replace(hour=16, tzinfo=new_york).timestamp()) * NS
                 for r in rows]
        out = np.zeros(len(rows), BAR_DTYPE)
        out["ts_event"] = times
        values = np.array([[float(v) for v in r[1:6]] for r in rows]).reshape(-1, 5)
        values[:, :4] /= 10_000.0
        for j, f in enumerate(("open", "high", "low", "close", "volume")):
            out[f] = values[:, j]
    elif "minute" in parts:
        midnight = int(datetime.strptime(path.name[:8], "%Y%m%d").replace(tzinfo=timezone.utc).timestamp()) * NS
        times = np.array([midnight + int(r[0]) * 10**6 + 60 * NS for r in rows], np.int64)
        values = np.array([[float(v) for v in r[1:]] for r in rows])
        is_quote = path.stem.endswith("_quote")
        if kind == "bars" and not is_quote:
            out = np.zeros(len(rows), BAR_DTYPE)
            for j, f in enumerate(("open", "high", "low", "close", "volume")):
                out[f] = values[:, j]
        elif kind == "quotes" and is_quote:
            out = np.zeros(len(rows), QUOTE_DTYPE)
            out["bid"], out["bid_size"], out["ask"], out["ask_size"] = values[:, 3], values[:, 4], values[:, 8], values[:, 9]
        else:
            raise WrongSchema(str(path), None, f"this Lean file holds {'quote' if is_quote else 'trade'} bars, "
                                               f"not {kind}")
        out["ts_event"] = times
    else:
        raise WrongSchema(str(path), None, "not a Lean daily or minute file")
    out["ts_recv"] = out["ts_event"]
    return out
