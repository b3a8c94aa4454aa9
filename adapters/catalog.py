"""The data catalog: market data as Parquet files partitioned by data type, instrument and day, read memory-mapped.

    catalog/
      _catalog.json                                          {"format": "nts-catalog", "version": 1}
      type=bars-1m/instrument=ESU4.GLBX/date=2024-07-01/data.parquet
      type=quotes/instrument=ESU4.GLBX/date=2024-07-01/data.parquet
      _instruments/ESU4.GLBX.json                            the instrument's specification, when imported

The folders are Hive-style, so pyarrow, pandas, DuckDB or Polars read a catalog as one dataset (they skip names
that start with `_`). A file holds one period of one data type of one instrument, in time order, validated when
written: a UTC day of ticks, quotes, books and bars shorter than a minute (`date=2024-07-01`), a month of minute
bars (`date=2024-07`), a year of hourly or longer bars (`date=2024`), so that files hold thousands of rows or more.
Times are `ts_event`, but `ts_recv` for MBO, which venues sequence by receive time. Its columns are the event
dtype's fields (runtime/events.py) less `instrument`, which the folder names; times are timestamp[ns, UTC] and book
levels fixed-size lists.

Data types: `bars-<timeframe>` (bars-1m, bars-1h, ...), `quotes`, `trades`, `book-<depth>` (level snapshots),
`mbo` (L3 order events) and `status` (trading status changes).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import numpy as np

from ..dsl.durations import DURATION_UNITS, parse_duration
from ..runtime.events import BAR_DTYPE, MBO_DTYPE, QUOTE_DTYPE, STATUS_DTYPE, TRADE_DTYPE, book_dtype
from ..runtime.instruments import Instrument
from .files import DataError, WrongSchema, iso, time_field, validate

DAY_NS = 86_400 * 10**9
MARKER = "_catalog.json"
FORMAT = {"format": "nts-catalog", "version": 1}
_TYPE = re.compile(r"^(bars-[0-9]+(?:ns|us|ms|s|m|h|d)|quotes|trades|book-[0-9]+|mbo|status)$")
_TIMES = ("ts_event", "ts_recv")


class CatalogError(DataError):
    """A catalog that cannot be read or written as asked."""

    kind = "catalog"


class AlreadyInCatalog(CatalogError):
    kind = "already in the catalog"


def bars_type(timeframe_ns: int) -> str:
    """`bars-1m` for one-minute bars: the timeframe in its largest whole unit."""
    for unit in ("d", "h", "m", "s", "ms", "us", "ns"):
        if timeframe_ns % DURATION_UNITS[unit] == 0:
            return f"bars-{timeframe_ns // DURATION_UNITS[unit]}{unit}"
    raise AssertionError(timeframe_ns)


def type_timeframe(data_type: str) -> int | None:
    return parse_duration(data_type[5:]) if data_type.startswith("bars-") else None


def type_kind(data_type: str) -> str:
    """The validation kind of a data type: bars, quotes, trades, book, mbo or status."""
    return data_type.split("-")[0]


def type_dtype(data_type: str) -> np.dtype:
    kind = type_kind(data_type)
    if kind == "book":
        return book_dtype(int(data_type.split("-")[1]))
    return {"bars": BAR_DTYPE, "quotes": QUOTE_DTYPE, "trades": TRADE_DTYPE, "mbo": MBO_DTYPE,
            "status": STATUS_DTYPE}[kind]


def partition_unit(data_type: str) -> str:
    """The numpy datetime unit of a series' files: Y, M or D."""
    timeframe = type_timeframe(data_type) or 0
    return "Y" if timeframe >= 3600 * 10**9 else "M" if timeframe >= 60 * 10**9 else "D"


@dataclass
class Part:
    """One file of a series and the times it covers: [start, end) ns."""

    path: Path
    start: int
    end: int


@dataclass
class Entry:
    """What the catalog holds of one data type of one instrument (`ntc data ls`)."""

    data_type: str
    symbol: str
    files: int
    rows: int
    first: int     # ns of the first event
    last: int      # ns of the last event
    bytes: int


