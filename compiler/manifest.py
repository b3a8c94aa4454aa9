"""The artifact manifest: what a compiled strategy is, written beside its generated module as `manifest.json`.

Schedulers, reports and the live runtime read everything they need to drive the strategy from here: the param
ranges, the instruments and streams, the entry points per event, the state layout and the tables that turn ids
back into names (strings, OCO groups, warning sites, log templates).
"""

from __future__ import annotations

from pydantic import BaseModel

from .facts import HandlerFact, InstrumentFact, ParamFact, SeriesFact, StreamFact

FORMAT = 1
STATE_ARRAYS = ("params", "vars", "vars_i64", "series", "series_i64", "ring_pos", "data", "data_i64", "calls",
                "records", "ind", "counters", "logs")
LOG_ROWS = 64  # log messages one handler call can leave for the runtime to format


class Slot(BaseModel):
    name: str
    array: str  # which state array
    offset: int
    size: int = 1


class IndicatorBlock(BaseModel):
    function: str
    kernel_module: str
    line: int
    col: int
    offset: int
    size: int
    static_args: dict[str, float | int | bool | str] = {}


class StateLayout(BaseModel):
    params: list[Slot] = []
    vars: list[Slot] = []
    series: list[Slot] = []  # series and data-field histories; `name` is the series or `stream.field`
    rings: dict[str, int] = {}  # ring name -> index of its position in `ring_pos`
    data: list[Slot] = []  # `stream.field` latest values, `stream.time` and `stream.count` in data_i64
    calls: list[Slot] = []  # one per indicator block, same order; size = number of outputs
    records: list[Slot] = []
    indicators: list[IndicatorBlock] = []
    log_parts: int = 0
    sizes: dict[str, int] = {}  # array name -> length
    intent_capacity: int = 1

    def slot(self, table: str, name: str) -> Slot:
        return next(s for s in getattr(self, table) if s.name == name)


class Manifest(BaseModel):
    format: int = FORMAT
    strategy: str
    source_path: str
    source_sha256: str  # the strategy and its imports
    source_files: list[str]  # the files hashed: the strategy, then the libraries it imports
    compiler_version: str
    numba_version: str
    python_version: str
    timezone: str = "UTC"  # the strategy's `timezone`: where `day` orders end and calendar helpers read
    params: list[ParamFact]
    instruments: list[InstrumentFact]
    streams: list[StreamFact]
    series: list[SeriesFact]  # each with its lookback and clock
    field_lookback: dict[str, int]
    handlers: list[HandlerFact]
    records: list[str]
    # Event -> generated function: "init", "step:<stream>", "on:fill", "on:order:<kind>", "on:timer:<ns>",
    # "on:start", "on:stop".
    entry_points: dict[str, str]
    layout: StateLayout
    intent_capacity: int
    log_columns: int
    strings: list[str]  # string id -> text: order reasons first (their index is the reason code), then tags, ...
    oco_groups: list[str]
    sites: list[list]  # run-time warning site id - 1 -> [path, line, col]
    log_templates: list[list]
    source_map: list[list]  # [generated line, path, line, col]
