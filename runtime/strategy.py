"""A compiled strategy loaded from its artifact: the handlers, fresh state, and the tables that turn the state's
counters and log rows back into words.

    strategy = nts.compile("examples/ema_cross.nts")      # or nts.load(".ntc/ema_cross")
    state = strategy.new_state({"fast": 10})
    ctx, out = strategy.context(equity=1e5), strategy.intent_buffer()
    step = strategy.entry("step:spy.bars")
    n = step(bars, i, state, ctx, out)                     # from Python, or from a compiled loop

Every entry point has the signature `(events, i, state, ctx, out) -> intents written`, except `init(state)`, which
`new_state` has already run.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..compiler.artifact import (MANIFEST_FILE, MODULE_FILE, default_dir, is_current, read_manifest, source_hash,
                                 write_artifact)
from ..compiler.manifest import STATE_ARRAYS, Manifest
from ..compiler.params import param_vector
from ..dsl.source import decode_source
from . import ops
from .context import context_array
from .events import FILL_DTYPE, ORDER_DTYPE, TIMER_DTYPE, dtype_of
from .intents import intent_buffer


class StrategyRuntimeError(RuntimeError):
    """A failure inside a compiled handler, reported at the .nts line that caused it."""


class ArtifactError(RuntimeError):
    """An artifact that cannot be loaded (missing, or built by another compiler with its source gone)."""


@dataclass
class Warning_:
    kind: str
    count: int
    where: str  # path:line:col of the first occurrence

    def __str__(self) -> str:
        return f"{self.where}: warning: {self.kind} ({self.count} time{'s' * (self.count != 1)})"


_LINE = 64
_INT_ARRAYS = ("vars_i64", "series_i64", "ring_pos", "data_i64", "counters")
_ZERO_ARRAYS = _INT_ARRAYS + ("vars", "ind", "logs")


class CompiledStrategy:
    def __init__(self, directory: Path, manifest: Manifest, module):
        self.directory = directory
        self.manifest = manifest
        self.module = module

    # ---------------------------------------------------------------- entry points
    def entry(self, name: str):
        """The compiled function of an entry point ("step:spy.bars", "on:fill", ...)."""
        try:
            return getattr(self.module, self.manifest.entry_points[name])
        except KeyError:
            raise KeyError(f"{self.manifest.strategy} has no entry point {name!r}; it has "
                           + ", ".join(self.manifest.entry_points)) from None

    def event_dtype(self, name: str) -> np.dtype:
        if name.startswith("step:"):
            stream = next(s for s in self.manifest.streams if s.key == name[5:])
            return dtype_of(stream.data, stream.depth, stream.mbo)
        if name == "on:fill":
            return FILL_DTYPE
        if name.startswith("on:order:"):
            return ORDER_DTYPE
        return TIMER_DTYPE

    def compile_all(self) -> None:
        """Compiles (or loads from Numba's cache) every entry point for the standard argument types."""
        import numba

        state = self.new_state(run_init=False)
        ctx, out = self.context(), self.intent_buffer()
        for name in self.manifest.entry_points:
            fn = self.entry(name)
            if name == "init":
                fn.compile((numba.typeof(state),))
                continue
            events = np.zeros(1, self.event_dtype(name))
            fn.compile(tuple(numba.typeof(v) for v in (events, np.int64(0), state, ctx, out)))

    def jit_stats(self) -> tuple[int, int]:
        """(cache hits, cache misses) over the entry points: misses are compilations from scratch."""
        hits = misses = 0
        for name in self.manifest.entry_points:
            stats = self.entry(name).stats
            hits += sum(stats.cache_hits.values())
            misses += sum(stats.cache_misses.values())
        return hits, misses

    # ---------------------------------------------------------------- state
    def new_state(self, params: dict | None = None, run_init: bool = True) -> tuple:
        """Fresh state arrays for one run with these param values (the defaults where not given).

        The arrays are views into one buffer, each starting on a cache line. Allocated one by one, two of them can
        land a multiple of 4 KiB apart, and then the CPU takes a store into one for a store into the other when it
        forwards stores to loads: the same strategy ran 60% slower in some processes than in others."""
        sizes = self.manifest.layout.sizes
        shapes = {name: (sizes.get(name, 0), self.manifest.log_columns) if name == "logs" else (sizes.get(name, 0),)
                  for name in STATE_ARRAYS}
        offsets, total = {}, 0
        for name in STATE_ARRAYS:
            offsets[name] = total
            total += -(-8 * int(np.prod(shapes[name])) // _LINE) * _LINE
        buffer = np.empty(total + _LINE, np.uint8)
        start = -buffer.ctypes.data % _LINE
        arrays = {}
        for name in STATE_ARRAYS:
            dtype = np.int64 if name in _INT_ARRAYS else np.float64
            n = int(np.prod(shapes[name]))
            view = buffer[start + offsets[name]:start + offsets[name] + 8 * n].view(dtype).reshape(shapes[name])
            view[...] = np.nan if name not in _ZERO_ARRAYS else 0
            arrays[name] = view
        arrays["params"][:] = param_vector(self.manifest.params, self.manifest.layout, params)
        state = tuple(arrays[name] for name in STATE_ARRAYS)
        if run_init:
            self.entry("init")(state)
        return state

    def context(self, equity: float = 0.0, cash: float = 0.0) -> np.ndarray:
        return context_array(len(self.manifest.instruments), equity, cash)

    def intent_buffer(self) -> np.ndarray:
        return intent_buffer(self.manifest.intent_capacity)

    def array(self, state: tuple, name: str) -> np.ndarray:
        return state[STATE_ARRAYS.index(name)]

    def record(self, state: tuple, name: str) -> float:
        return float(self.array(state, "records")[self.manifest.layout.slot("records", name).offset])

    # ---------------------------------------------------------------- calling from Python
    def call(self, name: str, events: np.ndarray, i: int, state: tuple, ctx: np.ndarray, out: np.ndarray) -> int:
        """Runs one entry point from Python; a failure inside is reported at its .nts line."""
        try:
            return int(self.entry(name)(events, i, state, ctx, out))
        except Exception as exc:  # noqa: BLE001 - re-raised with its place in the strategy
            raise StrategyRuntimeError(f"{self.where(exc, name)}: {type(exc).__name__}: {exc}") from exc

    def where(self, exc: BaseException, name: str) -> str:
        """The .nts place of a failure: the deepest generated line in the traceback, through the source map; the
        handler's own line when the compiled code gives no traceback."""
        module_file = str(Path(self.module.__file__).resolve())
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
                 if str(Path(f.filename).resolve()) == module_file]
        if lines:
            mapped = [m for m in self.manifest.source_map if m[0] <= lines[-1]]
            if mapped:
                _, path, line, col = mapped[-1]
                return f"{path}:{line}:{col}"
        fact = self._handler_fact(name)
        return f"{self.manifest.source_path}:{fact.line if fact else 1}:1"

    def _handler_fact(self, name: str):
        for h in self.manifest.handlers:
            if (name.startswith("step:") and h.stream == name[5:]) or name == f"on:{h.event}" \
                    or name == f"on:order:{h.order_event}" or name == f"on:timer:{h.interval_ns}":
                return h
        return None

    # ---------------------------------------------------------------- warnings and logs
    def warnings(self, state: tuple) -> list[Warning_]:
        counters = self.array(state, "counters")
        found = []
        for kind, text in enumerate(ops.WARNING_KINDS):
            count = int(counters[ops.WARN_BASE + 2 * kind])
            if count:
                site = int(counters[ops.WARN_BASE + 2 * kind + 1])
                path, line, col = self.manifest.sites[site - 1] if site > 0 else (self.manifest.source_path, 1, 1)
                found.append(Warning_(text, count, f"{path}:{line}:{col}"))
        return found

    def drain_logs(self, state: tuple) -> list[str]:
        """The log messages written since the last drain, formatted, oldest first."""
        counters, logs = self.array(state, "counters"), self.array(state, "logs")
        n = int(counters[ops.LOG_COUNT])
        messages = [self.format_log(logs[j]) for j in range(n)]
        counters[ops.LOG_COUNT] = 0
        return messages

    def format_log(self, row: np.ndarray) -> str:
        parts = self.manifest.log_templates[int(row[0])]
        text, column = [], 1
        for part in parts:
            if part[0] == "text":
                text.append(part[1])
                continue
            text.append(self._format_value(float(row[column]), part[1], part[2]))
            column += 1
        return "".join(text)

    def _format_value(self, v: float, type_name: str, decimals: int | None) -> str:
        if type_name == "bool":
            return "true" if v == 1.0 else "false"
        if v != v:
            return "na"
        if decimals is not None:
            return f"{v:.{decimals}f}"
        if type_name == "int":
            return str(int(v))
        if type_name == "string":
            return self.manifest.strings[int(v)] if 0 <= v < len(self.manifest.strings) else ""
        if type_name == "instrument":
            return self.manifest.instruments[int(v)].name if 0 <= v < len(self.manifest.instruments) else ""
        if type_name == "timestamp":
            return datetime.fromtimestamp(v / 1e9, tz=timezone.utc).isoformat().replace("+00:00", "Z")
        if type_name == "duration":
            return _duration_text(int(v))
        return repr(v)


def _duration_text(ns: int) -> str:
    if ns == 0:
        return "0s"
    sign, ns = ("-" if ns < 0 else ""), abs(ns)
    out = []
    for unit, size in (("d", 86_400 * 10**9), ("h", 3600 * 10**9), ("m", 60 * 10**9), ("s", 10**9), ("ms", 10**6),
                       ("us", 10**3), ("ns", 1)):
        if ns >= size:
            out.append(f"{ns // size}{unit}")
            ns %= size
    return sign + "".join(out)


def _import(directory: Path, manifest: Manifest):
    """Imports the generated module under a name unique to its source hash, so two artifacts can live in one
    process."""
    name = f"nts_strategy_{manifest.source_sha256[:16]}"
    if name in sys.modules and Path(sys.modules[name].__file__).resolve() == (directory / MODULE_FILE).resolve():
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, directory / MODULE_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _current_texts(manifest: Manifest) -> dict[str, str] | None:
    texts = {}
    for path in manifest.source_files:
        try:
            texts[path] = decode_source(Path(path).read_bytes())
        except (OSError, ValueError):
            return None
    return texts


def load(directory: str | Path) -> CompiledStrategy:
    """Loads an artifact. When its source has changed or it was built by another compiler or Numba, it is
    compiled again from its source first."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest is None or not (directory / MODULE_FILE).exists():
        raise ArtifactError(f"{directory} is not a compiled strategy (no {MANIFEST_FILE} or {MODULE_FILE}); "
                            "build one with `ntc compile FILE -o DIR`")
    texts = _current_texts(manifest)
    current_hash = source_hash(texts) if texts is not None else manifest.source_sha256
    if not is_current(manifest, current_hash):
        if texts is None:
            raise ArtifactError(f"{directory} was built by ntc {manifest.compiler_version} / numba "
                                f"{manifest.numba_version} and its source {manifest.source_path} is gone")
        write_artifact(manifest.source_path, directory)
        manifest = read_manifest(directory)
    strategy = CompiledStrategy(directory, manifest, _import(directory, manifest))
    strategy.compile_all()
    return strategy


def compile_strategy(path: str | Path, directory: str | Path | None = None) -> CompiledStrategy:
    """Compiles a strategy file (when its artifact is missing or stale) and loads it."""
    directory = Path(directory) if directory is not None else default_dir(path)
    if not is_built(path, directory):
        directory, _ = write_artifact(path, directory)
    return load(directory)


def is_built(path: str | Path, directory: str | Path | None = None) -> bool:
    """Whether `directory` (default: the strategy's) holds the current artifact of the strategy file `path`: then
    it loads without importing the compiler, which had checked that very source when it wrote the artifact."""
    directory = Path(directory) if directory is not None else default_dir(path)
    manifest = read_manifest(directory)
    if manifest is None or not (directory / MODULE_FILE).exists():
        return False
    if Path(manifest.source_path).resolve() != Path(path).resolve():
        return False
    texts = _current_texts(manifest)
    return texts is not None and is_current(manifest, source_hash(texts))
