"""`ntc`, the user's command: check, compile, run, trade live, replay, format, and serve editors (LSP).

Exit codes: 0 clean (warnings allowed), 1 errors in the input, 2 usage errors, 3 an internal error (a bug in
ntc: reported in one line, never as a traceback).
"""

from __future__ import annotations

import json
import sys

import click

from typing import TYPE_CHECKING

from .. import __version__

if TYPE_CHECKING:
    from .frontend import CheckResult

EXAMPLES = """\b
Examples:
  ntc check examples/ema_cross.nts             check one strategy
  ntc check examples/*.nts --json              diagnostics as JSON, for editors
  ntc compile examples/ema_cross.nts --emit facts
                                               what the compiler knows before the run
  ntc compile examples/ema_cross.nts --emit py what the strategy became: readable Python
  ntc compile examples/ema_cross.nts -o build/ema
                                               an artifact for nts.load("build/ema")
  ntc fmt --check examples/*.nts               is every file in the canonical layout?
  ntc lsp                                      the language server, for editors
"""


@click.group(help="The NTS strategy compiler.\n\n" + EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="ntc", message="%(prog)s %(version)s")
def main() -> None:
    pass


def _guarded(fn):
    """Runs a command so that a bug in ntc prints one line and exits 3 instead of a traceback."""
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
            first_line = (str(exc).splitlines() or [""])[0]
            click.echo(f"ntc: internal error: {type(exc).__name__}: {first_line} (please report it with the input "
                       "file)", err=True)
            sys.exit(3)
    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    return run


def _print_text(results: list[CheckResult]) -> None:
    from ..dsl.diagnostics import render
    errors = warnings = 0
    for r in results:
        for d in r.diagnostics.sorted():
            click.echo(render(d, r.sources.get(d.span.path)))
            errors += d.is_error
            warnings += not d.is_error
    files = len(results)
    click.echo(f"checked {files} file{'s' * (files != 1)}: {errors} error{'s' * (errors != 1)}, "
               f"{warnings} warning{'s' * (warnings != 1)}", err=True)


def _json_form(results: list[CheckResult]) -> dict:
    return {"files": [{"path": r.path, "ok": r.ok,
                       "diagnostics": [d.model_dump(mode="json") for d in r.diagnostics.sorted()]} for r in results],
            "errors": sum(len(r.diagnostics.errors) for r in results),
            "warnings": sum(len(r.diagnostics.items) - len(r.diagnostics.errors) for r in results)}


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print diagnostics as JSON (for editors and tools).")
@_guarded
def check(files: tuple[str, ...], as_json: bool) -> None:
    """Parse and check strategy files; report every error with its place in the source.

    \b
    Exit status: 0 when there are no errors (warnings allowed), 1 when there are.
    """
    from .frontend import check_file
    results = [check_file(f) for f in files]
    if as_json:
        click.echo(json.dumps(_json_form(results), indent=2))
    else:
        _print_text(results)
    sys.exit(1 if any(not r.ok for r in results) else 0)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--emit", type=click.Choice(["facts", "ast", "ir", "py"]), default=None,
              help="Print instead of writing an artifact. facts: the static facts (params, streams, lookbacks, "
                   "indicator state sizes, handlers) as JSON; ast: the checked syntax tree as JSON; ir: the lowered "
                   "program; py: the generated Python module.")
@click.option("-o", "--output", "output", type=click.Path(file_okay=False), default=None,
              help="Write the artifact (generated module, manifest.json, Numba cache) to this folder "
                   "[default: .ntc/NAME beside FILE].")
@_guarded
def compile(file: str, emit: str | None, output: str | None) -> None:  # noqa: A001 - the command is `compile`
    """Compile a strategy into an artifact, or print what the compiler derived from it.

    \b
    Without --emit, writes the artifact and JIT-compiles it into Numba's cache, so that loading it later
    (`nts.load(DIR)`, `ntc run`) does not compile again. An artifact whose source, compiler and Numba are
    unchanged is left as it is. Errors are reported as by `ntc check` and nothing is written.
    """
    from .frontend import check_file
    result = check_file(file)
    if not result.ok:
        _print_text([result])
        sys.exit(1)
    if emit == "facts":
        click.echo(result.facts.model_dump_json(indent=2))
    elif emit == "ast":
        click.echo(result.module.model_dump_json(indent=2))
    elif emit in ("ir", "py"):
        from .backend import compile_checked
        from .ir import show_program
        compiled = compile_checked(result)
        click.echo(show_program(compiled.program) if emit == "ir" else compiled.source, nl=False)
    else:
        import time

        from ..runtime.strategy import load
        from .artifact import default_dir, write_artifact
        start = time.perf_counter()
        directory, written = write_artifact(file, output or default_dir(file))
        strategy = load(directory)
        hits, misses = strategy.jit_stats()
        what = "compiled" if written or misses else "up to date"
        click.echo(f"{file}: {what} -> {directory} ({len(strategy.manifest.entry_points)} entry points, "
                   f"{time.perf_counter() - start:.1f} s)", err=True)
    sys.exit(0)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--data", "data", multiple=True, metavar="CATALOG|[NAME=]PATH",
              help="A data catalog (`ntc data import`), or a stream's events: CSV, Parquet or a Lean zip. NAME is a "
                   "stream key, alias or instrument; without it, the strategy's only stream. Repeat for several.")
