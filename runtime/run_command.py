"""`ntc run`: a backtest from the command line, with a progress bar, a summary table and the run's files.

    ntc run examples/ema_cross.nts --data spy=examples/data/lean/equity/usa/daily/spy.zip --param fast=10 --out out/

`--data NAME=PATH` gives a stream its file (NAME: a stream key, alias or instrument; PATH: CSV, Parquet or a Lean
zip); a strategy with one stream may omit `NAME=`. Bar streams without a file are resampled from a finer one.
`--data CATALOG` (a folder `ntc data import` made) gives every stream its series of the catalog, read a window of
days at a time.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from ..adapters.catalog import Catalog
from ..adapters.files import DataError, Repairs, read_events
from .backtest import BacktestError, Risk, Venue
from .catalog_feed import CatalogFeed
from .stats import STAT_ROWS, format_stat


class UsageError(ValueError):
    """A bad command-line value: the message says which and why."""


def parse_time(text: str | None) -> int | None:
    """An ISO date or datetime (UTC unless it says otherwise) as ns."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"not a date or datetime: {text!r} (use 2020-01-31 or 2020-01-31T09:30)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


def parse_params(manifest, pairs: tuple[str, ...]) -> dict:
    """`--param k=v` values typed by the strategy's params."""
    known = {p.name: p for p in manifest.params}
    out = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise UsageError(f"--param {pair!r}: expected NAME=VALUE")
        if name not in known:
            raise UsageError(f"--param {name}: {manifest.strategy} has no param {name!r}; it has "
                             + (", ".join(known) or "none"))
        kind = known[name].type
        try:
            if kind == "int":
                out[name] = int(text)
            elif kind == "float":
                out[name] = float(text)
            elif kind == "bool":
                if text.lower() not in ("true", "false", "1", "0"):
                    raise ValueError
                out[name] = text.lower() in ("true", "1")
            else:
                out[name] = text
        except ValueError:
            raise UsageError(f"--param {name}={text}: not a valid {kind}") from None
    return out


def load_data(manifest, specs: tuple[str, ...], columns: dict[str, str], tz: str, bar_time: str,
              repair: bool):
    """The run's data: a CatalogFeed for `--data CATALOG`, else stream key -> events read from files."""
    if len(specs) == 1 and Catalog.is_catalog(specs[0]):
        return CatalogFeed(specs[0])
    if any(Catalog.is_catalog(spec.partition("=")[2] or spec) for spec in specs):
        raise UsageError("--data CATALOG gives all the streams their data: give it alone")
    streams = manifest.streams
    names = {s.key: s for s in streams} | {s.alias: s for s in streams if s.alias}
    by_instrument = {}
    for s in streams:
        by_instrument.setdefault(s.instrument, []).append(s)
    data = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep:
            if len(streams) != 1 and len(by_instrument) != 1:
                raise UsageError(f"--data {spec}: {manifest.strategy} has several streams; give NAME=PATH "
                                 f"(NAME one of {', '.join(names)})")
            name, path = streams[0].key, spec
        stream = names.get(name)
        if stream is None and name in by_instrument:
            bars = [s for s in by_instrument[name] if s.data == "bars"]
            stream = min(bars, key=lambda s: s.timeframe_ns or 0) if bars else by_instrument[name][0]
        if stream is None:
            raise UsageError(f"--data {name}=...: no stream or instrument {name!r}; streams: {', '.join(names)}")
        if not Path(path).exists():
            raise UsageError(f"--data {name}={path}: no such file")
        repairs = Repairs()
        data[stream.key] = read_events(path, stream.data, columns=columns, tz=tz, bar_time=bar_time,
                                       timeframe_ns=stream.timeframe_ns, repair=repair, report=repairs)
        if repair:
            print(f"{path}: {repairs}", file=sys.stderr)
    return data


