"""NTS: a declarative trading-strategy language, compiled by `ntc`.

The import package's parts are the repository's top-level folders: `nts.dsl` (parsing, AST, diagnostics),
`nts.compiler` (checks and lowering), `nts.stdlib` (indicators), `nts.runtime`, `nts.adapters`.
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("nts-lang")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
