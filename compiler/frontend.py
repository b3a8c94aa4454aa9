"""The front end as one call: read a strategy file and the libraries it imports, parse, check, and return the
diagnostics, the AST and the static facts. `ntc check`, the editor and the back end all start here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..dsl import ast
from ..dsl.diagnostics import Diagnostics
from ..dsl.parser import parse_source
from ..dsl.source import SourceDecodeError, SourceFile, Span, decode_source
from .checker import Checker
from .declarations import DeclarationCollector
from .facts import StaticFacts
from .symbols import Symbols

MAX_SOURCE_BYTES = 8 * 1024 * 1024


@dataclass
class CheckResult:
    path: str
    diagnostics: Diagnostics
    sources: dict[str, SourceFile] = field(default_factory=dict)
    module: ast.Module | None = None
    libraries: list[ast.Module] = field(default_factory=list)
    symbols: Symbols | None = None
    facts: StaticFacts | None = None
    checker: Checker | None = None  # its `types` and `stream_of` tables serve the back end

    @property
    def ok(self) -> bool:
        return not self.diagnostics.has_errors


def check_file(path: str | Path) -> CheckResult:
    """Check a `.nts` (or `.nts.yaml`) file and its imports."""
    path = str(path)
    diags = Diagnostics()
    result = CheckResult(path=path, diagnostics=diags)
    text = _read(path, diags, None)
    if text is None:
        return result
    return _check(path, text, result)


def check_text(text: str, path: str = "<string>") -> CheckResult:
    """Check source held in memory (tests, the editor's unsaved buffers). Imports resolve beside `path`."""
    return _check(path, text, CheckResult(path=path, diagnostics=Diagnostics()))


def _check(path: str, text: str, result: CheckResult) -> CheckResult:
    diags = result.diagnostics
    result.sources[path] = SourceFile(path, text)
    module = parse_file_text(path, text, diags)
    result.module = module
    result.libraries = _load_imports(module, result, [path])
    collector = DeclarationCollector(diags)
    symbols = collector.collect(module, result.libraries)
    result.symbols = symbols
    try:
        result.checker = Checker(symbols, collector, diags, path)
        result.facts = result.checker.check()
    except RecursionError:
        diags.add("E0007", "the program is nested too deeply to check", Span(path=path, line=1, col=1, end_line=1,
                                                                            end_col=2),
                  "split deep expressions into several `series` or locals")
    return result


def parse_file_text(path: str, text: str, diags: Diagnostics) -> ast.Module:
    if path.endswith((".yaml", ".yml")):
        from ..dsl.yaml_form import parse_yaml
        return parse_yaml(text, path, diags)
    return parse_source(text, path, diags)


def _read(path: str, diags: Diagnostics, at: Span | None) -> str | None:
    where = at or Span(path=path, line=1, col=1, end_line=1, end_col=2)
    try:
        p = Path(path)
        if p.is_dir():
            diags.add("E0006", f"`{path}` is a directory, not a .nts file", where)
            return None
        size = p.stat().st_size
        if size > MAX_SOURCE_BYTES:
            diags.add("E0006", f"`{path}` is {size // (1024 * 1024)} MiB; a strategy file is at most "
                               f"{MAX_SOURCE_BYTES // (1024 * 1024)} MiB", where)
            return None
        return decode_source(p.read_bytes())
    except SourceDecodeError as exc:
        span = Span(path=path, line=exc.line, col=exc.col, end_line=exc.line, end_col=exc.col + 1) if at is None \
            else at
        diags.add("E0006", f"cannot read `{path}`: {exc}", span, "save the file as UTF-8 text")
    except OSError as exc:
        diags.add("E0006", f"cannot read `{path}`: {exc.strerror or exc}", where)
    return None


def _load_imports(module: ast.Module, result: CheckResult, chain: list[str]) -> list[ast.Module]:
    """The libraries `module` imports, depth first, each once. A library holds only `def`, `const` and `import`."""
    diags = result.diagnostics
    loaded: list[ast.Module] = []
    base = Path(module.path).parent
    for item in module.items:
        if not isinstance(item, ast.Import):
            continue
        if Path(item.path).is_absolute() or not item.path.endswith(".nts"):
            diags.add("E0104", f'import "{item.path}": give a relative path to a .nts file', item.span,
                      'for example `import "lib/signals.nts"`')
            continue
        target = str(base / item.path)
        resolved = str(Path(target).resolve())
        if resolved in (str(Path(c).resolve()) for c in chain):
            diags.add("E0104", f'import "{item.path}" forms a cycle', item.span,
                      " -> ".join(Path(c).name for c in chain + [target]))
            continue
        if any(str(Path(m.path).resolve()) == resolved for m in result.libraries + loaded):
            continue
        if not Path(target).exists():
            diags.add("E0104", f'cannot find "{item.path}" (looked in {base or "."})', item.span)
            continue
        text = _read(target, diags, item.span)
        if text is None:
            continue
        result.sources[target] = SourceFile(target, text)
        lib = parse_source(text, target, diags)
        for decl in lib.items:
            if not isinstance(decl, (ast.Function, ast.Const, ast.Import)):
                diags.add("E0104", f"a library holds only `def`, `const` and `import`; `{decl.kind}` is not "
                                   "allowed here", decl.span, f'it is imported from {module.path}:{item.span.line}')
        lib.items = [d for d in lib.items if isinstance(d, (ast.Function, ast.Const, ast.Import))]
        loaded.extend(_load_imports(lib, result, chain + [target]))
        loaded.append(lib)
    return loaded