def parse_rates(pairs: dict[str, str]) -> dict[str, float]:
    """`--rate EUR=1.08`: what one EUR is worth in the account's currency."""
    out = {}
    for name, text in pairs.items():
        try:
            out[name.upper()] = float(text)
        except ValueError:
            raise UsageError(f"--rate {name}={text}: not a number") from None
        if not out[name.upper()] > 0:
            raise UsageError(f"--rate {name}={text}: a rate is positive")
    return out


def parse_instruments(manifest, pairs: tuple[str, ...]) -> dict[str, str]:
    """`--instrument NAME=SYMBOL`: the instrument traded (and read from a catalog) as another symbol, with that
    symbol's specification (the catalog's, else the defaults of its venue suffix)."""
    names = [i.name for i in manifest.instruments]
    out = {}
    for pair in pairs:
        name, sep, symbol = pair.partition("=")
        if not sep or not symbol:
            raise UsageError(f"--instrument {pair!r}: expected NAME=SYMBOL")
        if name not in names:
            raise UsageError(f"--instrument {name}: {manifest.strategy} has no instrument {name!r}; it has "
                             + ", ".join(names))
        out[name] = symbol
    return out


def run(file: str, data_specs, params, symbols, start, end, out_dir, cash, currency, rates, fill_on_close, seed,
        slippage_ticks, columns, tz, bar_time, repair, quiet) -> int:
    import time

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    from .. import compile as compile_strategy
    from .backtest import run_engine
    from .result import BacktestResult
    console = Console(stderr=True, quiet=quiet)
    started = time.perf_counter()
    strategy = compile_strategy(file)  # the caller has checked it
    compiled = time.perf_counter()
    try:
        values = parse_params(strategy.manifest, params)
        instruments = parse_instruments(strategy.manifest, symbols)
        data = load_data(strategy.manifest, data_specs, columns, tz, bar_time, repair)
        loaded = time.perf_counter()
        venue = Venue(fill_on_close=fill_on_close, seed=seed, slippage_ticks=slippage_ticks)
        if isinstance(data, CatalogFeed):
            data.start, data.end = parse_time(start), parse_time(end)
            data.bind(strategy.manifest, instruments)
            total = data.total
        else:
            total = sum(len(v) for v in data.values())
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                      TimeRemainingColumn(), console=console, transient=True,
                      disable=quiet or total < 2_000_000) as progress:
            task = progress.add_task(f"running {strategy.manifest.strategy}", total=total)
            raw = run_engine(strategy, data, params=values, cash=cash, venue=venue, risk=Risk(), instruments=instruments,
                             start=parse_time(start), end=parse_time(end), currency=currency,
                             rates=parse_rates(rates),
                             progress=lambda done, all_: progress.update(task, completed=done, total=all_))
    except (UsageError, DataError, BacktestError) as exc:
        print(f"ntc run: {exc}", file=sys.stderr)  # one unwrapped line: editors and scripts parse file:row
        return 1 if not isinstance(exc, UsageError) else 2
    result = BacktestResult(strategy, raw, values)
    stats = result.stats
    table = Table(title=f"{strategy.manifest.strategy}: {raw.timings['events']:,} events; bar orders fill at "
                        f"{'the bar close' if fill_on_close else 'the next open'}")
    table.add_column("statistic")
    table.add_column("value", justify="right")
    for key, label, kind in STAT_ROWS:
        table.add_row(label, format_stat(stats.get(key, float("nan")), kind))
    Console(quiet=quiet).print(table)
    if out_dir:
        written = result.write(out_dir)
        console.print(f"wrote {', '.join(str(p) for p in written)}", markup=False, highlight=False)
    for line in result.logs[-20:]:
        console.print(line, markup=False, highlight=False)
    for w in strategy.warnings(raw.state):
        console.print(str(w), markup=False, highlight=False)
    console.print(f"compile {compiled - started:.2f} s, load data {loaded - compiled + raw.timings['read_s']:.2f} s, "
                  f"run {raw.timings['run_s']:.2f} s ({raw.timings['events'] / max(raw.timings['loop_s'], 1e-9) / 1e6:.1f} "
                  f"M events/s in the loop)", markup=False, highlight=False)
    return 0