class Catalog:
    """A catalog folder. `Catalog(path, create=True)` makes one where there is none."""

    def __init__(self, root: str | Path, create: bool = False):
        self.root = Path(root)
        marker = self.root / MARKER
        if not marker.exists():
            if not create:
                raise CatalogError(str(self.root), None, "not a data catalog (no _catalog.json); create one with "
                                                         "`ntc data import`")
            if self.root.exists() and any(self.root.iterdir()):
                raise CatalogError(str(self.root), None, "the folder is not empty and not a catalog")
            self.root.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps(FORMAT) + "\n")
        elif json.loads(marker.read_text()).get("format") != FORMAT["format"]:
            raise CatalogError(str(marker), None, "not an NTS catalog marker")

    @staticmethod
    def is_catalog(path: str | Path) -> bool:
        return (Path(path) / MARKER).is_file()

    # ------------------------------------------------------------ layout
    def _folder(self, data_type: str, symbol: str) -> Path:
        return self.root / f"type={data_type}" / f"instrument={quote(symbol, safe='.-_')}"

    def parts(self, data_type: str, symbol: str, start: int | None = None, end: int | None = None) -> list[Part]:
        """The files of one series, oldest first, limited to those that `start`..`end` (ns, inclusive) touch."""
        folder = self._folder(data_type, symbol)
        unit = partition_unit(data_type)
        out = []
        for path in sorted(folder.glob("date=*/data.parquet")) if folder.is_dir() else ():
            first = np.datetime64(path.parent.name[5:], unit)
            part = Part(path, _ns(first), _ns(first + 1))
            if (start is None or part.end > start) and (end is None or part.start <= end):
                out.append(part)
        return out

    def series(self) -> list[tuple[str, str]]:
        """Every (data type, symbol) the catalog holds."""
        out = []
        for t in sorted(self.root.glob("type=*")):
            for i in sorted(t.glob("instrument=*")):
                if any(i.glob("date=*/data.parquet")):
                    out.append((t.name[5:], unquote(i.name[11:])))
        return out

    # ------------------------------------------------------------ writing
    def write(self, data_type: str, symbol: str, events: np.ndarray, replace: bool = False) -> list[Path]:
        """Stores validated, time-ordered events of one series. Data already there whose times the new events'
        span overlaps is an error unless `replace`, which drops it; data of other times is merged in."""
        if not _TYPE.match(data_type):
            raise CatalogError(str(self.root), None, f"unknown data type {data_type!r}")
        if "/" in symbol or not symbol:
            raise CatalogError(str(self.root), None, f"bad instrument symbol {symbol!r}")
        if events.dtype != type_dtype(data_type):
            raise CatalogError(str(self.root), None, f"{data_type} events must have dtype {type_dtype(data_type)}")
        field = time_field(type_kind(data_type))
        ts = events[field]
        if len(ts) == 0:
            return []
        period = ts.astype("datetime64[ns]").astype(f"datetime64[{partition_unit(data_type)}]")
        cuts = np.flatnonzero(np.r_[True, period[1:] != period[:-1], True])
        written = []
        for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
            part = events[a:b]
            path = self._folder(data_type, symbol) / f"date={period[a]}" / "data.parquet"
            if path.exists():
                old = read_file(path, data_type)
                t_old, lo, hi = old[field], ts[a], ts[b - 1]
                inside = (t_old >= lo) & (t_old <= hi)
                if inside.any() and not replace:
                    raise AlreadyInCatalog(str(path), None,
                                           f"holds {iso(t_old[0])} .. {iso(t_old[-1])}, which the new "
                                           f"{iso(lo)} .. {iso(hi)} overlaps; use --replace to rewrite those times")
                merged = np.concatenate([old[~inside], part])
                part = merged[np.argsort(merged[field], kind="stable")]
            _write_file(path, part)
            written.append(path)
        return written

    def save_instrument(self, instrument: Instrument) -> Path:
        path = self.root / "_instruments" / f"{quote(instrument.symbol, safe='.-_')}.json"
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(instrument.model_dump_json(indent=2) + "\n")
        os.replace(tmp, path)
        return path

    def instrument(self, symbol: str) -> Instrument | None:
        path = self.root / "_instruments" / f"{quote(symbol, safe='.-_')}.json"
        return Instrument.model_validate_json(path.read_text()) if path.exists() else None

    # ------------------------------------------------------------ reading
    def read(self, data_type: str, symbol: str, start: int | None = None, end: int | None = None) -> np.ndarray:
        """One series' events from `start` to `end` (ns, inclusive), validated."""
        parts = [read_file(p.path, data_type) for p in self.parts(data_type, symbol, start, end)]
        events = np.concatenate(parts) if parts else np.zeros(0, type_dtype(data_type))
        ts = events[time_field(type_kind(data_type))]
        if start is not None or end is not None:
            lo = np.searchsorted(ts, start, "left") if start is not None else 0
            hi = np.searchsorted(ts, end, "right") if end is not None else len(ts)
            events = events[lo:hi]
        return events

    def entries(self) -> list[Entry]:
        import pyarrow.parquet as pq
        out = []
        for data_type, symbol in self.series():
            paths = [p.path for p in self.parts(data_type, symbol)]
            rows = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
            field = time_field(type_kind(data_type))
            first = read_file(paths[0], data_type, [field])[field]
            last = read_file(paths[-1], data_type, [field])[field]
            out.append(Entry(data_type, symbol, len(paths), rows, int(first[0]), int(last[-1]),
                             sum(p.stat().st_size for p in paths)))
        return out


# ---------------------------------------------------------------- one day file
def read_file(path: Path, data_type: str, fields: list[str] | None = None) -> np.ndarray:
    """A day file as events (memory-mapped read), validated; `fields` limits the columns (others stay 0)."""
    import pyarrow.parquet as pq
    dtype = type_dtype(data_type)
    names = [f for f in (fields or dtype.names) if f != "instrument"]
    try:
        table = pq.read_table(path, columns=names, memory_map=True)
    except Exception as exc:  # noqa: BLE001 - pyarrow's reasons (a missing column, a broken file), with the path
        raise WrongSchema(str(path), None, str(exc).splitlines()[0]) from None
    out = np.zeros(table.num_rows, dtype)
    for name in names:
        column = table.column(name).combine_chunks()
        if dtype[name].shape:
            out[name] = column.flatten().to_numpy(zero_copy_only=False).reshape(len(out), *dtype[name].shape)
        elif name in _TIMES:
            out[name] = column.view("int64").to_numpy()
        else:
            out[name] = column.to_numpy(zero_copy_only=False)
    if fields is None:
        out, _ = validate(out, type_kind(data_type), str(path), first_row=1)
    return out


def _write_file(path: Path, events: np.ndarray) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    columns = {}
    for name in events.dtype.names:
        if name == "instrument":
            continue
        values = events[name]
        if name in _TIMES:
            columns[name] = pa.array(values, pa.int64()).view(pa.timestamp("ns", "UTC"))
        elif values.ndim == 2:
            columns[name] = pa.FixedSizeListArray.from_arrays(pa.array(values.ravel()), values.shape[1])
        else:
            columns[name] = pa.array(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(pa.table(columns), tmp, compression="zstd")
    os.replace(tmp, path)  # a reader never sees half a file


def _ns(moment: np.datetime64) -> int:
    return int(moment.astype("datetime64[ns]").astype(np.int64))
