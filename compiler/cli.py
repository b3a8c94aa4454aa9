"""`ntc`, the user's command: check and compile strategies (run, live, replay, lsp and fmt join as they land).

Exit codes: 0 clean (warnings allowed), 1 errors in the input, 2 usage errors, 3 an internal error (a bug in
ntc: reported in one line, never as a traceback).
"""

from __future__ import annotations

import json
import sys

import click

from .. import __version__
from ..dsl.diagnostics import render
from .frontend import CheckResult, check_file

EXAMPLES = """\b
Examples:
  ntc check examples/ema_cross.nts             check one strategy
  ntc check examples/*.nts --json              diagnostics as JSON, for editors
  ntc compile examples/ema_cross.nts --emit facts
                                               what the compiler knows before the run
  ntc compile examples/ema_cross.nts --emit py what the strategy became: readable Python
  ntc compile examples/ema_cross.nts -o build/ema
                                               an artifact for nts.load("build/ema")
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
@click.option("--data", "data", multiple=True, metavar="[NAME=]PATH",
              help="A stream's events: CSV, Parquet or a Lean zip. NAME is a stream key, alias or instrument; "
                   "without it, the strategy's only stream. Repeat for several.")
@click.option("--from", "start", default=None, metavar="DATE", help="First event time (ISO date or datetime, UTC).")
@click.option("--to", "end", default=None, metavar="DATE", help="Last event time (ISO date or datetime, UTC).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A param value; repeat for several.")
@click.option("--instrument", "symbols", multiple=True, metavar="NAME=SYMBOL",
              help="Trade instrument NAME as SYMBOL (its venue suffix picks tick, lot and kind).")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Write orders, fills, positions, equity and order events as Parquet files here.")
@click.option("--cash", default=100_000.0, show_default=True, help="Starting cash.")
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
def run(file, data, start, end, params, symbols, out_dir, cash, fill_on_close, seed, slippage_ticks, columns, tz, bar_time,
        repair, quiet) -> None:
    """Backtest a strategy on historical data: a summary table, and the run's files with --out.

    \b
    Example:
      ntc run examples/ema_cross.nts --data spy=examples/data/lean/equity/usa/daily/spy.zip --param fast=10
    """
    result = check_file(file)
    if not result.ok:
        _print_text([result])
        sys.exit(1)
    from ..runtime import run_command
    mapping = {}
    for pair in columns:
        field, sep, name = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: expected FIELD=NAME", param_hint="--column")
        mapping[field] = name
    sys.exit(run_command.run(file, data, params, symbols, start, end, out_dir, cash, fill_on_close, seed,
                             slippage_ticks, mapping, tz, bar_time, repair, quiet))


if __name__ == "__main__":
    main()