@click.option("--from", "start", default=None, metavar="DATE", help="First event time (ISO date or datetime, UTC).")
@click.option("--to", "end", default=None, metavar="DATE", help="Last event time (ISO date or datetime, UTC).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A param value; repeat for several.")
@click.option("--instrument", "symbols", multiple=True, metavar="NAME=SYMBOL",
              help="Trade instrument NAME as SYMBOL (its catalog definition, else its venue suffix, gives tick, lot "
                   "and kind).")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Write orders, fills, positions, equity and order events as Parquet files here, and report.html.")
@click.option("--cash", default=100_000.0, show_default=True, help="Starting cash, in the account's currency.")
@click.option("--currency", default="USD", show_default=True, help="The account's base currency.")
@click.option("--rate", "rates", multiple=True, metavar="CCY=VALUE",
              help="What one unit of currency CCY is worth in the base currency at the start (for instruments in "
                   "CCY; an FX pair of CCY the strategy subscribes to then moves it).")
@click.option("--fill-on-close", is_flag=True,
              help="Fill orders placed on a bar at its close (default: at the next bar's open).")
@click.option("--seed", default=0, show_default=True, help="Seed of the fill and latency models.")
@click.option("--slippage-ticks", default=0.0, show_default=True, help="Adverse ticks on taker fills.")
@click.option("--column", "columns", multiple=True, metavar="FIELD=NAME",
              help="Read FIELD (ts_event, open, close, bid, ...) from the file's column NAME.")
@click.option("--tz", default="UTC", show_default=True, help="Time zone of naive times in the data files.")
@click.option("--bar-time", type=click.Choice(["close", "open"]), default="close", show_default=True,
              help="Whether the files stamp bars with their close or their open time.")
