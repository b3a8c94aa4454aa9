"""`ntc data import`: files into the catalog (adapters/catalog.py), validated on the way in.

    ntc data import --catalog catalog futures_ohlcv-1m.dbn.zst futures_definition.dbn.zst
    ntc data import --catalog catalog spy.csv --symbol SPY.ARCA --type bars --timeframe 1d --tz America/New_York

Databento DBN files name their instruments and data types (adapters/dbn.py); CSV, Parquet and Lean zips hold one
instrument's bars, quotes or trades, which `--symbol`, `--type` and (for bars) `--timeframe` name. A Lean file's
timeframe comes from its folder (daily, minute).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..dsl.durations import parse_duration
from .catalog import Catalog, bars_type
from .dbn import read_dbn
from .files import Repairs, WrongSchema, read_events


@dataclass
class Imported:
    """What one file added to the catalog."""

    path: str
    series: list[tuple[str, str, int]] = field(default_factory=list)  # (data type, symbol, rows)
    instruments: list[str] = field(default_factory=list)
    repairs: Repairs | None = None


def is_dbn(path: Path) -> bool:
    return path.name.endswith((".dbn", ".dbn.zst"))


def import_file(catalog: Catalog, path: str | Path, symbol: str | None = None, kind: str = "bars",
                timeframe: str | None = None, columns: dict[str, str] | None = None, tz: str = "UTC",
                time_unit: str | None = None, bar_time: str = "close", repair: bool = False,
                replace: bool = False) -> Imported:
    path = Path(path)
    done = Imported(str(path))
    if not path.is_file():
        raise WrongSchema(str(path), None, "no such file")
    if is_dbn(path):
        series, instruments = read_dbn(path, symbol=symbol, repair=repair)
        for data_type, sym, events in series:
            catalog.write(data_type, sym, events, replace=replace)
            done.series.append((data_type, sym, len(events)))
        for instrument in instruments:
            catalog.save_instrument(instrument)
            done.instruments.append(instrument.symbol)
        return done
    if not symbol:
        raise WrongSchema(str(path), None, "a CSV, Parquet or Lean file does not name its instrument: give --symbol")
    timeframe_ns = _timeframe(path, kind, timeframe)
    events = read_events(path, kind, columns=columns, tz=tz, time_unit=time_unit, bar_time=bar_time,
                         timeframe_ns=timeframe_ns, repair=repair, report=(repairs := Repairs()))
    data_type = bars_type(timeframe_ns) if kind == "bars" else kind
    catalog.write(data_type, symbol, events, replace=replace)
    done.series.append((data_type, symbol, len(events)))
    done.repairs = repairs
    return done


def _timeframe(path: Path, kind: str, timeframe: str | None) -> int | None:
    if kind != "bars":
        return None
    if timeframe:
        ns = parse_duration(timeframe)
        if not ns:
            raise WrongSchema(str(path), None, f"--timeframe {timeframe}: not a duration (1m, 1h, 1d)")
        return ns
    if path.suffix == ".zip" and "daily" in path.parts:
        return 86_400 * 10**9
    if path.suffix == ".zip" and "minute" in path.parts:
        return 60 * 10**9
    raise WrongSchema(str(path), None, "bars need their timeframe: give --timeframe (1m, 1h, 1d)")
