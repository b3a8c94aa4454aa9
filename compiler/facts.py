"""What the checker knows about a strategy before it runs: the static facts the back end lays state out from,
the artifact manifest is built from, and `ntc check --json` / the editor report."""

from __future__ import annotations

from pydantic import BaseModel


class ParamFact(BaseModel):
    name: str
    type: str
    default: float | int | bool | str | None = None  # None when the declared default is invalid
    lo: float | int | None = None
    hi: float | int | None = None
    step: float | int | None = None
    choices: list[str] | None = None
    doc: str | None = None


class InstrumentFact(BaseModel):
    name: str
    symbol: str


class StreamFact(BaseModel):
    key: str
    instrument: str
    data: str
    timeframe_ns: int | None = None
    depth: int | None = None
    mbo: bool = False
    alias: str | None = None


class SeriesFact(BaseModel):
    name: str
    type: str
    # How many past values are read (`x[3]` -> 3); the ring buffer holds lookback + 1 values.
    lookback: int = 0
    # The streams whose events advance this series: a series updates when any of its inputs updates.
    clock: list[str] = []


class VarFact(BaseModel):
    name: str
    type: str
    size: int | None = None


class HandlerFact(BaseModel):
    event: str
    target: str | None = None
    stream: str | None = None
    order_event: str | None = None
    interval_ns: int | None = None
    line: int


class IndicatorCallFact(BaseModel):
    """One stateful stdlib call site; each site owns its state block, sized from the static arguments'
    upper bounds (a param's range end)."""

    function: str
    path: str
    line: int
    col: int
    static_args: dict[str, float | int | bool | str] = {}
    clock: list[str] = []


class StaticFacts(BaseModel):
    strategy: str | None = None
    timezone: str = "UTC"
    params: list[ParamFact] = []
    instruments: list[InstrumentFact] = []
    streams: list[StreamFact] = []
    series: list[SeriesFact] = []
    # History depth read from each data field, keyed `stream.field` (`btc.bars.close`, `trend.close`).
    field_lookback: dict[str, int] = {}
    vars: list[VarFact] = []
    functions: list[str] = []
    handlers: list[HandlerFact] = []
    indicator_calls: list[IndicatorCallFact] = []
    records: dict[str, str] = {}
    tags: list[str] = []
