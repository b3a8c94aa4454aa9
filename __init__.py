"""NTS: a declarative trading-strategy language, compiled by `ntc`.

The import package's parts are the repository's top-level folders: `nts.dsl` (parsing, AST, diagnostics),
`nts.compiler` (checks and lowering), `nts.stdlib` (indicators), `nts.runtime`, `nts.adapters`.
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("nts-lang")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"


def compile(path, directory=None):  # noqa: A001 - `nts.compile(path)` is the notebook entry point
    """Compile a .nts file (reusing its artifact when the source is unchanged) and load it: a CompiledStrategy."""
    from .runtime.strategy import compile_strategy
    return compile_strategy(path, directory)


def load(directory):
    """Load a compiled artifact folder (`ntc compile FILE -o DIR`): a CompiledStrategy."""
    from .runtime.strategy import load as load_artifact
    return load_artifact(directory)


def backtest(strategy, data, params=None, **options):
    """Run a strategy (a .nts path or a CompiledStrategy) over `data` (stream -> event array, or the path of a data
    catalog; see docs/backtest.md) and return a BacktestResult: `.orders`, `.fills`, `.positions`, `.equity`
    DataFrames, `.stats` and `.plot()`. `options`: cash, instruments, venue (runtime.backtest.Venue), risk
    (runtime.backtest.Risk), start, end (ns), progress."""
    from pathlib import Path

    from .runtime.backtest import run_engine
    from .runtime.catalog_feed import CatalogFeed
    from .runtime.result import BacktestResult
    if not hasattr(strategy, "manifest"):
        strategy = compile(strategy)
    if isinstance(data, (str, Path)):
        data = CatalogFeed(data)
    return BacktestResult(strategy, run_engine(strategy, data, params=params, **options), params)
