"""The back end as one call: a checked strategy becomes its state layout, IR, generated Python and manifest."""

from __future__ import annotations

import platform
from dataclasses import dataclass

import numba

from .. import __version__
from . import ir
from .artifact import compiler_id, source_hash
from .codegen import generate
from .frontend import CheckResult
from .layout import build_layout
from .lower import lower
from .manifest import Manifest


@dataclass
class Compiled:
    program: ir.Program
    source: str  # the generated module
    manifest: Manifest


def texts_of(result: CheckResult) -> dict[str, str]:
    return {path: src.text for path, src in result.sources.items()}


def compile_checked(result: CheckResult) -> Compiled:
    layout = build_layout(result)
    lowered = lower(result, layout)
    log_columns = 1 + max(1, layout.log_parts)
    generated = generate(lowered.program, result.path, __version__, log_columns)
    facts = result.facts
    manifest = Manifest(
        strategy=lowered.program.strategy, source_path=result.path, source_sha256=source_hash(texts_of(result)),
        source_files=sorted(result.sources),
        compiler_version=compiler_id(), numba_version=numba.__version__, python_version=platform.python_version(),
        timezone=facts.timezone,
        params=facts.params, instruments=facts.instruments, streams=facts.streams, series=facts.series,
        field_lookback=facts.field_lookback, handlers=facts.handlers, records=list(facts.records),
        entry_points=lowered.program.entry_points, layout=layout, intent_capacity=layout.intent_capacity,
        log_columns=log_columns, strings=lowered.strings, oco_groups=lowered.oco_groups,
        sites=[[loc.path, loc.line, loc.col] for loc in lowered.sites], log_templates=lowered.log_templates,
        source_map=[list(m) for m in generated.source_map])
    return Compiled(lowered.program, generated.source, manifest)