@click.option("--repair", is_flag=True, help="Sort unsorted rows and drop exact duplicates instead of failing.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@_guarded
def run(file, data, start, end, params, symbols, out_dir, cash, currency, rates, fill_on_close, seed, slippage_ticks,
        columns, tz, bar_time, repair, quiet) -> None:
    """Backtest a strategy on historical data: a summary table, and the run's files with --out.

    \b
    Example:
      ntc run examples/ema_cross.nts --data spy=examples/data/lean/equity/usa/daily/spy.zip --param fast=10
    """
    from ..runtime.strategy import is_built
    if not is_built(file):  # a current artifact was checked when it was written: a re-run skips the front end
        from .frontend import check_file
        result = check_file(file)
        if not result.ok:
            _print_text([result])
            sys.exit(1)
    from ..runtime import run_command
    mapping = _pairs(columns, "--column")
    sys.exit(run_command.run(file, data, params, symbols, start, end, out_dir, cash, currency, _pairs(rates, "--rate"),
                             fill_on_close, seed, slippage_ticks, mapping, tz, bar_time, repair, quiet))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--venue", default="binance", show_default=True, help="A ccxt exchange id.")
@click.option("--paper", is_flag=True, help="Live data, simulated fills (the backtest's venue models); no keys.")
@click.option("--config", "config", default=None, type=click.Path(dir_okay=False, exists=True),
              help="A live.toml with any of the options below (the command line wins).")
@click.option("--url", "base_url", default=None, metavar="http://HOST:PORT",
              help="A local venue speaking the exchange's protocol, such as the simulator.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A param value; repeat for several.")
@click.option("--state", default=None, metavar="URL", help="sqlite:///path.db (default, beside the journal) or "
              "redis://127.0.0.1:6379/0.")
@click.option("--journal", default=None, type=click.Path(file_okay=False), help="The run's folder: journal, state, "
              "live.log (default .ntc/live/<strategy>/ beside the strategy).")
@click.option("--credentials", default=None, type=click.Path(dir_okay=False, exists=True),
              help="A TOML file with api_key and secret (default: NTS_API_KEY and NTS_API_SECRET).")
@click.option("--cash", default=None, type=float, help="Paper mode's starting cash.")
@click.option("--cancel-on-exit", is_flag=True, default=None, help="Cancel open orders when stopping.")
@click.option("--duration", default=None, type=float, help="Stop after this many seconds.")
@click.option("--log", default=None, metavar="FILE|-", help="Where the JSON log lines go (default live.log).")
@_guarded
def live(file, venue, paper, config, base_url, params, state, journal, credentials, cash, cancel_on_exit, duration,
         log) -> None:
    """Run a strategy on a venue: the same compiled code as `ntc run`, fed live.

    \b
    Exit codes: 0 stopped (SIGINT, SIGTERM, --duration), 1 a bad strategy or configuration, 4 the venue refused us,
    5 the engine stopped. Example, against the local simulator (python -m nts.adapters.binance_sim):
      ntc live examples/btc_quotes.nts --paper --url http://127.0.0.1:8765
    """
    from ..runtime.strategy import is_built
    if not is_built(file):
        from .frontend import check_file
        result = check_file(file)
        if not result.ok:
            _print_text([result])
            sys.exit(1)
    from ..runtime.live_scheduler import LiveConfig, run_live
    overrides = dict(venue=venue, paper=paper or None, base_url=base_url, state=state, journal=journal,
                     credentials=credentials, cash=cash, cancel_on_exit=cancel_on_exit, duration=duration, log=log,
                     param_pairs=params or None)
    try:
        cfg = LiveConfig.from_toml(config, strategy=file, **overrides) if config else LiveConfig(
            strategy=file, **{k: v for k, v in overrides.items() if v is not None})
    except (TypeError, ValueError) as exc:
        click.echo(f"ntc live: {config}: {exc}", err=True)
        sys.exit(1)
    sys.exit(run_live(cfg))


@main.command()
@click.argument("journal", type=click.Path(file_okay=False, exists=True))
@_guarded
def replay(journal: str) -> None:
    """Replay a live run's journal through the same compiled strategy and check it sends the same orders.

    \b
    Exit code 0 when every order and cancel is identical, 1 at the first difference (printed with its input
    number, time and .nts line).
    """
    from ..runtime.journal import JournalError
    from ..runtime.replay import replay as run_replay
    try:
        result = run_replay(journal)
    except JournalError as exc:
        click.echo(f"ntc replay: {exc}", err=True)
        sys.exit(1)
    if result.identical:
        click.echo(f"identical: {result.inputs:,} inputs, {result.orders:,} orders, {result.cancels:,} cancels")
        return
    d = result.difference
    from ..adapters.files import iso
    where = f" (line {d.line})" if d.line is not None else ""
    click.echo(f"different at input {d.n:,}, {iso(d.t)}{where}: {d.what}")
    sys.exit(1)


@main.group()
def data() -> None:
    """Build and inspect a data catalog (Parquet, by data type, instrument and day)."""


@data.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--catalog", default="catalog", show_default=True, type=click.Path(file_okay=False),
              help="The catalog folder (made if missing).")
@click.option("--symbol", default=None, help="The instrument of a CSV, Parquet or Lean file (SPY.ARCA, ESU4.GLBX).")
@click.option("--type", "kind", type=click.Choice(["bars", "quotes", "trades"]), default="bars", show_default=True,
              help="What a CSV, Parquet or Lean file holds.")
@click.option("--timeframe", default=None, metavar="DURATION", help="The bars' period (1m, 1h, 1d).")
@click.option("--column", "columns", multiple=True, metavar="FIELD=NAME",
              help="Read FIELD (ts_event, open, close, bid, ...) from the file's column NAME.")
@click.option("--tz", default="UTC", show_default=True, help="Time zone of naive times in the files.")
@click.option("--time-unit", type=click.Choice(["s", "ms", "us", "ns"]), default=None,
              help="Unit of integer times (default: guessed from their size).")
@click.option("--bar-time", type=click.Choice(["close", "open"]), default="close", show_default=True,
              help="Whether the files stamp bars with their close or their open time.")
