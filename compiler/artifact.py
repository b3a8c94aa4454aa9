"""Compiled artifacts: a folder holding the generated module, its manifest and Numba's on-disk cache.

    DIR/strategy.py        the generated module (`ntc compile FILE --emit py` prints the same text)
    DIR/manifest.json      the Manifest, as JSON
    DIR/__pycache__/       Numba's cache of the compiled machine code

Writing an artifact whose manifest already holds the same source hash, compiler and Numba versions leaves the folder
as it is, so Numba's cache stays valid and loading it does not JIT again. Anything else rewrites it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
from pathlib import Path

import numba

from .. import __version__
from .manifest import FORMAT, Manifest

# Loading an artifact imports this module and the manifest, never the front end: the compiler is imported only when
# an artifact has to be (re)written.

MODULE_FILE = "strategy.py"
MANIFEST_FILE = "manifest.json"


class CompileError(Exception):
    """The strategy has errors; `result` holds its diagnostics."""

    def __init__(self, result):
        self.result = result
        first = result.diagnostics.errors[0]
        s = first.span
        super().__init__(f"{s.path}:{s.line}:{s.col}: {first.message}"
                         + (f" (and {len(result.diagnostics.errors) - 1} more errors)"
                            if len(result.diagnostics.errors) > 1 else ""))


def source_hash(texts: dict[str, str]) -> str:
    """One hash over the strategy and every library it imports (path -> text)."""
    h = hashlib.sha256()
    for path in sorted(texts):
        h.update(path.encode() + b"\0" + texts[path].encode() + b"\0")
    return h.hexdigest()


# The code an artifact's Numba cache holds compiled in: the generated module calls the runtime ops and stdlib
# kernels, and the generator decides what it calls.
_COMPILED_IN = ("compiler", "dsl", "grammar", "runtime", "stdlib")


@functools.cache
def compiler_id() -> str:
    """The compiler's version and a hash of the package's own sources. An artifact built by other code (an upgrade,
    or an edited checkout, where the version stays the same) is rebuilt rather than run with stale kernels."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for folder in _COMPILED_IN:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".lark") and "__pycache__" not in path.parts:
                h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{__version__}+{h.hexdigest()[:12]}"


def default_dir(path: str | Path) -> Path:
    """Where `nts.compile(path)` keeps a strategy's artifact: `.ntc/<name>/` beside the source."""
    p = Path(path)
    name = p.name.split(".")[0]
    return p.parent / ".ntc" / name


def read_manifest(directory: str | Path) -> Manifest | None:
    try:
        return Manifest.model_validate_json((Path(directory) / MANIFEST_FILE).read_text())
    except (OSError, ValueError):
        return None


def is_current(manifest: Manifest | None, sha256: str) -> bool:
    return (manifest is not None and manifest.format == FORMAT and manifest.source_sha256 == sha256
            and manifest.compiler_version == compiler_id() and manifest.numba_version == numba.__version__)


def write_artifact(path: str | Path, directory: str | Path | None = None) -> tuple[Path, bool]:
    """Compile `path` into `directory` (default: `default_dir(path)`); returns the folder and whether it was
    (re)written. Raises CompileError when the strategy has errors."""
    from .backend import compile_checked, texts_of
    from .frontend import check_file

    result = check_file(path)
    if not result.ok:
        raise CompileError(result)
    directory = Path(directory) if directory is not None else default_dir(path)
    if is_current(read_manifest(directory), source_hash(texts_of(result))) and (directory / MODULE_FILE).exists():
        return directory, False
    compiled = compile_checked(result)
    if directory.exists():
        shutil.rmtree(directory / "__pycache__", ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    _write_atomic(directory / MODULE_FILE, compiled.source)
    _write_atomic(directory / MANIFEST_FILE, json.dumps(compiled.manifest.model_dump(mode="json"), indent=1))
    return directory, True


def _write_atomic(target: Path, text: str) -> None:
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, target)