@click.option("--repair", is_flag=True, help="Sort unsorted rows and drop exact duplicates instead of failing.")
@click.option("--replace", is_flag=True, help="Replace the catalog's data of the times these files cover.")
@_guarded
def data_import(files, catalog, symbol, kind, timeframe, columns, tz, time_unit, bar_time, repair, replace) -> None:
    """Import CSV, Parquet, Lean zip or Databento DBN files into a catalog, validated.

    \b
    Examples:
      ntc data import --catalog catalog futures_ohlcv-1m.dbn.zst futures_definition.dbn.zst
      ntc data import --catalog catalog spy.csv --symbol SPY.ARCA --timeframe 1d --tz America/New_York
    """
    from ..adapters.catalog import Catalog
    from ..adapters.data_import import import_file
    from ..adapters.files import DataError
    mapping = _pairs(columns, "--column")
    try:
        store = Catalog(catalog, create=True)
        for path in files:
            done = import_file(store, path, symbol=symbol, kind=kind, timeframe=timeframe, columns=mapping, tz=tz,
                               time_unit=time_unit, bar_time=bar_time, repair=repair, replace=replace)
            what = [f"{rows:,} {data_type} of {sym}" for data_type, sym, rows in done.series]
            what += [f"the definition of {sym}" for sym in done.instruments]
            click.echo(f"{path}: {', '.join(what) or 'nothing'}"
                       + (f" ({done.repairs})" if repair and done.repairs else ""), err=True)
    except DataError as exc:
        click.echo(f"ntc data import: {exc}", err=True)
        sys.exit(1)


@data.command("ls")
@click.argument("catalog", default="catalog", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_guarded
def data_ls(catalog, as_json) -> None:
    """List what a catalog holds: each series' rows, files and time range."""
    import json
    from dataclasses import asdict

    from ..adapters.catalog import Catalog
    from ..adapters.files import DataError, iso
    try:
        store = Catalog(catalog)
        entries = store.entries()
    except DataError as exc:
        click.echo(f"ntc data ls: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps([asdict(e) | {"first": iso(e.first), "last": iso(e.last)} for e in entries], indent=2))
        return
    from rich.console import Console
    from rich.table import Table
    table = Table(title=f"{catalog}: {len(entries)} series")
    for name in ("instrument", "type", "rows", "files", "first", "last", "size"):
        table.add_column(name, justify="right" if name in ("rows", "files", "size") else "left")
    for e in sorted(entries, key=lambda e: (e.symbol, e.data_type)):
        spec = "" if store.instrument(e.symbol) is None else " *"
        table.add_row(e.symbol + spec, e.data_type, f"{e.rows:,}", str(e.files), iso(e.first)[:19], iso(e.last)[:19],
                      f"{e.bytes / 1e6:.1f} MB")
    Console().print(table)
    if any(store.instrument(e.symbol) for e in entries):
        click.echo("* the catalog holds the instrument's definition (tick size, multiplier, ...)")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 when a file is not formatted.")
@_guarded
def fmt(files: tuple[str, ...], check_only: bool) -> None:
    """Rewrite strategy files in the canonical layout, keeping their comments (`-`: stdin to stdout).

    \b
    Exit status: 0 when done (with --check: every file is formatted), 1 when a file has syntax errors, cannot be
    read, or (with --check) would change.
    """
    from pathlib import Path

    from ..dsl.diagnostics import render
    from ..dsl.formatter import FormatError, format_source
    from ..dsl.source import SourceDecodeError, SourceFile, decode_source
    failed = changed = 0
    for name in files:
        try:
            text = decode_source(sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes())
            formatted = format_source(text, name)
        except (OSError, SourceDecodeError) as exc:
            click.echo(f"{name}: cannot read: {getattr(exc, 'strerror', None) or exc}", err=True)
            failed += 1
            continue
        except FormatError as exc:
            for d in exc.diagnostics.sorted():
                click.echo(render(d, SourceFile(name, text)), err=True)
            failed += 1
            continue
        if name == "-":
            click.echo(formatted, nl=False)
        elif formatted != text:
            changed += 1
            if check_only:
                click.echo(f"would reformat {name}", err=True)
            else:
                Path(name).write_text(formatted, encoding="utf-8")
                click.echo(f"reformatted {name}", err=True)
    if not check_only or changed == 0:
        click.echo(f"{len(files) - failed - changed} file(s) already formatted"
                   + (f", {changed} reformatted" if changed else "") + (f", {failed} failed" if failed else ""),
                   err=True)
    sys.exit(1 if failed or (check_only and changed) else 0)


@main.command()
@click.option("--stdio", is_flag=True, help="Talk over stdin/stdout (the default and only transport).")
def lsp(stdio: bool) -> None:
    """Run the language server (LSP over stdio) for editors: diagnostics, hover, completion, go to definition,
    references, rename, outline, semantic tokens, signature help and formatting."""
    from .lsp import main as serve
    serve()


def _pairs(pairs: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: expected NAME=VALUE", param_hint=option)
        out[key] = value
    return out


if __name__ == "__main__":
    main()
